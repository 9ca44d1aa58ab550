"""Demo nights for the laegeregninger robot: clinics, requests, invoices and the answer key.

The municipality's job centre asks clinics for certificates (certificate_requests, a full
extract every night); the clinics answer with invoices, some as OIOUBL e-invoices (one XML
document each), the rest in a `;` CSV (Windows-1252, Danish amounts and dates) and an XLSX
sheet. Every rule of robots/laegeregninger/checks.py gets planted cases in rows that are otherwise
clean, listed in the ground truth beside the helbredstillaeg ones. Same spec, same bytes.
Fees come from config/rates through the robot's own fee card, so the demo follows config.

Look-alikes that must be paid: a few e-invoices carry the invoice as an embedded PDF
(base64), and a few CSV rows are sent again as an e-invoice (the copy is read once and
said to be one: CLAIM-COPY-TONIGHT on the e-invoice, which the robot reads after the CSV).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from robots.demo.population import Population, new_cprs, new_cvrs
from robots.demo.xlsx import workbook_bytes
from robots.laegeregninger.datasets import CERTIFICATE_REQUESTS, DOCTOR_INVOICES
from robots.laegeregninger.fees import fee_card

DATASET = DOCTOR_INVOICES.name
REQUESTS = CERTIFICATE_REQUESTS.name
INVOICE_HEADER = tuple(DOCTOR_INVOICES.column_names)
REQUEST_HEADER = tuple(CERTIFICATE_REQUESTS.column_names)
CLEAN_CODES = ("LÆ125", "LÆ135", "LÆ145", "LÆ225", "LÆ265", "LÆ285")
CODE_WEIGHTS = np.array([0.20, 0.15, 0.10, 0.10, 0.20, 0.25])
CASE_AREAS = ("sygedagpenge", "jobcenter", "pension")
ACTIVE_CLINICS = 30

TONIGHT_KINDS = (
    "LR-NO-REQUEST",
    "LR-REQUEST-UNKNOWN",
    "LR-REQUEST-TWICE",
    "LR-FEE-MISMATCH",
    "LR-FEE-BY-INVOICE",
    "LR-CODE-UNKNOWN",
    "LR-NOT-MUNICIPAL",
    "LR-CODE-DIFFERS",
    "LR-DOCTOR-DIFFERS",
    "LR-CITIZEN-DIFFERS",
    "LR-BEFORE-REQUEST",
    "LR-CITIZEN-DEAD",
    "LR-CITIZEN-UNKNOWN",
    "LR-SELLER-UNKNOWN",
    "LR-SELLER-INACTIVE",
    "LR-STALE",
    "LR-DUP-NIGHT",
    "LR-AMOUNT-ZERO",
    "LR-CREDIT-NO-INVOICE",
    "DQ-INV-DOCTOR-CVR",
    "DQ-INV-AMOUNT-NOT-NEGATIVE",
    "READ-VALUE",
)
HISTORY_KINDS = ("LR-REQUEST-PAID", "LR-DUP-PAID", "LR-RESUBMIT-CHANGED", "LR-CREDIT-EXCEEDS")
"""Kinds that need last night's paid invoices."""
DUP_HELD = "LR-DUP-HELD"
"""Last night's invoices held for an unknown request, sent again under new numbers once
the request is in the extract: nothing but the held original stops them."""
COPY_TONIGHT = "CLAIM-COPY-TONIGHT"


@dataclass(frozen=True)
class Clinics:
    """The doctors: active clinics, closed ones, and a valid CVR no extract knows."""

    companies: pd.DataFrame
    active: np.ndarray
    inactive: np.ndarray
    unknown: int


def clinics_for(population: Population, seed: int) -> Clinics:
    """Clinics added to the CVR extract (their own random stream: the rest stays as it was)."""
    rng = np.random.default_rng([seed, 2, 65])
    taken = population.companies["cvr"].to_numpy()
    cvrs = new_cvrs(rng, ACTIVE_CLINICS + 3, taken)
    status = np.array(["active"] * ACTIVE_CLINICS + ["bankrupt", "closed"])
    anchor = population.anchor_day
    frame = pd.DataFrame(
        {
            "cvr": cvrs[: ACTIVE_CLINICS + 2],
            "name": [f"Laegehuset {n}" for n in range(1, ACTIVE_CLINICS + 3)],
            "status": status,
            "status_day": np.where(status == "active", anchor - 4000, anchor - 120),
            "sector": "private",
            "kind": "laegepraksis",
        }
    )
    return Clinics(
        companies=frame,
        active=cvrs[:ACTIVE_CLINICS],
        inactive=cvrs[ACTIVE_CLINICS : ACTIVE_CLINICS + 2],
        unknown=int(cvrs[-1]),
    )


