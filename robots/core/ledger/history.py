"""A claim's life after the night: events appended through this one path, and the state
and money that follow from them.

The robot's decision is the claim row itself (a million claims a night write nothing
more); everything after it (a person releases, stops, asks to recover, marks a false
alarm; the bank books or returns; a correction supersedes) is a `claim_events` row,
appended here and nowhere else, with an audit row in the same transaction. What a claim is
now is computed from its decision, its payment attempts and its events (`state_of`, pure),
so the history is the truth and no column is edited in place.

Exactly once, as the ledger states it: a claim has at most one effective payment (an
attempt in a batch, not returned). A returned attempt is paid again only after a person's
`repay_approved` event, as the next attempt, which names that event (a database check);
`exactly_once_violations` lists every claim that breaks this, and must list none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import Connection, bindparam, exc, insert, select, text

from robots.core import dates
from robots.core.errors import BusinessError, ReasonCode
from robots.core.ledger import bulk
from robots.core.ledger.schema import (
    AuditEvent,
    Case,
    Claim,
    ClaimEvent,
    PaymentItem,
    UTCDateTime,
)
from robots.core.ledger.transactions import savepoint


class EventKind(StrEnum):
    """What can happen to a claim after the night, and who does it."""

    RELEASED = "released"
    """A person: a held claim is to be paid (by the next run, after a check for copies)."""
    FALSE_ALARM = "false_alarm"
    """A person: the rule that held the claim was wrong; paid as if released."""
    STOPPED = "stopped"
    """A person: the claim is not paid (held, released but unpaid, or returned)."""
    RECOVERY_OPENED = "recovery_opened"
    """A person or a correction: money paid on the claim is to be paid back (an amount)."""
    BOOKED = "booked"
    """The bank: a payment attempt was booked on the payee's account."""
    RETURNED = "returned"
    """The bank or NemKonto: a payment attempt came back; the claim is not paid."""
    REPAY_APPROVED = "repay_approved"
    """A person: a returned claim is to be paid again, once, as its next attempt."""
    HELD_AGAIN = "held_again"
    """The robot: a released claim found a copy of itself paid since it was held."""
    SUPERSEDED = "superseded"
    """A correction: a newer version of the claim replaces it."""
    SETTLED = "settled"
    """The robot: a new version owes nothing on top of what earlier versions paid (a
    recovery for any overpayment is opened on them in the same transaction)."""
    REFERRED = "referred"
    """A person: the case is sent to another authority or reported to the police; the
    claim's money is not changed by it (a held claim stays held)."""
    CASE_CLOSED = "case_closed"
    """A person: a case opened by hand found nothing to act on; the claim is unchanged."""


class State(StrEnum):
    """Where a claim stands now."""

    TO_PAY = "to_pay"
    PAID = "paid"
    HELD = "held"
    REJECTED = "rejected"
    STOPPED = "stopped"
    RETURNED = "returned"
    SUPERSEDED = "superseded"
    SETTLED = "settled"
    """A version whose money earlier versions' payments cover (nothing is paid on it)."""


PERSON_KINDS = frozenset(
    {
        EventKind.RELEASED,
        EventKind.FALSE_ALARM,
        EventKind.STOPPED,
        EventKind.RECOVERY_OPENED,
        EventKind.REPAY_APPROVED,
        EventKind.REFERRED,
        EventKind.CASE_CLOSED,
    }
)
"""Events a person appends: each needs who and why."""

UNCHANGING_KINDS = frozenset({EventKind.REFERRED, EventKind.CASE_CLOSED})
"""Events that record a person's act without changing the claim's state or money: whatever
reads "the claim's latest event" for its state skips them."""

