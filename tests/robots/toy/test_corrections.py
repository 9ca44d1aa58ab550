"""A corrected month settles its difference, through real nights of a toy robot that pays
by month (tests/robots/toy/maanedstilskud.py), on SQLite and PostgreSQL: more owed is paid
on top, less owed opens a recovery on what was paid, an unchanged re-delivery changes
nothing; the periods the runs were of are known, finished or failed. After each night the
ledger's exactly-once proof holds, including "a month is never paid in full twice"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from robots.core.ledger import history, periods
from robots.core.ledger.database import open_ledger
from robots.core.ledger.history import EventKind, State
from robots.core.ledger.schema import PeriodStatus
from robots.core.pipeline import nightly
from robots.core.pipeline.nightly import NightRun, run_night
from robots.core.settings import Settings
from tests.robots.toy.maanedstilskud import ROBOT

ANNA = "0101501233"
CITIZENS = (
    "cpr;name;status;status_date;municipality_code;civil_status\n"
    f"{ANNA};Anna Ærø;active;;173;single\n"
)
HEADER = "allowance_id,cpr,month,first_day,owed\n"


def _row(month: str, owed: str) -> str:
    return f"A1,{ANNA},{month},{month}-01,{owed}\n"


class Months:
    """The monthly toy robot's nights over one data folder and ledger."""

    def __init__(self, data: Path, ledger_url: str, logs: Path) -> None:
        self.data, self.ledger_url, self.logs = data, ledger_url, logs
        self.night = date(2026, 11, 9)
        self.engine: Engine = open_ledger(ledger_url)
        self.files = 0

    def run(self, rows: str | None = None) -> NightRun:
        self.night += timedelta(days=1)
        if rows is not None:
            self.files += 1
            folder = self.data / "inbox" / "allowance_claims"
            folder.mkdir(parents=True, exist_ok=True)
            # Blank lines, one more per file: a file of the same bytes as one read before is
            # never read again, and eIndkomst's real extracts differ in their dates.
            text = HEADER + rows + "\n" * self.files
            (folder / f"{self.night}_{self.files}.csv").write_text(text, "utf-8")
        settings = Settings(
            data_dir=self.data, mode="demo", database_url=self.ledger_url, logs_dir=self.logs
        )
        result = run_night(ROBOT, settings=settings, night=self.night)
        with self.engine.connect() as connection:
            assert history.exactly_once_violations(connection=connection) == []
        return result

    def money(self, month: str) -> dict[str, int]:
        with self.engine.connect() as connection:
            return history.money_of_periods(
                connection=connection, robot=ROBOT.name, periods=[month]
            )[("A1", month)]

    def versions(self, month: str) -> list[tuple[int, str, int]]:
        """The month's claim versions: version, state, øre owed."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT id, version, amount_oere FROM claims WHERE period = :m ORDER BY version"
                ),
                {"m": month},
            ).all()
            return [
                (
                    int(version),
                    str(history.life_of(connection=connection, claim_pk=int(pk)).state),
                    int(amount),
                )
                for pk, version, amount in rows
            ]

    def payments(self) -> list[tuple[str, int]]:
        with self.engine.connect() as connection:
            return [
                (str(key), int(amount))
                for key, amount in connection.execute(
                    text(
                        "SELECT c.idempotency_key, i.amount_oere FROM payment_items i "
                        "JOIN claims c ON c.id = i.claim_pk ORDER BY c.id"
                    )
                )
            ]


@pytest.fixture
def months(tmp_path: Path, ledger_url: str, toy_config: Path) -> Iterator[Months]:
    data = tmp_path / "data"
    (data / "inbox" / "citizens").mkdir(parents=True)
    (data / "inbox" / "citizens" / "citizens.csv").write_text(CITIZENS, encoding="utf-8")
    made = Months(data, ledger_url, tmp_path / "logs")
    yield made
    made.engine.dispose()


def test_a_month_is_its_own_claim_and_a_correction_settles_the_difference(
    months: Months,
) -> None:
    first = months.run(_row("2026-10", "1000.00") + _row("2026-11", "500.00"))
    assert [b.total_oere for b in first.batches] == [150_000]
    assert months.payments() == [
        ("maanedstilskud:A1:2026-10", 100_000),
        ("maanedstilskud:A1:2026-11", 50_000),
    ]

    # October corrected upwards: version 2 pays the 500 kr. on top, never 1.500 again.
    more = months.run(_row("2026-10", "1500.00") + _row("2026-11", "500.00"))
    assert [b.total_oere for b in more.batches] == [50_000]
    assert months.payments()[-1] == ("maanedstilskud:A1:2026-10#v2", 50_000)
    assert months.versions("2026-10") == [(1, "superseded", 100_000), (2, "paid", 150_000)]
    assert months.money("2026-10") == {
        "entitled_oere": 150_000,
        "paid_oere": 150_000,
        "to_recover_oere": 0,
        "balance_oere": 0,
        "versions": 2,
    }
    assert months.money("2026-11")["versions"] == 1  # November came again unchanged

    # October corrected downwards: nothing is paid, 700 kr. is asked back from what the
    # versions paid (the latest first), as recoveries in the ledger, not a negative transfer.
    less = months.run(_row("2026-10", "800.00"))
    assert less.batches == []
    assert months.versions("2026-10") == [
        (1, "superseded", 100_000),
        (2, "superseded", 150_000),
        (3, "settled", 80_000),
    ]
    assert months.money("2026-10") == {
        "entitled_oere": 80_000,
        "paid_oere": 150_000,
        "to_recover_oere": 70_000,
        "balance_oere": 0,
        "versions": 3,
    }
    with months.engine.connect() as connection:
        recoveries = connection.execute(
            text(
                "SELECT c.version, e.amount_oere, e.actor FROM claim_events e "
                "JOIN claims c ON c.id = e.claim_pk WHERE e.kind = 'recovery_opened' "
                "ORDER BY c.version"
            )
        ).all()
    assert [(v, a) for v, a, _ in recoveries] == [(1, 20_000), (2, 50_000)]
    assert all(actor.startswith("robot:") for _, _, actor in recoveries)

    # The same correction again changes nothing; up again pays only what is now owed.
    assert months.run(_row("2026-10", "800.00")).batches == []
    again = months.run(_row("2026-10", "1200.00"))
    assert [b.total_oere for b in again.batches] == [40_000]
    assert months.money("2026-10")["balance_oere"] == 0


def test_a_correction_to_exactly_what_was_paid_is_settled_with_nothing_paid(
    months: Months,
) -> None:
    months.run(_row("2026-10", "1000.00"))
    months.run(_row("2026-10", "1200.00"))
    months.run(_row("2026-10", "1000.00"))  # back down: 200 kr. asked back
    # Up again: the 200 kr. asked back is counted, so 200 kr. is paid on top, not 1.200.
    same = months.run(_row("2026-10", "1200.00"))
    assert [b.total_oere for b in same.batches] == [20_000]
    assert months.money("2026-10")["balance_oere"] == 0
    assert [v[1] for v in months.versions("2026-10")][-1] == "paid"


def test_a_returned_difference_approved_again_pays_the_difference_not_the_month(
    months: Months,
) -> None:
    months.run(_row("2026-10", "1000.00"))
    months.run(_row("2026-10", "1500.00"))
    with months.engine.begin() as connection:
        (pk,) = connection.execute(text("SELECT id FROM claims WHERE version = 2")).one()
        history.append_event(
            connection=connection,
            claim_pk=pk,
            kind=EventKind.RETURNED,
            actor="bank",
            reason="NemKonto missing",
        )
        history.append_event(
            connection=connection,
            claim_pk=pk,
            kind=EventKind.REPAY_APPROVED,
            actor="finance.frida",
            reason="NemKonto registered",
        )
    repaid = months.run()
    assert [b.total_oere for b in repaid.batches] == [50_000]
    assert months.money("2026-10")["paid_oere"] == 150_000
    assert months.versions("2026-10")[-1][1] == str(State.PAID)


def test_the_ledger_knows_which_periods_ran_finished_or_failed(
    months: Months, monkeypatch: pytest.MonkeyPatch
) -> None:
    months.run(_row("2026-10", "1000.00"))

    def bank_down(night: object) -> None:
        raise ConnectionError("the bank's folder is gone")

    monkeypatch.setattr(nightly, "_pay", bank_down)
    with pytest.raises(ConnectionError):
        months.run(_row("2026-11", "1000.00"))
    with months.engine.connect() as connection:
        found = periods.periods_of(connection=connection, robot=ROBOT.name)
    assert [(p["period"], p["status"], p["runs"]) for p in found] == [
        ("2026-11-10", PeriodStatus.FINISHED, 1),
        ("2026-11-11", PeriodStatus.FAILED, 1),
    ]
    monkeypatch.undo()
    months.night -= timedelta(days=1)  # the failed night, run again
    done = months.run()
    assert [b.total_oere for b in done.batches] == [100_000]
    with months.engine.connect() as connection:
        found = periods.periods_of(connection=connection, robot=ROBOT.name)
        assert periods.last_finished(connection=connection, robot=ROBOT.name) == "2026-11-11"
        (period,) = connection.execute(
            text("SELECT period FROM runs WHERE status = 'failed'")
        ).one()
    assert [(p["status"], p["runs"]) for p in found][-1] == (PeriodStatus.FINISHED, 2)
    assert period == "2026-11-11"


def test_the_proof_names_a_month_paid_in_full_twice(months: Months) -> None:
    """The versions' part of the proof can fail: a version paid its whole month instead of
    the difference (written around the ledger's path) is named."""
    months.run(_row("2026-10", "1000.00"))
    months.run(_row("2026-10", "1500.00"))
    with months.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE payment_items SET amount_oere = 150000 WHERE claim_pk = "
                "(SELECT id FROM claims WHERE version = 2)"
            )
        )
        found = history.exactly_once_violations(connection=connection)
    assert found == [f"{ROBOT.name}:A1:2026-10: its versions keep more than any one was owed"]


def test_the_bank_books_a_version_a_correction_has_since_superseded(months: Months) -> None:
    """The bank's booking of what version 1 paid comes after version 2 replaced it: it is
    recorded, and the version stays superseded (its money is still counted as paid)."""
    months.run(_row("2026-10", "1000.00"))
    months.run(_row("2026-10", "1500.00"))
    with months.engine.begin() as connection:
        (pk,) = connection.execute(text("SELECT id FROM claims WHERE version = 1")).one()
        history.append_event(
            connection=connection,
            claim_pk=pk,
            kind=EventKind.BOOKED,
            actor="bank",
            reason="booked",
        )
    assert months.versions("2026-10")[0] == (1, "superseded", 100_000)
    assert months.money("2026-10")["balance_oere"] == 0
