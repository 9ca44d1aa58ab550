"""Tests for the loentilskud demo data (robots/loentilskud/demo/).

The files are read back with the pipeline's own reader and parser (so they are what the
robot will read), and every row of the answer key is checked against the registers read
back from those files with a plain reading of the rule it names and of the amount
(domain.md 4.1-4.2, in Decimal), not against the generator's bookkeeping.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from stdnum.dk import cpr as stdnum_cpr
from stdnum.dk import cvr as stdnum_cvr

from checks.rules import Severity
from checks.rules import get as rule_of
from robots.core.pipeline.datasets import CITIZENS, COMPANIES, FLEX_JOBS, OTHER_BENEFITS, Dataset
from robots.core.pipeline.parsing import parse
from robots.core.pipeline.reading import LINE, read_file
from robots.demo.generator import DemoSpec, generate_night
from robots.demo.xlsx import workbook_bytes
from robots.loentilskud import demo, rules
from robots.loentilskud.datasets import SUBSIDY_AGREEMENTS, SUBSIDY_CLAIMS
from robots.loentilskud.demo import kinds

NIGHT, NEXT_NIGHT = date(2026, 12, 5), date(2026, 12, 6)
SEED, AGREEMENTS = 11, 120
DATASETS: dict[str, Dataset] = {
    d.name: d for d in (SUBSIDY_AGREEMENTS, SUBSIDY_CLAIMS, FLEX_JOBS, OTHER_BENEFITS)
}
RATES = {"private": Decimal("86.16"), "public": Decimal("125.13")}
"""domain.md 4.2, 2023; 2024-2026 are NOT FOUND and carry 2023 forward."""
MONTHS = {
    ("private", "dagpenge"): 6,
    ("private", "kontanthjaelp"): 6,
    ("private", "uddannelseshjaelp"): 6,
    ("private", "ressourceforloeb"): 12,
    ("public", "dagpenge"): 4,
    ("public", "kontanthjaelp"): 6,
    ("public", "uddannelseshjaelp"): 6,
    ("public", "ressourceforloeb"): 12,
}
"""The longest a subsidy may run, by sector and target group; any other group 12."""
GONE = ("bankrupt", "closed", "liquidation")
OERE = Decimal("0.01")


def build(night: date, previous: date | None, seed: int = SEED) -> demo.LoentilskudNight:
    # XLSX core properties hold naive times (robots/demo/generator.py _stamp).
    stamp = datetime(night.year, night.month, night.day, 2)  # noqa: DTZ001
    return demo.build_night(
        night,
        seed=seed,
        agreements=AGREEMENTS,
        error_rate=0.01,
        municipality_code=173,
        taken_cprs=[],
        taken_cvrs=[],
        previous_night=previous,
        sheet=partial(workbook_bytes, stamp=stamp),
    )


@dataclass
class Night:
    night: date
    built: demo.LoentilskudNight
    truth: pd.DataFrame
    frames: dict[str, pd.DataFrame]
    """Dataset -> its files' parsed rows, with the file's name in `file`."""
    errors: pd.DataFrame
    """Values that could not be read: file, line, column."""


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> list[Night]:
    inbox = tmp_path_factory.mktemp("loentilskud") / "inbox"
    out = []
    for night, previous in ((NIGHT, None), (NEXT_NIGHT, NIGHT)):
        built = build(night, previous)
        parsed: dict[str, list[pd.DataFrame]] = {name: [] for name in DATASETS}
        errors = []
        for name, data in built.files.items():
            path = inbox / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            dataset = DATASETS[path.parent.name]
            raw = read_file(path, dataset)
            assert raw.row_errors == [], name
            assert list(raw.frame.columns[:-1]) == dataset.column_names, name
            result = parse(raw, dataset)
            parsed[dataset.name].append(result.frame.assign(file=path.name))
            errors.append(result.errors.assign(file=path.name))
        truth = pd.read_csv(io.BytesIO(built.truth_csv()), dtype=str, keep_default_na=False)
        frames = {name: pd.concat(f, ignore_index=True) for name, f in parsed.items() if f}
        out.append(Night(night, built, truth, frames, pd.concat(errors, ignore_index=True)))
    return out


# --- plain readings of the rules ------------------------------------------------------------


def day(value: object) -> date:
    return pd.Timestamp(value).date()


def limit_end(start: date, months: int) -> date:
    """start + months - 1 day (15 January, 6 months: 14 July)."""
    return (pd.Timestamp(start) + pd.DateOffset(months=months) - pd.Timedelta(days=1)).date()


def covered(start: date, end: date, first: date, last: date) -> int:
    return max((min(end, last) - max(start, first)).days + 1, 0)


def subsidy(rate: Decimal, hours: int, weekly: int, days: int) -> Decimal:
    """The sector's rate x the hours, at most weekly hours x days / 7 (to the hundredth,
    down), rounded half up to the øre."""
    cap = (Decimal(weekly) / 100 * days / 7).quantize(OERE, rounding=ROUND_DOWN)
    return (rate * min(Decimal(hours) / 100, cap)).quantize(OERE, ROUND_HALF_UP)


@dataclass
class Registers:
    agreements: pd.DataFrame
    claims: pd.DataFrame
    citizens: pd.DataFrame
    companies: pd.DataFrame
    flex_jobs: pd.DataFrame
    benefits: pd.DataFrame


def registers(n: Night) -> Registers:
    citizens = n.built.citizens.assign(cpr=n.built.citizens["cpr"].map("{:010d}".format))
    companies = n.built.companies.assign(cvr=n.built.companies["cvr"].map("{:08d}".format))
    return Registers(
        agreements=n.frames["subsidy_agreements"].set_index("agreement_id"),
        claims=n.frames["subsidy_claims"].set_index("claim_id"),
        citizens=citizens.set_index("cpr"),
        companies=companies.set_index("cvr"),
        flex_jobs=n.frames["flex_jobs"],
        benefits=n.frames["other_benefits"],
    )


def _period(claim: pd.Series) -> tuple[date, date]:
    return day(claim["period_start"]), day(claim["period_end"])


def overlaps_before(
    claim_id: str, claim: pd.Series, tonight: pd.DataFrame, standing: pd.DataFrame
) -> bool:
    """An earlier claim under the same agreement shares a day: one standing (paid or held)
    from an earlier night, or one earlier tonight by (period start, claim id)."""
    start, end = _period(claim)
    same = tonight[tonight["agreement_id"] == claim["agreement_id"]]
    earlier = [
        c for cid, c in same.iterrows() if (day(c["period_start"]), str(cid)) < (start, claim_id)
    ]
    earlier += [
        c for _, c in standing[standing["agreement_id"] == claim["agreement_id"]].iterrows()
    ]
    return any(day(c["period_start"]) <= end and start <= day(c["period_end"]) for c in earlier)


def holds(
    claim_id: str, regs: Registers, tonight: pd.DataFrame, paid: pd.DataFrame, held: pd.DataFrame
) -> dict[str, bool]:
    """Each rule's condition on one claim, read from the files."""
    claim = regs.claims.loc[claim_id]
    start, end = _period(claim)
    company = regs.companies.loc[claim["employer_cvr"]]
    sector = str(company["sector"])
    since = company["status_date"]
    gone = company["status"] in GONE
    out = {
        rules.EMPLOYER_GONE: gone and since < start,
        rules.EMPLOYER_ENDING: gone and start <= since <= end,
        rules.TWO_YEARS: start.year != end.year,
        rules.OVERLAP: overlaps_before(claim_id, claim, tonight, pd.concat([paid, held])),
        rules.DUPLICATE_PAID: any(
            (p["agreement_id"], p["employer_cvr"], _period(p), int(p["hours"]))
            == (claim["agreement_id"], claim["employer_cvr"], (start, end), int(claim["hours"]))
            for _, p in paid.iterrows()
        ),
        rules.NO_AGREEMENT: claim["agreement_id"] not in regs.agreements.index,
    }
    if out[rules.NO_AGREEMENT]:
        return out
    agreement = regs.agreements.loc[claim["agreement_id"]]
    first, last = day(agreement["start_date"]), day(agreement["end_date"])
    days = covered(start, end, first, last)
    weekly = int(agreement["weekly_hours"])
    cap = weekly * days // 7
    months = MONTHS.get((sector, str(agreement["target_group"])), 12)
    person = regs.citizens.loc[agreement["cpr"]]
    status, when = person["status"], person["status_date"]
    inside = (max(start, first), min(end, last)) if days else (start, end)

    def running(rows: pd.DataFrame, a: str, b: str) -> bool:
        mine = rows[rows["cpr"] == agreement["cpr"]]
        return any(
            day(r[a]) <= inside[1] and (pd.isna(r[b]) or day(r[b]) >= inside[0])
            for _, r in mine.iterrows()
        )

    out |= {
        rules.OTHER_EMPLOYER: claim["employer_cvr"] != agreement["employer_cvr"],
        rules.OUTSIDE_AGREEMENT: days == 0,
        rules.PARTLY_OUTSIDE: 0 < days < (end - start).days + 1,
        rules.HOURS_ABOVE_AGREED: days > 0 and int(claim["hours"]) > cap,
        rules.DURATION: end > limit_end(first, months),
        rules.DEAD: status == "dead" and when < start,
        rules.EMIGRATED: status == "emigrated" and when < start,
        rules.CITIZEN_ENDING: status == "missing"
        or (status in ("dead", "emigrated") and start <= when <= end),
        rules.IN_FLEKSJOB: running(regs.flex_jobs, "start_date", "end_date"),
        rules.OTHER_BENEFIT: running(regs.benefits, "period_start", "period_end"),
    }
    return out


