"""A claim's life after the night, through real nights of the toy robot, on SQLite and
PostgreSQL: a held claim released (paid by the next run), stopped, a false alarm; money
paid asked back; a transfer returned and paid again once after a decision; a released
claim whose copy was paid meanwhile held again. After each, the ledger's exactly-once
proof holds (robots.core.ledger.history.exactly_once_violations lists nothing)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, exc, text

from robots.core.ledger import history
from robots.core.ledger.database import open_ledger
from robots.core.ledger.history import EventKind, EventRefused, State
from robots.core.pipeline.nightly import NightRun, run_night
from robots.core.settings import Settings
from tests.robots.toy.cykeltilskud import ROBOT

ANNA = "0101501233"
CARL = "0303403457"
FIRST = date(2026, 11, 23)
CITIZENS = (
    "cpr;name;status;status_date;municipality_code;civil_status\n"
    f"{ANNA};Anna Ærø;active;;173;single\n"
    f"{CARL};Carl Øst;active;;173;married\n"
)
HEADER = "claim_id,cpr,bought_date,price\n"
NIGHT_ONE = HEADER + f"B1,{ANNA},2026-11-01,1200.00\nB3,{CARL},2026-11-02,2400.50\n"
"""B1 is paid (1.200,00 kr.); B3 is above the ceiling: held, at 1.500,00 kr. if paid."""


class Nights:
    """The toy robot's nights over one data folder and ledger."""

    def __init__(self, data: Path, ledger_url: str, tmp: Path) -> None:
        self.data, self.ledger_url, self.tmp = data, ledger_url, tmp
        self.night = FIRST - timedelta(days=1)
        self.engine: Engine = open_ledger(ledger_url)

    def run(self, claims: str | None = None, name: str = "bikes.csv") -> NightRun:
        self.night += timedelta(days=1)
        if claims is not None:
            folder = self.data / "inbox" / "bike_claims"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{self.night}_{name}").write_text(claims, encoding="utf-8")
        settings = Settings(
            data_dir=self.data, mode="demo", database_url=self.ledger_url, logs_dir=self.tmp
        )
        result = run_night(ROBOT, settings=settings, night=self.night)
        self.assert_paid_at_most_once()
        return result

    def pk(self, claim_id: str) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT id FROM claims WHERE claim_id = :c ORDER BY version DESC"),
                    {"c": claim_id},
                ).first()[0]  # type: ignore[index]
            )

    def act(self, claim_id: str, kind: EventKind, **values: object) -> int:
        values.setdefault("actor", "kontrol.kirsten")
        values.setdefault("reason", "checked the receipt")
        with self.engine.begin() as connection:
            return history.append_event(
                connection=connection,
                claim_pk=self.pk(claim_id),
                kind=kind,
                **values,  # type: ignore[arg-type]
            )

    def life(self, claim_id: str) -> history.ClaimLife:
        with self.engine.connect() as connection:
            return history.life_of(connection=connection, claim_pk=self.pk(claim_id))

    def paid(self) -> list[tuple[str, int, int]]:
        """Every payment item: claim id, attempt, øre."""
        with self.engine.connect() as connection:
            return [
                (str(c), int(a), int(o))
                for c, a, o in connection.execute(
                    text(
                        "SELECT c.claim_id, i.attempt, i.amount_oere FROM payment_items i "
                        "JOIN claims c ON c.id = i.claim_pk ORDER BY c.claim_id, i.attempt"
                    )
                )
            ]

    def assert_paid_at_most_once(self) -> None:
        with self.engine.connect() as connection:
            assert history.exactly_once_violations(connection=connection) == []


@pytest.fixture
def nights(tmp_path: Path, ledger_url: str, toy_config: Path) -> Iterator[Nights]:
    data = tmp_path / "data"
    (data / "inbox" / "citizens").mkdir(parents=True)
    (data / "inbox" / "citizens" / "citizens.csv").write_text(CITIZENS, encoding="utf-8")
    made = Nights(data, ledger_url, tmp_path / "logs")
    yield made
    made.engine.dispose()


def _outcome(result: NightRun, claim_id: str) -> str:
    return str(result.outcomes.set_index("claim_id").loc[claim_id, "outcome"])


