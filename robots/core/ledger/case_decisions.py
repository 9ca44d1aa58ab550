"""Decisions on cases, with four eyes: the one place every way in goes through.

Part of the ledger's API (see robots/core/ledger/__init__.py). The pages, the Excel import
and the command line call `decide` and `answer_proposal` and nothing else to act on a case;
each decision becomes the claim's event (`history.append_event`, so the claim's life stays
its history) naming the case, with an audit row saying who, when, what, and the claim's
state before and after.

The rules held here, failing closed:
- only a member of the control group decides (read from the ledger, not from the caller;
  an admin is not exempt), and only the case's holder decides it;
- every decision has a comment;
- recover and refer above the configured amount are proposals until another member of the
  control group approves them; nobody approves their own proposal or a case they hold;
- a false alarm remembers each rule's hit by subject and compared values, so the same rule
  on the same facts does not hold again (changed facts do).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, exc, insert, select, text

from robots.core import dates
from robots.core.ledger.audit_trail import audit
from robots.core.ledger.cases import CaseRefused, acting, case_status, deciding_action
from robots.core.ledger.history import EventKind, EventRefused, append_event, life_of
from robots.core.ledger.schema import (
    Case,
    CaseApproval,
    CaseProposal,
    Claim,
    ClaimException,
    FalseAlarm,
)
from robots.core.ledger.staff import Action
from robots.core.ledger.transactions import savepoint


class DecisionKind(StrEnum):
    """What a reviewer can decide on a case."""

    RELEASE = "release"
    """The held claim is paid by the next run (after a check for copies paid since)."""
    STOP = "stop"
    """The claim is not paid; the comment is the reason."""
    RECOVER = "recover"
    """Money paid on the claim is asked back (an amount, for finance)."""
    REFER = "refer"
    """Sent to another authority, or reported to the police (`refer_to`)."""
    FALSE_ALARM = "false_alarm"
    """The rule was wrong here: the claim is paid, and the same hit does not hold again."""
    CLOSE = "close"
    """A case opened by hand found nothing to act on."""
    REPAY = "repay"
    """A transfer the bank sent back is paid again, once, in a later batch."""


EVENT_OF = {
    DecisionKind.RELEASE: EventKind.RELEASED,
    DecisionKind.STOP: EventKind.STOPPED,
    DecisionKind.RECOVER: EventKind.RECOVERY_OPENED,
    DecisionKind.REFER: EventKind.REFERRED,
    DecisionKind.FALSE_ALARM: EventKind.FALSE_ALARM,
    DecisionKind.CLOSE: EventKind.CASE_CLOSED,
    DecisionKind.REPAY: EventKind.REPAY_APPROVED,
}

FOR_RETURNS = frozenset({DecisionKind.REPAY, DecisionKind.STOP})
"""What a case of a transfer sent back can be decided as (and only such a case repaid)."""

FOUR_EYES = frozenset({DecisionKind.RECOVER, DecisionKind.REFER})
"""Decisions that need a second person above the configured amount."""

REFER_TO = {"police": "the police", "authority": "another authority"}
"""Where a case is referred to (KL counts the two apart)."""


@dataclass(frozen=True)
class DecisionResult:
    """What a decision did: an event appended, or a proposal waiting for approval."""

    event_id: int | None = None
    proposal_id: int | None = None

    @property
    def waits_for_approval(self) -> bool:
        return self.proposal_id is not None


def decide(
    *,
    connection: Connection,
    case_id: int,
    kind: str,
    by: str,
    comment: str,
    four_eyes_above_oere: int,
    amount_oere: int | None = None,
    refer_to: str | None = None,
) -> DecisionResult:
    """Decide a case held by `by`, or propose it for a second person's approval.

    Raises:
        CaseRefused: not allowed (role, holder, status, comment, amount, destination).
        EventRefused: the claim's history does not allow it (e.g. release a paid claim).
    """
    acting(
        connection=connection,
        name=by,
        action=deciding_action(connection=connection, case_id=case_id),
    )
    try:
        decision = DecisionKind(kind)
    except ValueError:
        raise CaseRefused(
            f"{kind!r} is not a decision; one of {', '.join(k.value for k in DecisionKind)}"
        ) from None
    case = _open_case_held_by(connection, case_id, by)
    if (case.kanal == "bank") != (decision in FOR_RETURNS) and decision is not DecisionKind.STOP:
        raise CaseRefused(
            "a transfer sent back is paid again or stopped"
            if case.kanal == "bank"
            else "only a transfer the bank sent back is paid again"
        )
    if not comment.strip():
        raise CaseRefused("every decision needs a comment saying why")
    claim_amount = int(
        connection.execute(select(Claim.amount_oere).where(Claim.id == case.claim_pk)).scalar_one()
    )
    if decision is DecisionKind.RECOVER and (amount_oere is None or amount_oere <= 0):
        raise CaseRefused("a recovery needs the amount to ask back, above 0")
    if decision is DecisionKind.REFER and refer_to not in REFER_TO:
        raise CaseRefused(f"refer to one of: {', '.join(REFER_TO)}")
    if decision in FOUR_EYES:
        stake = amount_oere if decision is DecisionKind.RECOVER else claim_amount
        if stake is not None and stake > four_eyes_above_oere:
            return DecisionResult(
                proposal_id=_propose(connection, case, decision, by, comment, amount_oere, refer_to)
            )
    event_id = _apply(
        connection,
        case,
        decision,
        actor=by,
        comment=comment,
        amount_oere=amount_oere,
        refer_to=refer_to,
        approved_by=None,
    )
    return DecisionResult(event_id=event_id)


def answer_proposal(
    *, connection: Connection, proposal_id: int, by: str, approve: bool, comment: str = ""
) -> DecisionResult:
    """A second member of the control group approves a proposal (it is applied now, as the
    proposer's decision, naming the approver) or refuses it (the case goes back to its
    holder to decide otherwise). Nobody answers their own proposal or one on a case they
    hold; a proposal is answered once (the database refuses a second answer)."""
    acting(connection=connection, name=by, action=Action.APPROVE)
    proposal = connection.execute(
        select(*CaseProposal.__table__.columns).where(CaseProposal.id == proposal_id)
    ).first()
    if proposal is None:
        raise CaseRefused(f"proposal {proposal_id} does not exist")
    case = _case_row(connection, int(proposal.case_id))
    assert case is not None
    if by in (proposal.proposed_by, case.taken_by, case.opened_by):
        raise CaseRefused("nobody approves their own case: a second person must")
    if not approve and not comment.strip():
        raise CaseRefused("refusing a proposal needs a comment saying why")
    at = dates.now()
    try:
        with savepoint(connection):
            connection.execute(
                insert(CaseApproval).values(
                    proposal_id=proposal_id,
                    answer="approved" if approve else "refused",
                    answered_by=by,
                    answered_at=at,
                    comment=comment.strip(),
                )
            )
    except exc.IntegrityError:
        raise CaseRefused(f"proposal {proposal_id} is answered already") from None
    audit(
        connection=connection,
        at=at,
        actor=by,
        action="proposal_approved" if approve else "proposal_refused",
        entity="case",
        entity_id=str(case.id),
        detail=json.dumps({"proposal": proposal_id, "comment": comment.strip()}),
    )
    if not approve:
        return DecisionResult()
    event_id = _apply(
        connection,
        case,
        DecisionKind(proposal.kind),
        actor=proposal.proposed_by,
        comment=proposal.comment,
        amount_oere=proposal.amount_oere,
        refer_to=proposal.refer_to,
        approved_by=by,
    )
    return DecisionResult(event_id=event_id)


def _case_row(connection: Connection, case_id: int) -> Row[Any] | None:
    return connection.execute(select(*Case.__table__.columns).where(Case.id == case_id)).first()


def _open_case_held_by(connection: Connection, case_id: int, by: str) -> Row[Any]:
    case = _case_row(connection, case_id)
    if case is None:
        raise CaseRefused(f"case {case_id} does not exist")
    status = case_status(connection=connection, case_id=case_id)
    if status in ("decided", "superseded"):
        raise CaseRefused(f"case {case_id} is {status} already")
    if status == "awaiting_approval":
        raise CaseRefused(f"case {case_id} waits for a second person's approval")
    if case.taken_by != by:
        holder = f"held by {case.taken_by}" if case.taken_by else "not taken"
        raise CaseRefused(f"case {case_id} is {holder}: take it before deciding it")
    return case


def _propose(
    connection: Connection,
    case: Row[Any],
    decision: DecisionKind,
    by: str,
    comment: str,
    amount_oere: int | None,
    refer_to: str | None,
) -> int:
    if decision is DecisionKind.RECOVER:
        # Checked now, so a proposal that could never be applied is refused at once.
        life = life_of(connection=connection, claim_pk=case.claim_pk)
        owed = life.paid_oere - life.to_recover_oere
        if amount_oere is None or amount_oere > owed:
            raise CaseRefused(f"a recovery is at most the {owed} øre paid and not yet asked back")
    at = dates.now()
    proposal_id = connection.execute(
        insert(CaseProposal)
        .values(
            case_id=case.id,
            kind=str(decision),
            amount_oere=amount_oere,
            refer_to=refer_to,
            comment=comment.strip(),
            proposed_by=by,
            proposed_at=at,
        )
        .returning(CaseProposal.id)
    ).scalar_one()
    audit(
        connection=connection,
        at=at,
        actor=by,
        action="case_proposed",
        entity="case",
        entity_id=str(case.id),
        detail=json.dumps(
            {"proposal": int(proposal_id), "kind": str(decision), "amount_oere": amount_oere},
        ),
    )
    return int(proposal_id)


def _apply(
    connection: Connection,
    case: Row[Any],
    decision: DecisionKind,
    *,
    actor: str,
    comment: str,
    amount_oere: int | None,
    refer_to: str | None,
    approved_by: str | None,
) -> int:
    before = life_of(connection=connection, claim_pk=case.claim_pk).state
    detail: dict[str, Any] = {"case": int(case.id), "decision": str(decision)}
    if refer_to:
        detail["refer_to"] = refer_to
    if approved_by:
        detail["approved_by"] = approved_by
    try:
        event_id = append_event(
            connection=connection,
            claim_pk=case.claim_pk,
            kind=EVENT_OF[decision],
            actor=actor,
            reason=comment.strip(),
            amount_oere=amount_oere if decision is DecisionKind.RECOVER else None,
            detail=detail,
            case_id=int(case.id),
        )
    except EventRefused as refused:
        raise CaseRefused(refused.message) from None
    if decision is DecisionKind.FALSE_ALARM:
        _remember_false_alarm(connection, case, event_id)
    after = life_of(connection=connection, claim_pk=case.claim_pk).state
    audit(
        connection=connection,
        at=dates.now(),
        actor=actor,
        action="case_decided",
        entity="case",
        entity_id=str(case.id),
        detail=json.dumps(
            {
                "decision": str(decision),
                "comment": comment.strip(),
                "before": str(before),
                "after": str(after),
                "amount_oere": amount_oere,
                "refer_to": refer_to,
                "approved_by": approved_by,
                "event": event_id,
            },
            ensure_ascii=False,
        ),
    )
    return event_id


def _remember_false_alarm(connection: Connection, case: Row[Any], event_id: int) -> None:
    """Each rule that held the claim, with the subject and the values it compared, so the
    night can tell the same hit on the same facts (robots.core.pipeline.false_alarms)."""
    claim = connection.execute(
        select(Claim.cpr, Claim.payee_id, Claim.robot).where(Claim.id == case.claim_pk)
    ).one()
    subject = str(claim.cpr or claim.payee_id)
    rows = connection.execute(
        select(ClaimException.rule_id, ClaimException.evidence).where(
            ClaimException.claim_pk == case.claim_pk, ClaimException.severity == "hold"
        )
    ).all()
    for rule_id, evidence in rows:
        connection.execute(
            insert(FalseAlarm).values(
                robot=claim.robot,
                rule_id=rule_id,
                subject=subject,
                facts=facts_of(evidence),
                event_id=event_id,
            )
        )


def facts_of(evidence: str | None) -> str:
    """The values a rule compared, as one canonical text (keys sorted): what "the same
    facts" means for a false alarm."""
    try:
        parsed = json.loads(evidence) if evidence else {}
    except ValueError:
        parsed = {}
    compared = parsed.get("compared", {}) if isinstance(parsed, dict) else {}
    return json.dumps(compared, sort_keys=True, ensure_ascii=False)


def known_false_alarms(*, connection: Connection, robot: str) -> list[tuple[str, str, str, int]]:
    """The robot's remembered false alarms: (rule_id, subject, facts, event_id)."""
    rows = connection.execute(
        text("SELECT rule_id, subject, facts, event_id FROM false_alarms WHERE robot = :robot"),
        {"robot": robot},
    ).all()
    return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]