def lookalikes(
    claim_id: str, regs: Registers, tonight: pd.DataFrame, paid: pd.DataFrame
) -> dict[str, bool]:
    """What makes a claim look like a fault it is not."""
    claim = regs.claims.loc[claim_id]
    start, end = _period(claim)
    agreement = regs.agreements.loc[claim["agreement_id"]]
    first, last = day(agreement["start_date"]), day(agreement["end_date"])
    company = regs.companies.loc[claim["employer_cvr"]]
    sector = str(company["sector"])
    days = covered(start, end, first, last)
    others = pd.concat([tonight, paid])
    others = others[(others["agreement_id"] == claim["agreement_id"])]
    benefits = regs.benefits[regs.benefits["cpr"] == agreement["cpr"]]
    months = MONTHS.get((sector, str(agreement["target_group"])), 12)
    return {
        demo.LOOKALIKE_CONSECUTIVE: any(
            (start - day(c["period_end"])).days == 1 for _, c in others.iterrows()
        ),
        demo.LOOKALIKE_BENEFIT_ENDED: any(
            (first - day(b["period_end"])).days == 1 for _, b in benefits.iterrows()
        ),
        demo.LOOKALIKE_MAX_DURATION: sector == "private"
        and agreement["target_group"] == "dagpenge"
        and end == limit_end(first, months),
        demo.LOOKALIKE_HOURS_AT_CAP: int(claim["hours"])
        == int(agreement["weekly_hours"]) * days // 7,
        demo.LOOKALIKE_BANKRUPT_AFTER: company["status"] == "bankrupt"
        and company["status_date"] > end,
    }