def with_clinics(population: Population, clinics: Clinics) -> Population:
    """The population whose CVR extract also lists the clinics."""
    companies = pd.concat([population.companies, clinics.companies], ignore_index=True)
    companies = companies.sort_values("cvr", kind="stable", ignore_index=True)
    return Population(
        citizens=population.citizens,
        pensioners=population.pensioners,
        companies=companies,
        pools=population.pools,
        active_providers=population.active_providers,
        closed_providers=population.closed_providers,
        anchor_day=population.anchor_day,
    )


@dataclass(frozen=True)
class NightInvoices:
    """A night's invoice rows (with `kind` and `note` for planted ones) and its requests."""

    invoices: pd.DataFrame
    requests: pd.DataFrame


def _fees(year: int) -> dict[str, list[int]]:
    card, _ = fee_card([year])
    return {code: group["fee_oere"].tolist() for code, group in card.groupby("code")}


def _day(night: date, days_before: np.ndarray) -> np.ndarray:
    return np.datetime64(night, "D") - days_before.astype("timedelta64[D]")


def per_kind(invoices: int, error_rate: float) -> int:
    """How many rows each planted kind gets: at least one, about `error_rate` of the night."""
    return max(1, round(invoices * error_rate))


def build_invoices(
    population: Population,
    clinics: Clinics,
    night: date,
    seed: int,
    count: int,
    error_rate: float,
    previous: NightInvoices | None = None,
) -> NightInvoices:
    """Tonight's invoices and the requests behind them (a function of its arguments)."""
    rng = np.random.default_rng([seed, 3, night.toordinal()])
    k = per_kind(count, error_rate) if error_rate > 0 else 0
    planted_tonight = k * len(TONIGHT_KINDS)
    clean_n = max(count - planted_tonight, 1)
    fees = _fees(night.year)
    citizens = population.citizens
    fit = (citizens["status"] == "active") & citizens["role"].isin(["clean", "other"])
    pool = rng.permutation(citizens.loc[fit, "cpr"].to_numpy())
    dead = citizens.loc[citizens["status"] == "dead", "cpr"].to_numpy()
    stamp = f"{night:%y%m%d}"

    def base(n: int, offset: int) -> pd.DataFrame:
        code = rng.choice(np.array(CLEAN_CODES), size=n, p=CODE_WEIGHTS)
        interpreter = rng.random(n) < 0.1
        amount = np.array(
            [
                fees[c][1] if (i and len(fees[c]) > 1) else fees[c][0]
                for c, i in zip(code, interpreter, strict=True)
            ],
            dtype=np.int64,
        )
        service_back = rng.integers(3, 25, n)
        invoice_back = service_back - rng.integers(0, 3, n)
        ids = np.arange(offset, offset + n)
        return pd.DataFrame(
            {
                "invoice_id": [f"{stamp}{i:06d}" for i in ids],
                "doctor_cvr": rng.choice(clinics.active, size=n),
                "request_id": [f"R{stamp}-{i:06d}" for i in ids],
                # Each night takes the next block of the pool: two nights in a row share
                # no citizen (given enough people), so no clean bill of tonight repeats a
                # bill of last night by chance (that would be LR-DUP-PAID).
                "cpr": pool[(ids + night.toordinal() * count) % len(pool)],
                "certificate_code": code,
                "service_date": _day(night, service_back),
                "invoice_date": _day(night, invoice_back),
                "requested_date": _day(night, service_back + rng.integers(3, 40, n)),
                "amount": amount,
                "invoice_line": "1",
                "document_type": "invoice",
                "credited_invoice_id": "",
                "kind": "",
                "note": "",
            }
        )

    clean = base(clean_n, 0)
    planted = base(planted_tonight, clean_n) if k else clean.iloc[0:0].copy()
    planted["kind"] = np.repeat(np.array(TONIGHT_KINDS), k) if k else []
    requests_of = planted.copy()  # what the job centre asked for (changed below per kind)
    request_kept = np.ones(len(planted), dtype=bool)
    _plant_tonight(planted, requests_of, request_kept, rng, clinics, dead, fees, clean, stamp)

    rows = [clean, planted]
    extra_requests: list[pd.DataFrame] = []
    if previous is not None and k:
        history, history_requests = _plant_history(previous, rng, k, stamp)
        rows.append(history)
        extra_requests.append(history_requests)
        held, late_requests = _held_again(previous, stamp)
        rows.append(held)
        extra_requests.append(late_requests)
    invoices = pd.concat(rows, ignore_index=True)

    asked = pd.concat([clean, requests_of.loc[request_kept], *extra_requests], ignore_index=True)
    requests = pd.DataFrame(
        {
            "request_id": asked["request_id"],
            "cpr": asked["cpr"],
            "certificate_code": asked["certificate_code"],
            "doctor_cvr": asked["doctor_cvr"],
            "requested_date": asked["requested_date"],
            "case_area": np.array(CASE_AREAS)[np.arange(len(asked)) % 3],
        }
    )
    if previous is not None:
        requests = pd.concat([previous.requests, requests], ignore_index=True)
    requests = requests.drop_duplicates("request_id", keep="last").reset_index(drop=True)
    return NightInvoices(invoices=invoices, requests=requests)


