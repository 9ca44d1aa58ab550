"""What a dataset of ../shared/contracts.md is: its columns and what each holds, and the
two registers every robot may read (the CPR and CVR extracts).

Column names are the contract; optional columns are the project's additions (README
"Formats"), read when present and never required. Each robot declares its own datasets in
its package (robots/<name>/datasets.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol

from robots.core.settings import InboxLimits


class ColumnType(StrEnum):
    """How a column's text is turned into a value."""

    TEXT = "text"
    CODE = "code"
    """A value from a fixed list (a status, a type): read in lower case, as the contract
    writes the list (`Active` and `DEAD` from another system mean active and dead)."""
    CPR = "cpr"
    CVR = "cvr"
    DATE = "date"
    MONEY = "money"
    INT = "int"
    PERIOD = "period"
    """A month, `YYYY-MM` (also read: `MM-YYYY`, `YYYYMM`), kept as `YYYY-MM` text."""
    QUANTITY = "quantity"
    """A number with at most two decimals (hours), kept in hundredths as an integer: like an
    amount, never a float."""


class Role(StrEnum):
    """Claims are decided and paid; reference extracts are what the checks look things up in."""

    CLAIMS = "claims"
    REFERENCE = "reference"


@dataclass(frozen=True)
class Column:
    """One column: its contract name, type, and whether a value must be there."""

    name: str
    type: ColumnType = ColumnType.TEXT
    required: bool = True
    optional_column: bool = False


Dialect = Literal["semicolon", "comma", "xlsx"]
"""How a file writes amounts: `1.234,50` (semicolon), `1234.50` (comma), or Excel cells."""


class DocumentReader(Protocol):
    """A dataset that also arrives one document per file (an e-invoice), read by its robot's
    reader into the dataset's columns as text, one row per line of the document."""

    @property
    def suffixes(self) -> frozenset[str]:
        """The file endings the reader reads (".xml")."""
        ...

    @property
    def dialect(self) -> Dialect:
        """How amounts are written in its documents ("comma": a decimal point)."""
        ...

    def recognises(self, path: Path) -> bool:
        """Whether the file is one of its documents (read with the reader, not as a table)."""
        ...

    def columns(self, path: Path, limits: InboxLimits) -> dict[str, list[Any]]:
        """The document's rows as text columns, with `_line` (raises UnreadableFileError)."""
        ...


@dataclass(frozen=True)
class Dataset:
    """A dataset of the contract: inbox/<name>/ holds its files."""

    name: str
    code: str
    role: Role
    columns: tuple[Column, ...]
    key: str | None = None
    source_id: str | None = None
    """The column holding the id the source system gave the row (a health claim's
    claim_id, a doctor's own invoice number): what its sender searches for."""
    documents: DocumentReader | None = None
    """How its one-document files are read, where it has them (None: tables only)."""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def mandatory_header(self) -> list[str]:
        """Columns a file must have to be read at all."""
        return [c.name for c in self.columns if not c.optional_column]


C, T = Column, ColumnType

CITIZENS = Dataset(
    name="citizens",
    code="CIT",
    role=Role.REFERENCE,
    key="cpr",
    columns=(
        C("cpr", T.CPR),
        C("name", T.TEXT),
        C("status", T.CODE),
        C("status_date", T.DATE, required=False),
        C("municipality_code", T.INT),
        C("civil_status", T.CODE, required=False),
        C("moved_date", T.DATE, required=False, optional_column=True),
    ),
)

COMPANIES = Dataset(
    name="companies",
    code="CVR",
    role=Role.REFERENCE,
    key="cvr",
    columns=(
        C("cvr", T.CVR),
        C("name", T.TEXT),
        C("status", T.CODE),
        C("status_date", T.DATE, required=False),
        C("sector", T.CODE, required=False),
    ),
)

# Registers read by more than one robot: fleksloentilskud computes from them, and
# loentilskud checks that a person in wage subsidy is not also in a fleksjob or on another
# benefit in the same period (../shared/contracts.md).

BENEFITS = ("sygedagpenge", "kontanthjaelp", "dagpenge", "ledighedsydelse", "foertidspension")
"""The benefits contracts.md names; others are read as they come (the list is open)."""

FLEX_JOBS = Dataset(
    name="flex_jobs",
    code="FLJ",
    role=Role.REFERENCE,
    key="job_id",
    columns=(
        C("job_id", T.TEXT),
        C("cpr", T.CPR),
        C("employer_cvr", T.CVR),
        C("start_date", T.DATE),
        C("end_date", T.DATE, required=False),
        C("weekly_hours", T.QUANTITY),
        C("benefit_start_date", T.DATE, required=False),
        C("full_time_wage", T.MONEY, required=False, optional_column=True),
        C("visitation_date", T.DATE, required=False, optional_column=True),
    ),
)

OTHER_BENEFITS = Dataset(
    name="other_benefits",
    code="OTB",
    role=Role.REFERENCE,
    columns=(
        C("cpr", T.CPR),
        C("benefit", T.CODE),
        C("period_start", T.DATE),
        C("period_end", T.DATE, required=False),
        C("amount", T.MONEY, required=False),
    ),
)
