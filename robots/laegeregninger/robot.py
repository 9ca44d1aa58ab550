"""The laegeregninger robot as the shared pipeline runs it: invoices matched to requests,
priced on the fee card, checked against the registers and what was paid before.

The doctor is paid by CVR (NemKonto), one transfer per doctor per batch with the invoice
numbers in the remittance. A credit note is a negative claim set off against the doctor's
next transfer, once its invoice was paid and never beyond what was paid on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from checks.quality.suites import CITIZENS_REGISTER, COMPANIES_REGISTER
from robots.core.robot import ChangePolicy, EvaluationContext, LedgerLookup, Robot, joined_text
from robots.laegeregninger import checks as rules
from robots.laegeregninger.datasets import DOCTOR_INVOICES
from robots.laegeregninger.fees import price_invoices
from robots.laegeregninger.matching import match_requests
from robots.laegeregninger.quality import CERTIFICATE_REQUESTS_REGISTER, DOCTOR_INVOICES_SUITE

NAME = "laegeregninger"
CREDIT_NOTE = "credit_note"


def normalise_code(codes: pd.Series) -> pd.Series:
    """'LÆ 265', 'lae265', 'LAE-265' -> 'LÆ265'; other words upper case ('FRIATTEST')."""
    text = codes.fillna("").astype("string").str.upper().str.replace(r"[\s\-.]", "", regex=True)
    return text.str.replace(r"^LAE(?=\d)", "LÆ", regex=True)


def _text(rows: pd.DataFrame, name: str) -> pd.Series:
    if name not in rows:
        return pd.Series("", index=rows.index, dtype="string")
    return rows[name].fillna("").astype("string").str.strip()


def _document_types(rows: pd.DataFrame) -> pd.Series:
    kind = _text(rows, "document_type").str.lower()
    return kind.where(kind != "", "invoice")


def _invoice_lines(rows: pd.DataFrame) -> pd.Series:
    line = _text(rows, "invoice_line")
    return line.where(line != "", "1")


def claim_ids(rows: pd.DataFrame) -> pd.Series:
    """`<cvr>-<invoice>-<line>` (`-CN-` for credit notes) from parsed rows or from rows of
    text that could not be read (then the CVR as written, less a `DK` prefix)."""
    credit = _document_types(rows) == CREDIT_NOTE
    marker = pd.Series(np.where(credit, "-CN-", "-"), index=rows.index, dtype="string")
    cvr = _text(rows, "doctor_cvr").str.upper().str.replace(r"^DK\s*", "", regex=True)
    return cvr + marker + _text(rows, "invoice_id") + "-" + _invoice_lines(rows)


def prepare(rows: pd.DataFrame) -> pd.DataFrame:
    """The claim id of each invoice line, and the certificate code in one spelling.

    The doctor's invoice number is unique only per doctor, and a credit note may carry the
    number of an invoice, so the claim id is `<cvr>-<invoice>-<line>` (`-CN-` for credit
    notes): the same line sent again is the same claim, whatever file it comes in.
    """
    out = rows.copy()
    out["document_type"] = _document_types(out)
    out["invoice_line"] = _invoice_lines(out)
    out["claim_id"] = claim_ids(out)
    out["certificate_code"] = normalise_code(out["certificate_code"])
    return out


def join_registers(claims: pd.DataFrame, references: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each invoice line with its citizen and its seller."""
    citizens = references["citizens"].set_index("cpr")
    companies = references["companies"].set_index("cvr")
    j = claims.copy()
    j["cit_status"] = claims["cpr"].map(citizens["status"])
    j["cit_status_date"] = claims["cpr"].map(citizens["status_date"])
    j["comp_status"] = claims["doctor_cvr"].map(companies["status"])
    j["comp_status_date"] = claims["doctor_cvr"].map(companies["status_date"])
    return j