def standing(nights: list[Night], index: int, outcomes: tuple[str, ...]) -> pd.DataFrame:
    """The earlier nights' claims the key says came out so."""
    frames = []
    for n in nights[:index]:
        keep = n.truth.loc[n.truth["expected_outcome"].isin(outcomes), "claim_id"]
        claims = n.frames["subsidy_claims"]
        frames.append(claims[claims["claim_id"].isin(keep)].set_index("claim_id"))
    columns = nights[index].frames["subsidy_claims"].set_index("claim_id").columns
    return pd.concat(frames) if frames else pd.DataFrame(columns=columns)


# --- tests -----------------------------------------------------------------------------------


def test_files_per_night_and_dialect(nights: list[Night]) -> None:
    first, second = (set(n.built.files) for n in nights)
    assert first == {
        "flex_jobs/flex_jobs_2026-12-05_loentilskud.csv",
        "other_benefits/other_benefits_2026-12-05_loentilskud.csv",
        "subsidy_agreements/subsidy_agreements_2026-12-05.csv",
        "subsidy_claims/loentilskud_krav_2026-12-05_1.csv",
        "subsidy_claims/loentilskud_krav_2026-12-05_2.xlsx",
        "subsidy_claims/loentilskud_krav_2026-12-05_3.csv",
    }
    assert second == {
        "flex_jobs/flex_jobs_2026-12-06_loentilskud.csv",
        "other_benefits/other_benefits_2026-12-06_loentilskud.csv",
        "subsidy_agreements/subsidy_agreements_2026-12-06.csv",
        "subsidy_claims/loentilskud_krav_2026-12-06_1.csv",
        "subsidy_claims/loentilskud_krav_2026-12-06_2.csv",
    }
    files = nights[0].built.files
    semicolon = files["subsidy_claims/loentilskud_krav_2026-12-05_1.csv"]
    assert semicolon.startswith(b"claim_id;agreement_id;employer_cvr;") and b"\r\n" in semicolon
    assert re.search(rb";\d\d-\d\d-\d{4};\d+,\d\d\r\n", semicolon)
    comma = files["subsidy_claims/loentilskud_krav_2026-12-05_3.csv"]
    assert comma.startswith(b"\xef\xbb\xbfclaim_id,") and re.search(
        rb",\d{4}-\d\d-\d\d,\d+\.\d\d\n", comma
    )
    sheet = openpyxl.load_workbook(
        io.BytesIO(files["subsidy_claims/loentilskud_krav_2026-12-05_2.xlsx"])
    )
    row = next(sheet.worksheets[0].iter_rows(min_row=2, max_row=2, values_only=True))
    assert isinstance(row[3], datetime) and isinstance(row[5], float | int)
    assert re.search(
        rb";\d\d-\d\d-\d{4};", files["subsidy_agreements/subsidy_agreements_2026-12-05.csv"]
    )
    assert nights[0].built.truth_name == "loentilskud_2026-12-05.csv"
    assert list(nights[0].truth.columns) == list(demo.TRUTH_COLUMNS)
    # The registers are the same extract on both nights; the claims are new.
    for name in ("subsidy_agreements", "flex_jobs", "other_benefits"):
        a, b = (n.frames[name].drop(columns=["file"]) for n in nights)
        pd.testing.assert_frame_equal(a, b)
    ids = [set(n.truth["claim_id"]) for n in nights]
    assert not ids[0] & ids[1]


