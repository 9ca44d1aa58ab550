"""Data-quality suites of the laegeregninger datasets: the requests and the invoices.

A row that fails here could not be trusted at all (a data error, sent back to its source);
everything that is a question of payment (no request, wrong fee, unknown citizen) is a
cross-check in robots/laegeregninger/checks.py instead, so it reaches a caseworker with evidence.
"""

from __future__ import annotations

import great_expectations.expectations as gxe
import pandas as pd

from checks.quality.expectations import ExpectColumnValuesToBeValidDkCvr
from checks.quality.suites import (
    QualityRule,
    Register,
    cpr_known,
    data_error_rule,
    in_set,
    required,
    unique,
    valid_cpr,
)
from robots.core.pipeline.datasets import Dataset
from robots.laegeregninger.datasets import CERTIFICATE_REQUESTS, DOCTOR_INVOICES

DOCUMENT_TYPES = ("invoice", "credit_note")
INVOICE_ID_MAX_LENGTH = 40
"""Room for any invoice number a practice system writes, inside the ledger's claim id."""


def _valid_cvr(rule_id: str, dataset: Dataset, column: str) -> QualityRule:
    return QualityRule(
        data_error_rule(
            rule_id, f"{dataset.name}: a {column} with a wrong check digit or not 8 digits."
        ),
        column,
        lambda _ctx: ExpectColumnValuesToBeValidDkCvr(column=column),
        "is not a valid CVR number",
    )


def _not_after_night(rule_id: str, dataset: Dataset, column: str) -> QualityRule:
    return QualityRule(
        data_error_rule(rule_id, f"{dataset.name}: a {column} after the night being run."),
        column,
        lambda ctx: gxe.ExpectColumnValuesToBeBetween(
            column=column, max_value=pd.Timestamp(ctx.night).to_pydatetime()
        ),
        "is after the night being run",
    )


CERTIFICATE_REQUESTS_SUITE: list[QualityRule] = [
    *required(CERTIFICATE_REQUESTS),
    unique("DQ-REQ-ID-UNIQUE", CERTIFICATE_REQUESTS, "request_id"),
    valid_cpr("DQ-REQ-CPR-VALID", CERTIFICATE_REQUESTS),
    cpr_known("DQ-REQ-CPR-KNOWN", CERTIFICATE_REQUESTS),
    _valid_cvr("DQ-REQ-DOCTOR-CVR", CERTIFICATE_REQUESTS, "doctor_cvr"),
    _not_after_night("DQ-REQ-DATE-NOT-FUTURE", CERTIFICATE_REQUESTS, "requested_date"),
]

DOCTOR_INVOICES_SUITE: list[QualityRule] = [
    *required(DOCTOR_INVOICES),
    unique("DQ-INV-LINE-UNIQUE", DOCTOR_INVOICES, "claim_id"),
    valid_cpr("DQ-INV-CPR-VALID", DOCTOR_INVOICES),
    _valid_cvr("DQ-INV-DOCTOR-CVR", DOCTOR_INVOICES, "doctor_cvr"),
    in_set("DQ-INV-DOCUMENT-TYPE", DOCTOR_INVOICES, "document_type", DOCUMENT_TYPES),
    QualityRule(
        data_error_rule(
            "DQ-INV-AMOUNT-NOT-NEGATIVE",
            "doctor_invoices: a negative amount (a credit is sent as a credit note).",
        ),
        "amount",
        lambda _ctx: gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0),
        "is negative; send a credit note for the amount instead",
        money=True,
    ),
    QualityRule(
        data_error_rule(
            "DQ-INV-ID-LENGTH",
            f"doctor_invoices: an invoice number longer than {INVOICE_ID_MAX_LENGTH} characters.",
        ),
        "invoice_id",
        lambda _ctx: gxe.ExpectColumnValueLengthsToBeBetween(
            column="invoice_id", min_value=1, max_value=INVOICE_ID_MAX_LENGTH
        ),
        f"is empty or longer than {INVOICE_ID_MAX_LENGTH} characters",
    ),
    QualityRule(
        data_error_rule(
            "DQ-INV-INVOICED-BEFORE-SERVICE",
            "doctor_invoices: an invoice dated before the certificate it bills.",
        ),
        "invoice_date",
        lambda _ctx: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="invoice_date",
            column_B="service_date",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        "is before the certificate date",
    ),
    _not_after_night("DQ-INV-SERVICE-NOT-FUTURE", DOCTOR_INVOICES, "service_date"),
]

CERTIFICATE_REQUESTS_REGISTER = Register(CERTIFICATE_REQUESTS, tuple(CERTIFICATE_REQUESTS_SUITE))
