"""Tests for the fleksloentilskud demo data (robots/fleksloentilskud/demo/).

The files are read back with the pipeline's own reader and parser (so they are what the
robot will read), and every row of the answer key is checked against the registers read
back from those files with a plain reading of the rule it names and of the amount
(domain.md 3.2, in Decimal), not against the generator's bookkeeping.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from robots.core.pipeline.datasets import CITIZENS, COMPANIES, FLEX_JOBS, OTHER_BENEFITS, Dataset
from robots.core.pipeline.parsing import parse
from robots.core.pipeline.reading import read_file
from robots.demo.generator import DemoSpec, generate_night
from robots.demo.xlsx import workbook_bytes
from robots.fleksloentilskud import demo, rules
from robots.fleksloentilskud.datasets import INCOMES

NIGHT, NEXT_NIGHT = date(2026, 12, 5), date(2026, 12, 6)
SEED, JOBS = 11, 200
DATASETS: dict[str, Dataset] = {d.name: d for d in (FLEX_JOBS, INCOMES, OTHER_BENEFITS)}
MAXIMUM, THRESHOLD = Decimal("19952"), Decimal("16323")
"""2024's figures (domain.md 3.2), carried forward to 2026, the year of every month here."""
OERE = Decimal("0.01")


def build(night: date, previous: date | None, seed: int = SEED) -> demo.FlexNight:
    # XLSX core properties hold naive times (robots/demo/generator.py _stamp).
    stamp = datetime(night.year, night.month, night.day, 2)  # noqa: DTZ001
    return demo.build_night(
        night,
        seed=seed,
        jobs=JOBS,
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
    flex: demo.FlexNight
    truth: pd.DataFrame
    frames: dict[str, list[pd.DataFrame]]
    """Dataset -> each file's parsed rows (in name order)."""
    errors: dict[str, pd.DataFrame]
    """File name -> its values that could not be read."""


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> list[Night]:
    inbox = tmp_path_factory.mktemp("flex") / "inbox"
    out = []
    for night, previous in ((NIGHT, None), (NEXT_NIGHT, NIGHT)):
        flex = build(night, previous)
        frames: dict[str, list[pd.DataFrame]] = {name: [] for name in DATASETS}
        errors = {}
        for name, data in flex.files.items():
            path = inbox / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            dataset = DATASETS[path.parent.name]
            raw = read_file(path, dataset)
            assert raw.row_errors == [], name
            assert list(raw.frame.columns[:-1]) == dataset.column_names, name
            parsed = parse(raw, dataset)
            frames[dataset.name].append(parsed.frame)
            errors[path.name] = parsed.errors.assign(
                cpr=parsed.errors["line"].map(raw.frame.set_index("_line")["cpr"]),
                period=parsed.errors["line"].map(raw.frame.set_index("_line")["period"])
                if dataset is INCOMES
                else None,
            )
        truth = pd.read_csv(io.BytesIO(flex.truth_csv()), dtype=str, keep_default_na=False)
        out.append(Night(night, flex, truth, frames, errors))
    return out


# --- the registers as read back -----------------------------------------------------------


@dataclass
class Registers:
    jobs: pd.DataFrame
    incomes: pd.DataFrame
    benefits: pd.DataFrame
    unreadable: set[tuple[str, str]]
    citizens: pd.DataFrame

    def wage_rows(self, cpr: str, month: str) -> pd.DataFrame:
        rows = self.incomes[(self.incomes["cpr"] == cpr) & (self.incomes["period"] == month)]
        return rows[rows["income_type"] == "wage"]


def registers(nights: list[Night], upto: int) -> Registers:
    """What the robot holds after night `upto`: the last extract of jobs and benefits, every
    eIndkomst row so far (a later row replacing the earlier for the same key)."""
    now = nights[upto]
    incomes = pd.concat([f for n in nights[: upto + 1] for f in n.frames["incomes"]])
    incomes = incomes.drop_duplicates(["cpr", "period", "payer_cvr", "income_type"], keep="last")
    unreadable = {
        (str(r.cpr).replace("-", ""), re.sub(r"^(\d\d)-(\d{4})$", r"\2-\1", str(r.period)))
        for n in nights[: upto + 1]
        for e in n.errors.values()
        for r in e.itertuples()
        if r.period is not None
    }
    citizens = now.flex.citizens.assign(cpr=now.flex.citizens["cpr"].map("{:010d}".format))
    return Registers(
        jobs=now.frames["flex_jobs"][0].set_index("job_id"),
        incomes=incomes,
        benefits=now.frames["other_benefits"][0],
        unreadable=unreadable,
        citizens=citizens.set_index("cpr"),
    )


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    period = pd.Period(month, freq="M")
    return period.start_time, period.end_time.normalize()


def previous_month(month: str) -> str:
    return str(pd.Period(month, freq="M") - 1)


def kroner(oere: int) -> Decimal:
    return Decimal(int(oere)) / 100


def subsidy(wage: Decimal, full_time: Decimal | None) -> Decimal:
    """domain.md 3.2, as a caseworker reads it: each deduction rounded half up to the øre."""
    below = min(wage, THRESHOLD)
    above = max(wage - THRESHOLD, Decimal(0))
    deduction = (below * Decimal("0.30")).quantize(OERE, ROUND_HALF_UP) + (
        above * Decimal("0.55")
    ).quantize(OERE, ROUND_HALF_UP)
    amount = max(MAXIMUM - deduction, Decimal(0))
    if full_time is not None:
        amount = min(amount, max(full_time - wage, Decimal(0)))
    return amount


def danish(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", "."))


# --- tests -----------------------------------------------------------------------------------


def test_files_per_night_and_dialect(nights: list[Night]) -> None:
    first, second = (set(n.flex.files) for n in nights)
    assert first == {
        "flex_jobs/flex_jobs_2026-12-05.csv",
        "incomes/incomes_2026-12-05_1.csv",
        "incomes/incomes_2026-12-05_2.xlsx",
        "incomes/incomes_2026-12-05_3.csv",
        "other_benefits/other_benefits_2026-12-05.csv",
    }
    assert second == {
        "flex_jobs/flex_jobs_2026-12-06.csv",
        "incomes/incomes_2026-12-06_delta_1.csv",
        "incomes/incomes_2026-12-06_delta_2.csv",
        "other_benefits/other_benefits_2026-12-06.csv",
    }
    files = nights[0].flex.files
    assert files["incomes/incomes_2026-12-05_1.csv"].startswith(b"cpr;payer_cvr;period;")
    assert b"\r\n" in files["incomes/incomes_2026-12-05_1.csv"]
    assert files["incomes/incomes_2026-12-05_3.csv"].startswith(b"\xef\xbb\xbfcpr,")
    assert re.search(rb";\d\d-\d\d-\d{4};", files["flex_jobs/flex_jobs_2026-12-05.csv"])
    assert nights[0].flex.truth_name == "fleksloentilskud_2026-12-05.csv"
    assert list(nights[0].truth.columns) == list(demo.TRUTH_COLUMNS)
    # The second night's jobs register holds the first night's jobs and the new ones.
    jobs1, jobs2 = (set(n.frames["flex_jobs"][0]["job_id"]) for n in nights)
    assert jobs1 < jobs2 and all(j.startswith("FJ2") for j in jobs2 - jobs1)


def test_only_the_planted_unreadable_rows_fail_to_read(nights: list[Night]) -> None:
    for n in nights:
        bad = {(name, int(line)) for name, errors in n.errors.items() for line in errors["line"]}
        assert all(n.errors[name]["column"].eq("amount").all() for name, _ in bad)
        planted = n.truth[n.truth["planted"] == rules.INCOME_UNREADABLE]
        named = {
            (m.group(1), int(m.group(2)))
            for note in planted["note"]
            for m in re.finditer(r"(incomes_\S+) line (\d+)", note)
        }
        assert bad == named and len(bad) >= 2


@pytest.mark.parametrize("night", [0, 1])
def test_every_planted_kind_at_least_twice(nights: list[Night], night: int) -> None:
    truth = nights[night].truth
    jobs_per_kind = truth.groupby("planted")["job_id"].nunique()
    kinds = list(demo.PLANTED_KINDS) + (list(demo.HISTORY_KINDS) if night else [])
    for kind in kinds:
        assert jobs_per_kind.get(kind, 0) >= 2, kind
    assert jobs_per_kind.idxmax() == demo.CLEAN
    assert set(jobs_per_kind.index) <= {demo.CLEAN, *kinds}
    assert not truth.duplicated(["job_id", "month"]).any()


@pytest.mark.parametrize("night", [0, 1])
def test_expected_amounts_follow_the_formula(nights: list[Night], night: int) -> None:
    truth = nights[night].truth
    regs = registers(nights, night)
    paid = truth[truth["expected_amount_oere"] != ""]
    assert set(paid["planted"]) == {demo.CLEAN, *demo.LOOKALIKES} | (
        set(demo.HISTORY_KINDS) if night else set()
    )
    assert (truth.loc[truth["planted"].isin(demo.RULE_KINDS), "expected_amount_oere"] == "").all()
    capped = 0
    for row in paid.itertuples():
        job = regs.jobs.loc[row.job_id]
        wage = sum(map(kroner, regs.wage_rows(job["cpr"], previous_month(row.month))["amount"]))
        full_time = None if pd.isna(job["full_time_wage"]) else kroner(job["full_time_wage"])
        expected = subsidy(Decimal(wage), full_time)
        assert Decimal(row.expected_amount_oere) / 100 == expected, row
        capped += full_time is not None and expected == full_time - wage
    assert night or capped > 0  # the lønloft binds for some clean months


def test_corrections_pay_or_recover_the_difference(nights: list[Night]) -> None:
    before, after = registers(nights, 0), registers(nights, 1)
    truth = nights[1].truth
    history = truth[truth["planted"].isin(demo.HISTORY_KINDS)]
    older = 0
    for row in history.itertuples():
        job = after.jobs.loc[row.job_id]
        wage_month = previous_month(row.month)
        old, new = (
            sum(map(kroner, r.wage_rows(job["cpr"], wage_month)["amount"])) for r in (before, after)
        )
        difference = subsidy(Decimal(new), None) - subsidy(Decimal(old), None)
        note = re.search(r"difference (-?[0-9.]+,[0-9]{2}) kr\.", row.note)
        assert note is not None and danish(note.group(1)) == difference, row
        sign = {demo.CORRECTION_UP: -1, demo.CORRECTION_DOWN: 1, demo.REDELIVERY_SAME: 0}
        assert (difference > 0) - (difference < 0) == sign[row.planted], row
        older += pd.Period(row.month, freq="M") < pd.Period("2026-09", freq="M")
    assert older >= 2  # months before the due window are corrected too
    # A corrected month of night 1 is decided again; no other night-1 month is listed again.
    first_keys = set(zip(nights[0].truth["job_id"], nights[0].truth["month"], strict=True))
    again = set(zip(truth["job_id"], truth["month"], strict=True)) & first_keys
    assert again == set(zip(history["job_id"], history["month"], strict=True))


@pytest.mark.parametrize("night", [0, 1])
def test_each_month_reads_as_its_label(nights: list[Night], night: int) -> None:
    """Every key row against the registers read back: the named rule's condition holds,
    and a month to be paid meets none of them."""
    regs = registers(nights, night)
    employers = set(regs.jobs["employer_cvr"])
    for row in nights[night].truth.itertuples():
        job = regs.jobs.loc[row.job_id]
        cpr, wage_month = job["cpr"], previous_month(row.month)
        first, last = month_bounds(row.month)
        end = job["end_date"]
        running = job["start_date"] <= last and (pd.isna(end) or end >= first)
        wages = regs.wage_rows(cpr, wage_month)
        others = wages[wages["payer_cvr"] != job["employer_cvr"]]
        own = wages[wages["payer_cvr"] == job["employer_cvr"]]
        agreed = Decimal(int(job["weekly_hours"])) * 52 / 12
        high = Decimal(int(wages["hours"].fillna(0).sum())) > agreed * Decimal("1.5")
        days_from = max(first, job["start_date"])
        days_to = last if pd.isna(end) else min(last, end)
        paid = regs.benefits[regs.benefits["cpr"] == cpr]
        overlap = (
            (paid["period_start"] <= days_to)
            & (paid["period_end"].isna() | (paid["period_end"] >= days_from))
        ).any()
        citizen = regs.citizens.loc[cpr]
        gone = pd.notna(citizen["status_date"]) and pd.Timestamp(citizen["status_date"]) < first
        unreadable = (cpr, wage_month) in regs.unreadable
        twins = regs.jobs[
            (regs.jobs.index < row.job_id)
            & (regs.jobs["cpr"] == cpr)
            & (regs.jobs["employer_cvr"] == job["employer_cvr"])
            & (regs.jobs["start_date"] == job["start_date"])
            & (regs.jobs["end_date"].isna() == pd.isna(end))
            & (regs.jobs["weekly_hours"] == job["weekly_hours"])
        ]
        holds = {
            rules.OTHER_EMPLOYER: running and len(others) > 0,
            rules.NO_WAGE: running and wages["amount"].sum() <= 0,
            rules.JOB_ENDED: pd.notna(end) and end < first and len(own) > 0,
            rules.JOB_NOT_BEGUN: job["start_date"] > last and len(own) > 0,
            rules.DOUBLE_SUPPORT: running and bool(overlap),
            rules.DEAD: citizen["status"] == "dead" and gone,
            rules.EMIGRATED: citizen["status"] == "emigrated" and gone,
            rules.MISSING: citizen["status"] == "missing",
            rules.HOURS_HIGH: running and high,
            rules.INCOME_UNREADABLE: unreadable,
            rules.DUPLICATE_PAID: len(twins) > 0,
        }
        if row.planted in holds:
            assert holds[row.planted], row
            continue
        assert not any(holds.values()), (row, [r for r, v in holds.items() if v])
        # Active, or dead or emigrated only after the month began (its earlier months).
        assert citizen["municipality_code"] == 173 and citizen["status"] != "missing"
        pensions = regs.incomes[
            (regs.incomes["cpr"] == cpr)
            & (regs.incomes["period"] == wage_month)
            & (regs.incomes["income_type"] == "pension")
        ]
        looks = {
            demo.LOOKALIKE_PENSION: (~pensions["payer_cvr"].isin(employers)).any(),
            demo.LOOKALIKE_SECOND_PAYER: pensions["payer_cvr"].isin(employers).any(),
            demo.LOOKALIKE_BENEFIT_ENDED: job["start_date"] == first
            and (paid["period_end"] == first - timedelta(days=1)).any(),
            demo.LOOKALIKE_CPR: cpr.startswith("0101") and not demo.mod11_holds(int(cpr)),
        }
        if row.planted in looks:
            assert looks[row.planted], row
        else:
            assert not any(looks.values()), row


def test_same_seed_same_bytes(nights: list[Night]) -> None:
    for n, previous in zip(nights, (None, NIGHT), strict=True):
        again = build(n.night, previous)
        assert again.files == n.flex.files
        assert again.truth_csv() == n.flex.truth_csv()
        assert again.citizens.equals(n.flex.citizens)
    other = build(NIGHT, None, seed=SEED + 1)
    assert (
        other.files["flex_jobs/flex_jobs_2026-12-05.csv"]
        != (nights[0].flex.files["flex_jobs/flex_jobs_2026-12-05.csv"])
    )


def test_score_counts_catches_and_alarms(nights: list[Night], tmp_path: Path) -> None:
    truth_path = tmp_path / nights[1].flex.truth_name
    truth_path.write_bytes(nights[1].flex.truth_csv())
    truth = nights[1].truth
    rows, at = [], []
    for r in truth.itertuples():
        at.append(r.Index)
        if r.planted in demo.RULE_KINDS:
            rows.append((r.job_id, r.month, "held", None, r.planted))
        elif r.planted in (demo.CORRECTION_UP, demo.CORRECTION_DOWN):
            change = danish(re.findall(r"difference (-?[0-9.]+,[0-9]{2})", r.note)[0])
            rows.append((r.job_id, r.month, "approved", int(change * 100), ""))
        elif r.planted != demo.REDELIVERY_SAME:
            rows.append(
                (r.job_id, r.month, "approved", int(r.expected_amount_oere), rules.PROVISIONAL_DEMO)
            )
        else:
            at.pop()  # an unchanged month is not listed again: no outcome
    columns = ["claim_id", "period", "outcome", "amount_oere", "rule_ids"]
    perfect = pd.DataFrame(rows, columns=columns, index=at)
    result = demo.score(truth_path, perfect)
    assert result.caught == result.planted == len(truth)
    assert result.missed.empty and result.lookalikes_stopped.empty
    assert result.clean_wrong.empty and result.unexpected.empty

    spoiled = perfect.copy()
    lookalike = truth.index[truth["planted"] == demo.LOOKALIKE_PENSION][0]
    clean = truth.index[truth["planted"] == demo.CLEAN][0]
    missed = truth.index[truth["planted"] == rules.DEAD][0]
    spoiled.loc[lookalike, ["outcome", "rule_ids"]] = ["held", rules.OTHER_EMPLOYER]
    spoiled.loc[clean, "amount_oere"] = spoiled.loc[clean, "amount_oere"] + 1
    spoiled.loc[missed, "rule_ids"] = rules.NO_WAGE
    extra = pd.DataFrame(
        [("FJ999999", "2026-11", "rejected", None, rules.JOB_ENDED)], columns=columns
    )
    result = demo.score(truth_path, pd.concat([spoiled, extra], ignore_index=True))
    assert result.caught == result.planted - 3
    assert list(result.missed["job_id"]) == [truth.loc[missed, "job_id"]]
    assert list(result.lookalikes_stopped["job_id"]) == [truth.loc[lookalike, "job_id"]]
    assert len(result.clean_wrong) == 2 and len(result.unexpected) == 1


def test_generator_writes_the_fleksjob_registers_and_key(tmp_path: Path) -> None:
    """generate_night: the fleksjob files and the key beside the other ground truth; the
    CPR and CVR extracts hold the fleksjob citizens and their employers."""
    first = DemoSpec(night=NIGHT, pensioners=400, claims=300, invoices=0, flex_jobs=100)
    second = DemoSpec(night=NEXT_NIGHT, pensioners=400, claims=300, invoices=0, flex_jobs=100)
    generate_night(tmp_path, first)
    made = generate_night(tmp_path, second, previous_night=first)
    assert made.flex_ground_truth == tmp_path / "ground_truth" / "fleksloentilskud_2026-12-06.csv"
    names = {p.relative_to(tmp_path / "inbox").as_posix() for p in made.files}
    assert "flex_jobs/flex_jobs_2026-12-06.csv" in names
    assert "incomes/incomes_2026-12-06_delta_2.csv" in names
    inbox = tmp_path / "inbox"
    jobs = parse(read_file(inbox / "flex_jobs" / "flex_jobs_2026-12-06.csv", FLEX_JOBS), FLEX_JOBS)
    citizens = parse(
        read_file(inbox / "citizens" / "citizens_2026-12-06.csv", CITIZENS), CITIZENS
    ).frame.set_index("cpr")
    companies = parse(
        read_file(inbox / "companies" / "companies_2026-12-06.xlsx", COMPANIES), COMPANIES
    ).frame.set_index("cvr")
    assert jobs.frame["cpr"].isin(citizens.index).all()
    assert jobs.frame["employer_cvr"].isin(companies.index).all()
    truth = pd.read_csv(made.flex_ground_truth, dtype=str, keep_default_na=False)
    words = {rules.DEAD: "dead", rules.EMIGRATED: "emigrated", rules.MISSING: "missing"}
    cprs = jobs.frame.set_index("job_id")["cpr"]
    for job_id, planted in truth.groupby("job_id")["planted"]:
        wanted = {words[p] for p in planted if p in words} or {"active"}
        assert {citizens.loc[cprs[job_id], "status"]} == wanted, job_id
    assert (citizens.loc[jobs.frame["cpr"], "municipality_code"] == 173).all()
    # The CPR extract is the same both nights (the fleksjob people depend on the seed).
    assert (inbox / "citizens" / "citizens_2026-12-05.csv").read_bytes() == (
        inbox / "citizens" / "citizens_2026-12-06.csv"
    ).read_bytes()
