"""The control group's decisions through the ledger's one path (case_decisions), over
real nights of the toy robot on SQLite and PostgreSQL: a case for every held claim, taken
by one reviewer at a time, released (paid by the next run), stopped (never paid), a false
alarm (paid, and the same hit on the same facts does not hold again; changed facts do),
recovery and referral above the four-eyes amount approved by a second person only, a case
opened by hand from a tip. After every night the exactly-once proof holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from robots.core.ledger import case_decisions, cases, history, staff
from robots.core.ledger.cases import CaseRefused, QueueFilter
from robots.core.ledger.history import State
from tests.robots.toy.test_claim_life import ANNA, CARL, CITIZENS, HEADER, NIGHT_ONE, Nights

KIRSTEN, KARL, SOFIE, ADAM = "kontrol.kirsten", "kontrol.karl", "sag.sofie", "admin.adam"
LIMIT = 100_000  # øre: above 1.000 kr. a recovery or referral needs a second person


@pytest.fixture
def nights(tmp_path: Path, ledger_url: str, toy_config: Path) -> Iterator[Nights]:
    data = tmp_path / "data"
    (data / "inbox" / "citizens").mkdir(parents=True)
    (data / "inbox" / "citizens" / "citizens.csv").write_text(CITIZENS, encoding="utf-8")
    made = Nights(data, ledger_url, tmp_path / "logs")
    made.run(NIGHT_ONE)  # B1 paid, B3 (Carl, 2.400,50 kr.) held
    with made.engine.begin() as connection:
        for name, role in (
            (KIRSTEN, "control_group"),
            (KARL, "control_group"),
            (SOFIE, "caseworker"),
            (ADAM, "admin"),
        ):
            staff.add_staff(
                connection=connection, name=name, role=role, password="et langt kodeord", by="test"
            )
    yield made
    made.engine.dispose()


def _case(nights: Nights, claim_id: str) -> int:
    with nights.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT MAX(k.id) FROM cases k JOIN claims c ON c.id = k.claim_pk "
                    "WHERE c.claim_id = :c"
                ),
                {"c": claim_id},
            ).scalar_one()
        )


def _take(nights: Nights, case_id: int, by: str = KIRSTEN) -> None:
    with nights.engine.begin() as connection:
        cases.take(connection=connection, case_id=case_id, by=by)


def _decide(nights: Nights, case_id: int, kind: str, by: str = KIRSTEN, **values: object):
    values.setdefault("comment", "checked the receipt with the shop")
    with nights.engine.begin() as connection:
        return case_decisions.decide(
            connection=connection,
            case_id=case_id,
            kind=kind,
            by=by,
            four_eyes_above_oere=LIMIT,
            **values,  # type: ignore[arg-type]
        )


def _status(nights: Nights, case_id: int) -> str | None:
    with nights.engine.connect() as connection:
        return cases.case_status(connection=connection, case_id=case_id)


def test_every_held_claim_is_an_open_case_in_the_queue(nights: Nights) -> None:
    with nights.engine.connect() as connection:
        page = cases.queue_page(connection=connection, queue_filter=QueueFilter())
        none = cases.queue_page(
            connection=connection, queue_filter=QueueFilter(rule_ids=("BIKE-DEAD",))
        )
    assert [(r["claim_id"], r["status"], r["amount_oere"]) for r in page.rows] == [
        ("B3", "open", 150_000)
    ]
    assert (page.count, page.total_oere) == (1, 150_000)
    assert page.rows[0]["rule_ids"] == "BIKE-OVER-CEILING"
    assert none.count == 0


def test_one_reviewer_holds_a_case_and_only_the_control_group_takes_it(nights: Nights) -> None:
    case_id = _case(nights, "B3")
    for who in (SOFIE, ADAM, "nobody.at.all"):
        with pytest.raises(CaseRefused, match="may not decide"):
            _take(nights, case_id, by=who)
    _take(nights, case_id)
    with pytest.raises(CaseRefused, match=f"held by {KIRSTEN}"):
        _take(nights, case_id, by=KARL)
    with pytest.raises(CaseRefused, match="take it before deciding"):
        _decide(nights, case_id, "release", by=KARL)
    with pytest.raises(CaseRefused, match="not held by"):
        with nights.engine.begin() as connection:
            cases.give_back(connection=connection, case_id=case_id, by=KARL)
    with nights.engine.begin() as connection:
        cases.give_back(connection=connection, case_id=case_id, by=KIRSTEN)
    _take(nights, case_id, by=KARL)
    assert _status(nights, case_id) == "taken"


def test_released_in_a_case_is_paid_by_the_next_run_once(nights: Nights) -> None:
    case_id = _case(nights, "B3")
    _take(nights, case_id)
    with pytest.raises(CaseRefused, match="needs a comment"):
        _decide(nights, case_id, "release", comment="  ")
    _decide(nights, case_id, "release")
    assert _status(nights, case_id) == "decided"
    second = nights.run()
    assert [b.total_oere for b in second.batches] == [150_000]
    assert nights.life("B3").state is State.PAID
    with nights.engine.connect() as connection:
        audit = connection.execute(
            text("SELECT actor, detail FROM audit_events WHERE action = 'case_decided'")
        ).one()
        assert cases.queue_page(connection=connection, queue_filter=QueueFilter()).count == 0
    assert audit.actor == KIRSTEN
    assert '"before": "held"' in audit.detail and '"after": "to_pay"' in audit.detail
    with pytest.raises(CaseRefused, match="decided already"):
        _decide(nights, case_id, "stop")


def test_stopped_in_a_case_is_never_paid(nights: Nights) -> None:
    case_id = _case(nights, "B3")
    _take(nights, case_id)
    _decide(nights, case_id, "stop", comment="the shop has no such sale")
    assert nights.run().batches == []
    assert nights.life("B3").state is State.STOPPED
    assert [p[0] for p in nights.paid()] == ["B1"]


def test_a_false_alarm_does_not_hold_again_on_the_same_facts_but_does_on_new(
    nights: Nights,
) -> None:
    _take(nights, _case(nights, "B3"))
    _decide(nights, _case(nights, "B3"), "false_alarm", comment="a cargo bike: the price is right")
    # Carl's second cargo bike at the same price: the same facts; a third dearer one: new.
    same = nights.run(HEADER + f"B9,{CARL},2026-11-20,2400.50\n", name="b9.csv")
    assert nights.life("B3").state is State.PAID
    assert nights.life("B9").state is State.PAID
    assert "KNOWN-FALSE-ALARM" in set(same.exceptions_by_rule.index)
    nights.run(HEADER + f"B10,{CARL},2026-11-21,2600.00\n", name="b10.csv")
    assert nights.life("B10").state is State.HELD
    # Anna's bike at Carl's price is another subject: held.
    nights.run(HEADER + f"B11,{ANNA},2026-11-22,2400.50\n", name="b11.csv")
    assert nights.life("B11").state is State.HELD


def test_a_recovery_above_the_limit_waits_for_a_second_person(nights: Nights) -> None:
    nights.run(HEADER + f"B4,{ANNA},2026-11-05,1400.00\n", name="b4.csv")  # paid, 1.400 kr.
    with nights.engine.begin() as connection:
        case_id = cases.open_case_by_hand(
            connection=connection,
            claim_key=_key(nights, "B4"),
            kanal="tip",
            note="a neighbour says the bike was never bought",
            by=SOFIE,
        )
    _take(nights, case_id)
    result = _decide(nights, case_id, "recover", amount_oere=140_000, comment="no bike found")
    assert result.waits_for_approval and _status(nights, case_id) == "awaiting_approval"
    assert nights.life("B4").to_recover_oere == 0
    with pytest.raises(CaseRefused, match="own case"):
        _answer(nights, result.proposal_id, KIRSTEN)
    for other in (SOFIE, ADAM):  # a caseworker, an admin: no exemption
        with pytest.raises(CaseRefused, match="may not approve"):
            _answer(nights, result.proposal_id, other)
    _answer(nights, result.proposal_id, KARL)
    assert nights.life("B4").to_recover_oere == 140_000
    assert _status(nights, case_id) == "decided"
    with pytest.raises(CaseRefused, match="answered already"):
        _answer(nights, result.proposal_id, KARL)
    with nights.engine.connect() as connection:
        (event,) = [
            e
            for e in history.events_of(connection=connection, claim_pk=nights.pk("B4"))
            if e["kind"] == "recovery_opened"
        ]
    assert event["actor"] == KIRSTEN and event["amount_oere"] == 140_000
    nights.assert_paid_at_most_once()


def test_a_refusal_sends_the_case_back_and_a_small_referral_needs_no_second(
    nights: Nights,
) -> None:
    case_id = _case(nights, "B3")
    _take(nights, case_id)
    proposal = _decide(nights, case_id, "refer", refer_to="police", comment="forged receipt")
    with pytest.raises(CaseRefused, match="needs a comment"):
        _answer(nights, proposal.proposal_id, KARL, approve=False)
    _answer(nights, proposal.proposal_id, KARL, approve=False, comment="ask the shop first")
    assert _status(nights, case_id) == "taken"
    _decide(nights, case_id, "stop", comment="the shop confirms no sale")
    assert nights.life("B3").state is State.STOPPED


def test_a_tip_on_a_paid_claim_can_be_closed_or_referred_without_moving_money(
    nights: Nights,
) -> None:
    with nights.engine.begin() as connection:
        with pytest.raises(CaseRefused, match="may not open case"):
            cases.open_case_by_hand(
                connection=connection, claim_key=_key(nights, "B1"), kanal="tip", note="x", by=ADAM
            )
        with pytest.raises(CaseRefused, match="not a channel"):
            cases.open_case_by_hand(
                connection=connection,
                claim_key=_key(nights, "B1"),
                kanal="robot",
                note="x",
                by=KIRSTEN,
            )
        first = cases.open_case_by_hand(
            connection=connection,
            claim_key=_key(nights, "B1"),
            kanal="dfd",
            note="on Den Fælles Dataenhed's list",
            by=KIRSTEN,
        )
    _take(nights, first, by=KARL)
    with pytest.raises(CaseRefused, match="cannot be false alarm while it is paid"):
        _decide(nights, first, "false_alarm", by=KARL)
    waits = _decide(nights, first, "refer", by=KARL, refer_to="authority", comment="to UDK")
    assert waits.waits_for_approval  # 1.200 kr. at stake is above the limit
    with pytest.raises(CaseRefused, match="own case"):  # Kirsten opened it
        _answer(nights, waits.proposal_id, KIRSTEN)
    assert _status(nights, first) == "awaiting_approval"
    with nights.engine.begin() as connection:
        second = cases.open_case_by_hand(
            connection=connection,
            claim_key=_key(nights, "B1"),
            kanal="tip",
            note="a caller says Anna has moved",
            by=SOFIE,
        )
    _take(nights, second)
    _decide(nights, second, "close", comment="Anna lives here; the caller was wrong")
    assert _status(nights, second) == "decided"
    assert nights.life("B1") == history.ClaimLife(State.PAID, 1, 120_000, 0, 0)
    assert nights.run().batches == []
    nights.assert_paid_at_most_once()


def _key(nights: Nights, claim_id: str) -> str:
    with nights.engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT idempotency_key FROM claims WHERE claim_id = :c"), {"c": claim_id}
            ).scalar_one()
        )


def _answer(
    nights: Nights, proposal_id: int | None, by: str, approve: bool = True, comment: str = ""
) -> None:
    assert proposal_id is not None
    with nights.engine.begin() as connection:
        case_decisions.answer_proposal(
            connection=connection, proposal_id=proposal_id, by=by, approve=approve, comment=comment
        )


def test_a_decision_is_taken_back_with_the_callers_transaction(nights: Nights) -> None:
    """Its event, audit row and false-alarm memory are in the caller's transaction, on
    SQLite too (a savepoint that began SQLite's own transaction would commit on release)."""
    case_id = _case(nights, "B3")
    _take(nights, case_id)
    with nights.engine.connect() as connection, connection.begin() as transaction:
        case_decisions.decide(
            connection=connection,
            case_id=case_id,
            kind="false_alarm",
            by=KIRSTEN,
            comment="checked",
            four_eyes_above_oere=LIMIT,
        )
        transaction.rollback()
    assert _status(nights, case_id) == "taken"
    with nights.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM claim_events")).scalar_one() == 0
        assert connection.execute(text("SELECT COUNT(*) FROM false_alarms")).scalar_one() == 0
