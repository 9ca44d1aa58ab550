"""Fleksloentilskud nights end to end: the months due listed from the registers, paid from
last month's wage, a corrected wage month settling only its difference (paid on top, or a
tilbagebetalingskrav), an unchanged re-delivery changing nothing, refusion on the posting
file, and the checks holding what they must. SQLite and PostgreSQL; the ledger's
exactly-once proof after every night."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from robots.core.ledger import history
from robots.core.ledger.database import open_ledger
from robots.core.pipeline.nightly import NightRun, run_night
from robots.core.settings import Settings
from robots.fleksloentilskud.robot import ROBOT

ANNA, BO, CARL, DORTE = "0101501233", "0202602234", "0303703235", "0404804236"
EMPLOYER, OTHER = "12345674", "29189846"
CITIZENS = (
    "cpr;name;status;status_date;municipality_code;civil_status\n"
    f"{ANNA};Anna;active;;173;single\n"
    f"{BO};Bo;active;;173;single\n"
    f"{CARL};Carl;dead;2026-09-15;173;single\n"
    f"{DORTE};Dorte;active;;173;single\n"
)
COMPANIES = (
    "cvr;name;status;status_date;sector\n"
    f"{EMPLOYER};Firma;active;;private\n{OTHER};Andet;active;;private\n"
)
JOBS = (
    "job_id;cpr;employer_cvr;start_date;end_date;weekly_hours;benefit_start_date\n"
    f"J-ANNA;{ANNA};{EMPLOYER};2026-01-01;;18;2025-11-01\n"
    f"J-BO;{BO};{EMPLOYER};2026-01-01;;18;2026-10-20\n"
    f"J-CARL;{CARL};{EMPLOYER};2026-01-01;;18;2025-01-01\n"
    f"J-DORTE;{DORTE};{EMPLOYER};2012-06-01;;18;2010-01-01\n"
)


def _incomes(rows: list[tuple[str, str, str, str, str, str]]) -> str:
    return "cpr;payer_cvr;period;income_type;amount;hours\n" + "".join(
        ";".join(r) + "\n" for r in rows
    )


class Nights:
    def __init__(self, data: Path, ledger_url: str, logs: Path) -> None:
        self.data, self.ledger_url, self.logs = data, ledger_url, logs
        self.engine: Engine = open_ledger(ledger_url)
        self.files = 0

    def put(self, dataset: str, content: str) -> None:
        self.files += 1
        folder = self.data / "inbox" / dataset
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.files:03d}_{dataset}.csv").write_text(content, "utf-8")

    def run(self, night: date, month: str | None = None) -> NightRun:
        settings = Settings(
            data_dir=self.data, mode="demo", database_url=self.ledger_url, logs_dir=self.logs
        )
        result = run_night(ROBOT, settings=settings, night=night, period=month)
        with self.engine.connect() as connection:
            assert history.exactly_once_violations(connection=connection) == []
        return result

    def outcome(self, result: NightRun, job: str, month: str) -> tuple[str, int, str]:
        rows = result.outcomes
        row = rows[(rows["claim_id"] == job) & (rows["period"] == month)]
        assert len(row) == 1, rows[["claim_id", "period", "outcome"]]
        first = row.iloc[0]
        return str(first["outcome"]), int(first["amount_oere"]), str(first["rule_ids"] or "")

    def money(self, job: str, month: str) -> dict[str, int]:
        with self.engine.connect() as connection:
            return history.money_of_periods(
                connection=connection, robot=ROBOT.name, periods=[month]
            )[(job, month)]


@pytest.fixture
def nights(tmp_path: Path, ledger_url: str) -> Iterator[Nights]:
    made = Nights(tmp_path / "data", ledger_url, tmp_path / "logs")
    yield made
    made.engine.dispose()


def _registers(n: Nights, incomes: str) -> None:
    n.put("citizens", CITIZENS)
    n.put("companies", COMPANIES)
    n.put("flex_jobs", JOBS)
    n.put("incomes", incomes)
    n.put("other_benefits", "cpr;benefit;period_start;period_end;amount\n")


WAGE = "15600,00"  # FL-1's month: 200 kr. x 18 hours x 52 / 12


def test_a_month_paid_then_corrected_up_and_down(nights: Nights) -> None:
    _registers(
        nights,
        _incomes(
            [
                (ANNA, EMPLOYER, "2026-10", "wage", WAGE, "78"),
                (ANNA, OTHER, "2026-10", "pension", "3000,00", ""),
                (BO, EMPLOYER, "2026-10", "wage", "10000,00", "78"),
                (CARL, EMPLOYER, "2026-10", "wage", WAGE, "78"),
                (DORTE, EMPLOYER, "2026-10", "wage", WAGE, "78"),
            ]
        ),
    )
    first = nights.run(date(2026, 11, 10), month="2026-11")
    # FL-1 to the krone, the pension not deducted (a look-alike: paid).
    assert nights.outcome(first, "J-ANNA", "2026-11")[:2] == ("paid", 1_527_200)
    assert nights.outcome(first, "J-BO", "2026-11")[:2] == ("paid", 1_995_200 - 300_000)
    outcome, _, rules = nights.outcome(first, "J-CARL", "2026-11")
    assert outcome == "rejected" and "FL-DEAD" in rules
    postings = _postings(nights.data)
    refusion = {
        r["claim_id"]: (r["refusion_percent"], r["refusion"], r["grouping"]) for r in postings
    }
    # Anna on benefits since 2025-11-01: November 2026 begins in week 53 -> 20 %.
    assert refusion["J-ANNA"] == ("20", "3054.40", "")
    # Bo since 2026-10-20: week 2 -> 80 %.
    assert refusion["J-BO"] == ("80", "13561.60", "")
    # Dorte visiteret 2012 (no visitation date: the job's start): the old scheme, 65 %, 013.
    assert refusion["J-DORTE"] == ("65", "9926.80", "013")

    # The same wage month again, unchanged: nothing happens.
    nights.put("incomes", _incomes([(ANNA, EMPLOYER, "2026-10", "wage", WAGE, "78")]) + "\n")
    again = nights.run(date(2026, 11, 11), month="2026-11")
    assert not len(again.batches)

    # eIndkomst corrects October: Anna earned 1.000 kr. more, 277 kr. of it above the
    # threshold (16.600 - 16.323): 723 x 30 % + 277 x 55 % = 369,25 kr. asked back;
    # Bo 1.000 kr. less -> 300 kr. paid on top.
    nights.put(
        "incomes",
        _incomes(
            [
                (ANNA, EMPLOYER, "2026-10", "wage", "16600,00", "78"),
                (BO, EMPLOYER, "2026-10", "wage", "9000,00", "78"),
            ]
        ),
    )
    corrected = nights.run(date(2026, 11, 12), month="2026-11")
    anna = nights.money("J-ANNA", "2026-11")
    assert (anna["paid_oere"], anna["to_recover_oere"], anna["entitled_oere"]) == (
        1_527_200,
        36_925,
        1_490_275,
    ), anna
    assert anna["balance_oere"] == 0
    bo = nights.money("J-BO", "2026-11")
    assert bo["paid_oere"] == 1_695_200 + 30_000, bo
    assert sum(b.total_oere for b in corrected.batches) == 30_000


def _postings(data: Path) -> list[dict[str, str]]:
    files = sorted((data / "outputs").rglob("*.postings.csv"))
    assert files
    with files[-1].open(encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle, delimiter=";") if r["claim_id"]]


def test_a_month_that_owes_nothing_is_settled_and_a_correction_pays_what_it_owes(
    nights: Nights,
) -> None:
    """A wage that leaves no subsidy is settled with nothing paid (not left payable for
    ever); when eIndkomst corrects the wage down, the month owes, and that is paid once."""
    _registers(nights, _incomes([(ANNA, EMPLOYER, "2026-10", "wage", "60000,00", "78")]))
    first = nights.run(date(2026, 11, 10), month="2026-11")
    assert nights.outcome(first, "J-ANNA", "2026-11")[:2] == ("settled", 0)
    assert not first.batches
    nights.put("incomes", _incomes([(ANNA, EMPLOYER, "2026-10", "wage", WAGE, "78")]))
    corrected = nights.run(date(2026, 11, 11), month="2026-11")
    assert sum(b.total_oere for b in corrected.batches) == 1_527_200
    money = nights.money("J-ANNA", "2026-11")
    assert (money["paid_oere"], money["balance_oere"]) == (1_527_200, 0), money


def test_a_month_not_yet_due_is_not_listed(nights: Nights) -> None:
    """October's wage is complete on 10 November: on 9 November, November is not due."""
    _registers(nights, _incomes([(ANNA, EMPLOYER, "2026-10", "wage", WAGE, "78")]))
    early = nights.run(date(2026, 11, 9), month="2026-11")
    assert not len(early.outcomes) or "2026-11" not in set(early.outcomes.get("period", []))