def test_a_released_claim_is_paid_by_the_next_run_once(nights: Nights) -> None:
    first = nights.run(NIGHT_ONE)
    assert _outcome(first, "B3") == "held"
    assert nights.life("B3").state is State.HELD

    nights.act("B3", EventKind.RELEASED)
    assert nights.life("B3").state is State.TO_PAY
    second = nights.run()
    (batch,) = second.batches
    assert batch.total_oere == 150_000
    assert nights.paid() == [("B1", 1, 120_000), ("B3", 1, 150_000)]
    assert nights.life("B3") == history.ClaimLife(State.PAID, 1, 150_000, 0, 0)
    assert nights.run().batches == []  # released once, paid once
    with pytest.raises(EventRefused, match="while it is paid"):
        nights.act("B3", EventKind.RELEASED)


def test_a_false_alarm_is_paid_and_a_stopped_claim_never(nights: Nights) -> None:
    nights.run(NIGHT_ONE + f"B5,{ANNA},2026-11-03,1600.00\n")
    nights.act("B3", EventKind.STOPPED, reason="no receipt for the bike")
    nights.act("B5", EventKind.FALSE_ALARM, reason="the ceiling is for one bike; two bought")
    second = nights.run()
    assert [b.total_oere for b in second.batches] == [150_000]
    assert [p[0] for p in nights.paid()] == ["B1", "B5"]
    assert nights.life("B3").state is State.STOPPED
    with pytest.raises(EventRefused, match="while it is stopped"):
        nights.act("B3", EventKind.RELEASED)
    assert nights.run().batches == []


def test_a_person_must_say_who_and_why(nights: Nights) -> None:
    nights.run(NIGHT_ONE)
    with pytest.raises(EventRefused, match="who made it and why"):
        nights.act("B3", EventKind.RELEASED, reason=" ")
    with pytest.raises(EventRefused, match="who made it and why"):
        nights.act("B3", EventKind.STOPPED, actor="")
    assert nights.life("B3").state is State.HELD


def test_money_paid_is_asked_back_as_a_recovery_never_a_negative_transfer(nights: Nights) -> None:
    nights.run(NIGHT_ONE)
    nights.act("B1", EventKind.RECOVERY_OPENED, amount_oere=50_000, reason="bike returned")
    with pytest.raises(EventRefused, match="at most the 70000 øre"):
        nights.act("B1", EventKind.RECOVERY_OPENED, amount_oere=70_001, reason="more")
    with nights.engine.connect() as connection:
        money = history.money_of_claims(connection=connection, claim_pks=[nights.pk("B1")])
    assert money[nights.pk("B1")] == {
        "amount_oere": 120_000,
        "paid_oere": 120_000,
        "to_recover_oere": 50_000,
        "attempts": 1,
    }
    assert nights.run().batches == []  # nothing negative goes to the bank
    with pytest.raises(EventRefused, match="while it is held"):
        nights.act("B3", EventKind.RECOVERY_OPENED, amount_oere=1, reason="never paid")


def test_a_returned_transfer_is_paid_again_once_only_after_a_decision(nights: Nights) -> None:
    first = nights.run(NIGHT_ONE)
    (batch,) = first.batches
    nights.act(
        "B1",
        EventKind.RETURNED,
        actor="bank",
        reason="NemKonto: no account",
        batch_id=batch.batch_id,
    )
    life = nights.life("B1")
    assert (life.state, life.paid_oere, life.attempts) == (State.RETURNED, 0, 1)
    assert nights.run().batches == []  # not paid again without a decision
    with pytest.raises(EventRefused, match="while it is returned"):
        nights.act("B1", EventKind.RETURNED, actor="bank", reason="again")

    approval = nights.act("B1", EventKind.REPAY_APPROVED, reason="citizen gave a NemKonto")
    again = nights.run()
    assert [b.total_oere for b in again.batches] == [120_000]
    assert nights.paid() == [("B1", 1, 120_000), ("B1", 2, 120_000)]
    assert nights.life("B1") == history.ClaimLife(State.PAID, 2, 120_000, 0, 0)
    assert nights.run().batches == []
    with pytest.raises(EventRefused, match="while it is paid"):
        nights.act("B1", EventKind.REPAY_APPROVED, reason="once more")
    with nights.engine.connect() as connection:
        item = connection.execute(
            text("SELECT approved_by_event_id FROM payment_items WHERE attempt = 2")
        ).scalar_one()
    assert item == approval


def test_the_database_refuses_a_second_payment_without_an_approval(nights: Nights) -> None:
    first = nights.run(NIGHT_ONE)
    (batch,) = first.batches
    insert = text(
        "INSERT INTO payment_items (claim_pk, attempt, transfer_id, batch_id, amount_oere) "
        "VALUES (:c, :a, 1, :b, 120000)"
    )
    for attempt in (1, 2):  # the same attempt twice; a later one naming no approval
        with pytest.raises(exc.IntegrityError), nights.engine.begin() as connection:
            connection.execute(insert, {"c": nights.pk("B1"), "a": attempt, "b": batch.batch_id})


