"""Tests for the demo-data generator.

The files are read back here with a small, independent reader and checked with a
reference implementation of the rules (from contracts.md, domain.md 1 and config/), so
"every planted row trips exactly its rule, every clean row trips none" is tested
against the rules themselves, not against the generator's own bookkeeping.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import statistics
import tomllib
import zipfile
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from stdnum.dk import cpr as stdnum_cpr
from stdnum.dk import cvr as stdnum_cvr

from robots.demo.generator import DemoNight, DemoSpec, generate_night

REPO = Path(__file__).resolve().parents[3]
CONFIG = REPO / "config"
NIGHT = date(2026, 11, 22)
NEXT_NIGHT = date(2026, 11, 23)
SMALL = DemoSpec(night=NIGHT, pensioners=500, claims=400, invoices=0, flex_jobs=0)  # HT files only
EXPENSE_TYPES = {
    "medicin",
    "tandbehandling",
    "fysioterapi",
    "kiropraktik",
    "fodterapi",
    "psykolog",
    "briller",
    "tandprotese",
}
HISTORY = {
    "HT-DUP-PAID",
    "CLAIM-ALREADY-PROCESSED",
    "HT-RESUBMIT-CHANGED",
    "HT-DUP-HELD",
    "CLAIM-COPY-TONIGHT",
}
HELD_RULES = {
    "HT-MISSING",
    "HT-DUP-NIGHT",
    "HT-HIGH-AMOUNT",
    "HT-PROVIDER-UNKNOWN",
    "HT-PROVIDER-CLOSED",
    "HT-STALE",
    "HT-VELOCITY",
    "HT-FOERTID-UNKNOWN",
}
"""Rules that hold a claim for the control group (a copy of such a bill: HT-DUP-HELD)."""
REGULAR = {
    "READ-MALFORMED",
    "READ-VALUE",
    "DQ-HC-EXPENSE-TYPE",
    "DQ-HC-SHARE-POSITIVE",
    "DQ-HC-CLAIM-ID-UNIQUE",
    "DQ-HC-CPR-KNOWN",
    "DQ-HC-RECEIVED-BEFORE-SERVICE",
    "DQ-HC-SERVICE-NOT-FUTURE",
    "HT-DEAD",
    "HT-EMIGRATED",
    "HT-MISSING",
    "HT-MOVED",
    "HT-NO-PENSION",
    "HT-FOERTID-NEW",
    "HT-FOERTID-UNKNOWN",
    "HT-ASSETS",
    "HT-PCT-ZERO",
    "HT-DUP-NIGHT",
    "HT-HIGH-AMOUNT",
    "HT-UDVIDET-APPROVAL",
    "HT-PROVIDER-UNKNOWN",
    "HT-PROVIDER-CLOSED",
    "HT-VELOCITY",
}


# --- an independent reader ------------------------------------------------------------


class Unreadable(ValueError):
    """A value the reader cannot parse (what READ-VALUE is about)."""


@dataclass(frozen=True)
class Claim:
    file: str
    line: int
    claim_id: str
    cpr: str
    expense_type: str
    provider: str
    service: date
    share: int  # øre
    received: date
    approval: date | None

    @property
    def key(self) -> tuple[str, str, str, date, int]:
        return (self.cpr, self.expense_type, self.provider, self.service, self.share)

    @property
    def content(self) -> tuple[object, ...]:
        return (*self.key, self.received, self.approval)


def parse_date(value: object, dmy: bool) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    text = str(value)
    pattern = r"(\d{2})-(\d{2})-(\d{4})" if dmy else r"(\d{4})-(\d{2})-(\d{2})"
    match = re.fullmatch(pattern, text)
    if not match:
        raise Unreadable(text)
    parts = [int(p) for p in match.groups()]
    day, month, year = parts if dmy else parts[::-1]
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise Unreadable(text) from exc


def parse_amount(value: object, danish: bool) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int((Decimal(str(value)) * 100).to_integral_value())
    text = str(value)
    if danish:
        if not re.fullmatch(r"-?\d{1,3}(\.\d{3})*,\d{2}", text):
            raise Unreadable(text)
        text = text.replace(".", "").replace(",", ".")
    elif not re.fullmatch(r"-?\d+\.\d{2}", text):
        raise Unreadable(text)
    return int(Decimal(text) * 100)


def norm_cpr(value: object) -> str:
    return str(value).replace("-", "").strip()


def raw_rows(path: Path) -> tuple[list[list[object]], bool]:
    """Rows after the header, and whether the file uses Danish notation."""
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        width = len(rows[0])  # empty trailing cells are simply absent in XLSX
        return [r + [None] * (width - len(r)) for r in rows[1:]], False
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        body = data.decode("utf-8")
    except UnicodeDecodeError:
        body = data.decode("cp1252")
    delimiter = ";" if body.split("\n", 1)[0].count(";") else ","
    rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter))
    return [list(r) for r in rows[1:]], delimiter == ";"


def read_claims(path: Path) -> tuple[list[Claim], dict[int, str]]:
    """Readable claims, and {line: READ-...} for the rows that could not be read."""
    rows, danish = raw_rows(path)
    claims: list[Claim] = []
    bad: dict[int, str] = {}
    for i, row in enumerate(rows):
        line = i + 2
        if len(row) != 8:
            bad[line] = "READ-MALFORMED"
            continue
        try:
            claims.append(
                Claim(
                    file=path.name,
                    line=line,
                    claim_id=str(row[0]),
                    cpr=norm_cpr(row[1]),
                    expense_type=str(row[2]),
                    provider=str(row[3]),
                    service=parse_date(row[4], danish),  # type: ignore[arg-type]
                    share=parse_amount(row[5], danish),
                    received=parse_date(row[6], danish),  # type: ignore[arg-type]
                    approval=parse_date(row[7], danish),
                )
            )
        except Unreadable:
            bad[line] = "READ-VALUE"
    return claims, bad


@dataclass
class Registers:
    citizens: dict[str, dict[str, object]]
    pensions: dict[str, list[dict[str, object]]]
    companies: dict[str, dict[str, object]]


def read_registers(inbox: Path, night: date) -> Registers:
    iso = night.isoformat()
    citizens: dict[str, dict[str, object]] = {}
    # Every citizens file of the night, in name order, a later file's row winning.
    for citizens_path in sorted((inbox / "citizens").glob(f"citizens_{iso}*.csv")):
        rows, danish = raw_rows(citizens_path)
        citizens |= {
            norm_cpr(r[0]): {
                "name": r[1],
                "status": r[2],
                "status_date": parse_date(r[3], danish),
                "municipality": int(r[4]),
                "civil_status": r[5],
                "moved": parse_date(r[6], danish),
            }
            for r in rows
        }
    rows, danish = raw_rows(inbox / "pensioners" / f"pensioners_{iso}.csv")
    pensions: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        pensions.setdefault(norm_cpr(r[0]), []).append(
            {
                "type": r[1],
                "pct": int(r[2]),
                "assets": parse_amount(r[3], danish),
                "from": parse_date(r[4], danish),
                "to": parse_date(r[5], danish),
                "awarded": parse_date(r[6], danish),
            }
        )
    company_path = next((inbox / "companies").glob(f"companies_{iso}.*"))
    rows, danish = raw_rows(company_path)
    companies = {str(r[0]): {"status": r[2], "status_date": parse_date(r[3], danish)} for r in rows}
    return Registers(citizens, pensions, companies)


def load_policy(config_dir: Path) -> dict[str, object]:
    checks = tomllib.loads((config_dir / "checks.toml").read_text())["helbredstillaeg"]
    limits = {}
    for path in (config_dir / "rates").glob("*.toml"):
        rate = tomllib.loads(path.read_text())
        if "helbredstillaeg" not in rate:
            continue  # a year with other benefits' figures only
        limits[rate["year"]] = int(
            Decimal(rate["helbredstillaeg"]["liquid_asset_limit"]["value"]) * 100
        )
    return {
        "usual": {k: int(Decimal(v) * 100) for k, v in checks["usual_max_citizen_share"].items()},
        "times_median": checks["unusual_amount"]["times_median"],
        "min_bills": checks["unusual_amount"]["min_bills"],
        "stale": checks["limits"]["stale_after_months"],
        "velocity": checks["limits"]["max_claims_per_citizen_per_night"],
        "udvidet": set(checks["limits"]["udvidet_expense_types"]),
        "cutoff": date.fromisoformat(checks["limits"]["foertidspension_awarded_before"]),
        "limits": limits,
    }


def add_months(value: date, months: int) -> date:
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    for day in (value.day, 30, 29, 28):
        try:
            return date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- the reference checker --------------------------------------------------------------


def expected_faults(
    claims: list[Claim],
    registers: Registers,
    policy: dict[str, object],
    night: date,
    previous: list[Claim] | None = None,
    previous_held: list[Claim] | None = None,
) -> dict[tuple[str, int], set[str]]:
    """Which rules each readable claim trips, by (file, line). `claims` in reading order
    (files by name, rows by line); `previous`: last night's paid claims, `previous_held`
    its held ones."""
    usual: dict[str, int] = policy["usual"]  # type: ignore[assignment]
    limits: dict[int, int] = policy["limits"]  # type: ignore[assignment]
    out: dict[tuple[str, int], set[str]] = {}

    # Rows with one claim id and one content are one claim: the later ones are copies,
    # set aside before anything else looks at them.
    by_id: dict[str, list[Claim]] = {}
    for c in claims:
        by_id.setdefault(c.claim_id, []).append(c)
    copies = {
        (c.file, c.line)
        for group in by_id.values()
        if len(group) > 1 and len({x.content for x in group}) == 1
        for c in group[1:]
    }
    out |= {where: {"CLAIM-COPY-TONIGHT"} for where in copies}
    claims = [c for c in claims if (c.file, c.line) not in copies]
    by_id = {}
    by_key: dict[tuple[object, ...], list[Claim]] = {}
    per_cpr = Counter(c.cpr for c in claims)
    for c in claims:
        by_id.setdefault(c.claim_id, []).append(c)
        by_key.setdefault(c.key, []).append(c)

    def data_errors(c: Claim) -> set[str]:
        f: set[str] = set()
        if c.expense_type not in EXPENSE_TYPES:
            f.add("DQ-HC-EXPENSE-TYPE")
        if c.share <= 0:
            f.add("DQ-HC-SHARE-POSITIVE")
        if len({x.content for x in by_id[c.claim_id]}) > 1:
            f.add("DQ-HC-CLAIM-ID-UNIQUE")
        if c.received < c.service:
            f.add("DQ-HC-RECEIVED-BEFORE-SERVICE")
        if c.service > night:
            f.add("DQ-HC-SERVICE-NOT-FUTURE")
        if c.cpr not in registers.citizens:
            f.add("DQ-HC-CPR-KNOWN")
        return f

    errors = {(c.file, c.line): data_errors(c) for c in claims}
    # HT-HIGH-AMOUNT's median: per type, over tonight's bills that reach the checks and
    # last night's, once a type has min_bills of them.
    shares: dict[str, list[int]] = {}
    for c in [*(c for c in claims if not errors[(c.file, c.line)]), *(previous or [])]:
        shares.setdefault(c.expense_type, []).append(c.share)
    median = {t: statistics.median(v) for t, v in shares.items() if len(v) >= policy["min_bills"]}  # type: ignore[operator]
    prev_by_id = {c.claim_id: c for c in previous or []}
    prev_keys = {c.key: c for c in previous or []}
    held_keys = {c.key for c in previous_held or []}
    cutoff: date = policy["cutoff"]  # type: ignore[assignment]
    for c in claims:
        f = set(errors[(c.file, c.line)])
        citizen = registers.citizens.get(c.cpr)
        if citizen is not None:
            since = citizen["status_date"]
            if citizen["status"] == "dead" and since < c.service:
                f.add("HT-DEAD")
            if citizen["status"] == "emigrated" and since < c.service:
                f.add("HT-EMIGRATED")
            if citizen["status"] == "missing":
                f.add("HT-MISSING")
            if citizen["municipality"] != 173 and citizen["moved"] < c.service:
                f.add("HT-MOVED")
            records = registers.pensions.get(c.cpr, [])
            valid = [
                p
                for p in records
                if p["from"] <= c.service and (p["to"] is None or p["to"] >= c.service)
            ]
            if not valid:
                f.add("HT-NO-PENSION")
            else:
                (record,) = valid
                if record["type"] == "foertidspension":
                    if record["awarded"] is None:
                        # No award date: the old scheme is shown only by a foertidspension
                        # record in force before the cutoff.
                        starts = [p["from"] for p in records if p["type"] == "foertidspension"]
                        if min(starts) >= cutoff:
                            f.add("HT-FOERTID-UNKNOWN")
                    elif record["awarded"] >= cutoff:
                        f.add("HT-FOERTID-NEW")
                if record["assets"] > limits.get(c.service.year, -1):
                    f.add("HT-ASSETS")
                if record["pct"] == 0:
                    f.add("HT-PCT-ZERO")
        twins = sorted(by_key[c.key], key=lambda x: (x.received, x.claim_id))
        if len(twins) > 1 and twins[0] is not c:
            f.add("HT-DUP-NIGHT")
        if c.expense_type in usual and c.share > usual[c.expense_type]:
            f.add("HT-HIGH-AMOUNT")
        if c.expense_type in median and c.share > policy["times_median"] * median[c.expense_type]:  # type: ignore[operator]
            f.add("HT-HIGH-AMOUNT")
        if c.expense_type in policy["udvidet"] and (c.approval is None or c.approval >= c.service):
            f.add("HT-UDVIDET-APPROVAL")
        company = registers.companies.get(c.provider)
        if company is None:
            f.add("HT-PROVIDER-UNKNOWN")
        elif company["status"] in ("bankrupt", "closed") and company["status_date"] < c.service:
            f.add("HT-PROVIDER-CLOSED")
        if c.received > add_months(c.service, policy["stale"]):  # type: ignore[arg-type]
            f.add("HT-STALE")
        if per_cpr[c.cpr] > policy["velocity"]:  # type: ignore[operator]
            f.add("HT-VELOCITY")
        before = prev_by_id.get(c.claim_id)
        if before is not None:
            f.add(
                "CLAIM-ALREADY-PROCESSED" if before.content == c.content else "HT-RESUBMIT-CHANGED"
            )
        elif c.key in prev_keys:
            f.add("HT-DUP-PAID")
        elif c.key in held_keys:
            f.add("HT-DUP-HELD")
        out[(c.file, c.line)] = f
    return out


def night_files(inbox: Path, night: date) -> list[Path]:
    """Tonight's claim files the robot would read (not the scan, not the resent copy)."""
    iso = night.isoformat()
    return sorted(
        p
        for p in (inbox / "health_claims").iterdir()
        if p.name.startswith(iso) and "_scan" not in p.name and "_resent" not in p.name
    )