ALLOWED_FROM: dict[EventKind, frozenset[State]] = {
    EventKind.RELEASED: frozenset({State.HELD}),
    EventKind.FALSE_ALARM: frozenset({State.HELD}),
    EventKind.STOPPED: frozenset({State.HELD, State.TO_PAY, State.RETURNED}),
    EventKind.RECOVERY_OPENED: frozenset({State.PAID, State.SUPERSEDED}),
    # The bank books what was paid even after a correction superseded the version it paid.
    EventKind.BOOKED: frozenset({State.PAID, State.SUPERSEDED}),
    EventKind.RETURNED: frozenset({State.PAID}),
    EventKind.REPAY_APPROVED: frozenset({State.RETURNED}),
    EventKind.HELD_AGAIN: frozenset({State.TO_PAY}),
    EventKind.SUPERSEDED: frozenset(set(State) - {State.SUPERSEDED}),
    EventKind.SETTLED: frozenset({State.TO_PAY}),
    EventKind.REFERRED: frozenset(set(State) - {State.SUPERSEDED}),
    EventKind.CASE_CLOSED: frozenset(set(State) - {State.HELD, State.SUPERSEDED}),
}
"""From which states each event may be appended; any other is refused with the reason."""


@dataclass(frozen=True)
class Event:
    """One event as `state_of` needs it."""

    kind: EventKind
    attempt: int | None = None
    amount_oere: int | None = None


@dataclass(frozen=True)
class ClaimLife:
    """A claim's state and money, as its history gives them."""

    state: State
    attempts: int
    """Payment attempts made (0: never in a batch)."""
    paid_oere: int
    """What is paid and not returned (the effective payment, at most one)."""
    to_pay_oere: int
    to_recover_oere: int


def state_of(
    decision: str, amount_oere: int, payments: Mapping[int, int], events: Sequence[Event]
) -> ClaimLife:
    """The claim's state and money from its decision, its payments (attempt -> amount paid
    in it: a claim's amount, or the difference a new version paid on top of earlier ones)
    and its events in order. Pure: the same history gives the same answer anywhere."""
    state = {"pay": State.TO_PAY, "hold": State.HELD, "reject": State.REJECTED}[decision]
    paid = set(payments)
    if 1 in paid:
        state = State.PAID
    returned: set[int] = set()
    recover = 0
    for event in events:
        kind = event.kind
        if kind in (EventKind.RELEASED, EventKind.FALSE_ALARM):
            state = State.PAID if 1 in paid else State.TO_PAY
        elif kind is EventKind.STOPPED:
            state = State.STOPPED
        elif kind is EventKind.HELD_AGAIN:
            state = State.HELD
        elif kind is EventKind.RETURNED:
            returned.add(event.attempt or 0)
            state = State.RETURNED
        elif kind is EventKind.REPAY_APPROVED:
            state = State.PAID if event.attempt in paid else State.TO_PAY
        elif kind is EventKind.RECOVERY_OPENED:
            recover += event.amount_oere or 0
        elif kind is EventKind.SUPERSEDED:
            state = State.SUPERSEDED
        elif kind is EventKind.SETTLED:
            state = State.SETTLED
    effective = [a for a in paid if a not in returned]
    # A repayment's item comes after its approval: an attempt paid after the last event.
    if effective and state in (State.TO_PAY, State.RETURNED) and max(effective) > max(returned):
        state = State.PAID
    paid_oere = sum(payments[a] for a in effective)
    return ClaimLife(
        state=state,
        attempts=len(paid),
        paid_oere=paid_oere,
        to_pay_oere=amount_oere if state is State.TO_PAY else 0,
        to_recover_oere=recover,
    )


class EventRefused(BusinessError):
    """An event that the claim's history does not allow (said in words, nothing written)."""

    def __init__(self, message: str) -> None:
        super().__init__(ReasonCode.EVENT_REFUSED, message)