EVA, FRED, GRO, HANS, IDA = "0505501237", "0606601238", "0707701239", "0808801230", "0101651234"
# IDA: born 1 January 1965, a serial without modulus 11 (issued since 2007): a look-alike.
CHECK_CITIZENS = CITIZENS + (
    f"{EVA};Eva;emigrated;2026-10-31;173;single\n"
    f"{FRED};Fred;active;;173;single\n"
    f"{GRO};Gro;active;;173;single\n"
    f"{HANS};Hans;active;;173;single\n"
    f"{IDA};Ida;active;;173;single\n"
)
CHECK_JOBS = (
    "job_id;cpr;employer_cvr;start_date;end_date;weekly_hours;benefit_start_date\n"
    f"J-ANNA;{ANNA};{EMPLOYER};2026-01-01;;18;2025-11-01\n"  # another employer's wage
    f"J-BO;{BO};{EMPLOYER};2026-01-01;;18;2025-11-01\n"  # no wage row at all
    f"J-CARL;{CARL};{EMPLOYER};2026-01-01;2026-10-20;18;2025-01-01\n"  # ended, and dead
    f"J-DORTE;{DORTE};{EMPLOYER};2026-12-01;;18;2025-01-01\n"  # not begun
    f"J-EVA;{EVA};{EMPLOYER};2026-01-01;;18;2025-01-01\n"  # emigrated before the month
    f"J-FRED;{FRED};{EMPLOYER};2026-01-01;;10;2025-01-01\n"  # hours far above, and sick pay
    f"J-GRO;{GRO};{EMPLOYER};2026-11-01;;18;2025-01-01\n"  # benefit ended the day before
    f"J-HANS;{HANS};{EMPLOYER};2026-01-01;;18;2025-01-01\n"  # an unreadable income row
    f"J-IDA;{IDA};{EMPLOYER};2026-01-01;;18;2025-01-01\n"  # CPR without modulus 11
)


