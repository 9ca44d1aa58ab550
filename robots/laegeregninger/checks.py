"""The laegeregninger cross-checks: each a named rule over the whole night at once.

The invoices come joined with their request (robots.laegeregninger.matching), the fee card,
the CPR and CVR registers and what the ledger already paid. Sources: domain.md 5.1-5.3
(fees, invoices need a requisition, annulled and double-paid certificates) and 8.2.
Thresholds come from config/checks.toml [laegeregninger].
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict

from checks.rules import Kind, Severity, rule_maker
from robots.core.robot import day_text, empty_findings, findings
from robots.core.settings import config_dir

ROBOT = "laegeregninger"


_rule = rule_maker(ROBOT)


R, H, INFO = Severity.REJECT, Severity.HOLD, Severity.INFO
NE, SE, SF = Kind.NOT_ELIGIBLE, Kind.SUSPECTED_ERROR, Kind.SUSPECTED_FRAUD

NO_REQUEST = _rule(
    "LR-NO-REQUEST",
    "No request behind the invoice: no order reference, and no request for the same citizen, "
    "certificate and doctor in the match window (S80).",
    H,
    SE,
    missing_from="certificate_requests",
    compares=("certificate_code", "doctor_cvr", "service_date", "request_id"),
)
REQUEST_UNKNOWN = _rule(
    "LR-REQUEST-UNKNOWN",
    "The invoice's order reference names no request in the certificate_requests extract.",
    H,
    SE,
    missing_from="certificate_requests",
    compares=("request_id",),
)
REQUEST_PAID = _rule(
    "LR-REQUEST-PAID",
    "The request was already paid on an earlier invoice (billed twice, by this or another "
    "doctor, S72).",
    R,
    SE,
    compares=("request_id", "bill_paid_claim_id", "bill_paid_oere"),
)
REQUEST_HELD = _rule(
    "LR-REQUEST-HELD",
    "The request was invoiced on an earlier invoice that is held for the control group: "
    "releasing both would pay the certificate twice.",
    H,
    SE,
    compares=("request_id", "bill_paid_held_claim_id"),
)
REQUEST_TWICE = _rule(
    "LR-REQUEST-TWICE",
    "Two or more invoices for one request tonight; the first is judged, the others are held.",
    H,
    SF,
    compares=("request_id", "req_id"),
)
FEE_MISMATCH = _rule(
    "LR-FEE-MISMATCH",
    "The amount is not the fee for the certificate code on its date (any variant, e.g. med "
    "tolk; fee card in config/rates).",
    H,
    SE,
    compares=("certificate_code", "invoice_date", "fee_expected", "basis_oere"),
)
FEE_BY_INVOICE = _rule(
    "LR-FEE-BY-INVOICE",
    "The certificate has no fixed fee ('efter regning', e.g. LAE 155): a caseworker prices it.",
    H,
    SE,
    compares=("certificate_code", "fee_expected", "basis_oere"),
)
CODE_UNKNOWN = _rule(
    "LR-CODE-UNKNOWN",
    "The certificate code is not on the fee card for its year.",
    H,
    SE,
    compares=("certificate_code", "invoice_date"),
)
NOT_MUNICIPAL = _rule(
    "LR-NOT-MUNICIPAL",
    "A certificate the employer pays, not the municipality (mulighedserklaering, friattest; "
    "S77, S78).",
    R,
    NE,
    compares=("certificate_code",),
)
CODE_DIFFERS = _rule(
    "LR-CODE-DIFFERS",
    "The certificate delivered is not the one the request asked for.",
    H,
    SE,
    compares=("certificate_code", "req_code", "req_id"),
)
DOCTOR_DIFFERS = _rule(
    "LR-DOCTOR-DIFFERS",
    "The invoice comes from another doctor than the one asked.",
    H,
    SF,
    compares=("doctor_cvr", "req_cvr", "req_id"),
)
CITIZEN_DIFFERS = _rule(
    "LR-CITIZEN-DIFFERS",
    "The invoice names another citizen than the request.",
    H,
    SE,
    compares=("req_id",),
)
BEFORE_REQUEST = _rule(
    "LR-BEFORE-REQUEST",
    "The certificate is dated before the request was made.",
    H,
    SF,
    compares=("service_date", "req_date", "req_id"),
)
CITIZEN_DEAD = _rule(
    "LR-CITIZEN-DEAD",
    "The citizen died before the certificate date (CPR status dead).",
    H,
    SF,
    compares=("cit_status", "cit_status_date", "service_date"),
)
CITIZEN_UNKNOWN = _rule(
    "LR-CITIZEN-UNKNOWN",
    "The citizen's CPR number is not in the CPR extract.",
    H,
    SE,
    missing_from="citizens",
    compares=("cit_status",),
)
SELLER_UNKNOWN = _rule(
    "LR-SELLER-UNKNOWN",
    "The seller's CVR number is not in the CVR extract.",
    H,
    SE,
    missing_from="companies",
    compares=("doctor_cvr",),
)
SELLER_INACTIVE = _rule(
    "LR-SELLER-INACTIVE",
    "The seller was not an active company on the invoice date (bankrupt, closed, liquidation).",
    H,
    SF,
    compares=("doctor_cvr", "comp_status", "comp_status_date", "invoice_date"),
)
DUP_NIGHT = _rule(
    "LR-DUP-NIGHT",
    "The same bill (doctor, citizen, certificate, date, amount) twice tonight under different "
    "invoice numbers; the later one is held.",
    H,
    SE,
    compares=("invoice_id", "doctor_cvr", "certificate_code", "service_date"),
)
DUP_PAID = _rule(
    "LR-DUP-PAID",
    "The same bill as one already paid (or approved for payment) under another invoice number.",
    R,
    SE,
    compares=("invoice_id", "doctor_cvr", "certificate_code", "service_date"),
)
DUP_HELD = _rule(
    "LR-DUP-HELD",
    "The same bill as one held earlier for the control group under another invoice number: "
    "releasing both would pay it twice.",
    H,
    SE,
    compares=("invoice_id", "doctor_cvr", "certificate_code", "service_date"),
)
RESUBMIT_CHANGED = _rule(
    "LR-RESUBMIT-CHANGED",
    "An invoice line already decided arrives again with different content.",
    H,
    SF,
)
STALE = _rule(
    "LR-STALE",
    "Invoiced long after the certificate date (config/checks.toml): a caseworker decides.",
    H,
    SE,
    compares=("invoice_date", "service_date"),
)
AMOUNT_ZERO = _rule(
    "LR-AMOUNT-ZERO",
    "The invoice line is for 0 kr.: nothing to pay.",
    R,
    NE,
    compares=("basis_oere", "amount_oere"),
)
PROVISIONAL = _rule(
    "LR-PROVISIONAL-FEE",
    "The fee is provisional (carried forward, no source for the year): production waits "
    "until finance confirms the year's fee card; demo pays and says so.",
    H,
    SE,
    provisional=True,
    compares=("certificate_code", "fee_provisional", "rate_year"),
)
PROVISIONAL_DEMO = _rule(
    "LR-PROVISIONAL-FEE-DEMO",
    "Demo mode only: the fee was provisional and the invoice paid; the report says so.",
    INFO,
    SE,
    provisional=True,
    compares=("certificate_code", "fee_provisional", "rate_year"),
)
CREDIT_NO_INVOICE = _rule(
    "LR-CREDIT-NO-INVOICE",
    "A credit note whose invoice was never paid (or that names none): nothing to set off "
    "automatically.",
    H,
    SE,
    compares=("document_type", "credited_invoice_id"),
)
CREDIT_EXCEEDS = _rule(
    "LR-CREDIT-EXCEEDS",
    "A credit note that, with the credits before it, exceeds what was paid on its invoice.",
    H,
    SE,
    compares=("document_type", "credited_invoice_id", "credited_oere", "amount_oere"),
)


class CheckConfig(BaseModel):
    """config/checks.toml [laegeregninger]."""

    model_config = ConfigDict(frozen=True)

    match_window_days: int
    not_municipal_codes: tuple[str, ...]
    stale_after_months: int


@lru_cache(maxsize=4)
def load_config(folder: str | None = None) -> CheckConfig:
    """Read the thresholds (cached; they do not change during a run)."""
    path = (config_dir() if folder is None else Path(folder)) / "checks.toml"
    section = tomllib.loads(path.read_text(encoding="utf-8"))[ROBOT]
    return CheckConfig(
        match_window_days=int(section["match_window_days"]),
        not_municipal_codes=tuple(str(c).upper() for c in section["not_municipal_codes"]),
        stale_after_months=int(section["stale_after_months"]),
    )


def _kroner(oere: pd.Series) -> pd.Series:
    """Øre as '1544.00' text for evidence (exact: integer arithmetic only)."""
    value = oere.astype("Int64")
    sign = value.lt(0).map({True: "-", False: ""}).astype("string")
    whole = (value.abs() // 100).astype("string")
    frac = (value.abs() % 100).astype("string").str.zfill(2)
    return sign + whole + "." + frac


def check_request(j: pd.DataFrame) -> list[pd.DataFrame]:
    """Is there a request, is it the one delivered, and was it paid before."""
    invoice = j["is_invoice"]
    matched = j["match"].isin(["reference", "fallback"]) & invoice
    how = "request " + j["req_id"].fillna("") + " (" + j["match"] + ")"
    paid_before = matched & j["bill_paid_claim_id"].notna()
    held_before = matched & ~paid_before & j["bill_paid_held_claim_id"].notna()
    ordered = j.loc[matched].sort_values(["invoice_date", "claim_id"])
    later = ordered.duplicated("req_id", keep="first")
    first = ordered.groupby("req_id")["claim_id"].transform("first")
    twice = later.reindex(j.index, fill_value=False) & ~paid_before & ~held_before
    return [
        findings(
            invoice & (j["match"] == "none"),
            NO_REQUEST,
            "no order reference and no request for citizen, "
            + j["certificate_code"]
            + " and doctor "
            + j["doctor_cvr"]
            + " in the match window",
        ),
        findings(
            invoice & (j["match"] == "unknown_reference"),
            REQUEST_UNKNOWN,
            "order reference " + j["request_id"].fillna("") + " is not a known request",
        ),
        findings(
            paid_before,
            REQUEST_PAID,
            how + " already paid on claim " + j["bill_paid_claim_id"].astype("string"),
        ),
        findings(
            held_before,
            REQUEST_HELD,
            how
            + " is invoiced on claim "
            + j["bill_paid_held_claim_id"].astype("string")
            + ", held for the control group",
        ),
        findings(
            twice,
            REQUEST_TWICE,
            (how + " is also invoiced tonight by claim " + first).reindex(j.index),
        ),
        findings(
            matched & (j["req_code"] != j["certificate_code"]),
            CODE_DIFFERS,
            how + " asked for " + j["req_code"] + "; delivered " + j["certificate_code"],
        ),
        findings(
            matched & (j["req_cvr"] != j["doctor_cvr"]),
            DOCTOR_DIFFERS,
            how + " asked doctor " + j["req_cvr"] + "; invoiced by " + j["doctor_cvr"],
        ),
        findings(
            matched & (j["req_cpr"] != j["cpr"]),
            CITIZEN_DIFFERS,
            how + " is about another citizen than the invoice line",
        ),
        findings(
            matched & (j["service_date"] < j["req_date"]),
            BEFORE_REQUEST,
            how
            + " made "
            + day_text(j["req_date"])
            + "; certificate dated "
            + day_text(j["service_date"]),
        ),
    ]


def check_fee(j: pd.DataFrame, config: CheckConfig, demo: bool) -> list[pd.DataFrame]:
    """The certificate is one the municipality pays, at the fee of its code and date."""
    invoice = j["is_invoice"]
    not_municipal = invoice & j["certificate_code"].isin(config.not_municipal_codes)
    on_card = invoice & j["fee_known"] & ~not_municipal
    priced = on_card & ~j["fee_by_invoice"]
    amount = _kroner(j["basis_oere"])
    return [
        findings(
            not_municipal,
            NOT_MUNICIPAL,
            j["certificate_code"] + " is requested and paid by the employer",
        ),
        findings(
            invoice & ~j["fee_known"] & ~not_municipal,
            CODE_UNKNOWN,
            j["certificate_code"]
            + " is not on the fee card for "
            + j["rate_year"].astype("string"),
        ),
        findings(
            on_card & j["fee_by_invoice"],
            FEE_BY_INVOICE,
            j["certificate_code"] + " is paid 'efter regning': invoiced " + amount + " kr.",
        ),
        findings(
            priced & ~j["fee_matches"],
            FEE_MISMATCH,
            "invoiced "
            + amount
            + " kr.; the "
            + j["rate_year"].astype("string")
            + " fee for "
            + j["certificate_code"]
            + " is "
            + j["fee_expected"],
        ),
        findings(
            on_card & j["fee_provisional"],
            PROVISIONAL_DEMO if demo else PROVISIONAL,
            ("DEMO pays on a provisional fee: " if demo else "") + j["fee_provisional_text"],
        ),
        findings(
            j["amount_oere"] == 0,
            AMOUNT_ZERO,
            j["certificate_code"] + " invoiced at 0.00 kr.",
        ),
    ]


def check_parties(j: pd.DataFrame, config: CheckConfig) -> list[pd.DataFrame]:
    """The citizen alive and known, the seller an active company, the bill not stale."""
    invoice = j["is_invoice"]
    dead_before = (
        invoice
        & (j["cit_status"] == "dead")
        & j["cit_status_date"].notna()
        & (j["cit_status_date"] < j["service_date"])
    )
    inactive = (
        j["comp_status"].notna()
        & (j["comp_status"] != "active")
        & (j["comp_status_date"].isna() | (j["comp_status_date"] <= j["invoice_date"]))
    )
    months_late = (j["invoice_date"].dt.year - j["service_date"].dt.year) * 12 + (
        j["invoice_date"].dt.month - j["service_date"].dt.month
    )
    stale = invoice & (
        (months_late > config.stale_after_months)
        | (
            (months_late == config.stale_after_months)
            & (j["invoice_date"].dt.day > j["service_date"].dt.day)
        )
    )
    return [
        findings(
            dead_before,
            CITIZEN_DEAD,
            "CPR status dead since "
            + day_text(j["cit_status_date"])
            + "; certificate dated "
            + day_text(j["service_date"]),
        ),
        findings(invoice & j["cit_status"].isna(), CITIZEN_UNKNOWN, "CPR not in the extract"),
        findings(
            j["comp_status"].isna(),
            SELLER_UNKNOWN,
            "seller CVR " + j["doctor_cvr"] + " not in the CVR extract",
        ),
        findings(
            inactive,
            SELLER_INACTIVE,
            "seller "
            + j["doctor_cvr"]
            + " "
            + j["comp_status"].astype("string")
            + " since "
            + day_text(j["comp_status_date"])
            + "; invoice dated "
            + day_text(j["invoice_date"]),
        ),
        findings(
            stale,
            STALE,
            "invoiced "
            + day_text(j["invoice_date"])
            + " for a certificate of "
            + day_text(j["service_date"]),
        ),
    ]


def check_credit_notes(j: pd.DataFrame) -> list[pd.DataFrame]:
    """A credit note sets off against its paid invoice, never beyond what was paid."""
    credit = ~j["is_invoice"]
    names_none = credit & (j["credited_invoice_id"].fillna("").str.strip() == "")
    paid = j["credited_oere"].fillna(0).astype("int64")
    # For a credit note the bill key is its invoice's credits: what was set off before (<= 0).
    earlier = j["bill_paid_oere"].fillna(0).astype("int64")
    unpaid = credit & ~names_none & (paid <= 0)
    exceeds = credit & ~names_none & (paid > 0) & (paid + earlier + j["amount_oere"] < 0)
    tonight = j.loc[j["is_invoice"], "document_key"]
    credited_tonight = j["credited_key"].isin(tonight)
    return [
        findings(names_none, CREDIT_NO_INVOICE, "the credit note names no invoice"),
        findings(
            unpaid,
            CREDIT_NO_INVOICE,
            "invoice "
            + j["credited_invoice_id"].fillna("")
            + credited_tonight.map(
                {True: " arrived tonight: net it by hand", False: " was never paid"}
            ).astype("string"),
        ),
        findings(
            exceeds,
            CREDIT_EXCEEDS,
            "credit "
            + _kroner(-j["amount_oere"])
            + " kr. with earlier credits "
            + _kroner(-earlier)
            + " kr. exceeds the "
            + _kroner(paid)
            + " kr. paid on invoice "
            + j["credited_invoice_id"].fillna(""),
        ),
    ]


def check_night(j: pd.DataFrame) -> list[pd.DataFrame]:
    """The same bill twice tonight under different invoice numbers."""
    ordered = j.sort_values(["invoice_date", "claim_id"])
    repeated = ordered.duplicated("fingerprint", keep="first")
    first_claim = ordered.groupby("fingerprint")["claim_id"].transform("first")
    return [
        findings(
            repeated.reindex(j.index),
            DUP_NIGHT,
            ("same bill as claim " + first_claim).reindex(j.index),
        )
    ]


def run_all(j: pd.DataFrame, *, config: CheckConfig, demo: bool) -> pd.DataFrame:
    """Every laegeregninger check over the joined night; one frame of findings."""
    pieces = [
        *check_request(j),
        *check_fee(j, config, demo),
        *check_parties(j, config),
        *check_credit_notes(j),
        *check_night(j),
    ]
    pieces = [p for p in pieces if len(p)]
    return pd.concat(pieces, ignore_index=True) if pieces else empty_findings()