def append_event(
    *,
    connection: Connection,
    claim_pk: int,
    kind: EventKind,
    actor: str,
    reason: str = "",
    amount_oere: int | None = None,
    run_id: str | None = None,
    batch_id: str | None = None,
    attempt: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
    case_id: int | None = None,
) -> int:
    """Append one event to a claim's history (and an audit row), or refuse it.

    The claim's state is read and the event checked against it inside the caller's
    transaction; the next `seq` is unique per claim, so of two people acting on one claim
    at once the second is refused ("changed meanwhile") instead of acting on a stale state.

    Raises:
        EventRefused: The claim does not exist, the event is not allowed from its state,
            a person's event lacks who or why, or the claim changed meanwhile.
    """
    kind = EventKind(kind)
    if kind in PERSON_KINDS and (not actor.strip() or not reason.strip()):
        raise EventRefused(f"{kind}: a person's decision needs who made it and why")
    claim = connection.execute(
        select(Claim.decision, Claim.amount_oere, Claim.idempotency_key, Claim.robot).where(
            Claim.id == claim_pk
        )
    ).first()
    if claim is None:
        raise EventRefused(f"claim {claim_pk} is not in the ledger")
    history = _history(connection, claim_pk)
    payments = _payments(connection, claim_pk)
    attempts = list(payments)
    life = state_of(str(claim.decision), int(claim.amount_oere), payments, history)
    if life.state not in ALLOWED_FROM[kind]:
        raise EventRefused(
            f"{claim.idempotency_key}: cannot be {kind.replace('_', ' ')} while it is "
            f"{life.state.replace('_', ' ')}"
        )
    attempt = _attempt_for(kind, attempt, attempts, history, claim.idempotency_key)
    if kind is EventKind.RECOVERY_OPENED:
        owed = life.paid_oere - life.to_recover_oere
        if amount_oere is None or not 0 < amount_oere <= max(owed, 0):
            raise EventRefused(
                f"{claim.idempotency_key}: a recovery must be above 0 and at most the "
                f"{owed} øre paid and not yet asked back"
            )
    at = at or dates.now()
    try:
        with savepoint(connection):
            event_id = connection.execute(
                insert(ClaimEvent)
                .values(
                    claim_pk=claim_pk,
                    seq=len(history) + 1,
                    kind=str(kind),
                    at=at,
                    actor=actor,
                    reason=reason,
                    attempt=attempt,
                    amount_oere=amount_oere,
                    run_id=run_id,
                    batch_id=batch_id,
                    detail=json.dumps(detail, ensure_ascii=False) if detail else None,
                    case_id=case_id,
                )
                .returning(ClaimEvent.id)
            ).scalar_one()
    except exc.IntegrityError as error:
        raise EventRefused(
            f"{claim.idempotency_key}: changed meanwhile (someone else acted on it); "
            "look at it again"
        ) from error
    connection.execute(
        insert(AuditEvent).values(
            at=at,
            actor=actor,
            action=f"claim_{kind}",
            entity="claim",
            entity_id=str(claim.idempotency_key)[:64],
            run_id=run_id,
            detail=reason or None,
        )
    )
    if kind in (EventKind.HELD_AGAIN, EventKind.RETURNED):
        # Held again, or sent back by the bank, is a new question for people: a case of
        # its own in the queue (a returned transfer's for finance).
        connection.execute(
            insert(Case).values(
                claim_pk=claim_pk,
                robot=str(claim.robot),
                kanal="robot" if kind is EventKind.HELD_AGAIN else "bank",
                opened_at=at,
                opened_by=actor,
                note=reason,
            )
        )
    return int(event_id)