def read_truth(result: DemoNight) -> pd.DataFrame:
    return pd.read_csv(result.ground_truth, dtype=str, keep_default_na=False)


def planted_claims(data_dir: Path, result: DemoNight, night: date, kinds: set[str]) -> list[Claim]:
    """The night's readable claims planted as one of `kinds`."""
    truth = read_truth(result)
    rows = truth[truth["planted"].isin(kinds) & (truth["line"] != "")]
    places = {(r.file, int(r.line)) for r in rows.itertuples()}
    return [
        c
        for path in night_files(data_dir / "inbox", night)
        for c in read_claims(path)[0]
        if (c.file, c.line) in places
    ]


def check_night(
    data_dir: Path,
    result: DemoNight,
    night: date,
    config_dir: Path = CONFIG,
    previous: list[Claim] | None = None,
    previous_held: list[Claim] | None = None,
) -> tuple[list[Claim], pd.DataFrame]:
    """Every readable row trips exactly its planted rule (clean rows: none)."""
    inbox = data_dir / "inbox"
    truth = read_truth(result)
    assert list(truth.columns) == [
        "night",
        "dataset",
        "file",
        "line",
        "claim_id",
        "planted",
        "note",
    ]
    rows = truth[truth["line"] != ""]
    planted = {(r.file, int(r.line)): r for r in rows.itertuples()}
    assert len(planted) == len(rows), "one ground-truth row per file line"

    claims: list[Claim] = []
    unreadable: dict[tuple[str, int], str] = {}
    for path in night_files(inbox, night):
        good, bad = read_claims(path)
        claims += good
        unreadable |= {(path.name, line): kind for line, kind in bad.items()}
    faults = expected_faults(
        claims,
        read_registers(inbox, night),
        load_policy(config_dir),
        night,
        previous,
        previous_held,
    )
    faults |= {where: {kind} for where, kind in unreadable.items()}
    for where, found in faults.items():
        want = {planted[where].planted} if where in planted else set()
        assert found == want, f"{where}: rules tripped {found}, planted {want}"
    assert set(planted) <= set(faults), "ground truth points at lines that do not exist"
    ids = {(c.file, c.line): c.claim_id for c in claims}
    for where, row in planted.items():
        if where in ids:
            assert ids[where] == row.claim_id
    clean = [c for c in claims if (c.file, c.line) not in planted]
    return clean, truth


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoNight]:
    data_dir = tmp_path_factory.mktemp("demo")
    return data_dir, generate_night(data_dir, SMALL)