def test_only_the_impossible_dates_fail_to_read(nights: list[Night]) -> None:
    for n in nights:
        bad = n.errors
        assert set(bad["file"]) <= {f.split("/")[1] for f in n.built.files if "subsidy_claims" in f}
        assert (bad["column"] == "period_end").all()
        planted = n.truth[n.truth["planted"] == demo.DATA_IMPOSSIBLE_DATE]
        assert set(zip(bad["file"], bad["line"].astype(int), strict=True)) == set(
            zip(planted["file"], planted["line"].astype(int), strict=True)
        )
        assert len(planted) >= 2 and not any(f.endswith(".xlsx") for f in planted["file"])


def test_the_key_names_every_claim_row_once_at_its_place(nights: list[Night]) -> None:
    for n in nights:
        claims = n.frames["subsidy_claims"]
        read = set(zip(claims["file"], claims[LINE].astype(int), claims["claim_id"], strict=True))
        readable = n.truth[n.truth["planted"] != demo.DATA_IMPOSSIBLE_DATE]
        keyed = zip(
            readable["file"], readable["line"].astype(int), readable["claim_id"], strict=True
        )
        assert read == set(keyed)
        assert not n.truth.duplicated("claim_id").any()


@pytest.mark.parametrize("index", [0, 1])
def test_every_planted_kind_and_look_alike_several_times(nights: list[Night], index: int) -> None:
    counts = nights[index].truth["planted"].value_counts()
    wanted = [*demo.PLANTED_KINDS, *demo.LOOKALIKES]
    for kind in wanted:
        if index == 0 and kind in demo.SECOND_NIGHT_KINDS:
            assert kind not in counts.index
            continue
        assert counts.get(kind, 0) >= 2, kind
    assert counts.idxmax() == demo.CLEAN
    assert set(counts.index) <= {demo.CLEAN, *wanted}
    # Every rule of rules.py is planted but the provisional, no-rate, changed and held ones.
    planted_rules = {r for r in counts.index if r.startswith("LT-")} | (
        {rules.DUPLICATE_PAID} if index == 0 else set()
    )
    assert planted_rules == set(demo.RULE_KINDS)