def book_transfers(
    *,
    connection: Connection,
    lines: pd.DataFrame,
    actor: str,
    at: datetime | None = None,
) -> int:
    """The bank's bookings appended in bulk: a `booked` event on every claim each transfer
    paid (`lines`: transfer_id; the event's `detail` JSON text naming the answer line, and
    its `reason`), for the attempt that transfer was, where that is the claim's latest
    attempt, not sent back and not booked before; one audit row for them all. The same rule
    as `append_event` (a booking follows a payment that stands), said once in SQL: a bank
    file answering a million claims is one statement, not a million round trips. Returns
    the events appended.

    The items are reached through their batches' index: payment_items has no index on
    transfer_id, and without the batch condition SQLite walked every item of the ledger
    and ran the correlated checks on each before the join threw most away (16.5 s for a
    month's 20 camt.054 files against a million claims; 2.3 s with it, measured). "The
    latest attempt" is a NOT EXISTS, not `= (SELECT MAX ...)`: PostgreSQL pushed that
    scalar subquery down into its scan of every item, a million probes a file (214 s for
    the month, against 17 s as an anti-join). The batches are asked first and given as
    values: as a subquery, PostgreSQL on a freshly loaded ledger (no statistics yet)
    planned it as a semi-join rebuilt for every item, 323 s for one file."""
    if not len(lines):
        return 0
    at = at or dates.now()
    bulk.temp_table(
        connection=connection,
        name="tmp_booked",
        frame=lines.assign(
            transfer_id=lines["transfer_id"].astype("int64"),
        )[["transfer_id", "detail", "reason"]].drop_duplicates("transfer_id"),
        key="transfer_id",
    )
    batches = sorted(
        connection.execute(
            text(
                "SELECT DISTINCT p.batch_id FROM tmp_booked b "
                "CROSS JOIN payment_transfers p WHERE p.id = b.transfer_id"
            )
        ).scalars()
    )
    marks, batch_params = bulk.in_list("b", batches)
    appended = connection.execute(
        text(
            "INSERT INTO claim_events (claim_pk, seq, kind, at, actor, reason, attempt, detail) "
            "SELECT i.claim_pk, COALESCE((SELECT MAX(e.seq) FROM claim_events e "
            "WHERE e.claim_pk = i.claim_pk), 0) + 1, 'booked', :at, :actor, t.reason, "
            "i.attempt, t.detail "
            "FROM payment_items i JOIN tmp_booked t ON t.transfer_id = i.transfer_id "
            f"WHERE i.batch_id IN ({marks}) "
            "AND NOT EXISTS (SELECT 1 FROM payment_items j "
            "WHERE j.claim_pk = i.claim_pk AND j.attempt > i.attempt) "
            "AND NOT EXISTS (SELECT 1 FROM claim_events r WHERE r.claim_pk = i.claim_pk "
            "AND r.attempt = i.attempt AND r.kind IN ('returned', 'booked'))"
        ).bindparams(bindparam("at", type_=UTCDateTime())),
        {"at": at, "actor": actor, **batch_params},
    ).rowcount
    connection.execute(
        insert(AuditEvent).values(
            at=at,
            actor=actor,
            action="claims_booked",
            entity="answer",
            entity_id=actor[:64],
            detail=f"{appended} claims booked by {len(lines)} answer lines",
        )
    )
    return int(appended or 0)


def transfers_sent_back(*, connection: Connection) -> set[int]:
    """The transfers whose payment some claim's history says came back (few: the bank
    returns one in a hundred or a thousand)."""
    rows = connection.execute(
        text(
            "SELECT DISTINCT i.transfer_id FROM claim_events r JOIN payment_items i "
            "ON i.claim_pk = r.claim_pk AND i.attempt = r.attempt WHERE r.kind = 'returned'"
        )
    ).scalars()
    return {int(t) for t in rows}


def _attempt_for(
    kind: EventKind,
    given: int | None,
    attempts: Sequence[int],
    history: Sequence[Event],
    key: str,
) -> int | None:
    """The payment attempt an event is about: the bank's answers name the last attempt, a
    repayment approval the next one."""
    last = max(attempts, default=0)
    if kind in (EventKind.BOOKED, EventKind.RETURNED):
        if given is not None and given != last:
            raise EventRefused(f"{key}: attempt {given} is not its latest payment ({last})")
        return last
    if kind is EventKind.REPAY_APPROVED:
        return last + 1
    return given


def _history(connection: Connection, claim_pk: int) -> list[Event]:
    rows = connection.execute(
        select(ClaimEvent.kind, ClaimEvent.attempt, ClaimEvent.amount_oere)
        .where(ClaimEvent.claim_pk == claim_pk)
        .order_by(ClaimEvent.seq)
    ).all()
    return [Event(EventKind(r.kind), r.attempt, r.amount_oere) for r in rows]


