"""The helbredstillaeg robot's datasets (../shared/contracts.md): the pension register it
reads and the health claims it pays, with the contract's lists of allowed values."""

from __future__ import annotations

from robots.core.pipeline.datasets import Column as C
from robots.core.pipeline.datasets import ColumnType as T
from robots.core.pipeline.datasets import Dataset, Role

EXPENSE_TYPES = (
    "medicin",
    "tandbehandling",
    "fysioterapi",
    "kiropraktik",
    "fodterapi",
    "psykolog",
    "briller",
    "tandprotese",
)
PENSION_TYPES = ("folkepension", "foertidspension")

PENSIONERS = Dataset(
    name="pensioners",
    code="PEN",
    role=Role.REFERENCE,
    columns=(
        C("cpr", T.CPR),
        C("pension_type", T.CODE),
        C("supplement_percent", T.INT),
        C("liquid_assets", T.MONEY),
        C("valid_from", T.DATE),
        C("valid_to", T.DATE, required=False),
        C("awarded_date", T.DATE, required=False, optional_column=True),
    ),
)

HEALTH_CLAIMS = Dataset(
    name="health_claims",
    code="HC",
    role=Role.CLAIMS,
    key="claim_id",
    source_id="claim_id",
    columns=(
        C("claim_id", T.TEXT),
        C("cpr", T.CPR),
        C("expense_type", T.CODE),
        C("provider_cvr", T.CVR),
        C("service_date", T.DATE),
        C("citizen_share", T.MONEY),
        C("received_date", T.DATE),
        C("approval_date", T.DATE, required=False, optional_column=True),
    ),
)
