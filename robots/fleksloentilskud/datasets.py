"""The fleksloentilskud robot's datasets (../shared/contracts.md "Fleksløntilskud").

`incomes` (here), `flex_jobs` and `other_benefits` (shared registers, in
robots/core/pipeline/datasets.py) arrive as registers: taken in night by night
and kept (incomes by citizen, month, payer and type, so a corrected month replaces the
rows it corrects). The claims are not sent by anyone: each night the robot lists the job
months that are due (`flex_months`, one row per fleksjob and subsidy month) from those
registers and reads that list as its claims, so every month it decides is a file and a
line in the archive, like any other robot's claim.
"""

from __future__ import annotations

from robots.core.pipeline.datasets import Column as C
from robots.core.pipeline.datasets import ColumnType as T
from robots.core.pipeline.datasets import Dataset, Role

INCOME_TYPES = ("wage", "pension", "other")
"""contracts.md: only `wage` is deducted (domain.md 3.3); pensions and the rest are not."""

INCOMES = Dataset(
    name="incomes",
    code="INC",
    role=Role.REFERENCE,
    columns=(
        C("cpr", T.CPR),
        C("payer_cvr", T.CVR),
        C("period", T.PERIOD),
        C("income_type", T.CODE),
        C("amount", T.MONEY),
        C("hours", T.QUANTITY, required=False),
    ),
)

FLEX_MONTHS = Dataset(
    name="flex_months",
    code="FLM",
    role=Role.CLAIMS,
    key="job_id",
    source_id="job_id",
    columns=(
        C("job_id", T.TEXT),
        C("month", T.PERIOD),
        C("cpr", T.CPR),
        C("facts", T.TEXT),
        C("unreadable_rows", T.TEXT, required=False),
    ),
)
"""One fleksjob's subsidy month, listed by the robot: `facts` is a digest of everything the
month is computed from (the job, the wage month's income rows, rows that could not be read),
so a month whose facts change is decided again and one whose facts stand is not.
`unreadable_rows` names the wage month's income rows that could not be read (file, line)."""