@pytest.mark.parametrize("index", [0, 1])
def test_each_claim_reads_as_its_label(nights: list[Night], index: int) -> None:
    """Every key row against the registers read back: the named rule's condition holds; a
    claim to be paid meets none, and a look-alike meets its look."""
    n = nights[index]
    regs = registers(n)
    paid, held = standing(nights, index, ("paid",)), standing(nights, index, ("held",))
    valid = n.truth.loc[~n.truth["planted"].isin(demo.DATA_ERROR_KINDS), "claim_id"]
    tonight = regs.claims.loc[regs.claims.index.isin(valid)]
    for row in n.truth.itertuples():
        if row.planted in demo.DATA_ERROR_KINDS:
            continue
        found = holds(row.claim_id, regs, tonight, paid, held)
        if row.planted in demo.RULE_KINDS:
            assert found[row.planted], row
            continue
        assert not any(found.values()), (row, [r for r, v in found.items() if v])
        looks = lookalikes(row.claim_id, regs, tonight, paid)
        if row.planted in demo.LOOKALIKES:
            assert looks[row.planted], row
        else:
            assert not any(looks.values()), (row, [r for r, v in looks.items() if v])


@pytest.mark.parametrize("index", [0, 1])
def test_expected_outcomes_and_amounts_follow_the_rules(nights: list[Night], index: int) -> None:
    n = nights[index]
    regs = registers(n)
    truth = n.truth
    to_pay = truth["planted"].isin([demo.CLEAN, *demo.LOOKALIKES])
    assert (truth.loc[to_pay, "expected_outcome"] == "paid").all()
    assert (truth.loc[~to_pay, "expected_amount_oere"] == "").all()
    errors = truth["planted"].isin(demo.DATA_ERROR_KINDS)
    assert (truth.loc[errors, "expected_outcome"] == "data_error").all()
    assert (
        truth.loc[errors, "expected_rule"]
        == truth.loc[errors, "planted"].map(demo.DATA_ERROR_RULES)
    ).all()
    rule_rows = truth[truth["planted"].isin(demo.RULE_KINDS)]
    assert (rule_rows["expected_rule"] == rule_rows["planted"]).all()
    for row in rule_rows.itertuples():
        worst = rule_of(row.planted).severity
        if worst == Severity.REJECT:
            assert row.expected_outcome == "rejected", row
        elif "also" not in row.note:
            assert row.expected_outcome == "held", row
    provisional = at_cap = 0
    for row in truth[to_pay].itertuples():
        claim = regs.claims.loc[row.claim_id]
        agreement = regs.agreements.loc[claim["agreement_id"]]
        start, end = _period(claim)
        sector = regs.companies.loc[claim["employer_cvr"], "sector"]
        assert start.year >= 2023  # 2024 and later carry 2023 forward
        days = covered(start, end, day(agreement["start_date"]), day(agreement["end_date"]))
        expected = subsidy(RATES[sector], int(claim["hours"]), int(agreement["weekly_hours"]), days)
        assert Decimal(row.expected_amount_oere) / 100 == expected, row
        provisional += start.year > 2023
        at_cap += int(claim["hours"]) == int(agreement["weekly_hours"]) * days // 7
    assert provisional > 0 and at_cap >= 2
    paid_by = regs.claims.loc[truth.loc[to_pay, "claim_id"], "employer_cvr"]
    assert set(regs.companies.loc[paid_by, "sector"]) == {"private", "public"}


def test_the_demo_reads_the_rules_severities_as_the_catalogue_does() -> None:
    rejecting = {r for r in demo.RULE_KINDS if rule_of(r).severity == Severity.REJECT}
    assert rejecting == kinds.REJECTING


def test_fleksjobs_end_before_any_month_the_flex_robot_lists(nights: list[Night]) -> None:
    """The fleksloentilskud robot lists months at most 24 back (config/checks.toml): the
    wage-subsidy demo's fleksjobs lie before that, so that robot never decides them."""
    for n in nights:
        jobs = n.frames["flex_jobs"]
        oldest = (pd.Timestamp(n.night).to_period("M") - 24).start_time
        assert len(jobs) >= 2 and (jobs["end_date"] < oldest).all()
        assert jobs["job_id"].str.startswith("FJLT-").all()


def test_same_seed_same_bytes(nights: list[Night]) -> None:
    for n, previous in zip(nights, (None, NIGHT), strict=True):
        again = build(n.night, previous)
        assert again.files == n.built.files
        assert again.truth_csv() == n.built.truth_csv()
        assert again.citizens.equals(n.built.citizens)
        assert again.companies.equals(n.built.companies)
    assert nights[0].built.citizens.equals(nights[1].built.citizens)
    other = build(NIGHT, None, seed=SEED + 1)
    name = "subsidy_agreements/subsidy_agreements_2026-12-05.csv"
    assert other.files[name] != nights[0].built.files[name]