def _payments(connection: Connection, claim_pk: int) -> dict[int, int]:
    rows = connection.execute(
        select(PaymentItem.attempt, PaymentItem.amount_oere).where(PaymentItem.claim_pk == claim_pk)
    ).all()
    return {int(attempt): int(amount) for attempt, amount in rows}


def life_of(*, connection: Connection, claim_pk: int) -> ClaimLife:
    """One claim's state and money now."""
    claim = connection.execute(
        select(Claim.decision, Claim.amount_oere).where(Claim.id == claim_pk)
    ).one()
    return state_of(
        str(claim.decision),
        int(claim.amount_oere),
        _payments(connection, claim_pk),
        _history(connection, claim_pk),
    )


def events_of(*, connection: Connection, claim_pk: int) -> list[dict[str, Any]]:
    """A claim's history as rows (kind, at, actor, reason, attempt, amount), in order."""
    columns = (
        ClaimEvent.seq,
        ClaimEvent.kind,
        ClaimEvent.at,
        ClaimEvent.actor,
        ClaimEvent.reason,
        ClaimEvent.attempt,
        ClaimEvent.amount_oere,
    )
    rows = connection.execute(
        select(*columns).where(ClaimEvent.claim_pk == claim_pk).order_by(ClaimEvent.seq)
    ).mappings()
    return [dict(row) for row in rows]


_EFFECTIVE_ITEMS = """
    SELECT i.claim_pk, SUM(i.amount_oere) AS paid_oere, COUNT(*) AS attempts
    FROM payment_items i
    WHERE NOT EXISTS (
        SELECT 1 FROM claim_events e
        WHERE e.claim_pk = i.claim_pk AND e.kind = 'returned' AND e.attempt = i.attempt)
    GROUP BY i.claim_pk
"""
"""Per claim, its payments not returned: what they paid and how many there are."""

_RECOVERIES = """
    SELECT claim_pk, SUM(amount_oere) AS recover_oere FROM claim_events
    WHERE kind = 'recovery_opened' GROUP BY claim_pk
"""
"""Per claim, what is asked back."""

_MONEY = f"""
SELECT c.id AS claim_pk,
       c.amount_oere,
       COALESCE(p.paid_oere, 0) AS paid_oere,
       COALESCE(r.recover_oere, 0) AS to_recover_oere,
       COALESCE(p.attempts, 0) AS attempts
FROM claims c
LEFT JOIN ({_EFFECTIVE_ITEMS}) p ON p.claim_pk = c.id
LEFT JOIN ({_RECOVERIES}) r ON r.claim_pk = c.id
"""


