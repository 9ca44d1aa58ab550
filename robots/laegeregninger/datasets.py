"""The laegeregninger robot's datasets (../shared/contracts.md): the certificates the
municipality asked for, and the doctors' invoices it pays (CSV, XLSX or OIOUBL e-invoices,
read by robots/laegeregninger/oioubl.py)."""

from __future__ import annotations

from robots.core.pipeline.datasets import Column as C
from robots.core.pipeline.datasets import ColumnType as T
from robots.core.pipeline.datasets import Dataset, Role
from robots.laegeregninger.oioubl import E_INVOICES

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
    documents=E_INVOICES,
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