@pytest.fixture(scope="module")
def second(first: tuple[Path, DemoNight]) -> tuple[Path, DemoNight]:
    data_dir, _ = first
    spec = replace(SMALL, night=NEXT_NIGHT)
    return data_dir, generate_night(data_dir, spec, previous_night=SMALL)


# --- tests ------------------------------------------------------------------------------


def test_files_per_dataset_and_format(first: tuple[Path, DemoNight]) -> None:
    data_dir, result = first
    inbox = data_dir / "inbox"
    iso = NIGHT.isoformat()
    names = {p.relative_to(inbox).as_posix() for p in result.files}
    assert names == {
        f"citizens/citizens_{iso}.csv",
        f"pensioners/pensioners_{iso}.csv",
        f"companies/companies_{iso}.xlsx",
        f"health_claims/{iso}_claims_semicolon.csv",
        f"health_claims/{iso}_claims_comma.csv",
        f"health_claims/{iso}_claims.xlsx",
        f"health_claims/{iso}_claims_mac.csv",
        f"health_claims/{iso}_scan.xlsx",
    }
    assert all(p.is_file() for p in result.files)
    assert result.ground_truth == data_dir / "ground_truth" / f"{iso}.csv"
    assert result.claims_written == SMALL.claims

    citizens = (inbox / "citizens" / f"citizens_{iso}.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        citizens.decode("utf-8")
    text = citizens.decode("cp1252")
    assert text.startswith(
        "cpr;name;status;status_date;municipality_code;civil_status;moved_date\r\n"
    )
    assert any(ch in text for ch in "æøåÆØÅ")
    assert re.search(r";\d{2}-\d{2}-\d{4};", text)

    pensioners = (inbox / "pensioners" / f"pensioners_{iso}.csv").read_bytes()
    assert pensioners.startswith(b"\xef\xbb\xbfcpr,pension_type,supplement_percent,")
    assert re.search(r",\d+\.\d{2},\d{4}-\d{2}-\d{2},", pensioners.decode("utf-8-sig"))

    semicolon = (inbox / "health_claims" / f"{iso}_claims_semicolon.csv").read_bytes()
    semicolon.decode("cp1252")
    assert semicolon.startswith(b"claim_id;cpr;expense_type;provider_cvr;service_date;")
    assert re.search(rb";\d{2}-\d{2}-\d{4};\d{1,3}(\.\d{3})*,\d{2};", semicolon)
    comma = (inbox / "health_claims" / f"{iso}_claims_comma.csv").read_bytes()
    assert not comma.startswith(b"\xef\xbb\xbf")
    comma.decode("utf-8")
    assert re.search(rb",\d{4}-\d{2}-\d{2},\d+\.\d{2},", comma)
    # An old Mac export: lines end in a carriage return alone; it holds clean claims only.
    mac = (inbox / "health_claims" / f"{iso}_claims_mac.csv").read_bytes()
    assert b"\n" not in mac and mac.count(b"\r") >= 4 and mac.endswith(b"\r")
    assert mac.startswith(b"claim_id;cpr;expense_type;provider_cvr;service_date;")
    truth = read_truth(result)
    assert not (truth["file"] == f"{iso}_claims_mac.csv").any()

    sheet = openpyxl.load_workbook(inbox / "health_claims" / f"{iso}_claims.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:7] == [
        "claim_id",
        "cpr",
        "expense_type",
        "provider_cvr",
        "service_date",
        "citizen_share",
        "received_date",
    ]
    service_cells = [r[4] for r in sheet.iter_rows(min_row=2) if not isinstance(r[4].value, str)]
    assert service_cells and all(c.is_date for c in service_cells)
    shares = [r[5] for r in sheet.iter_rows(min_row=2) if not isinstance(r[5].value, str)]
    assert all(c.data_type == "n" and c.number_format == "#,##0.00" for c in shares)
    companies = openpyxl.load_workbook(inbox / "companies" / f"companies_{iso}.xlsx").worksheets[0]
    assert [c.value for c in companies[1]] == ["cvr", "name", "status", "status_date", "sector"]
    assert all(isinstance(r[3], datetime) for r in companies.iter_rows(min_row=2, values_only=True))


def test_unreadable_scan_is_not_a_zip(first: tuple[Path, DemoNight]) -> None:
    data_dir, result = first
    scan = data_dir / "inbox" / "health_claims" / f"{NIGHT.isoformat()}_scan.xlsx"
    assert not zipfile.is_zipfile(scan)
    with pytest.raises(Exception):  # noqa: B017 - whatever openpyxl raises, it must not load
        openpyxl.load_workbook(scan)
    truth = read_truth(result)
    row = truth[truth["planted"] == "FILE-UNREADABLE"]
    assert row["file"].tolist() == [scan.name] and row["line"].tolist() == [""]


def test_identifiers_are_valid(first: tuple[Path, DemoNight]) -> None:
    data_dir, _ = first
    registers = read_registers(data_dir / "inbox", NIGHT)
    for cpr in registers.citizens:
        stdnum_cpr.validate(cpr)
    for cvr in registers.companies:
        stdnum_cvr.validate(cvr)
    raw = (data_dir / "inbox" / "citizens" / f"citizens_{NIGHT.isoformat()}.csv").read_text(
        "cp1252"
    )
    assert re.search(r"^\d{6}-\d{4};", raw, re.M) and re.search(r"^\d{10};", raw, re.M)
    for cpr, records in registers.pensions.items():
        born = stdnum_cpr.get_birth_date(cpr).year
        if all(r["type"] == "folkepension" for r in records):
            assert 1925 <= born <= 1960
        else:
            assert 1925 <= born <= 1985


def test_every_planted_row_trips_exactly_its_rule(first: tuple[Path, DemoNight]) -> None:
    data_dir, result = first
    _, truth = check_night(data_dir, result, NIGHT)
    counts = Counter(truth["planted"])
    for kind in REGULAR:
        assert counts[kind] >= 3, kind
    assert counts["DQ-HC-CLAIM-ID-UNIQUE"] % 2 == 0
    assert counts["FILE-UNREADABLE"] == 1
    velocity = truth[truth["planted"] == "HT-VELOCITY"]
    assert len(velocity) % 7 == 0
    # HT-STALE needs a sourced rate year 36+ months before the night; without one it is
    # skipped and the ground truth says so (both cases: test_stale_kind_follows_the_rates).
    stale = truth[truth["planted"] == "HT-STALE"]
    skipped = len(stale) == 1 and stale["note"].item().startswith("NOT PLANTED")
    assert skipped or (len(stale) >= 3 and (stale["line"] != "").all())
    assert not truth["note"].str.contains(r"\b\d{6}-?\d{4}\b").any(), "no CPR numbers in notes"
    # HT-HIGH-AMOUNT: half above the ceiling, half unusual for their type below it.
    high = truth[truth["planted"] == "HT-HIGH-AMOUNT"]
    below = high["note"].str.contains("times the median")
    assert below.sum() == len(high) // 2 >= 3


def test_unusual_amounts_lie_between_the_median_rule_and_the_ceiling(
    first: tuple[Path, DemoNight],
) -> None:
    """Planted unusual bills are 12-25 times the clean median of their type, below the
    ceiling; clean bills stay under half of what the median rule allows."""
    data_dir, result = first
    clean, _ = check_night(data_dir, result, NIGHT)
    policy = load_policy(CONFIG)
    times = policy["times_median"]
    frame = pd.DataFrame([c.__dict__ for c in clean])
    medians = frame.groupby("expense_type")["share"].median()
    high = planted_claims(data_dir, result, NIGHT, {"HT-HIGH-AMOUNT"})
    usual = policy["usual"]
    unusual = [c for c in high if c.share <= usual[c.expense_type]]  # type: ignore[index]
    assert len(unusual) >= 3
    for c in unusual:
        assert 1.2 * times <= c.share / medians[c.expense_type] <= 2.5 * times, c
    assert any(c.share > usual[c.expense_type] for c in high)  # type: ignore[index]


def test_clean_shares_are_right_skewed_around_a_fortieth_of_the_ceiling(
    first: tuple[Path, DemoNight],
) -> None:
    policy = load_policy(CONFIG)
    usual: dict[str, int] = policy["usual"]  # type: ignore[assignment]
    times: int = policy["times_median"]  # type: ignore[assignment]
    data_dir, night1 = first
    clean, _ = check_night(data_dir, night1, NIGHT)
    frame = pd.DataFrame([c.__dict__ for c in clean])
    for expense_type, shares in frame.groupby("expense_type")["share"]:
        ceiling = usual[str(expense_type)]
        # The generator's median is ceiling / (4 x times_median); at most a tenth of that
        # again is clean, all strictly below the ceiling and half the median rule.
        assert shares.max() < ceiling and shares.max() <= ceiling * 5 // (4 * times) + 100
        assert shares.max() * 2 <= shares.median() * times * 1.25, expense_type
        if len(shares) >= 40:
            assert 0.7 <= shares.median() / (ceiling / (4 * times)) <= 1.4, expense_type
            assert shares.mean() > shares.median(), "right-skewed"
    # A denture of thousands of kroner is usual among dentures: clean, and paid.
    dentures = frame.loc[frame["expense_type"] == "tandprotese", "share"]
    medicine = frame.loc[frame["expense_type"] == "medicin", "share"]
    assert dentures.max() > times * medicine.median()


def test_clean_claims_meet_the_clean_rules(first: tuple[Path, DemoNight]) -> None:
    data_dir, result = first
    clean, _ = check_night(data_dir, result, NIGHT)
    registers = read_registers(data_dir / "inbox", NIGHT)
    policy = load_policy(CONFIG)
    frame = pd.DataFrame([c.__dict__ for c in clean])
    usual = frame["expense_type"].map(policy["usual"])
    assert len(frame) > 250
    assert (frame["share"] >= 5000).all() and (frame["share"] * 8 <= usual + 800).all()
    assert frame["cpr"].isin(list(registers.citizens)).all()
    assert frame["cpr"].isin(list(registers.pensions)).all()
    assert frame["provider"].isin(list(registers.companies)).all()
    night = pd.Timestamp(NIGHT)
    service = pd.to_datetime(frame["service"])
    received = pd.to_datetime(frame["received"])
    assert ((service >= night - pd.Timedelta(days=60)) & (service <= night)).all()
    assert ((received >= service) & (received <= night)).all()
    assert frame.groupby("cpr").size().max() <= 3
    assert not frame.duplicated(["cpr", "expense_type", "provider", "service", "share"]).any()
    assert frame["claim_id"].is_unique
    assert frame["claim_id"].str.fullmatch(r"HC-20261122-\d{6}").all()
    udvidet = frame[frame["expense_type"].isin(policy["udvidet"])]
    assert (
        len(udvidet)
        and (pd.to_datetime(udvidet["approval"]) < pd.to_datetime(udvidet["service"])).all()
    )
    assert frame.loc[~frame["expense_type"].isin(policy["udvidet"]), "approval"].isna().all()
    # Look-alikes among the clean: foertidspension with no award date, old scheme shown by
    # a record in force before the cutoff.
    lookalikes = [
        c
        for c in clean
        if any(
            r["type"] == "foertidspension" and r["awarded"] is None
            for r in registers.pensions[c.cpr]
        )
    ]
    assert len(lookalikes) >= 3
    for c in lookalikes:
        assert min(r["from"] for r in registers.pensions[c.cpr]) < policy["cutoff"]
    assert any(
        len(registers.pensions[c.cpr]) > 1
        and max(r["from"] for r in registers.pensions[c.cpr]) >= policy["cutoff"]
        for c in lookalikes
    ), "a look-alike whose current record starts after the cutoff"


def test_foertid_unknown_has_no_award_date_and_no_old_record(
    first: tuple[Path, DemoNight],
) -> None:
    data_dir, result = first
    registers = read_registers(data_dir / "inbox", NIGHT)
    cutoff = load_policy(CONFIG)["cutoff"]
    unknown = planted_claims(data_dir, result, NIGHT, {"HT-FOERTID-UNKNOWN"})
    assert len(unknown) >= 3
    for c in unknown:
        (record,) = registers.pensions[c.cpr]
        assert record["type"] == "foertidspension" and record["awarded"] is None
        assert record["from"] >= cutoff  # type: ignore[operator]


def test_same_spec_gives_identical_bytes(tmp_path: Path) -> None:
    spec = replace(SMALL, invoices=120)
    later = replace(spec, night=NEXT_NIGHT)
    for previous, night in ((None, spec), (spec, later)):
        one = generate_night(tmp_path / "a", night, previous_night=previous)
        two = generate_night(tmp_path / "b", night, previous_night=previous)
        rel_one = [p.relative_to(tmp_path / "a") for p in one.files]
        rel_two = [p.relative_to(tmp_path / "b") for p in two.files]
        assert rel_one == rel_two
        for path in rel_one:
            assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes()
        assert one.ground_truth.read_bytes() == two.ground_truth.read_bytes()


def test_second_night_plants_the_history_kinds(
    first: tuple[Path, DemoNight], second: tuple[Path, DemoNight]
) -> None:
    data_dir, night1 = first
    _, night2 = second
    inbox = data_dir / "inbox"
    previous_clean, _ = check_night(data_dir, night1, NIGHT)
    previous_held = planted_claims(data_dir, night1, NIGHT, HELD_RULES)
    _, truth = check_night(
        data_dir, night2, NEXT_NIGHT, previous=previous_clean, previous_held=previous_held
    )
    counts = Counter(truth["planted"])
    for kind in (*HISTORY, *REGULAR):
        assert counts[kind] >= 3, kind
    # The copies of held bills are of last night's velocity bills; the re-export follows
    # the file it copies, in the other dialect.
    held_again = {c.key for c in planted_claims(data_dir, night2, NEXT_NIGHT, {"HT-DUP-HELD"})}
    velocity = {c.key for c in planted_claims(data_dir, night1, NIGHT, {"HT-VELOCITY"})}
    assert held_again and held_again <= velocity
    copies = truth[truth["planted"] == "CLAIM-COPY-TONIGHT"]
    iso = NEXT_NIGHT.isoformat()
    assert set(copies["file"]) == {f"{iso}_claims_reexport.csv"}
    assert copies["note"].str.contains(f"{iso}_claims_comma.csv line").all()
    reexport = (inbox / "health_claims" / f"{iso}_claims_reexport.csv").read_bytes()
    assert reexport.startswith(b"claim_id;cpr;") and b"\r\n" in reexport
    resent = truth[truth["planted"] == "FILE-ALREADY-PROCESSED"]
    assert len(resent) == 1 and resent["line"].item() == ""
    copy = inbox / "health_claims" / resent["file"].item()
    originals = [p for p in night1.files if p.parent.name == "health_claims"]
    assert any(copy.read_bytes() == p.read_bytes() for p in originals)
    # Same people both nights, new claims.
    for dataset in ("citizens", "pensioners", "companies"):
        (a,) = [p for p in night1.files if p.parent.name == dataset]
        (b,) = [
            p
            for p in night2.files
            if p.parent.name == dataset and p.stem == f"{dataset}_{NEXT_NIGHT.isoformat()}"
        ]
        if a.suffix == ".csv":
            assert a.read_bytes() == b.read_bytes()
        else:
            assert list(openpyxl.load_workbook(a).worksheets[0].values) == list(
                openpyxl.load_workbook(b).worksheets[0].values
            )
    day1 = (inbox / "health_claims" / f"{NIGHT.isoformat()}_claims_comma.csv").read_bytes()
    day2 = (inbox / "health_claims" / f"{NEXT_NIGHT.isoformat()}_claims_comma.csv").read_bytes()
    assert day1 != day2
    # History 3 x 4, the copies of held bills (3 per velocity citizen), the re-export (4).
    assert night2.claims_written == SMALL.claims + 3 * 4 + 3 + 4
    # A second citizens file: a few citizens again, one with another civil status; its name
    # says neither delta nor full, and it sorts after the full extract.
    full = read_registers(inbox, NIGHT).citizens
    corrections = inbox / "citizens" / f"citizens_{iso}_rettelser.csv"
    assert sorted(p.name for p in (inbox / "citizens").glob(f"citizens_{iso}*"))[-1] == (
        corrections.name
    )
    rows, _ = raw_rows(corrections)
    assert 3 <= len(rows) <= 10
    changed = [r for r in rows if full[norm_cpr(r[0])]["civil_status"] != r[5]]
    assert len(changed) == 1
    assert all(full[norm_cpr(r[0])]["status"] == r[2] == "active" for r in rows)


@pytest.mark.parametrize("with_2023", [True, False])
def test_stale_kind_follows_the_rates(tmp_path: Path, with_2023: bool) -> None:
    """Planted when 2023 has a sourced limit; otherwise skipped with a note, not faked."""
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    for old in (config / "rates").glob("*.toml"):
        if int(old.stem) < 2024:
            old.unlink()
    if with_2023:
        (config / "rates" / "2023.toml").write_text(
            'year = 2023\n[helbredstillaeg.liquid_asset_limit]\nvalue = "95800"\nsource = "test"\n'
        )
    result = generate_night(tmp_path / "data", SMALL, config_dir=config)
    _, truth = check_night(tmp_path / "data", result, NIGHT, config_dir=config)
    stale = truth[truth["planted"] == "HT-STALE"]
    if with_2023:
        assert len(stale) >= 3 and (stale["line"] != "").all()
        assert stale["note"].str.contains("more than 36 months after service_date 2023-").all()
    else:
        assert len(stale) == 1 and stale["file"].item() == "" and stale["line"].item() == ""
        assert stale["note"].item().startswith("NOT PLANTED")


def test_csv_format_uses_one_comma_file_per_dataset(tmp_path: Path) -> None:
    spec = replace(SMALL, formats="csv")
    result = generate_night(tmp_path, spec)
    by_dataset = Counter(p.parent.name for p in result.files if p.suffix == ".csv")
    assert by_dataset == {"citizens": 1, "pensioners": 1, "companies": 1, "health_claims": 1}
    for path in result.files:
        if path.suffix == ".csv":
            data = path.read_bytes()
            assert not data.startswith(b"\xef\xbb\xbf")
            assert data.decode("utf-8").split("\n", 1)[0].count(";") == 0
    check_night(tmp_path, result, NIGHT)


def test_specs_that_cannot_work_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pensioners"):
        generate_night(tmp_path, replace(SMALL, claims=5_000))
    with pytest.raises(ValueError, match="same seed"):
        generate_night(
            tmp_path, replace(SMALL, night=NEXT_NIGHT), previous_night=replace(SMALL, seed=1)
        )
    with pytest.raises(ValueError, match="formats"):
        DemoSpec(night=NIGHT, formats="json")


def test_scale_200k_claims_csv(tmp_path: Path) -> None:
    spec = DemoSpec(
        night=NIGHT, pensioners=80_000, claims=200_000, formats="csv", invoices=0, flex_jobs=0
    )
    result = generate_night(tmp_path, spec)
    assert result.claims_written == 200_000
    claims_file = tmp_path / "inbox" / "health_claims" / f"{NIGHT.isoformat()}_claims.csv"
    lines = claims_file.read_text("utf-8").split("\n")
    assert len(lines) == 200_000 + 2  # header, rows, final newline
    truth = read_truth(result)
    rows = truth[truth["line"] != ""]
    ids = [lines[int(n) - 1].split(",", 1)[0] for n in rows["line"]]
    assert ids == rows["claim_id"].tolist()
    counts = Counter(rows["planted"])
    assert all(counts[k] >= 2_000 for k in REGULAR - {"DQ-HC-CLAIM-ID-UNIQUE"})
    assert counts["HT-HIGH-AMOUNT"] == 2 * counts["HT-STALE"]
