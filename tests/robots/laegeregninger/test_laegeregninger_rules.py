"""The laegeregninger robot on plain tables: fees, matching and every rule, clean and dirty.

Fees from domain.md 5.1 / G: LAE 125 397 kr., LAE 135 796 kr. (med tolk 1.035), LAE 265
1.544 kr. (med tolk 2.007), LAE 285 1.140 kr. (med tolk 1.290), LAE 155 efter regning.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from robots.core.robot import EvaluationContext
from robots.laegeregninger.fees import fee_card, price_invoices
from robots.laegeregninger.robot import ROBOT, compute, normalise_code, prepare

NIGHT = date(2026, 11, 23)
ALIVE, DEAD = "0101501234", "0202502345"
UNKNOWN_CPR = "0303503456"
CLINIC, OTHER_CLINIC, CLOSED_CLINIC, UNKNOWN_CLINIC = "12345674", "23456787", "34567891", "45678913"


def _ts(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text) if text else pd.NaT


def references() -> dict[str, pd.DataFrame]:
    citizens = pd.DataFrame(
        {
            "cpr": [ALIVE, DEAD],
            "status": ["active", "dead"],
            "status_date": [pd.NaT, _ts("2026-10-01")],
        }
    )
    companies = pd.DataFrame(
        {
            "cvr": [CLINIC, OTHER_CLINIC, CLOSED_CLINIC],
            "status": ["active", "active", "bankrupt"],
            "status_date": [pd.NaT, pd.NaT, _ts("2026-06-01")],
        }
    )
    requests = pd.DataFrame(
        {
            "request_id": ["R1", "R2", "R3", "R4", "R5", "R6"],
            "cpr": [ALIVE, ALIVE, ALIVE, DEAD, ALIVE, ALIVE],
            "certificate_code": ["LÆ265", "LÆ285", "LÆ125", "LÆ125", "LÆ135", "LÆ145"],
            "doctor_cvr": [CLINIC, CLINIC, CLINIC, CLINIC, CLINIC, CLOSED_CLINIC],
            "requested_date": [_ts("2026-11-01")] * 6,
            "case_area": ["jobcenter"] * 6,
        }
    )
    return {"citizens": citizens, "companies": companies, "certificate_requests": requests}


def invoice(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "invoice_id": "F1",
        "doctor_cvr": CLINIC,
        "request_id": "R1",
        "cpr": ALIVE,
        "certificate_code": "LÆ265",
        "service_date": _ts("2026-11-10"),
        "invoice_date": _ts("2026-11-12"),
        "amount": 154_400,
        "invoice_line": "",
        "document_type": "",
        "credited_invoice_id": "",
    }
    row.update(overrides)
    return row


def run(rows: list[dict[str, object]], mode: str = "production", **ledger: object) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("invoice_id", "doctor_cvr", "request_id", "cpr", "certificate_code"):
        frame[column] = frame[column].astype("string")
    frame["amount"] = frame["amount"].astype("Int64")
    context = EvaluationContext(
        night=NIGHT, mode=mode, municipality_code=173, references=references()
    )
    prepared = prepare(frame)
    prepared["fingerprint"] = ROBOT.fingerprint(prepared)  # as the pipeline does
    computed = compute(prepared, context)
    for column, values in ledger.items():
        computed[column] = values
    return ROBOT.check(computed, context).assign(
        claim_id=lambda f: f["row"].map(computed["claim_id"])
    ), computed


def fired(
    rows: list[dict[str, object]], mode: str = "production", **ledger: object
) -> dict[str, set[str]]:
    found, _ = run(rows, mode, **ledger)
    return {cid: set(group["rule_id"]) for cid, group in found.groupby("claim_id")}


def test_fee_card_2026_holds_the_sourced_fees_carried_forward_as_provisional() -> None:
    card, terms = fee_card([2026])
    fees = {(c, v): f for c, v, f in card[["code", "variant", "fee_oere"]].itertuples(index=False)}
    assert fees[("LÆ125", "standard")] == 39_700
    assert fees[("LÆ135", "interpreter")] == 103_500
    assert fees[("LÆ265", "standard")] == 154_400
    assert fees[("LÆ285", "standard")] == 114_000
    assert fees[("LÆ285", "interpreter")] == 129_000
    assert terms.set_index("code").loc["LÆ155", "by_invoice"]
    assert terms["provisional"].all()  # no current fee card is sourced (domain.md G)


@pytest.mark.parametrize(
    ("code", "oere", "matches"),
    [
        ("LÆ265", 154_400, True),
        ("LÆ265", 200_700, True),  # med tolk
        ("LÆ265", 154_401, False),  # one øre off
        ("LÆ285", 114_000, True),
        ("LÆ285", 100_700, False),  # the 2015 fee, no longer valid
        ("LÆ225", 29_000, True),  # without a sygesikringsydelse in the same consultation
    ],
)
def test_an_invoice_matches_only_a_fee_of_its_code(code: str, oere: int, matches: bool) -> None:
    priced = price_invoices(pd.Series([code]), pd.Series([2026]), pd.Series([oere]))
    assert bool(priced["fee_matches"].iloc[0]) is matches
    assert bool(priced["fee_known"].iloc[0])


def test_codes_are_read_in_every_usual_spelling() -> None:
    spelled = pd.Series(["LÆ 265", "lae265", "LAE-285", "Friattest", "LÆ265"])
    assert normalise_code(spelled).tolist() == ["LÆ265", "LÆ265", "LÆ285", "FRIATTEST", "LÆ265"]


def test_a_clean_invoice_fires_nothing_in_demo_and_only_the_provisional_fee_in_production() -> None:
    assert fired([invoice()], mode="demo") == {f"{CLINIC}-F1-1": {"LR-PROVISIONAL-FEE-DEMO"}}
    assert fired([invoice()]) == {f"{CLINIC}-F1-1": {"LR-PROVISIONAL-FEE"}}


def test_the_computed_claim_pays_the_doctor_by_cvr_on_the_request() -> None:
    _, computed = run([invoice()])
    row = computed.iloc[0]
    assert (row["payee_kind"], row["payee_id"], row["amount_oere"]) == ("cvr", CLINIC, 154_400)
    assert row["bill_key"] == "REQ:R1"
    assert row["document_key"] == f"{CLINIC}/F1"
    assert row["match"] == "reference"


CASES = {
    "LR-NO-REQUEST": invoice(request_id="", certificate_code="LÆ145"),
    "LR-REQUEST-UNKNOWN": invoice(request_id="R99"),
    "LR-FEE-MISMATCH": invoice(amount=160_000),
    "LR-FEE-BY-INVOICE": invoice(certificate_code="LÆ155", amount=250_000),
    "LR-CODE-UNKNOWN": invoice(certificate_code="LÆ999"),
    "LR-NOT-MUNICIPAL": invoice(certificate_code="Friattest", amount=50_000, request_id=""),
    "LR-CODE-DIFFERS": invoice(request_id="R3"),  # R3 asked for LÆ125, LÆ265 delivered
    "LR-DOCTOR-DIFFERS": invoice(doctor_cvr=OTHER_CLINIC),
    "LR-CITIZEN-DIFFERS": invoice(request_id="R4", certificate_code="LÆ125", amount=39_700),
    "LR-BEFORE-REQUEST": invoice(service_date=_ts("2026-10-20")),
    "LR-SELLER-INACTIVE": invoice(
        request_id="R6", certificate_code="LÆ145", doctor_cvr=CLOSED_CLINIC
    ),
    "LR-SELLER-UNKNOWN": invoice(doctor_cvr=UNKNOWN_CLINIC),
    "LR-CITIZEN-UNKNOWN": invoice(cpr=UNKNOWN_CPR, request_id=""),
    "LR-STALE": invoice(
        service_date=_ts("2025-01-10"), invoice_date=_ts("2026-11-12"), request_id=""
    ),
    "LR-AMOUNT-ZERO": invoice(certificate_code="LÆ105", amount=0, request_id=""),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_each_rule_fires_on_its_case(rule_id: str) -> None:
    found = fired([CASES[rule_id]], mode="demo")
    assert any(rule_id in rules for rules in found.values()), found


def test_a_dead_citizen_before_the_certificate_is_held() -> None:
    row = invoice(request_id="R4", cpr=DEAD, certificate_code="LÆ125", amount=39_700)
    assert fired([row], mode="demo")[f"{CLINIC}-F1-1"] == {
        "LR-CITIZEN-DEAD",
        "LR-PROVISIONAL-FEE-DEMO",
    }


def test_a_missing_reference_falls_back_to_citizen_certificate_and_doctor() -> None:
    _, computed = run([invoice(request_id="", certificate_code="LÆ285", amount=114_000)])
    assert computed.iloc[0]["req_id"] == "R2"
    assert computed.iloc[0]["match"] == "fallback"


def test_the_fallback_window_is_kept() -> None:
    late = invoice(request_id="", service_date=_ts("2027-03-01"), invoice_date=_ts("2027-03-01"))
    _, computed = run([late])
    assert computed.iloc[0]["match"] == "none"  # 120 days after the request: outside 90


def test_one_request_invoiced_twice_tonight_holds_the_later_invoice() -> None:
    first = invoice(invoice_id="F1", invoice_date=_ts("2026-11-12"))
    second = invoice(invoice_id="F2", doctor_cvr=OTHER_CLINIC, invoice_date=_ts("2026-11-13"))
    found = fired([first, second], mode="demo")
    assert "LR-REQUEST-TWICE" not in found[f"{CLINIC}-F1-1"]
    assert "LR-REQUEST-TWICE" in found[f"{OTHER_CLINIC}-F2-1"]


def test_a_request_paid_on_an_earlier_night_is_rejected() -> None:
    found = fired(
        [invoice()], mode="demo", bill_paid_claim_id=pd.Series(["X-OLD-1"]), bill_paid_oere=154_400
    )
    assert "LR-REQUEST-PAID" in found[f"{CLINIC}-F1-1"]


def test_the_same_bill_twice_tonight_under_two_numbers_holds_the_later() -> None:
    found = fired(
        [invoice(invoice_id="F1"), invoice(invoice_id="F2", invoice_date=_ts("2026-11-13"))],
        mode="demo",
    )
    assert "LR-DUP-NIGHT" in found[f"{CLINIC}-F2-1"]
    assert "LR-DUP-NIGHT" not in found[f"{CLINIC}-F1-1"]


def credit(**overrides: object) -> dict[str, object]:
    return invoice(
        **{
            "invoice_id": "K1",
            "document_type": "credit_note",
            "credited_invoice_id": "F0",
            "amount": 50_000,
            "request_id": "",
            **overrides,
        }
    )


def test_a_credit_note_for_a_paid_invoice_is_set_off_negative() -> None:
    found, computed = run(
        [credit()], mode="demo", credited_claim_id=pd.Series(["old"]), credited_oere=154_400
    )
    assert computed.iloc[0]["amount_oere"] == -50_000
    assert computed.iloc[0]["claim_id"] == f"{CLINIC}-CN-K1-1"
    assert found.empty


def test_a_credit_note_for_an_unpaid_invoice_is_held() -> None:
    assert "LR-CREDIT-NO-INVOICE" in fired([credit()], mode="demo")[f"{CLINIC}-CN-K1-1"]


def test_a_credit_note_beyond_what_was_paid_is_held() -> None:
    found = fired(
        [credit(amount=100_000)],
        mode="demo",
        credited_claim_id=pd.Series(["old"]),
        credited_oere=154_400,
        bill_paid_oere=-60_000,  # 600 kr. was credited on an earlier night
    )
    assert "LR-CREDIT-EXCEEDS" in found[f"{CLINIC}-CN-K1-1"]