def test_score_counts_catches_stops_and_amounts(nights: list[Night], tmp_path: Path) -> None:
    n = nights[1]
    truth_path = tmp_path / n.built.truth_name
    truth_path.write_bytes(n.built.truth_csv())
    truth = n.truth
    rows = []
    for r in truth.itertuples():
        if r.planted in demo.RULE_KINDS:
            rows.append((r.claim_id, r.expected_outcome, None, r.planted))
        elif r.planted in demo.DATA_ERROR_KINDS:
            rows.append((r.claim_id, "data_error", None, r.expected_rule))
        else:
            rows.append((r.claim_id, "paid", int(r.expected_amount_oere), rules.PROVISIONAL_DEMO))
    columns = ["claim_id", "outcome", "amount_oere", "rule_ids"]
    perfect = pd.DataFrame(rows, columns=columns)
    result = demo.score(truth_path, perfect)
    assert result.caught == result.planted == int(truth["planted"].isin(demo.PLANTED_KINDS).sum())
    assert result.missed.empty and result.lookalikes_stopped.empty
    assert result.amounts_wrong.empty and result.not_paid.empty

    spoiled = perfect.copy()
    at = {
        kind: truth.index[truth["planted"] == kind][0]
        for kind in (demo.LOOKALIKE_HOURS_AT_CAP, demo.CLEAN, rules.DEAD, demo.DATA_BAD_CVR)
    }
    spoiled.loc[at[demo.LOOKALIKE_HOURS_AT_CAP], ["outcome", "rule_ids"]] = [
        "held",
        rules.HOURS_ABOVE_AGREED,
    ]
    spoiled.loc[at[demo.CLEAN], "amount_oere"] += 1
    spoiled.loc[at[rules.DEAD], "rule_ids"] = rules.CITIZEN_ENDING
    spoiled.loc[at[demo.DATA_BAD_CVR], "outcome"] = "held"
    result = demo.score(truth_path, spoiled)
    assert result.caught == result.planted - 2
    assert set(result.missed["planted"]) == {rules.DEAD, demo.DATA_BAD_CVR}
    assert list(result.lookalikes_stopped["planted"]) == [demo.LOOKALIKE_HOURS_AT_CAP]
    assert list(result.amounts_wrong["planted"]) == [demo.CLEAN]
    assert list(result.not_paid["planted"]) == [demo.LOOKALIKE_HOURS_AT_CAP]


def test_summary_reads_the_runs_outcome_files(nights: list[Night], tmp_path: Path) -> None:
    """Two runs' outcomes.csv as the pipeline writes them (amounts in kroner); a re-run's
    `already_processed` row does not undo a decision."""
    truth = nights[0].truth
    truth_path = tmp_path / "ground_truth" / nights[0].built.truth_name
    truth_path.parent.mkdir()
    truth_path.write_bytes(nights[0].built.truth_csv())
    rows = []
    for r in truth.itertuples():
        if r.planted in demo.RULE_KINDS:
            rows.append((r.claim_id, r.expected_outcome, "", r.planted))
        elif r.planted in demo.DATA_ERROR_KINDS:
            rows.append((r.claim_id, "data_error", "", r.expected_rule))
        else:
            oere = int(r.expected_amount_oere)
            rows.append((r.claim_id, "paid", f"{oere // 100}.{oere % 100:02d}", ""))
    runs = tmp_path / "outputs" / "runs"
    first = pd.DataFrame(rows, columns=["claim_id", "outcome", "amount", "rule_ids"])
    (runs / "LT-20261205T010000-ra").mkdir(parents=True)
    first.to_csv(runs / "LT-20261205T010000-ra" / "outcomes.csv", index=False)
    again = first.assign(outcome="already_processed", amount="", rule_ids="")
    (runs / "LT-20261205T020000-rb").mkdir()
    again.to_csv(runs / "LT-20261205T020000-rb" / "outcomes.csv", index=False)
    text = demo.summary(tmp_path, truth_path)
    rule_count = int(truth["planted"].isin(demo.RULE_KINDS).sum())
    assert f"planted errors caught {rule_count} of {rule_count} claims" in text
    assert "look-alikes held by mistake: 0; paid amounts that differ: 0; not paid: 0" in text


