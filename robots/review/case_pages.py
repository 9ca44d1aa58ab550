"""A case: the claim, why each rule hit in plain words with the values it compared, the
rows behind it, the claim's history, the payee's payments and earlier cases; the decision
form; proposals waiting for a second person; a case opened by hand from a tip.

A CPR number is shown in clear to the control group only, and every such view is audited
(who, whose claim, when); everyone else sees it masked."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from checks import rules as catalogue
from robots.core import dates
from robots.core.ledger import audit_trail, case_decisions, cases
from robots.core.ledger.case_decisions import REFER_TO, DecisionKind
from robots.core.ledger.cases import KANALER, CaseRefused
from robots.core.ledger.staff import Action
from robots.review import ledger_access
from robots.review.cells import kroner_as_oere
from robots.review.guard import needs

pages = Blueprint("case", __name__)

DECISIONS = {
    DecisionKind.RELEASE: "Release: the held claim is paid by the next run",
    DecisionKind.STOP: "Stop: the claim is not paid (say why)",
    DecisionKind.FALSE_ALARM: "False alarm: paid, and the same hit does not hold again",
    DecisionKind.RECOVER: "Recover: ask back money paid (amount below)",
    DecisionKind.REFER: "Refer: to another authority or the police",
    DecisionKind.CLOSE: "Close: a case opened by hand found nothing",
}
RETURN_DECISIONS = {
    DecisionKind.REPAY: "Pay again: once, in the next batch (check the account first)",
    DecisionKind.STOP: "Stop: the claim is not paid (say why)",
}


@pages.route("/cases/<int:case_id>")
@needs(Action.SEE_CASE, Action.DECIDE_RETURNS)
def case(case_id: int) -> str:
    with ledger_access.engine().begin() as connection:
        row = cases.case_row(connection=connection, case_id=case_id)
        if row is None:
            abort(404)
        if row["kanal"] != "bank" and not current_user.may(Action.SEE_CASE):
            abort(403)  # finance sees the transfers sent back, not the control group's cases
        claim = cases.claim_of_case(connection=connection, claim_pk=row["claim_pk"])
        hits = cases.exceptions_of_claim(connection=connection, claim_pk=row["claim_pk"])
        life = cases.history_of_claim(connection=connection, claim_pk=row["claim_pk"])
        proposals = cases.proposals_of_case(connection=connection, case_id=case_id)
        payments = cases.payee_payments(
            connection=connection, payee_kind=claim["payee_kind"], payee_id=claim["payee_id"]
        )
        earlier = cases.payee_cases(connection=connection, payee_id=claim["payee_id"], but=case_id)
        in_clear = current_user.may(Action.SEE_CPR) and bool(claim.get("cpr"))
        if in_clear:
            audit_trail.audit(
                connection=connection,
                at=dates.now(),
                actor=current_user.name,
                action="cpr_viewed",
                entity="case",
                entity_id=str(case_id),
                detail=f"claim {claim['idempotency_key']}",
            )
    rules_by_id = {r.id: r for r in catalogue.catalogue()}
    return render_template(
        "case.html",
        case=row,
        claim=claim,
        hits=hits,
        rules=rules_by_id,
        life=life,
        proposals=proposals,
        payments=payments,
        earlier=earlier,
        in_clear=in_clear,
        decisions=RETURN_DECISIONS if row["kanal"] == "bank" else DECISIONS,
        deciding=(Action.DECIDE_RETURNS if row["kanal"] == "bank" else Action.DECIDE).value,
        refer_to=REFER_TO,
        kanaler=KANALER,
        json=json,
    )


@pages.route("/cases/<int:case_id>/decide", methods=["POST"])
@needs(Action.DECIDE, Action.DECIDE_RETURNS)
def decide(case_id: int) -> Response:
    kind = request.form.get("decision", "")
    comment = request.form.get("comment", "")[:2000]
    amount_text = request.form.get("amount_kr", "").strip()
    try:
        amount_oere = _oere(amount_text) if amount_text else None
        with ledger_access.engine().begin() as connection:
            result = case_decisions.decide(
                connection=connection,
                case_id=case_id,
                kind=kind,
                by=current_user.name,
                comment=comment,
                four_eyes_above_oere=_four_eyes_oere(),
                amount_oere=amount_oere,
                refer_to=request.form.get("refer_to") or None,
            )
        if result.waits_for_approval:
            flash("Proposed: a second member of the control group must approve it.", "done")
        else:
            flash(f"Case {case_id} decided: {kind.replace('_', ' ')}.", "done")
    except CaseRefused as refused:
        flash(refused.message, "refused")
    return redirect(url_for("case.case", case_id=case_id))


def _four_eyes_oere() -> int:
    return ledger_access.settings().review.four_eyes_above_kroner * 100


def _oere(text: str) -> int:
    """Kroner typed on the form, exactly (1.234,50 or 1234.50; 12.50 is twelve kroner and
    fifty øre, never 1.250 kroner), refused in words otherwise."""
    oere = kroner_as_oere(text)
    if oere is None:
        raise CaseRefused("the amount is kroner and øre above 0 (e.g. 1.234,50)")
    return oere


@pages.route("/approvals")
@needs(Action.APPROVE)
def approvals() -> str:
    with ledger_access.engine().connect() as connection:
        waiting = cases.proposals_waiting(connection=connection)
    return render_template("approvals.html", waiting=waiting)


@pages.route("/approvals/<int:proposal_id>", methods=["POST"])
@needs(Action.APPROVE)
def answer(proposal_id: int) -> Response:
    approve = request.form.get("answer") == "approve"
    try:
        with ledger_access.engine().begin() as connection:
            case_decisions.answer_proposal(
                connection=connection,
                proposal_id=proposal_id,
                by=current_user.name,
                approve=approve,
                comment=request.form.get("comment", "")[:2000],
            )
        flash(f"Proposal {proposal_id} {'approved' if approve else 'refused'}.", "done")
    except CaseRefused as refused:
        flash(refused.message, "refused")
    return redirect(url_for("case.approvals"))


@pages.route("/cases/new", methods=["GET", "POST"])
@needs(Action.OPEN_CASE)
def open_case() -> str | Response:
    if request.method == "GET":
        return render_template("open_case.html", kanaler=KANALER, values={})
    values = {k: request.form.get(k, "")[:2000] for k in ("claim_key", "kanal", "note")}
    try:
        with ledger_access.engine().begin() as connection:
            case_id = cases.open_case_by_hand(
                connection=connection,
                claim_key=values["claim_key"],
                kanal=values["kanal"],
                note=values["note"],
                by=current_user.name,
            )
    except CaseRefused as refused:
        flash(refused.message, "refused")
        return render_template("open_case.html", kanaler=KANALER, values=values)
    flash(f"Case {case_id} opened.", "done")
    if current_user.may(Action.SEE_CASE):
        return redirect(url_for("case.case", case_id=case_id))
    return redirect(url_for("queue.queue"))
