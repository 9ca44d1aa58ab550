"""Cases: claims put before people, the queue they wait in, and who holds each.

Part of the ledger's API (see robots/core/ledger/__init__.py). A case is opened by the
night for every claim a rule holds (and for a claim held again), or by hand from a tip.
Whether it is open, waiting for a second person or decided is not a column: it follows
from the claim's events that name the case and from the proposals (`STATUS_SQL`), so the
queue cannot disagree with the history. Who holds a case is the one thing kept on it, and
it is taken by a single conditional update: of two reviewers, one gets it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text

from robots.core import dates
from robots.core.errors import BusinessError, ReasonCode
from robots.core.ledger.audit_trail import audit
from robots.core.ledger.history import events_of, life_of
from robots.core.ledger.schema import Case, Claim, UTCDateTime
from robots.core.ledger.staff import Action, StaffMember, may, staff_member

KANALER = {
    "robot": "robot (a rule held the claim at night)",
    "tip": "tip (a citizen or a colleague)",
    "dfd": "Den Fælles Dataenhed's lists",
    "authority": "another authority",
    "bank": "the bank or NemKonto (a transfer came back)",
}
"""Where a case came from (KL's kanal), and what the pages call it."""

STATUS_SQL = """CASE
    WHEN EXISTS (SELECT 1 FROM claim_events d WHERE d.case_id = k.id) THEN 'decided'
    WHEN EXISTS (SELECT 1 FROM claim_events s WHERE s.claim_pk = k.claim_pk
                 AND s.kind || '' = 'superseded') THEN 'superseded'
    WHEN EXISTS (SELECT 1 FROM case_proposals p WHERE p.case_id = k.id AND NOT EXISTS (
                 SELECT 1 FROM case_approvals a WHERE a.proposal_id = p.id))
         THEN 'awaiting_approval'
    WHEN k.taken_by IS NOT NULL THEN 'taken'
    ELSE 'open' END"""
"""A case's status from the claim's history: decided (a person's event names it),
superseded (a newer version of the claim replaced it), awaiting a second person's
approval, taken by a reviewer, or open. (`kind || ''` keeps SQLite from probing every
superseded event by the kind index for each case, instead of the claim's few events.)"""


class CaseRefused(BusinessError):
    """A case action the case's state or the person's role does not allow (one line)."""

    def __init__(self, message: str) -> None:
        super().__init__(ReasonCode.DECISION_REFUSED, message)


def acting(*, connection: Connection, name: str, action: Action) -> StaffMember:
    """The member of staff, read from the ledger, if they may do the action now.

    Every function here that changes something asks this first: the page's own check is a
    courtesy, this one fails closed (an unknown, locked or wrong-role account is refused;
    an admin is not exempt)."""
    member = staff_member(connection=connection, name=name)
    if member is None or member.locked or not may(member.role, action):
        raise CaseRefused(f"{name or 'nobody'} may not {action.replace('_', ' ')}")
    return member


@dataclass(frozen=True)
class QueueFilter:
    """What the queue is narrowed to; empty fields narrow nothing."""

    robot: str = ""
    rule_ids: tuple[str, ...] = ()
    """Cases whose claim any of these rules held (a kind is given as its rules)."""
    status: str = ""
    """One status; empty: every open one (open, taken, awaiting approval)."""
    kanal: str = ""
    min_oere: int | None = None
    max_oere: int | None = None
    min_days: int | None = None
    """Cases waiting at least this many days."""


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue, with the count and kroner of everything the filter keeps."""

    rows: list[dict[str, Any]]
    count: int
    total_oere: int
    offset: int
    limit: int


@dataclass
class _Where:
    clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


def _where(queue_filter: QueueFilter, now: datetime) -> _Where:
    w = _Where()
    if queue_filter.robot:
        w.clauses.append("robot = :robot")
        w.params["robot"] = queue_filter.robot
    if queue_filter.kanal:
        w.clauses.append("kanal = :kanal")
        w.params["kanal"] = queue_filter.kanal
    if queue_filter.rule_ids:
        likes = []
        for n, rule_id in enumerate(queue_filter.rule_ids):
            likes.append(f"(',' || rule_ids || ',') LIKE :rule{n}")
            w.params[f"rule{n}"] = f"%,{rule_id},%"
        w.clauses.append("(" + " OR ".join(likes) + ")")
    if queue_filter.status:
        w.clauses.append("status = :status")
        w.params["status"] = queue_filter.status
    else:
        w.clauses.append("status IN ('open', 'taken', 'awaiting_approval')")
    if queue_filter.min_oere is not None:
        w.clauses.append("amount_oere >= :min_oere")
        w.params["min_oere"] = queue_filter.min_oere
    if queue_filter.max_oere is not None:
        w.clauses.append("amount_oere <= :max_oere")
        w.params["max_oere"] = queue_filter.max_oere
    if queue_filter.min_days is not None:
        w.clauses.append("opened_at <= :opened_before")
        w.params["opened_before"] = now - timedelta(days=queue_filter.min_days)
    return w


_QUEUE_ROWS = f"""
SELECT k.id AS case_id, k.claim_pk, k.robot, k.kanal, k.opened_at, k.taken_by,
       c.claim_id, c.idempotency_key, c.amount_oere, c.rule_ids, c.cpr, c.payee_kind,
       c.payee_id, c.period, c.service_date,
       {STATUS_SQL} AS status
FROM cases k JOIN claims c ON c.id = k.claim_pk
"""


_TOTALS = f"""
SELECT k.id AS case_id, k.robot, k.kanal, k.opened_at, c.amount_oere, c.rule_ids,
       {STATUS_SQL} AS status
FROM cases k JOIN claims c ON c.id = k.claim_pk
"""
"""The queue's rows with only what a filter, the order and the totals read."""


def queue_page(
    *,
    connection: Connection,
    queue_filter: QueueFilter,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> QueuePage:
    """The cases the filter keeps, most kroner at stake first, then longest waiting; with
    their count and sum over all pages. Two queries, a top-N page and the totals: one query
    with window totals sorted every case's whole row first (measured: 257 ms against
    92 + 83 ms at 100,000 open cases)."""
    now = now or dates.now()
    w = _where(queue_filter, now)
    # The page's case ids first, sorted on the few columns the filter reads; then the 50
    # rows' text (sorting every case's whole row cost twice as much at 100,000 cases).
    sql = _timed(
        f"SELECT q.* FROM ({_QUEUE_ROWS}) q WHERE q.case_id IN ("
        f"SELECT t.case_id FROM ({_TOTALS}) t WHERE {' AND '.join(w.clauses)} "
        "ORDER BY t.amount_oere DESC, t.opened_at ASC, t.case_id ASC "
        "LIMIT :limit OFFSET :offset) "
        "ORDER BY q.amount_oere DESC, q.opened_at ASC, q.case_id ASC"
    )
    rows = [
        dict(r)
        for r in connection.execute(
            sql, {**w.params, "limit": int(limit), "offset": int(offset)}
        ).mappings()
    ]
    count, total = _totals(connection, w)
    for row in rows:
        row["opened_at"] = dates.as_utc(row["opened_at"])
        row["days_waiting"] = max((now - row["opened_at"]).days, 0)
    return QueuePage(rows=rows, count=count, total_oere=total, offset=offset, limit=limit)


def _totals(connection: Connection, w: _Where) -> tuple[int, int]:
    row = connection.execute(
        _timed(
            f"SELECT COUNT(*), COALESCE(SUM(q.amount_oere), 0) FROM ({_TOTALS}) q "
            f"WHERE {' AND '.join(w.clauses)}"
        ),
        w.params,
    ).one()
    return int(row[0]), int(row[1])


def queue_rows(
    *, connection: Connection, queue_filter: QueueFilter, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Every case the filter keeps (for the Excel export), in the queue's order."""
    now = now or dates.now()
    w = _where(queue_filter, now)
    sql = _timed(
        f"SELECT q.* FROM ({_QUEUE_ROWS}) q WHERE {' AND '.join(w.clauses)} "
        "ORDER BY q.amount_oere DESC, q.opened_at ASC, q.case_id ASC"
    )
    rows = [dict(r) for r in connection.execute(sql, w.params).mappings()]
    for row in rows:
        row["opened_at"] = dates.as_utc(row["opened_at"])
        row["days_waiting"] = max((now - row["opened_at"]).days, 0)
    return rows


_TIMES = ("at", "opened_before")
"""Bound timestamps, written as the ledger's UTC column type writes them."""


def _timed(sql: str) -> Any:
    """Raw SQL whose timestamp parameters are bound as the ledger stores time (UTC)."""
    clause = text(sql)
    present = [name for name in _TIMES if f":{name}" in sql]
    return clause.bindparams(*(bindparam(name, type_=UTCDateTime()) for name in present))


def case_status(*, connection: Connection, case_id: int) -> str | None:
    """The case's status now (None: no such case)."""
    return connection.execute(
        text(f"SELECT {STATUS_SQL} FROM cases k WHERE k.id = :id"), {"id": case_id}
    ).scalar()


def open_cases_of_run(*, connection: Connection, run_id: str, robot: str, at: datetime) -> int:
    """A case for every claim the run held, in one statement (the night's cost is one
    INSERT ... SELECT over the run's claims, not a row per claim from Python)."""
    result = connection.execute(
        _timed(
            "INSERT INTO cases (claim_pk, robot, kanal, opened_at, opened_by, note) "
            "SELECT c.id, c.robot, 'robot', :at, :by, '' FROM claims c "
            "WHERE c.run_id = :run_id AND c.decision = 'hold' ORDER BY c.id"
        ),
        {"at": at, "by": f"robot:{robot}", "run_id": run_id},
    )
    return int(result.rowcount or 0)


def open_case_by_hand(
    *, connection: Connection, claim_key: str, kanal: str, note: str, by: str
) -> int:
    """A case opened by a person on a claim in the ledger, from a tip or another channel
    (kanal `tip`, `dfd` or `authority`), with what the tip says."""
    acting(connection=connection, name=by, action=Action.OPEN_CASE)
    if kanal not in KANALER or kanal == "robot":
        raise CaseRefused(f"{kanal!r} is not a channel a person opens a case from")
    if not note.strip():
        raise CaseRefused("a case opened by hand says what the tip is")
    claim = connection.execute(
        select(Claim.id, Claim.robot).where(Claim.idempotency_key == claim_key.strip())
    ).first()
    if claim is None:
        raise CaseRefused(f"{claim_key}: no claim in the ledger by that key")
    at = dates.now()
    case_id = connection.execute(
        insert(Case)
        .values(
            claim_pk=claim.id,
            robot=claim.robot,
            kanal=kanal,
            opened_at=at,
            opened_by=by,
            note=note.strip(),
        )
        .returning(Case.id)
    ).scalar_one()
    audit(
        connection=connection,
        at=at,
        actor=by,
        action="case_opened",
        entity="case",
        entity_id=str(case_id),
        detail=json.dumps({"claim": claim_key, "kanal": kanal}),
    )
    return int(case_id)


def deciding_action(*, connection: Connection, case_id: int) -> Action:
    """What a person must be allowed to take and decide the case: a transfer sent back by
    the bank is finance's (or the control group's) to pay again or stop; every other case
    is the control group's."""
    kanal = connection.execute(select(Case.kanal).where(Case.id == case_id)).scalar()
    return Action.DECIDE_RETURNS if kanal == "bank" else Action.DECIDE


def take(*, connection: Connection, case_id: int, by: str) -> None:
    """The case is held by `by` now, or refused: one conditional update, so of two
    reviewers taking one case at once exactly one gets it."""
    acting(
        connection=connection,
        name=by,
        action=deciding_action(connection=connection, case_id=case_id),
    )
    at = dates.now()
    taken = connection.execute(
        _timed(
            "UPDATE cases SET taken_by = :by, taken_at = :at WHERE id = :id "
            "AND taken_by IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM claim_events d WHERE d.case_id = cases.id)"
        ),
        {"by": by, "at": at, "id": case_id},
    ).rowcount
    if taken != 1:
        holder = connection.execute(select(Case.taken_by).where(Case.id == case_id)).first()
        if holder is None:
            raise CaseRefused(f"case {case_id} does not exist")
        if holder.taken_by:
            raise CaseRefused(f"case {case_id} is held by {holder.taken_by}")
        raise CaseRefused(f"case {case_id} is decided")
    audit(
        connection=connection,
        at=at,
        actor=by,
        action="case_taken",
        entity="case",
        entity_id=str(case_id),
    )


def give_back(*, connection: Connection, case_id: int, by: str) -> None:
    """The case goes back to the queue (only its holder gives it back)."""
    acting(
        connection=connection,
        name=by,
        action=deciding_action(connection=connection, case_id=case_id),
    )
    done = connection.execute(
        text("UPDATE cases SET taken_by = NULL, taken_at = NULL WHERE id = :id AND taken_by = :by"),
        {"id": case_id, "by": by},
    ).rowcount
    if done != 1:
        raise CaseRefused(f"case {case_id} is not held by {by}")
    audit(
        connection=connection,
        at=dates.now(),
        actor=by,
        action="case_given_back",
        entity="case",
        entity_id=str(case_id),
    )


def case_row(*, connection: Connection, case_id: int) -> dict[str, Any] | None:
    """The case with its claim's fields and its status."""
    row = (
        connection.execute(
            text(
                f"SELECT k.id AS case_id, k.claim_pk, k.robot, k.kanal, k.opened_at, "
                f"k.opened_by, k.note, k.taken_by, k.taken_at, {STATUS_SQL} AS status "
                "FROM cases k WHERE k.id = :id"
            ),
            {"id": case_id},
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def claim_of_case(*, connection: Connection, claim_pk: int) -> dict[str, Any]:
    """The claim a case is about, every column."""
    row = (
        connection.execute(select(*Claim.__table__.columns).where(Claim.id == claim_pk))
        .mappings()
        .one()
    )
    return dict(row)


def exceptions_of_claim(*, connection: Connection, claim_pk: int) -> list[dict[str, Any]]:
    """The rules' hits on the claim, with their evidence parsed (what was compared)."""
    rows = connection.execute(
        text(
            "SELECT e.id, e.run_id, e.rule_id, e.kind, e.severity, e.message, e.evidence, "
            "e.source_line, f.file_name FROM exceptions e "
            "LEFT JOIN source_files f ON f.id = e.source_file_id "
            "WHERE e.claim_pk = :pk ORDER BY e.id"
        ),
        {"pk": claim_pk},
    ).mappings()
    out = []
    for row in rows:
        item = dict(row)
        try:
            parsed = json.loads(item["evidence"]) if item["evidence"] else {}
        except ValueError:
            parsed = {}
        item["compared"] = parsed.get("compared", {}) if isinstance(parsed, dict) else {}
        out.append(item)
    return out


def proposals_of_case(*, connection: Connection, case_id: int) -> list[dict[str, Any]]:
    """The case's proposals waiting for (or answered by) a second person."""
    rows = connection.execute(
        text(
            "SELECT p.id, p.kind, p.amount_oere, p.refer_to, p.comment, p.proposed_by, "
            "p.proposed_at, a.answer, a.answered_by, a.answered_at, a.comment AS answer_comment "
            "FROM case_proposals p LEFT JOIN case_approvals a ON a.proposal_id = p.id "
            "WHERE p.case_id = :id ORDER BY p.id"
        ),
        {"id": case_id},
    ).mappings()
    return [dict(r) for r in rows]


def proposals_waiting(*, connection: Connection) -> list[dict[str, Any]]:
    """Every proposal no second person has answered, oldest first."""
    rows = connection.execute(
        text(
            "SELECT p.id, p.case_id, p.kind, p.amount_oere, p.refer_to, p.comment, "
            "p.proposed_by, p.proposed_at, k.robot, c.claim_id FROM case_proposals p "
            "JOIN cases k ON k.id = p.case_id JOIN claims c ON c.id = k.claim_pk "
            "WHERE NOT EXISTS (SELECT 1 FROM case_approvals a WHERE a.proposal_id = p.id) "
            "ORDER BY p.id"
        )
    ).mappings()
    return [dict(r) for r in rows]


def payee_payments(
    *, connection: Connection, payee_kind: str, payee_id: str, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest transfers to the same payee (the person or the company)."""
    rows = connection.execute(
        text(
            "SELECT t.end_to_end_id, t.amount_oere, t.claims, b.id AS batch_id, "
            "b.execution_date, b.robot FROM payment_transfers t "
            "JOIN payment_batches b ON b.id = t.batch_id "
            "WHERE t.payee_id = :payee AND t.payee_kind = :kind "
            "ORDER BY b.execution_date DESC, t.id DESC LIMIT :limit"
        ),
        {"payee": payee_id, "kind": payee_kind, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]


def payee_cases(
    *, connection: Connection, payee_id: str, but: int, limit: int = 50
) -> list[dict[str, Any]]:
    """The payee's other cases, newest first, with their status."""
    rows = connection.execute(
        text(
            f"SELECT k.id AS case_id, k.robot, k.kanal, k.opened_at, c.claim_id, "
            f"c.amount_oere, c.rule_ids, {STATUS_SQL} AS status "
            "FROM cases k JOIN claims c ON c.id = k.claim_pk "
            "WHERE c.payee_id = :payee AND k.id <> :but ORDER BY k.id DESC LIMIT :limit"
        ),
        {"payee": payee_id, "but": but, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]


def history_of_claim(*, connection: Connection, claim_pk: int) -> dict[str, Any]:
    """The claim's events in order and its state and money now."""
    return {
        "events": events_of(connection=connection, claim_pk=claim_pk),
        "life": life_of(connection=connection, claim_pk=claim_pk),
    }


def open_totals(
    *, connection: Connection, kanal: str = "", now: datetime | None = None
) -> tuple[int, int]:
    """How many cases wait for people (open, taken or awaiting approval) and their kroner
    in øre; `kanal` narrows to one channel ('bank': transfers the bank sent back)."""
    return _totals(connection, _where(QueueFilter(kanal=kanal), now or dates.now()))
