"""The bank's and NemKonto's answers taken into the ledger, over real nights of the toy
robot on SQLite and PostgreSQL: a rejected transfer is returned (not paid) and becomes a
case for finance, paid again once after finance decides, in a later batch; a booked one is
marked booked; the same answer read twice changes nothing; an unknown EndToEndId, an
amount that differs, an answer for another debtor account and a status report for a file
never sent are kept unmatched with the problem; a NemKonto cheque pays the claim and says
so. The exactly-once proof holds after each."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import text

from robots.core.ledger import case_decisions, cases
from robots.core.ledger.history import State
from tests.robots.toy.banking import DEBTOR_IBAN, OLGA, Bank, camt054, pain002


def test_a_rejected_transfer_is_paid_again_once_after_finance_decides(bank: Bank) -> None:
    batch, e2e, oere = bank.transfer("B1")
    (taken,) = bank.answer("status.xml", pain002("STS-1", batch, [(e2e, "RJCT", "AC04")]))
    assert (taken.outcome, taken.returned_claims, taken.unmatched) == ("read", 2, 0)
    assert bank.nights.life("B1").state is State.RETURNED  # B1 and B4 share Anna's transfer
    assert bank.nights.life("B4").state is State.RETURNED
    assert bank.nights.run().batches == []  # not paid again without a decision
    (reversal,) = (bank.data / "outputs" / "postings" / "returns").glob("*.csv")
    with reversal.open(encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle, delimiter=";"))
    assert [(r["claim_id"], r["debit"]) for r in lines[:-1]] == [
        ("B1", "-1200.00"),
        ("B4", "-1400.00"),
    ]
    assert lines[-1]["credit"] == "-2600.00" and lines[-1]["function"] == "9.01.01"
    with bank.nights.engine.begin() as connection:
        page = cases.queue_page(connection=connection, queue_filter=cases.QueueFilter(kanal="bank"))
        assert {r["claim_id"] for r in page.rows} == {"B1", "B4"}
        for row in page.rows:
            cases.take(connection=connection, case_id=row["case_id"], by=OLGA)
            with pytest.raises(cases.CaseRefused, match="paid again or stopped"):
                case_decisions.decide(
                    connection=connection,
                    case_id=row["case_id"],
                    kind="release",
                    by=OLGA,
                    comment="x",
                    four_eyes_above_oere=0,
                )
            kind = "repay" if row["claim_id"] == "B1" else "stop"
            case_decisions.decide(
                connection=connection,
                case_id=row["case_id"],
                kind=kind,
                by=OLGA,
                comment="the citizen has a NemKonto now",
                four_eyes_above_oere=0,
            )
    again = bank.nights.run()
    assert [b.total_oere for b in again.batches] == [120_000]
    assert bank.nights.life("B1").state is State.PAID
    assert bank.nights.life("B4").state is State.STOPPED
    assert bank.nights.run().batches == []
    assert ("B1", 2, 120_000) in bank.nights.paid()
    assert oere == 260_000


def test_the_same_answer_twice_changes_nothing_and_a_booking_is_marked(bank: Bank) -> None:
    _, e2e, oere = bank.transfer("B1")
    body = camt054("CAMT-1", DEBTOR_IBAN, e2e, oere)
    (first,) = bank.answer("camt.xml", body)
    assert (first.outcome, first.booked_claims) == ("read", 2)
    (second,) = bank.answer("camt-again.xml", body)
    assert second.outcome == "already read" and "camt.xml" in second.reason
    with bank.nights.engine.connect() as connection:
        kinds = connection.execute(
            text("SELECT kind, COUNT(*) FROM claim_events GROUP BY kind")
        ).all()
    assert [tuple(k) for k in kinds] == [("booked", 2)]
    assert bank.nights.life("B1").state is State.PAID


def test_answers_that_do_not_fit_are_kept_for_finance_never_dropped(bank: Bank) -> None:
    batch, e2e, oere = bank.transfer("B1")
    bank.answer("unknown.xml", pain002("STS-2", batch, [("NO-SUCH-E2E", "RJCT", "AC01")]))
    bank.answer("other-account.xml", camt054("CAMT-2", "DK8930000001234567", e2e, oere))
    bank.answer("amount.xml", camt054("CAMT-3", DEBTOR_IBAN, e2e, oere + 1))
    bank.answer("never-sent.xml", pain002("STS-3", "NEVER-SENT-BATCH", [], group="RJCT"))
    problems = bank.unmatched()
    assert "an EndToEndId the ledger never sent" in problems
    assert any("another debtor account" in p for p in problems)
    assert any(p.startswith("amount differs: the answer says 2.600,01 kr.") for p in problems)
    assert "a status for a payment file the ledger never sent" in problems
    assert bank.nights.life("B1").state is State.PAID  # nothing moved
    bank.nights.assert_paid_at_most_once()


def test_an_unreadable_answer_is_quarantined_with_its_reason(bank: Bank) -> None:
    (taken,) = bank.answer("garbage.xml", "<Document>not a bank answer</Document>")
    assert taken.outcome == "refused"
    reason = bank.data / "quarantine" / "bank_answers" / "garbage.xml.reason.txt"
    assert reason.read_text(encoding="utf-8").strip() == taken.reason


def test_a_nemkonto_cheque_pays_the_claim_and_says_so(bank: Bank) -> None:
    batch, e2e, _ = bank.transfer("B1")
    body = (
        "answer_id;answer_type;bundle_id;end_to_end_id;amount;outcome;reason;answered_on\n"
        f"N-1;7;{batch};{e2e};2.600,00;cheque;ingen NemKonto;2026-11-24\n"
    )
    (taken,) = bank.answer("nks.csv", body)
    assert (taken.booked_claims, taken.returned_claims) == (2, 0)
    assert bank.nights.life("B1").state is State.PAID
    with bank.nights.engine.connect() as connection:
        detail = connection.execute(
            text("SELECT detail FROM claim_events WHERE kind = 'booked' LIMIT 1")
        ).scalar_one()
    assert '"nks_outcome": "cheque"' in detail
