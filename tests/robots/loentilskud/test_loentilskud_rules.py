"""The loentilskud robot on plain tables: the amount, the cap and every rule, at and past
their edges, and the look-alikes that must be paid.

Worked examples (domain.md F, DERIVED from BEK § 88): private, 2023 rate 86,16 x 150 hours
= 12.924,00; public, 2023 rate 125,13 x 150 = 18.769,50; 0 hours -> 0.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from robots.core.robot import EvaluationContext
from robots.loentilskud import rules
from robots.loentilskud.robot import ROBOT, compute

NIGHT = date(2026, 11, 23)
P1, P_DEAD, P_GONE, P_DURING, P_FLEX, P_BENEFIT, P_AFTER = (
    "0101701234",
    "0202702345",
    "0303703456",
    "0404704567",
    "0505705678",
    "0606706789",
    "0707707890",
)
EMP, PUB, OTHER, BANKRUPT, BANKRUPT_DURING, BANKRUPT_AFTER, UNSECTORED = (
    "12345674",
    "23456787",
    "34567891",
    "45678913",
    "56789125",
    "67891237",
    "78912349",
)


def _ts(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text) if text else pd.NaT


def _agreement(
    agreement_id: str, cpr: str, cvr: str, start: str, end: str, **more: object
) -> dict[str, object]:
    row: dict[str, object] = {
        "agreement_id": agreement_id,
        "cpr": cpr,
        "employer_cvr": cvr,
        "target_group": "dagpenge",
        "start_date": _ts(start),
        "end_date": _ts(end),
        "weekly_hours": 3700,
    }
    row.update(more)
    return row


def references() -> dict[str, pd.DataFrame]:
    agreements = pd.DataFrame(
        [
            _agreement("A1", P1, EMP, "2023-01-01", "2023-05-31"),
            _agreement("A2", P1, PUB, "2023-01-01", "2023-12-31"),
            _agreement("A6", P1, EMP, "2023-01-01", "2023-06-30"),
            _agreement("A7", P1, EMP, "2023-01-15", "2023-12-31"),
            _agreement("A8", P1, EMP, "2022-10-01", "2023-03-31", target_group="kontanthjaelp"),
            _agreement("A9", P1, PUB, "2022-01-01", "2022-06-30"),
            _agreement("A10", P1, EMP, "2026-01-01", "2026-06-30"),
            _agreement("GONE", P1, BANKRUPT, "2023-01-01", "2023-06-30"),
            _agreement("GOING", P1, BANKRUPT_DURING, "2023-01-01", "2023-06-30"),
            _agreement("LATER", P1, BANKRUPT_AFTER, "2023-01-01", "2023-06-30"),
            _agreement("NOSECTOR", P1, UNSECTORED, "2023-01-01", "2023-06-30"),
            _agreement("DEAD", P_DEAD, EMP, "2023-01-01", "2023-06-30"),
            _agreement("EMIG", P_GONE, EMP, "2023-01-01", "2023-06-30"),
            _agreement("DURING", P_DURING, EMP, "2023-01-01", "2023-06-30"),
            _agreement("FLEX", P_FLEX, EMP, "2023-01-01", "2023-06-30"),
            _agreement("BEN", P_BENEFIT, EMP, "2023-01-01", "2023-06-30"),
            _agreement("BENAFTER", P_AFTER, EMP, "2023-03-01", "2023-06-30"),
            _agreement("UNKNOWNP", "0808808901", EMP, "2023-01-01", "2023-06-30"),
            _agreement("OPEN", P1, EMP, "2023-01-01", None),
        ]
    )
    agreements["weekly_hours"] = agreements["weekly_hours"].astype("Int64")
    citizens = pd.DataFrame(
        {
            "cpr": [P1, P_DEAD, P_GONE, P_DURING, P_FLEX, P_BENEFIT, P_AFTER],
            "status": ["active", "dead", "emigrated", "dead", "active", "active", "active"],
            "status_date": [
                pd.NaT,
                _ts("2023-02-10"),
                _ts("2023-02-10"),
                _ts("2023-03-10"),
                pd.NaT,
                pd.NaT,
                pd.NaT,
            ],
        }
    )
    companies = pd.DataFrame(
        {
            "cvr": [EMP, PUB, OTHER, BANKRUPT, BANKRUPT_DURING, BANKRUPT_AFTER, UNSECTORED],
            "status": ["active", "active", "active", "bankrupt", "bankrupt", "bankrupt", "active"],
            "status_date": [
                pd.NaT,
                pd.NaT,
                pd.NaT,
                _ts("2023-02-01"),
                _ts("2023-03-15"),
                _ts("2023-04-01"),
                pd.NaT,
            ],
            "sector": ["private", "public", "private", "private", "private", "private", None],
        }
    )
    flex_jobs = pd.DataFrame(
        {
            "job_id": ["J1"],
            "cpr": [P_FLEX],
            "employer_cvr": [OTHER],
            "start_date": [_ts("2023-03-20")],
            "end_date": [pd.NaT],
        }
    )
    other_benefits = pd.DataFrame(
        {
            "cpr": [P_BENEFIT, P_AFTER],
            "benefit": ["dagpenge", "dagpenge"],
            "period_start": [_ts("2023-03-01"), _ts("2022-09-01")],
            "period_end": [_ts("2023-03-10"), _ts("2023-02-28")],
        }
    )
    return {
        "subsidy_agreements": agreements,
        "citizens": citizens,
        "companies": companies,
        "flex_jobs": flex_jobs,
        "other_benefits": other_benefits,
    }


def claim(claim_id: str = "C1", **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "claim_id": claim_id,
        "agreement_id": "A1",
        "employer_cvr": EMP,
        "period_start": _ts("2023-03-01"),
        "period_end": _ts("2023-03-31"),
        "hours": 15000,
    }
    row.update(overrides)
    return row


def run(
    rows: list[dict[str, object]], mode: str = "production"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = pd.DataFrame(rows)
    for column in ("claim_id", "agreement_id", "employer_cvr"):
        frame[column] = frame[column].astype("string")
    frame["hours"] = frame["hours"].astype("Int64")
    context = EvaluationContext(
        night=NIGHT, mode=mode, municipality_code=173, references=references()
    )
    computed = compute(frame, context)
    found = ROBOT.check(computed, context)
    found["claim_id"] = found["row"].map(computed["claim_id"])
    return found, computed


def fired(
    rows: list[dict[str, object]], claim_id: str = "C1", mode: str = "production"
) -> set[str]:
    found, _ = run(rows, mode)
    return set(found.loc[found["claim_id"] == claim_id, "rule_id"])


def amount(rows: list[dict[str, object]], claim_id: str = "C1") -> int:
    _, computed = run(rows)
    return int(computed.loc[computed["claim_id"] == claim_id, "amount_oere"].iloc[0])


def test_the_worked_examples_private_public_and_no_hours() -> None:
    assert amount([claim()]) == 1_292_400
    assert fired([claim()]) == set()
    assert amount([claim(agreement_id="A2", employer_cvr=PUB)]) == 1_876_950
    assert fired([claim(agreement_id="A2", employer_cvr=PUB)]) == set()
    assert amount([claim(hours=0)]) == 0


def test_hours_capped_at_the_agreed_weekly_hours_for_the_periods_weeks() -> None:
    """March: 31 days = 31/7 weeks; 37 h a week allow 163,85 h (rounded down)."""
    at_cap = [claim(hours=16385)]
    assert fired(at_cap) == set()
    assert amount(at_cap) == 1_411_732  # 86,16 x 163,85 = 14.117,316 -> 14.117,32
    above = [claim(hours=16386)]
    assert fired(above) == {rules.HOURS_ABOVE_AGREED}
    assert amount(above) == 1_411_732  # what could be paid: the capped hours


@pytest.mark.parametrize(
    ("case", "rows", "expected"),
    [
        ("no agreement", [claim(agreement_id="A404")], {rules.NO_AGREEMENT}),
        ("another employer", [claim(employer_cvr=OTHER)], {rules.OTHER_EMPLOYER}),
        (
            "wholly outside",
            [claim(period_start=_ts("2023-06-01"), period_end=_ts("2023-06-30"))],
            {rules.OUTSIDE_AGREEMENT},
        ),
        (
            "partly outside",
            [claim(period_start=_ts("2023-05-15"), period_end=_ts("2023-06-14"), hours=8000)],
            {rules.PARTLY_OUTSIDE},
        ),
        (
            "bankrupt before",
            [claim(agreement_id="GONE", employer_cvr=BANKRUPT)],
            {rules.EMPLOYER_GONE},
        ),
        (
            "bankrupt during",
            [claim(agreement_id="GOING", employer_cvr=BANKRUPT_DURING)],
            {rules.EMPLOYER_ENDING},
        ),
        ("dead before", [claim(agreement_id="DEAD")], {rules.DEAD}),
        ("emigrated before", [claim(agreement_id="EMIG")], {rules.EMIGRATED}),
        ("dead during", [claim(agreement_id="DURING")], {rules.CITIZEN_ENDING}),
        ("not in CPR", [claim(agreement_id="UNKNOWNP")], {rules.CITIZEN_ENDING}),
        ("in a fleksjob", [claim(agreement_id="FLEX")], {rules.IN_FLEKSJOB}),
        ("on another benefit", [claim(agreement_id="BEN")], {rules.OTHER_BENEFIT}),
        (
            "public dagpenge past 4 months",
            [
                claim(
                    agreement_id="A2",
                    employer_cvr=PUB,
                    period_start=_ts("2023-05-01"),
                    period_end=_ts("2023-05-31"),
                )
            ],
            {rules.DURATION},
        ),
        (
            "private from the 15th, one day past 6 months",
            [
                claim(
                    agreement_id="A7", period_start=_ts("2023-06-16"), period_end=_ts("2023-07-15")
                )
            ],
            {rules.DURATION},
        ),
        (
            "across the new year",
            [
                claim(
                    agreement_id="A8", period_start=_ts("2022-12-15"), period_end=_ts("2023-01-14")
                )
            ],
            {rules.TWO_YEARS},
        ),
        (
            "2022 public: no rate",
            [
                claim(
                    agreement_id="A9",
                    employer_cvr=PUB,
                    period_start=_ts("2022-03-01"),
                    period_end=_ts("2022-03-31"),
                )
            ],
            {rules.NO_RATE},
        ),
        ("no sector", [claim(agreement_id="NOSECTOR", employer_cvr=UNSECTORED)], {rules.NO_RATE}),
        (
            "2026 production: provisional",
            [
                claim(
                    agreement_id="A10", period_start=_ts("2026-03-01"), period_end=_ts("2026-03-31")
                )
            ],
            {rules.PROVISIONAL},
        ),
    ],
)
def test_each_rule_fires_alone_on_its_case(
    case: str, rows: list[dict[str, object]], expected: set[str]
) -> None:
    assert fired(rows) == expected, case


@pytest.mark.parametrize(
    ("case", "rows"),
    [
        (
            "public dagpenge, exactly 4 months",
            [
                claim(
                    agreement_id="A2",
                    employer_cvr=PUB,
                    period_start=_ts("2023-04-01"),
                    period_end=_ts("2023-04-30"),
                )
            ],
        ),
        (
            "private, exactly 6 months",
            [
                claim(
                    agreement_id="A6", period_start=_ts("2023-06-01"), period_end=_ts("2023-06-30")
                )
            ],
        ),
        (
            "private from the 15th, the last allowed day",
            [
                claim(
                    agreement_id="A7", period_start=_ts("2023-06-15"), period_end=_ts("2023-07-14")
                )
            ],
        ),
        ("bankrupt after the period", [claim(agreement_id="LATER", employer_cvr=BANKRUPT_AFTER)]),
        ("a benefit that ended the day before the agreement", [claim(agreement_id="BENAFTER")]),
        (
            "consecutive months under one agreement",
            [
                claim(
                    "C1", period_start=_ts("2023-02-01"), period_end=_ts("2023-02-28"), hours=14000
                ),
                claim("C2", period_start=_ts("2023-03-01"), period_end=_ts("2023-03-31")),
            ],
        ),
    ],
)
def test_look_alikes_are_paid(case: str, rows: list[dict[str, object]]) -> None:
    found, _ = run(rows)
    assert found.empty, (case, found.to_dict("records"))


def test_an_agreement_with_no_end_date_runs_until_the_legal_maximum() -> None:
    within = [
        claim(agreement_id="OPEN", period_start=_ts("2023-06-01"), period_end=_ts("2023-06-30"))
    ]
    assert fired(within) == set()
    assert amount(within) == 1_292_400
    beyond = [
        claim(agreement_id="OPEN", period_start=_ts("2023-07-01"), period_end=_ts("2023-07-31"))
    ]
    assert fired(beyond) == {rules.DURATION}


def test_the_same_hours_claimed_twice_tonight_hold_the_later_claim() -> None:
    rows = [
        claim("C1"),
        claim("C2", period_start=_ts("2023-03-31"), period_end=_ts("2023-04-29")),
        claim("C3", period_start=_ts("2023-04-30"), period_end=_ts("2023-05-20")),
    ]
    found, _ = run(rows)
    assert set(found.loc[found["rule_id"] == rules.OVERLAP, "claim_id"]) == {"C2"}
    assert "overlaps claim C1" in found.loc[found["claim_id"] == "C2", "message"].iloc[0]


def test_a_period_overlapping_an_earlier_claim_in_the_ledger_is_held() -> None:
    frame = pd.DataFrame([claim("C9")])
    for column in ("claim_id", "agreement_id", "employer_cvr"):
        frame[column] = frame[column].astype("string")
    frame["hours"] = frame["hours"].astype("Int64")
    context = EvaluationContext(
        night=NIGHT, mode="production", municipality_code=173, references=references()
    )
    computed = compute(frame, context)
    computed["overlap_claim_id"] = pd.array(["OLD-7"], dtype="string")
    found = ROBOT.check(computed, context)
    assert list(found["rule_id"]) == [rules.OVERLAP]
    assert "OLD-7" in found["message"].iloc[0]


def test_demo_pays_a_provisional_rate_and_says_so() -> None:
    rows = [claim(agreement_id="A10", period_start=_ts("2026-03-01"), period_end=_ts("2026-03-31"))]
    assert fired(rows, mode="demo") == {rules.PROVISIONAL_DEMO}
    assert amount(rows) == 1_292_400  # 2023's 86,16 carried forward


def test_the_payment_goes_to_the_employer_on_its_grouping() -> None:
    _, computed = run([claim(), claim("C2", agreement_id="A2", employer_cvr=PUB)])
    assert list(computed["payee_kind"]) == ["cvr", "cvr"]
    assert list(computed["payee_id"]) == [EMP, PUB]
    assert list(computed["posting_grouping"]) == ["114", "115"]
    assert list(computed["document_key"]) == ["AGR:A1", "AGR:A2"]
    assert list(computed["service_end"]) == [_ts("2023-03-31"), _ts("2023-03-31")]