def money_of_claims(
    *, connection: Connection, claim_pks: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Per claim: its amount, what is paid and not returned, what is asked back, and how
    many payments it had, in one query (a claim with no payment shows 0 paid)."""
    if not claim_pks:
        return {}
    placeholders = ", ".join(f":c{n}" for n in range(len(claim_pks)))
    rows = connection.execute(
        text(_MONEY + f" WHERE c.id IN ({placeholders})"),
        {f"c{n}": pk for n, pk in enumerate(claim_pks)},
    ).mappings()
    return {int(r["claim_pk"]): {k: int(v) for k, v in r.items() if k != "claim_pk"} for r in rows}


_PERIOD_MONEY = f"""
SELECT c.claim_id, c.period,
       SUM(CASE WHEN s.claim_pk IS NULL THEN c.amount_oere ELSE 0 END) AS entitled_oere,
       SUM(COALESCE(p.paid_oere, 0)) AS paid_oere,
       SUM(COALESCE(r.recover_oere, 0)) AS to_recover_oere,
       MAX(c.version) AS versions
FROM claims c
LEFT JOIN ({_EFFECTIVE_ITEMS}) p ON p.claim_pk = c.id
LEFT JOIN ({_RECOVERIES}) r ON r.claim_pk = c.id
LEFT JOIN (
    SELECT DISTINCT claim_pk FROM claim_events WHERE kind = 'superseded'
) s ON s.claim_pk = c.id
WHERE c.robot = :robot AND c.period IS NOT NULL
"""


def money_of_periods(
    *, connection: Connection, robot: str, periods: Sequence[str] = ()
) -> dict[tuple[str, str], dict[str, int]]:
    """Per claim id and period (a month), over all the versions of its claim, in one
    query: what the latest version says is owed (`entitled_oere`), what is paid and not
    returned, what is asked back, and the balance (entitled less paid, plus asked back:
    above 0 still owed to the payee, below 0 overpaid and not yet asked back)."""
    sql = _PERIOD_MONEY
    params: dict[str, object] = {"robot": robot}
    if periods:
        sql += " AND c.period IN (" + ", ".join(f":p{n}" for n in range(len(periods))) + ")"
        params |= {f"p{n}": period for n, period in enumerate(periods)}
    rows = connection.execute(text(sql + " GROUP BY c.claim_id, c.period"), params).mappings()
    out: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        money = {k: int(row[k]) for k in ("entitled_oere", "paid_oere", "to_recover_oere")}
        money["balance_oere"] = (
            money["entitled_oere"] - money["paid_oere"] + money["to_recover_oere"]
        )
        money["versions"] = int(row["versions"])
        out[(str(row["claim_id"]), str(row["period"]))] = money
    return out


def exactly_once_violations(*, connection: Connection) -> list[str]:
    """Every claim the ledger cannot prove was paid at most once: two payments neither of
    them returned, a later attempt whose earlier one was not returned, or a later attempt
    not named by an approval of that claim and attempt made after the return. Empty: the
    proof holds."""
    found: list[str] = []
    twice = connection.execute(
        text(f"SELECT claim_pk FROM ({_EFFECTIVE_ITEMS}) p WHERE attempts > 1")
    ).scalars()
    found += [f"claim {pk}: two payments, neither returned" for pk in twice]
    unapproved = connection.execute(
        text(
            "SELECT i.claim_pk, i.attempt FROM payment_items i "
            "LEFT JOIN claim_events a ON a.id = i.approved_by_event_id "
            "LEFT JOIN claim_events r ON r.claim_pk = i.claim_pk AND r.kind = 'returned' "
            "AND r.attempt = i.attempt - 1 "
            "WHERE i.attempt > 1 AND (a.id IS NULL OR a.claim_pk <> i.claim_pk "
            "OR a.kind <> 'repay_approved' OR a.attempt <> i.attempt OR r.id IS NULL "
            "OR r.seq > a.seq)"
        )
    ).all()
    found += [
        f"claim {pk}: attempt {attempt} without a return of the last and an approval after it"
        for pk, attempt in unapproved
    ]
    # A claim's versions together never keep more than the most any one of them was owed
    # (paid and not returned, less what is asked back): a corrected month is settled by
    # its difference, never paid in full twice.
    overpaid = connection.execute(
        text(
            f"SELECT c.robot, c.claim_id, c.period FROM claims c "
            f"LEFT JOIN ({_EFFECTIVE_ITEMS}) p ON p.claim_pk = c.id "
            f"LEFT JOIN ({_RECOVERIES}) r ON r.claim_pk = c.id "
            "WHERE c.version > 1 OR c.id IN (SELECT supersedes_pk FROM claims "
            "WHERE supersedes_pk IS NOT NULL) "
            "GROUP BY c.robot, c.claim_id, c.period "
            "HAVING SUM(COALESCE(p.paid_oere, 0)) - SUM(COALESCE(r.recover_oere, 0)) "
            "> MAX(c.amount_oere)"
        )
    ).all()
    found += [
        f"{robot}:{claim_id}:{period}: its versions keep more than any one was owed"
        for robot, claim_id, period in overpaid
    ]
    return found