def test_the_checks_hold_what_they_must_and_pay_the_look_alikes(nights: Nights) -> None:
    nights.put("citizens", CHECK_CITIZENS)
    nights.put("companies", COMPANIES)
    nights.put("flex_jobs", CHECK_JOBS)
    nights.put(
        "incomes",
        _incomes(
            [
                (ANNA, EMPLOYER, "2026-10", "wage", "9000,00", "78"),
                (ANNA, OTHER, "2026-10", "wage", "2000,00", "10"),
                (CARL, EMPLOYER, "2026-10", "wage", WAGE, "60"),
                (DORTE, EMPLOYER, "2026-10", "wage", "3000,00", "10"),
                (EVA, EMPLOYER, "2026-10", "wage", WAGE, "78"),
                (FRED, EMPLOYER, "2026-10", "wage", WAGE, "160"),
                (GRO, EMPLOYER, "2026-10", "wage", WAGE, "78"),
                (HANS, EMPLOYER, "2026-10", "wage", WAGE, "78"),
                (HANS, OTHER, "2026-10", "wage", "abc", "10"),
                (IDA, EMPLOYER, "2026-10", "wage", WAGE, "78"),
                (IDA, OTHER, "2026-10", "pension", "4000,00", ""),
            ]
        ),
    )
    nights.put(
        "other_benefits",
        "cpr;benefit;period_start;period_end;amount\n"
        f"{FRED};sygedagpenge;2026-11-10;2026-11-20;4000,00\n"
        f"{GRO};kontanthjaelp;2026-09-01;2026-10-31;9000,00\n",
    )
    night = nights.run(date(2026, 11, 10), month="2026-11")

    def decided(job: str) -> tuple[str, set[str]]:
        outcome, _, rules = nights.outcome(night, job, "2026-11")
        return outcome, set(filter(None, rules.split(",")))

    assert decided("J-ANNA") == ("held", {"FL-OTHER-EMPLOYER", "FL-PROVISIONAL-RATE-DEMO"})
    # Anna's amount already deducts the other employer's wage: 11.000 kr. in all.
    assert nights.outcome(night, "J-ANNA", "2026-11")[1] == 1_995_200 - 330_000
    assert decided("J-BO")[0] == "held" and "FL-NO-WAGE" in decided("J-BO")[1]
    carl = decided("J-CARL")
    assert carl[0] == "rejected" and {"FL-JOB-ENDED", "FL-DEAD"} <= carl[1]
    assert decided("J-DORTE")[0] == "rejected" and "FL-JOB-NOT-BEGUN" in decided("J-DORTE")[1]
    assert decided("J-EVA")[0] == "rejected" and "FL-EMIGRATED" in decided("J-EVA")[1]
    fred = decided("J-FRED")
    assert fred[0] == "held" and {"FL-HOURS-HIGH", "FL-DOUBLE-SUPPORT"} <= fred[1]
    assert decided("J-HANS")[0] == "held" and "FL-INCOME-UNREADABLE" in decided("J-HANS")[1]
    # Look-alikes, paid: a benefit that ended the day before the job began; a pension in
    # the month (not deducted); a CPR number without modulus 11.
    assert decided("J-GRO") == ("paid", {"FL-PROVISIONAL-RATE-DEMO"})
    assert nights.outcome(night, "J-IDA", "2026-11")[:2] == ("paid", 1_527_200)

    # The same night run again reads no file twice and decides nothing again: Hans's
    # unreadable row is still remembered, so his month's facts stand.
    rerun = nights.run(date(2026, 11, 10), month="2026-11")
    assert not len(rerun.outcomes), rerun.outcomes
    # Hans's month is sent again, readable: it is decided again and paid.
    nights.put(
        "incomes",
        _incomes(
            [
                (HANS, EMPLOYER, "2026-10", "wage", WAGE, "78"),
                (HANS, OTHER, "2026-10", "pension", "1000,00", ""),
            ]
        ),
    )
    again = nights.run(date(2026, 11, 11), month="2026-11")
    assert nights.outcome(again, "J-HANS", "2026-11")[:2] == ("paid", 1_527_200)