def _plant_tonight(
    rows: pd.DataFrame,
    asked: pd.DataFrame,
    keep_request: np.ndarray,
    rng: np.random.Generator,
    clinics: Clinics,
    dead: np.ndarray,
    fees: dict[str, list[int]],
    clean: pd.DataFrame,
    stamp: str,
) -> None:
    """Give each planted row its one fault; `asked` holds what the request says."""

    def where(kind: str) -> np.ndarray:
        return np.flatnonzero(rows["kind"].to_numpy() == kind)

    def other_clinic(cvrs: pd.Series) -> np.ndarray:
        following = dict(zip(clinics.active, np.roll(clinics.active, -1), strict=True))
        return pd.Series(cvrs.to_numpy()).map(following).to_numpy()

    col = rows.columns.get_loc
    i = where("LR-NO-REQUEST")
    rows.iloc[i, col("request_id")] = ""
    keep_request[i] = False
    i = where("LR-REQUEST-UNKNOWN")
    rows.iloc[i, col("request_id")] = [f"R{stamp}-X{n:05d}" for n in range(len(i))]
    keep_request[i] = False
    i = where("LR-REQUEST-TWICE")
    # Another clinic invoices a request a clean row already answers (different bill).
    twin = clean.iloc[: len(i)]
    rows.iloc[i, col("request_id")] = twin["request_id"].to_numpy()
    rows.iloc[i, col("cpr")] = twin["cpr"].to_numpy()
    rows.iloc[i, col("certificate_code")] = twin["certificate_code"].to_numpy()
    rows.iloc[i, col("amount")] = twin["amount"].to_numpy()
    rows.iloc[i, col("doctor_cvr")] = twin["doctor_cvr"].to_numpy()
    rows.iloc[i, col("service_date")] = twin["service_date"].to_numpy() + np.timedelta64(1, "D")
    rows.iloc[i, col("invoice_date")] = twin["invoice_date"].to_numpy() + np.timedelta64(2, "D")
    keep_request[i] = False
    rows.iloc[i, col("note")] = "second invoice for request " + twin["request_id"].to_numpy()
    i = where("LR-FEE-MISMATCH")
    rows.iloc[i, col("amount")] = rows["amount"].to_numpy()[i] + 10_000
    for kind, code in (("LR-FEE-BY-INVOICE", "LÆ155"), ("LR-CODE-UNKNOWN", "LÆ999")):
        i = where(kind)
        rows.iloc[i, col("certificate_code")] = code
        asked.iloc[i, asked.columns.get_loc("certificate_code")] = code
        rows.iloc[i, col("amount")] = 250_000
    i = where("LR-AMOUNT-ZERO")
    rows.iloc[i, col("certificate_code")] = "LÆ105"
    asked.iloc[i, asked.columns.get_loc("certificate_code")] = "LÆ105"
    rows.iloc[i, col("amount")] = 0
    i = where("LR-NOT-MUNICIPAL")
    rows.iloc[i, col("certificate_code")] = "FRIATTEST"
    asked.iloc[i, asked.columns.get_loc("certificate_code")] = "FRIATTEST"
    rows.iloc[i, col("amount")] = 45_000
    i = where("LR-CODE-DIFFERS")
    asked.iloc[i, asked.columns.get_loc("certificate_code")] = np.where(
        rows["certificate_code"].to_numpy()[i] == "LÆ125", "LÆ285", "LÆ125"
    )
    i = where("LR-DOCTOR-DIFFERS")
    rows.iloc[i, col("doctor_cvr")] = other_clinic(rows["doctor_cvr"].iloc[i])
    i = where("LR-CITIZEN-DIFFERS")
    asked.iloc[i, asked.columns.get_loc("cpr")] = clean["cpr"].to_numpy()[-len(i) :]
    i = where("LR-BEFORE-REQUEST")
    asked.iloc[i, asked.columns.get_loc("requested_date")] = rows["service_date"].to_numpy()[
        i
    ] + np.timedelta64(2, "D")
    i = where("LR-CITIZEN-DEAD")
    chosen = dead[np.arange(len(i)) % len(dead)]
    rows.iloc[i, col("cpr")] = chosen
    asked.iloc[i, asked.columns.get_loc("cpr")] = chosen
    i = where("LR-CITIZEN-UNKNOWN")
    strangers = new_cprs(
        rng, np.full(len(i), -4000, dtype=np.int64), rows["cpr"].to_numpy().astype(np.int64)
    )
    rows.iloc[i, col("cpr")] = strangers
    rows.iloc[i, col("request_id")] = ""  # its request could not name a CPR the extract lacks
    keep_request[i] = False
    i = where("LR-SELLER-UNKNOWN")
    rows.iloc[i, col("doctor_cvr")] = clinics.unknown
    asked.iloc[i, asked.columns.get_loc("doctor_cvr")] = clinics.unknown
    i = where("LR-SELLER-INACTIVE")
    rows.iloc[i, col("doctor_cvr")] = clinics.inactive[np.arange(len(i)) % len(clinics.inactive)]
    asked.iloc[i, asked.columns.get_loc("doctor_cvr")] = rows["doctor_cvr"].to_numpy()[i]
    i = where("LR-STALE")
    back = np.timedelta64(420, "D")
    rows.iloc[i, col("service_date")] = rows["service_date"].to_numpy()[i] - back
    asked.iloc[i, asked.columns.get_loc("requested_date")] = rows["service_date"].to_numpy()[
        i
    ] - np.timedelta64(10, "D")
    i = where("LR-DUP-NIGHT")
    # The same bill as a clean row under a new invoice number, sent a day later.
    twin = clean.iloc[-len(i) :]
    for name in ("doctor_cvr", "request_id", "cpr", "certificate_code", "service_date", "amount"):
        rows.iloc[i, col(name)] = twin[name].to_numpy()
    rows.iloc[i, col("invoice_date")] = twin["invoice_date"].to_numpy() + np.timedelta64(1, "D")
    keep_request[i] = False
    i = where("LR-CREDIT-NO-INVOICE")
    rows.iloc[i, col("document_type")] = "credit_note"
    rows.iloc[i, col("credited_invoice_id")] = [f"NOPE{n:04d}" for n in range(len(i))]
    rows.iloc[i, col("request_id")] = ""
    rows.iloc[i, col("amount")] = 20_000
    keep_request[i] = False
    i = where("DQ-INV-DOCTOR-CVR")
    rows.iloc[i, col("doctor_cvr")] = (
        rows["doctor_cvr"].to_numpy()[i].astype(np.int64) // 10
    ) * 10 + ((rows["doctor_cvr"].to_numpy()[i].astype(np.int64) % 10 + 1) % 10)
    i = where("DQ-INV-AMOUNT-NOT-NEGATIVE")
    rows.iloc[i, col("amount")] = -rows["amount"].to_numpy()[i]
    rows.iloc[i, col("note")] = "negative amount instead of a credit note"