def test_a_released_claim_whose_copy_was_paid_since_is_held_again(nights: Nights) -> None:
    nights.run(NIGHT_ONE)  # B3 held
    copy = nights.run(HEADER + f"B6,{CARL},2026-11-02,2400.50\n", name="resent.csv")
    assert _outcome(copy, "B6") == "held"  # a copy of a held bill (issue 9)
    nights.act("B6", EventKind.RELEASED, reason="looked like a new bike")
    assert [b.total_oere for b in nights.run().batches] == [150_000]

    nights.act("B3", EventKind.RELEASED)
    assert nights.run().batches == []
    assert nights.life("B3").state is State.HELD
    with nights.engine.connect() as connection:
        events = history.events_of(connection=connection, claim_pk=nights.pk("B3"))
    assert [e["kind"] for e in events] == ["released", "held_again"]
    assert "B6" in events[-1]["reason"]
    # A person who still releases it, knowing the copy, is followed: it is paid.
    nights.act("B3", EventKind.RELEASED, reason="two bikes after all")
    assert [b.total_oere for b in nights.run().batches] == [150_000]


def test_two_released_copies_are_paid_once(nights: Nights) -> None:
    nights.run(NIGHT_ONE)
    nights.run(HEADER + f"B6,{CARL},2026-11-02,2400.50\n", name="resent.csv")
    nights.act("B3", EventKind.RELEASED)
    nights.act("B6", EventKind.RELEASED)
    (batch,) = nights.run().batches
    assert batch.claims == 1 and batch.total_oere == 150_000
    assert nights.life("B6").state is State.HELD


def test_two_people_acting_at_once_cannot_both_act(
    nights: Nights, monkeypatch: pytest.MonkeyPatch
) -> None:
    nights.run(NIGHT_ONE)
    # The second decision reads the history as it was before the first one was written.
    with nights.engine.connect() as connection:
        before = history._history(connection, nights.pk("B3"))
    nights.act("B3", EventKind.RELEASED)
    monkeypatch.setattr(history, "_history", lambda connection, claim_pk: before)
    with pytest.raises(EventRefused, match="changed meanwhile"):
        nights.act("B3", EventKind.STOPPED, actor="kontrol.lars", reason="no receipt")
    monkeypatch.undo()
    assert nights.life("B3").state is State.TO_PAY


def test_an_exception_keeps_what_its_rule_compared_as_json(nights: Nights) -> None:
    nights.run(NIGHT_ONE + f"B7,{ANNA},2026-13-01,100.00\nB8,,2026-11-01,100.00\n")
    with nights.engine.connect() as connection:
        found = dict(
            connection.execute(
                text(
                    "SELECT claim_ref, evidence FROM exceptions "
                    "WHERE claim_ref IN ('B3', 'B7', 'B8')"
                )
            ).all()
        )
    held = json.loads(found["B3"])
    assert held["rule"] == "BIKE-OVER-CEILING"
    assert held["compared"] == {"price": 240_050}
    unreadable = json.loads(found["B7"])
    assert (unreadable["column"], unreadable["value"]) == ("bought_date", "2026-13-01")
    assert json.loads(found["B8"]) == {"column": "cpr", "value": None}


def test_the_proof_names_a_claim_paid_twice(nights: Nights) -> None:
    """The exactly-once proof can fail: a second payment written around the ledger's path
    (an approval with no return before it) is named, twice over."""
    first = nights.run(NIGHT_ONE)
    (batch,) = first.batches
    pk = nights.pk("B1")
    with nights.engine.begin() as connection:
        approval = connection.execute(
            text(
                "INSERT INTO claim_events (claim_pk, seq, kind, at, actor, reason, attempt) "
                "VALUES (:c, 1, 'repay_approved', CURRENT_TIMESTAMP, 'x', 'x', 2) RETURNING id"
            ),
            {"c": pk},
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO payment_items (claim_pk, attempt, transfer_id, batch_id, "
                "amount_oere, approved_by_event_id) VALUES (:c, 2, 1, :b, 120000, :a)"
            ),
            {"c": pk, "b": batch.batch_id, "a": approval},
        )
    with nights.engine.connect() as connection:
        found = history.exactly_once_violations(connection=connection)
    assert found == [
        f"claim {pk}: two payments, neither returned",
        f"claim {pk}: attempt 2 without a return of the last and an approval after it",
    ]