def compute(claims: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    """Each line matched to its request and priced; credit notes signed negative."""
    config = rules.load_config()
    j = join_registers(claims, context.references)
    is_invoice = j["document_type"] != CREDIT_NOTE
    j["is_invoice"] = is_invoice.to_numpy()
    matched = match_requests(
        j.loc[is_invoice], context.references["certificate_requests"], config.match_window_days
    ).reindex(j.index)
    matched["match"] = matched["match"].fillna("credit_note")
    j = j.join(matched)
    years = j["service_date"].dt.year.astype("int64")
    written = j["amount"].astype("int64")
    fees = price_invoices(j["certificate_code"], years, written)
    j = j.join(fees)
    cvr = j["doctor_cvr"].astype("string")
    invoice_id = j["invoice_id"].astype("string").str.strip()
    credited = j["credited_invoice_id"].fillna("").astype("string").str.strip()
    j["document_key"] = cvr + np.where(is_invoice, "/", "/CN/") + invoice_id
    j["credited_key"] = (cvr + "/" + credited).where(~is_invoice & (credited != ""))
    j["bill_key"] = ("REQ:" + j["req_id"]).where(is_invoice & j["req_id"].notna())
    j["bill_key"] = j["bill_key"].fillna(("CREDITS:" + j["credited_key"]).where(~is_invoice))
    j["payee_kind"] = "cvr"
    j["payee_id"] = cvr
    j["category"] = j["certificate_code"].str.slice(0, 32)
    j["counterparty"] = cvr
    j["basis_oere"] = written.to_numpy()
    j["amount_oere"] = np.where(is_invoice, written, -written).astype(np.int64)
    j["rate_year"] = years.to_numpy()
    j["rate_provisional"] = (j["fee_provisional"] & is_invoice).to_numpy()
    j["rule_basis"] = np.where(
        is_invoice,
        "LR-FEE " + j["certificate_code"] + " fee card " + years.astype("string"),
        "LR-CREDIT set off against invoice " + credited,
    )
    return j


LOOKUPS = (
    # An invoice's bill key is its request: paid before means billed twice. A credit
    # note's bill key gathers the credits already set off against the same invoice.
    LedgerLookup(
        frame_column="bill_key", ledger_column="bill_key", prefix="bill_paid", held_too=True
    ),
    LedgerLookup(frame_column="credited_key", ledger_column="document_key", prefix="credited"),
)
LOOKUP_COLUMNS = [column for lookup in LOOKUPS for column in lookup.columns]


def check(j: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    """Every laegeregninger cross-check (what the ledger knows arrives as lookup columns)."""
    missing = [c for c in LOOKUP_COLUMNS if c not in j]
    if missing:  # checked without a ledger (tests, dry runs): nothing was paid before
        j = j.assign(**dict.fromkeys(missing, pd.NA))
    return rules.run_all(j, config=rules.load_config(), demo=context.mode == "demo")


def fingerprint(claims: pd.DataFrame) -> pd.Series:
    """Doctor, citizen, certificate, date, amount and document kind: the same bill."""
    columns = ("doctor_cvr", "cpr", "certificate_code", "service_date", "amount", "document_type")
    return joined_text(claims[c] for c in columns)


ROBOT = Robot(
    name=NAME,
    code="LR",
    title="Laegeregninger",
    claims=DOCTOR_INVOICES,
    quality_suite=DOCTOR_INVOICES_SUITE,
    registers=(CITIZENS_REGISTER, COMPANIES_REGISTER, CERTIFICATE_REQUESTS_REGISTER),
    compute=compute,
    check=check,
    fingerprint=fingerprint,
    duplicate_paid_rule=rules.DUP_PAID,
    duplicate_held_rule=rules.DUP_HELD,
    resubmitted_changed_rule=rules.RESUBMIT_CHANGED,
    # A bill delivered again changed is held for a person, not paid as a correction.
    change_policy=ChangePolicy.HOLD,
    accounts_section="laegeregninger",
    remittance_title="Laegeattester",
    remittance_label="fakt.",
    prepare=prepare,
    ledger_lookups=LOOKUPS,
    claim_ref=claim_ids,
    evidence_columns=(
        "document_type",
        "invoice_id",
        "invoice_date",
        "service_date",
        "doctor_cvr",
        "certificate_code",
        "request_id",
        "match",
        "req_id",
        "req_date",
        "req_cvr",
        "req_code",
        "fee_expected",
        "fee_known",
        "fee_provisional",
        "credited_invoice_id",
        "credited_oere",
        "bill_paid_claim_id",
        "bill_paid_oere",
        "bill_paid_held_claim_id",
        "cit_status",
        "cit_status_date",
        "comp_status",
        "comp_status_date",
    ),
)
