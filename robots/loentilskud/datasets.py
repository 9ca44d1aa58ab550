"""The loentilskud robot's datasets (../shared/contracts.md "Løntilskud").

`subsidy_agreements` is a register: the job centre's agreements with employers (in VITAS),
taken in night by night and kept by agreement id. `subsidy_claims` are the employers'
claims for a period's hours under one agreement; each is decided once, by its claim id.
"""

from __future__ import annotations

from robots.core.pipeline.datasets import Column as C
from robots.core.pipeline.datasets import ColumnType as T
from robots.core.pipeline.datasets import Dataset, Role

TARGET_GROUPS = ("dagpenge", "kontanthjaelp", "uddannelseshjaelp", "ressourceforloeb")
"""The target groups contracts.md names; the list is open (others are read as they come,
and take the duration limit config/checks.toml gives `other`)."""

SUBSIDY_AGREEMENTS = Dataset(
    name="subsidy_agreements",
    code="AGR",
    role=Role.REFERENCE,
    key="agreement_id",
    columns=(
        C("agreement_id", T.TEXT),
        C("cpr", T.CPR),
        C("employer_cvr", T.CVR),
        C("target_group", T.CODE),
        C("start_date", T.DATE),
        # Blank: no end agreed yet; the legal maximum duration (checks.py) still applies.
        C("end_date", T.DATE, required=False),
        C("weekly_hours", T.QUANTITY),
    ),
)

SUBSIDY_CLAIMS = Dataset(
    name="subsidy_claims",
    code="SUB",
    role=Role.CLAIMS,
    key="claim_id",
    source_id="claim_id",
    columns=(
        C("claim_id", T.TEXT),
        C("agreement_id", T.TEXT),
        C("employer_cvr", T.CVR),
        C("period_start", T.DATE),
        C("period_end", T.DATE),
        C("hours", T.QUANTITY),
    ),
)