def test_generator_adds_the_people_and_employers_without_clashing(tmp_path: Path) -> None:
    """generate_night: the wage-subsidy files and key beside the other ground truth; the
    CPR and CVR extracts hold its people and employers, valid, each number once, and no
    other robot's demo file names any of them."""
    first = DemoSpec(
        night=NIGHT, pensioners=400, claims=300, invoices=100, flex_jobs=100, subsidy_agreements=60
    )
    second = DemoSpec(
        night=NEXT_NIGHT,
        pensioners=400,
        claims=300,
        invoices=100,
        flex_jobs=100,
        subsidy_agreements=60,
    )
    made = [generate_night(tmp_path, first), generate_night(tmp_path, second, previous_night=first)]
    assert (
        made[1].loentilskud_ground_truth == tmp_path / "ground_truth" / "loentilskud_2026-12-06.csv"
    )
    inbox = tmp_path / "inbox"
    iso = NEXT_NIGHT.isoformat()
    citizens = parse(
        read_file(inbox / "citizens" / f"citizens_{iso}.csv", CITIZENS), CITIZENS
    ).frame
    companies = parse(
        read_file(inbox / "companies" / f"companies_{iso}.xlsx", COMPANIES), COMPANIES
    ).frame
    assert not citizens["cpr"].duplicated().any() and not companies["cvr"].duplicated().any()
    path = inbox / "subsidy_agreements" / f"subsidy_agreements_{iso}.csv"
    agreements = parse(read_file(path, SUBSIDY_AGREEMENTS), SUBSIDY_AGREEMENTS).frame
    cprs = set(agreements["cpr"])
    cvrs = set(agreements["employer_cvr"])
    assert cprs <= set(citizens["cpr"]) and cvrs <= set(companies["cvr"])
    assert all(stdnum_cpr.is_valid(c) for c in cprs) and all(stdnum_cvr.is_valid(c) for c in cvrs)
    people = citizens.set_index("cpr").loc[sorted(cprs)]
    assert (people["municipality_code"] == 173).all()
    mine = {p.relative_to(inbox).as_posix() for m in made for p in m.files if _wage_subsidy_file(p)}
    others = [p for m in made for p in m.files if p.relative_to(inbox).as_posix() not in mine]
    assert {p.parent.name for p in others} >= {"health_claims", "doctor_invoices", "incomes"}
    for other in others:
        if other.parent.name in ("citizens", "companies"):
            continue
        numbers = set(re.findall(r"(?<!\d)\d{6}-?\d{4}(?!\d)|(?<!\d)\d{8}(?!\d)", _text(other)))
        assert not {n.replace("-", "") for n in numbers} & (cprs | cvrs), other
    # The extracts are the same both nights (the people depend on the seed).
    assert (inbox / "citizens" / f"citizens_{NIGHT}.csv").read_bytes() == (
        inbox / "citizens" / f"citizens_{iso}.csv"
    ).read_bytes()


def _wage_subsidy_file(path: Path) -> bool:
    return path.parent.name.startswith("subsidy_") or "loentilskud" in path.name


def _text(path: Path) -> str:
    """A file's text as a reader sees it (an XLSX's XML parts; a broken one as bytes)."""
    data = path.read_bytes()
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as book:
                return " ".join(
                    book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml")
                )
        except zipfile.BadZipFile:
            pass  # the demo's scan cut off mid-transfer
    return data.decode("cp1252" if b"\r\n" in data else "utf-8", errors="replace")


def test_csv_format_writes_one_comma_file_of_claims_a_night(tmp_path: Path) -> None:
    for night, previous in ((NIGHT, None), (NEXT_NIGHT, NIGHT)):
        built = demo.build_night(
            night,
            seed=SEED,
            agreements=40,
            error_rate=0.01,
            municipality_code=173,
            taken_cprs=[],
            taken_cvrs=[],
            previous_night=previous,
        )
        claims = [name for name in built.files if name.startswith("subsidy_claims/")]
        assert claims == [f"subsidy_claims/loentilskud_krav_{night}.csv"]
        for name, data in built.files.items():
            assert not data.startswith(b"\xef\xbb\xbf") and b";" not in data.split(b"\n", 1)[0]
            path = tmp_path / str(night) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            dataset = DATASETS[path.parent.name]
            errors = parse(read_file(path, dataset), dataset).errors
            planted = built.truth["planted"] == demo.DATA_IMPOSSIBLE_DATE
            assert len(errors) == (int(planted.sum()) if dataset is SUBSIDY_CLAIMS else 0)
