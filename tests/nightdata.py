"""A small night of source files, written as readable literals, for the pipeline tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Made-up but valid CPR numbers (real dates, 10 digits); nobody's real number.
ANNA = "0101501233"
BO = "0202452345"
CARL = "0303403457"
PROVIDER = "29189846"
CLINIC = "12345674"


REGISTERS = {
    "citizens/citizens.csv": (
        "cp1252",
        "cpr;name;status;status_date;municipality_code;civil_status\n"
        f"{ANNA[:6]}-{ANNA[6:]};Anna Ærø;active;;173;single\n"
        f"{BO};Bo Dahl;dead;01-03-2026;173;married\n"
        f"{CARL};Carl Øst;active;;173;married\n",
    ),
    "pensioners/pensioners.csv": (
        "utf-8-sig",
        "cpr,pension_type,supplement_percent,liquid_assets,valid_from,valid_to,awarded_date\n"
        f"{ANNA},folkepension,75,50000.00,2015-01-01,,2015-01-01\n"
        f"{BO},folkepension,100,1000.00,2010-01-01,,2010-01-01\n"
        f"{CARL},folkepension,100,2000.00,2010-01-01,,2010-01-01\n",
    ),
    "companies/companies.csv": (
        "utf-8",
        f"cvr,name,status,status_date,sector\n{PROVIDER},Apotek,active,,private\n"
        f"{CLINIC},Lægehuset,active,,private\n",
    ),
    "certificate_requests/requests.csv": (
        "utf-8",
        "request_id,cpr,certificate_code,doctor_cvr,requested_date,case_area\n"
        f"R1,{ANNA},LÆ265,{CLINIC},2026-10-20,jobcenter\n"
        f"R2,{CARL},LÆ125,{CLINIC},2026-10-20,sygedagpenge\n",
    ),
}

INVOICES_HEADER = (
    "invoice_id,doctor_cvr,request_id,cpr,certificate_code,service_date,invoice_date,amount\n"
)
NIGHT_INVOICES = INVOICES_HEADER + (
    f"F100,{CLINIC},R1,{ANNA},LÆ265,2026-10-25,2026-10-26,1544.00\n"
    f"F101,{CLINIC},R2,{CARL},LÆ125,2026-10-25,2026-10-26,397.00\n"
)
"""Two invoices at the fee card's (provisional) fees: demo pays both, production holds."""

CLAIMS_HEADER = (
    "claim_id,cpr,expense_type,provider_cvr,service_date,citizen_share,received_date,"
    "approval_date\n"
)

NIGHT_CLAIMS = CLAIMS_HEADER + (
    f"C1,{ANNA[:6]}-{ANNA[6:]},medicin,{PROVIDER},2026-10-01,45.00,2026-10-02,\n"
    f"C2,{BO},medicin,{PROVIDER},2026-10-01,100.00,2026-10-02,\n"
    f"C3,{ANNA},massage,{PROVIDER},2026-10-01,1.00,2026-10-02,\n"
    "this line is broken\n"
    f"C4,{CARL},fysioterapi,{PROVIDER},2026-10-03,33.00,2026-10-05,\n"
)
"""C1 pays 28,69 (HT-1), C2 is rejected (dead), C3 and line 5 are data errors, C4 pays 28,05."""

PAID_OERE = 2869 + 2805


def write_inbox(
    data_dir: Path, claims: str = NIGHT_CLAIMS, name: str = "claims.csv", registers: bool = True
) -> None:
    """Write a night's files into data_dir/inbox/."""
    inbox = data_dir / "inbox"
    if registers:
        for relative, (encoding, content) in REGISTERS.items():
            path = inbox / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode(encoding))
    path = inbox / "health_claims" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(claims, encoding="utf-8")


def write_invoices(data_dir: Path, invoices: str = NIGHT_INVOICES, name: str = "f.csv") -> Path:
    """Write a doctors' invoices file into data_dir/inbox/doctor_invoices/."""
    path = data_dir / "inbox" / "doctor_invoices" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(invoices, encoding="utf-8")
    return path


def run_robots_command(
    data_dir: Path,
    logs: Path,
    *,
    kill_at: str | None = None,
    night: str = "2026-11-23",
    robot: str = "helbredstillaeg",
    mode: str = "demo",
) -> subprocess.CompletedProcess[str]:
    """Run `robots run <robot>` as a real process, as the scheduler would."""
    env = {**os.environ, "ROBOTS_LOGS_DIR": str(logs)}
    env.pop("ROBOTS_KILL_AT", None)
    if kill_at:
        env["ROBOTS_KILL_AT"] = kill_at
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "robots.cli",
            "run",
            robot,
            "--data-dir",
            str(data_dir),
            "--mode",
            mode,
            "--date",
            night,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def invoice_xml(invoice_id: str = "F500", request_id: str = "R1", inside: str = "") -> str:
    """An OIOUBL 2.1 invoice from the clinic for Anna's LÆ 265 at the fee (`inside` goes
    after the order reference: an embedded PDF, say)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>{invoice_id}</cbc:ID>
 <cbc:IssueDate>2026-10-26</cbc:IssueDate>
 <cbc:DocumentCurrencyCode>DKK</cbc:DocumentCurrencyCode>
 <cac:OrderReference><cbc:ID>{request_id}</cbc:ID></cac:OrderReference>{inside}
 <cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity>
   <cbc:CompanyID schemeID="DK:CVR">DK{CLINIC}</cbc:CompanyID>
 </cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
 <cac:InvoiceLine>
  <cbc:ID>1</cbc:ID>
  <cbc:LineExtensionAmount currencyID="DKK">1544.00</cbc:LineExtensionAmount>
  <cac:Delivery><cbc:ActualDeliveryDate>2026-10-25</cbc:ActualDeliveryDate></cac:Delivery>
  <cac:Item>
   <cbc:Name>Laegeattest</cbc:Name>
   <cac:SellersItemIdentification><cbc:ID>LÆ265</cbc:ID></cac:SellersItemIdentification>
   <cac:AdditionalItemProperty><cbc:Name>CPR</cbc:Name><cbc:Value>{ANNA}</cbc:Value>
   </cac:AdditionalItemProperty>
  </cac:Item>
 </cac:InvoiceLine>
</Invoice>
"""


def run_id_of(stdout: str) -> str:
    """The run a `robots run` reported (its report's first line)."""
    return next(line.split()[1] for line in stdout.splitlines() if line.startswith("Run "))


def outcome_rows(stdout: str) -> list[dict[str, str]]:
    """The rows of the outcome file a `robots run` reported."""
    import csv

    path = next(
        line.split(": ", 1)[1] for line in stdout.splitlines() if line.startswith("Outcome file")
    )
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def outcomes_by_claim(stdout: str) -> dict[str, dict[str, str]]:
    """The outcome file's rows by claim id (the last row of an id wins)."""
    return {row["claim_id"]: row for row in outcome_rows(stdout)}