def _held_again(previous: NightInvoices, stamp: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LR-DUP-HELD: last night's invoices held because their order reference named no
    request, sent again under a new invoice number (same doctor, citizen, certificate,
    date, amount and request) now that the job centre's late request is in tonight's
    extract. The request no longer stops the copy; the held original does: releasing
    both would pay the certificate twice. Returns the copies and the late requests.
    """
    unknown = previous.invoices.loc[previous.invoices["kind"] == "LR-REQUEST-UNKNOWN"]
    late = unknown.copy()
    out = unknown.copy().reset_index(drop=True)
    out["note"] = (
        "same bill as invoice "
        + out["invoice_id"].astype(str)
        + " held on a previous night (its request "
        + out["request_id"].astype(str)
        + " was not yet known), sent again under a new invoice number"
    )
    out["invoice_id"] = [f"{stamp}D{n:05d}" for n in range(len(out))]
    out["invoice_date"] = out["invoice_date"] + pd.Timedelta(days=1)
    out["kind"] = DUP_HELD
    return out, late


def _plant_history(
    previous: NightInvoices, rng: np.random.Generator, k: int, stamp: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Faults that need last night: paid requests, paid bills, changed lines, big credits.

    Also a few clean credit notes (half of a paid invoice), which must be set off and paid.
    """
    paid = previous.invoices.loc[previous.invoices["kind"] == ""].reset_index(drop=True)
    # Not the first k: last night's LR-REQUEST-TWICE rows are those bills a day later, so
    # an LR-REQUEST-PAID row made from one would also be the same bill as a held one.
    take = paid.iloc[k : k * (len(HISTORY_KINDS) + 2)].copy()
    take["kind"] = np.repeat(np.array([*HISTORY_KINDS, ""]), k)[: len(take)]
    take["note"] = ""
    ids = np.array([f"{stamp}H{n:05d}" for n in range(len(take))], dtype=object)
    kind = take["kind"].to_numpy()
    out = take.copy()
    # A new invoice for last night's request, a later certificate and a new number.
    m = kind == "LR-REQUEST-PAID"
    out.loc[m, "invoice_id"] = ids[m]
    out.loc[m, "service_date"] = out.loc[m, "service_date"] + pd.Timedelta(days=1)
    out.loc[m, "invoice_date"] = out.loc[m, "invoice_date"] + pd.Timedelta(days=1)
    # The same bill as last night's under a new number.
    m = kind == "LR-DUP-PAID"
    out.loc[m, "invoice_id"] = ids[m]
    # The same invoice line as last night with another amount.
    m = kind == "LR-RESUBMIT-CHANGED"
    out.loc[m, "amount"] = out.loc[m, "amount"] + 5_000
    # Credit notes against last night's invoices: too big (planted) or half (clean).
    for m, share, note in (
        (kind == "LR-CREDIT-EXCEEDS", 2, "credit twice the invoice"),
        (kind == "", Decimal("0.5"), "clean credit note: half of a paid invoice"),
    ):
        out.loc[m, "credited_invoice_id"] = out.loc[m, "invoice_id"]
        out.loc[m, "invoice_id"] = np.array([f"K{i}" for i in ids[m]], dtype=object)
        out.loc[m, "document_type"] = "credit_note"
        out.loc[m, "request_id"] = ""
        out.loc[m, "amount"] = [int(Decimal(int(a)) * Decimal(share)) for a in out.loc[m, "amount"]]
        out.loc[m, "note"] = note
    return out, take.iloc[0:0]


# --- files ------------------------------------------------------------------------------


def _danish_amount(oere: int) -> str:
    sign = "-" if oere < 0 else ""
    whole, frac = divmod(abs(int(oere)), 100)
    return f"{sign}{whole:,}".replace(",", ".") + f",{frac:02d}"


def _point_amount(oere: int) -> str:
    sign = "-" if oere < 0 else ""
    whole, frac = divmod(abs(int(oere)), 100)
    return f"{sign}{whole}.{frac:02d}"


def _iso(value: object) -> str:
    return pd.Timestamp(value).date().isoformat()


def _dk(value: object) -> str:
    return pd.Timestamp(value).strftime("%d-%m-%Y")


XML_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" \
xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" \
xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:UBLVersionID>2.0</cbc:UBLVersionID>
  <cbc:CustomizationID>OIOUBL-2.02</cbc:CustomizationID>
  <cbc:ID>{invoice_id}</cbc:ID>
  <cbc:IssueDate>{invoice_date}</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>DKK</cbc:DocumentCurrencyCode>{reference}{attachment}
  <cac:AccountingSupplierParty>
    <cac:Party>
      <cbc:EndpointID schemeID="DK:CVR">DK{cvr}</cbc:EndpointID>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Laegehuset</cbc:RegistrationName>
        <cbc:CompanyID schemeID="DK:CVR">DK{cvr}</cbc:CompanyID>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cbc:EndpointID schemeAgencyID="9" schemeID="GLN">5798000000001</cbc:EndpointID>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:Delivery>
    <cbc:ActualDeliveryDate>{service_date}</cbc:ActualDeliveryDate>
  </cac:Delivery>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="DKK">{amount}</cbc:LineExtensionAmount>
    <cbc:PayableAmount currencyID="DKK">{amount}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:{line_tag}>
    <cbc:ID>{line}</cbc:ID>
    <cbc:{quantity_tag} unitCode="EA">1</cbc:{quantity_tag}>
    <cbc:LineExtensionAmount currencyID="DKK">{amount}</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>Laegeattest {code}</cbc:Name>
      <cac:SellersItemIdentification>
        <cbc:ID>{code}</cbc:ID>
      </cac:SellersItemIdentification>
      <cac:AdditionalItemProperty>
        <cbc:Name>CPR</cbc:Name>
        <cbc:Value>{cpr}</cbc:Value>
      </cac:AdditionalItemProperty>
    </cac:Item>
  </cac:{line_tag}>
</{root}>
"""
ATTACHMENT = """
  <cac:AdditionalDocumentReference>
    <cbc:ID>{invoice_id}</cbc:ID>
    <cbc:DocumentType>Faktura</cbc:DocumentType>
    <cac:Attachment>
      <cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" \
filename="faktura_{invoice_id}.pdf">
{base64}</cbc:EmbeddedDocumentBinaryObject>
    </cac:Attachment>
  </cac:AdditionalDocumentReference>"""
"""The invoice as a PDF, base64 in 76-character lines, as e-invoicing systems embed it."""
PDF_KIB = (20, 48)
"""Size range of an embedded PDF, in KiB: a one-page invoice, and keeps the demo fast."""
EMBEDDED_PDFS = 5
"""At most this many e-invoices a night carry a PDF (a few; benchmarks stay comparable)."""


def invoice_pdf(rng: np.random.Generator) -> bytes:
    """Deterministic bytes that start and end like a PDF (nobody opens it)."""
    size = int(rng.integers(PDF_KIB[0] * 1024, PDF_KIB[1] * 1024))
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + rng.bytes(size) + b"\n%%EOF\n"


def invoice_xml(row: pd.Series, pdf: bytes | None = None) -> bytes:
    """One OIOUBL 2.02 Invoice or CreditNote for one invoice row (with `pdf`, embedded)."""
    credit = row["document_type"] == "credit_note"
    if credit:
        reference = (
            "\n  <cac:BillingReference>\n    <cac:InvoiceDocumentReference>\n"
            f"      <cbc:ID>{row['credited_invoice_id']}</cbc:ID>\n"
            "    </cac:InvoiceDocumentReference>\n  </cac:BillingReference>"
        )
    elif row["request_id"]:
        reference = (
            "\n  <cac:OrderReference>\n"
            f"    <cbc:ID>{row['request_id']}</cbc:ID>\n  </cac:OrderReference>"
        )
    else:
        reference = ""
    attachment = (
        ATTACHMENT.format(
            invoice_id=row["invoice_id"], base64=base64.encodebytes(pdf).decode("ascii")
        )
        if pdf is not None
        else ""
    )
    text = XML_TEMPLATE.format(
        root="CreditNote" if credit else "Invoice",
        invoice_id=row["invoice_id"],
        invoice_date=_iso(row["invoice_date"]),
        reference=reference,
        attachment=attachment,
        cvr=f"{int(row['doctor_cvr']):08d}",
        service_date=_iso(row["service_date"]),
        amount=_point_amount(row["amount"]),
        line_tag="CreditNoteLine" if credit else "InvoiceLine",
        quantity_tag="CreditedQuantity" if credit else "InvoicedQuantity",
        line=row["invoice_line"],
        code=row["certificate_code"],
        cpr=f"{int(row['cpr']):010d}",
    )
    return text.encode("utf-8")


def xml_line_of(document: bytes) -> int:
    """The physical line of a one-line document's invoice line: what the reader names."""
    for tag in (b"<cac:InvoiceLine>", b"<cac:CreditNoteLine>"):
        at = document.find(tag)
        if at >= 0:
            return document.count(b"\n", 0, at) + 1
    raise ValueError("not an invoice or credit note of this generator")


HOSTILE_XML = b"""<?xml version="1.0"?>
<!-- night {night} -->
<!DOCTYPE Invoice [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&d;</Invoice>
"""


def csv_bytes(rows: pd.DataFrame, bad_date: np.ndarray) -> bytes:
    """The `;` CSV: Windows-1252, CRLF, Danish amounts (1.544,00) and dates (DD-MM-YYYY)."""
    lines = [";".join(INVOICE_HEADER)]
    for (_, row), bad in zip(rows.iterrows(), bad_date, strict=True):
        lines.append(
            ";".join(
                [
                    str(row["invoice_id"]),
                    f"{int(row['doctor_cvr']):08d}",
                    str(row["request_id"]),
                    f"{str(int(row['cpr'])).zfill(10)[:6]}-{str(int(row['cpr'])).zfill(10)[6:]}",
                    str(row["certificate_code"]),
                    "31-02-2026" if bad else _dk(row["service_date"]),
                    _dk(row["invoice_date"]),
                    _danish_amount(row["amount"]),
                    str(row["invoice_line"]),
                    str(row["document_type"]),
                    str(row["credited_invoice_id"]),
                ]
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def xlsx_bytes(rows: pd.DataFrame, stamp: datetime) -> bytes:
    """The XLSX sheet: date cells, exact Decimal amounts."""
    records = [
        (
            str(r["invoice_id"]),
            f"{int(r['doctor_cvr']):08d}",
            str(r["request_id"]),
            f"{int(r['cpr']):010d}",
            str(r["certificate_code"]),
            pd.Timestamp(r["service_date"]).date(),
            pd.Timestamp(r["invoice_date"]).date(),
            Decimal(int(r["amount"])) / 100,
            str(r["invoice_line"]),
            str(r["document_type"]),
            str(r["credited_invoice_id"]),
        )
        for _, r in rows.iterrows()
    ]
    return workbook_bytes(
        "invoices",
        INVOICE_HEADER,
        records,
        amount_columns=(7,),
        date_columns=(5, 6),
        stamp=stamp,
    )


def requests_csv(requests: pd.DataFrame) -> bytes:
    """The requests extract: `,` CSV, UTF-8, ISO dates."""
    out = pd.DataFrame(
        {
            "request_id": requests["request_id"],
            "cpr": [f"{int(c):010d}" for c in requests["cpr"]],
            "certificate_code": requests["certificate_code"],
            "doctor_cvr": [f"{int(c):08d}" for c in requests["doctor_cvr"]],
            "requested_date": [_iso(d) for d in requests["requested_date"]],
            "case_area": requests["case_area"],
        }
    )
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


@dataclass(frozen=True)
class WrittenInvoices:
    """The files written for one night and the ground-truth rows."""

    files: list[Path]
    truth: pd.DataFrame
    rows: int


def xml_mask(invoices: pd.DataFrame, night: date, xml_share: float) -> np.ndarray:
    """Which rows of a night go out as OIOUBL documents (the same every time)."""
    rng = np.random.default_rng([night.toordinal(), 11])
    as_xml = rng.random(len(invoices)) < xml_share
    # Faults that only a text file can carry stay out of XML.
    return as_xml & ~np.isin(
        invoices["kind"].to_numpy(), ["READ-VALUE", "DQ-INV-AMOUNT-NOT-NEGATIVE"]
    )


def write_night(
    inbox: Path,
    night_data: NightInvoices,
    night: date,
    xml_share: float,
    stamp: datetime,
    previous: tuple[NightInvoices, date] | None = None,
    xlsx: bool = True,
    seed: int = 0,
    look_alikes: int = 0,
) -> WrittenInvoices:
    """Write requests, invoices (XML, CSV, XLSX) and the unreadable XML files.

    With `previous`, one of last night's clean XML invoices arrives again, byte for byte.
    `look_alikes` clean CSV rows are sent again as e-invoices (the copies planted
    CLAIM-COPY-TONIGHT), and as many clean e-invoices (at most EMBEDDED_PDFS) carry an
    embedded PDF.
    """
    invoices = night_data.invoices.reset_index(drop=True)
    as_xml = xml_mask(invoices, night, xml_share)
    pdfs = _embedded_pdfs(invoices, as_xml, night, seed, min(look_alikes, EMBEDDED_PDFS))
    folder = inbox / DATASET
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    truth: list[dict[str, object]] = []
    day = night.isoformat()

    requests_path = inbox / REQUESTS / f"requests_{day}.csv"
    requests_path.parent.mkdir(parents=True, exist_ok=True)
    requests_path.write_bytes(requests_csv(night_data.requests))
    written.append(requests_path)

    for position in np.flatnonzero(as_xml):
        row = invoices.iloc[position]
        name = f"{day}_oioubl_{row['doctor_cvr']}_{row['invoice_id']}.xml"
        path = folder / name
        document = invoice_xml(row, pdfs.get(int(position)))
        path.write_bytes(document)
        written.append(path)
        if row["kind"]:
            truth.append(_truth(day, name, xml_line_of(document), row))

    text_rows = invoices.loc[~as_xml].reset_index(drop=True)
    half = len(text_rows) // 2 if xlsx else len(text_rows)
    csv_part, xlsx_part = text_rows.iloc[:half], text_rows.iloc[half:]
    # READ-VALUE rows belong in the CSV (a date that does not exist).
    moved = xlsx_part[xlsx_part["kind"] == "READ-VALUE"]
    csv_part = pd.concat([csv_part, moved], ignore_index=True)
    xlsx_part = xlsx_part[xlsx_part["kind"] != "READ-VALUE"].reset_index(drop=True)
    csv_name, xlsx_name = f"{day}_invoices.csv", f"{day}_invoices.xlsx"
    (folder / csv_name).write_bytes(
        csv_bytes(csv_part, (csv_part["kind"] == "READ-VALUE").to_numpy())
    )
    written.append(folder / csv_name)
    if xlsx:
        (folder / xlsx_name).write_bytes(xlsx_bytes(xlsx_part, stamp))
        written.append(folder / xlsx_name)
    for name, part in ((csv_name, csv_part), (xlsx_name, xlsx_part)):
        for line, (_, row) in enumerate(part.iterrows(), start=2):
            if row["kind"]:
                truth.append(_truth(day, name, line, row))
    # The same invoice twice tonight: a CSV row, and again as an e-invoice. The robot reads
    # the CSV and XLSX rows first and the e-invoices after them, so the e-invoice is the copy.
    rng = np.random.default_rng([seed, 13, night.toordinal()])
    plain = np.flatnonzero(
        (csv_part["kind"] == "").to_numpy() & (csv_part["document_type"] == "invoice").to_numpy()
    )
    copied = np.sort(rng.choice(plain, size=min(look_alikes, len(plain)), replace=False))
    for position in copied:
        row = csv_part.iloc[position]
        name = f"{day}_oioubl_{row['doctor_cvr']}_{row['invoice_id']}.xml"
        document = invoice_xml(row)
        (folder / name).write_bytes(document)
        written.append(folder / name)
        note = f"same invoice as {csv_name} line {position + 2}, sent again as an e-invoice"
        truth.append(_truth(day, name, xml_line_of(document), row, COPY_TONIGHT, note))

    hostile, reminder = f"{day}_oioubl_hostile.xml", f"{day}_oioubl_reminder.xml"
    # Each night's copies differ (the date inside), so neither is "seen before".
    (folder / hostile).write_bytes(HOSTILE_XML.replace(b"{night}", day.encode()))
    (folder / reminder).write_bytes(
        b'<?xml version="1.0"?>\n<Reminder xmlns="urn:oasis:names:specification:ubl:schema:'
        b'xsd:Reminder-2"><ID xmlns="urn:oasis:names:specification:ubl:schema:xsd:'
        b'CommonBasicComponents-2">RYK-' + day.encode() + b"</ID></Reminder>\n"
    )
    written += [folder / hostile, folder / reminder]
    truth.append(_file_truth(day, hostile, "FILE-UNREADABLE", "entity expansion (billion laughs)"))
    truth.append(_file_truth(day, reminder, "FILE-UNREADABLE", "a Reminder, not an invoice"))
    if previous is not None:
        before, before_night = previous
        rows_before = before.invoices.reset_index(drop=True)
        candidates = np.flatnonzero(
            xml_mask(rows_before, before_night, xml_share) & (rows_before["kind"] == "").to_numpy()
        )
        if len(candidates):
            row = rows_before.iloc[candidates[0]]
            resent = folder / f"{before_night.isoformat()}_oioubl_{row['invoice_id']}_resent.xml"
            resent.write_bytes(invoice_xml(row))
            written.append(resent)
            truth.append(
                _file_truth(
                    day, resent.name, "FILE-ALREADY-PROCESSED", f"byte copy from {before_night}"
                )
            )
    return WrittenInvoices(written, pd.DataFrame(truth), len(invoices) + len(copied))


def _embedded_pdfs(
    invoices: pd.DataFrame, as_xml: np.ndarray, night: date, seed: int, count: int
) -> dict[int, bytes]:
    """Which clean e-invoices carry a PDF, and its bytes (by row position).

    Never the first clean e-invoice of a night: that one arrives again the next night as
    a byte copy (FILE-ALREADY-PROCESSED), which is written without knowing this choice.
    """
    clean = as_xml & (invoices["kind"] == "").to_numpy()
    first = np.flatnonzero(clean)[:1]
    eligible = np.setdiff1d(
        np.flatnonzero(clean & (invoices["document_type"] == "invoice").to_numpy()), first
    )
    rng = np.random.default_rng([seed, 12, night.toordinal()])
    chosen = np.sort(rng.choice(eligible, size=min(count, len(eligible)), replace=False))
    return {int(position): invoice_pdf(rng) for position in chosen}


def _truth(
    day: str,
    file: str,
    line: int,
    row: pd.Series,
    planted: str | None = None,
    note: str | None = None,
) -> dict[str, object]:
    return {
        "night": day,
        "dataset": DATASET,
        "file": file,
        "line": str(line),
        "claim_id": "",
        "planted": planted or row["kind"],
        "note": note or row["note"] or row["kind"],
    }


def _file_truth(day: str, file: str, planted: str, note: str) -> dict[str, object]:
    return {
        "night": day,
        "dataset": DATASET,
        "file": file,
        "line": "",
        "claim_id": "",
        "planted": planted,
        "note": note,
    }
