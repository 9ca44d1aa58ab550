"""The source datasets of ../shared/contracts.md: their columns and what each holds.

Column names are the contract; optional columns are the project's additions (README
"Formats"), read when present and never required.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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

CERTIFICATE_REQUESTS = Dataset(
    name="certificate_requests",
    code="REQ",
    role=Role.REFERENCE,
    key="request_id",
    columns=(
        C("request_id", T.TEXT),
        C("cpr", T.CPR),
        C("certificate_code", T.TEXT),
        C("doctor_cvr", T.CVR),
        C("requested_date", T.DATE),
        C("case_area", T.TEXT, required=False),
    ),
)

DOCTOR_INVOICES = Dataset(
    name="doctor_invoices",
    code="INV",
    role=Role.CLAIMS,
    key="claim_id",
    source_id="invoice_id",
    columns=(
        C("invoice_id", T.TEXT),
        C("doctor_cvr", T.CVR),
        C("request_id", T.TEXT, required=False),
        C("cpr", T.CPR),
        C("certificate_code", T.TEXT),
        C("service_date", T.DATE),
        C("invoice_date", T.DATE),
        C("amount", T.MONEY),
        # The project's additions (README "Formats"): one row per invoice line, and credit
        # notes (OIOUBL CreditNote, or document_type=credit_note with the credited invoice).
        C("invoice_line", T.TEXT, required=False, optional_column=True),
        C("document_type", T.CODE, required=False, optional_column=True),
        C("credited_invoice_id", T.TEXT, required=False, optional_column=True),
    ),
)

ALL_DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        CITIZENS,
        COMPANIES,
        PENSIONERS,
        HEALTH_CLAIMS,
        CERTIFICATE_REQUESTS,
        DOCTOR_INVOICES,
    )
}
