"""The helbredstillaeg cross-checks (robots/helbredstillaeg/checks.py) run as the pipeline runs
them: robots.helbredstillaeg.robot.compute, then check.

Each test starts from a clean night (a control citizen B with a clean claim at row 0, the
citizen under test A with a clean claim at row 1), changes one thing, and asserts which
rule fires on which row with what evidence. Frames are typed as parse produces them.
CPR numbers are made up; CVR numbers are made up with a valid check digit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from robots.core.pipeline.datasets import CITIZENS, COMPANIES, Dataset
from robots.core.pipeline.datasets import ColumnType as T
from robots.core.pipeline.reading import LINE
from robots.core.robot import EvaluationContext
from robots.helbredstillaeg.datasets import HEALTH_CLAIMS, PENSIONERS
from robots.helbredstillaeg.robot import check, compute, fingerprint

NIGHT = date(2026, 11, 23)
MUNICIPALITY = 173
CPR_A = "0101501234"  # the citizen under test
CPR_B = "0202421234"  # the control citizen
APOTEK = "12345674"
KLINIK = "25313763"
PLANTED = 1  # row of the claim under test


def claim(**changes: Any) -> dict[str, Any]:
    row = {
        "claim_id": "C-A1",
        "cpr": CPR_A,
        "expense_type": "medicin",
        "provider_cvr": APOTEK,
        "service_date": "2026-11-01",
        "citizen_share": 4500,  # 45.00 kr.
        "received_date": "2026-11-02",
        "approval_date": None,
    }
    return row | changes


def citizen(**changes: Any) -> dict[str, Any]:
    row = {
        "cpr": CPR_A,
        "name": "Test Borger A",
        "status": "active",
        "status_date": None,
        "municipality_code": MUNICIPALITY,
        "civil_status": "single",
        "moved_date": None,
    }
    return row | changes


def pension(**changes: Any) -> dict[str, Any]:
    row = {
        "cpr": CPR_A,
        "pension_type": "folkepension",
        "supplement_percent": 75,
        "liquid_assets": 5_000_000,  # 50.000 kr.
        "valid_from": "2024-01-01",
        "valid_to": None,
        "awarded_date": None,
    }
    return row | changes


def company(**changes: Any) -> dict[str, Any]:
    row = {
        "cvr": APOTEK,
        "name": "Apoteket",
        "status": "active",
        "status_date": None,
        "sector": "private",
    }
    return row | changes


CONTROL_CLAIM = claim(
    claim_id="C-B1",
    cpr=CPR_B,
    expense_type="fysioterapi",
    provider_cvr=KLINIK,
    service_date="2026-10-15",
    citizen_share=30000,  # 300.00 kr.
    received_date="2026-10-20",
)
CONTROL_CITIZEN = citizen(cpr=CPR_B, name="Test Borger B", civil_status="married")
CONTROL_PENSION = pension(cpr=CPR_B, supplement_percent=100, liquid_assets=0)
CONTROL_COMPANY = company(cvr=KLINIK, name="Klinikken")


def typed(rows: list[dict[str, Any]], dataset: Dataset) -> pd.DataFrame:
    """Rows with the dtypes parse gives: datetime64[s], Int64, string; and `_line`."""
    frame = pd.DataFrame({LINE: pd.Series(range(2, 2 + len(rows)), dtype="int64")})
    for col in dataset.columns:
        values = [r.get(col.name) for r in rows]
        if col.type is T.DATE:
            frame[col.name] = pd.Series(pd.to_datetime(values), dtype="datetime64[s]")
        elif col.type in (T.MONEY, T.INT):
            frame[col.name] = pd.Series(values, dtype="Int64")
        else:
            frame[col.name] = pd.Series(values, dtype="string")
    return frame


def night(
    *claims: dict[str, Any],
    citizens: list[dict[str, Any]] | None = None,
    pensions: list[dict[str, Any]] | None = None,
    companies: list[dict[str, Any]] | None = None,
    mode: str = "production",
    optional_columns: frozenset[str] = frozenset({"approval_date"}),
    history: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """compute + check over the control claim and `claims` (default: one clean claim)."""
    frame = typed([CONTROL_CLAIM, *(claims or [claim()])], HEALTH_CLAIMS)
    frame["fingerprint"] = fingerprint(frame)
    citizens = [citizen()] if citizens is None else citizens
    pensions = [pension()] if pensions is None else pensions
    companies = [company()] if companies is None else companies
    references = {
        "citizens": typed([CONTROL_CITIZEN, *citizens], CITIZENS),
        "pensioners": typed([CONTROL_PENSION, *pensions], PENSIONERS),
        "companies": typed([CONTROL_COMPANY, *companies], COMPANIES),
    }
    context = EvaluationContext(
        night=NIGHT,
        mode=mode,
        municipality_code=MUNICIPALITY,
        references=references,
        optional_columns=optional_columns,
        amount_history=history,
    )
    computed = compute(frame, context)
    return computed, check(computed, context)


def fired(found: pd.DataFrame) -> list[tuple[int, str]]:
    return sorted(zip(found["row"].astype(int).tolist(), found["rule_id"].tolist(), strict=True))


def message(found: pd.DataFrame, rule_id: str, row: int = PLANTED) -> str:
    [text] = found.loc[(found["rule_id"] == rule_id) & (found["row"] == row), "message"].tolist()
    return str(text)


# --- the clean night ---------------------------------------------------------------------


def test_clean_claim_has_no_findings_and_the_ht1_amount() -> None:
    computed, found = night()

    assert fired(found) == []
    # HT-1: 85 % x 45.00 kr. x 75 % = 28.6875 -> 28.69 kr.
    assert computed["amount_oere"].tolist()[PLANTED] == 2869
    assert computed["basis_oere"].tolist()[PLANTED] == 4500
    # Control: 85 % x 300.00 kr. x 100 % = 255.00 kr.
    assert computed["amount_oere"].tolist()[0] == 25500
    assert computed["rate_year"].tolist() == [2026, 2026]
    assert computed["rate_provisional"].tolist() == [False, False]
    assert computed["asset_limit_oere"].tolist() == [10_800_000, 10_800_000]
    assert computed["payee_id"].tolist() == [CPR_B, CPR_A]
    assert computed["counterparty"].tolist() == [KLINIK, APOTEK]
    assert computed["category"].tolist() == ["fysioterapi", "medicin"]


def test_findings_have_the_finding_columns() -> None:
    _, found = night(claim(), citizens=[citizen(status="dead", status_date="2026-10-01")])
    assert list(found.columns) == ["row", "rule_id", "message"]


# --- citizen -----------------------------------------------------------------------------


def test_dead_before_the_service_date() -> None:
    _, found = night(citizens=[citizen(status="dead", status_date="2026-10-01")])

    assert fired(found) == [(PLANTED, "HT-DEAD")]
    assert message(found, "HT-DEAD") == "CPR status dead since 2026-10-01; service date 2026-11-01"


def test_dead_on_the_service_date_counts_as_before() -> None:
    _, found = night(citizens=[citizen(status="dead", status_date="2026-11-01")])
    assert fired(found) == [(PLANTED, "HT-DEAD")]


def test_dead_after_the_service_date() -> None:
    _, found = night(citizens=[citizen(status="dead", status_date="2026-11-10")])

    assert fired(found) == [(PLANTED, "HT-DEAD-AFTER")]
    assert message(found, "HT-DEAD-AFTER") == (
        "CPR status dead since 2026-11-10; service date 2026-11-01"
    )


def test_emigrated_before_the_service_date() -> None:
    _, found = night(citizens=[citizen(status="emigrated", status_date="2026-06-30")])

    assert fired(found) == [(PLANTED, "HT-EMIGRATED")]
    assert message(found, "HT-EMIGRATED") == (
        "CPR status emigrated since 2026-06-30; service date 2026-11-01"
    )


def test_emigrated_after_the_service_date_is_not_a_finding() -> None:
    _, found = night(citizens=[citizen(status="emigrated", status_date="2026-11-15")])
    assert fired(found) == []


def test_missing_citizen() -> None:
    _, found = night(citizens=[citizen(status="missing", status_date="2026-09-01")])

    assert fired(found) == [(PLANTED, "HT-MISSING")]
    assert message(found, "HT-MISSING") == (
        "CPR status missing since 2026-09-01; service date 2026-11-01"
    )


def test_moved_away_before_the_service_date() -> None:
    _, found = night(citizens=[citizen(municipality_code=101, moved_date="2026-08-01")])

    assert fired(found) == [(PLANTED, "HT-MOVED")]
    assert message(found, "HT-MOVED") == (
        "lives in municipality 101 since 2026-08-01; service date 2026-11-01"
    )


def test_moved_away_after_the_service_date_is_not_a_finding() -> None:
    _, found = night(citizens=[citizen(municipality_code=101, moved_date="2026-11-05")])
    assert fired(found) == []


def test_moved_away_on_an_unknown_date() -> None:
    _, found = night(citizens=[citizen(municipality_code=101, moved_date=None)])

    assert fired(found) == [(PLANTED, "HT-MOVED-UNKNOWN")]
    assert message(found, "HT-MOVED-UNKNOWN") == (
        "lives in municipality 101 since an unknown date; service date 2026-11-01"
    )


# --- pension -----------------------------------------------------------------------------


def test_no_pension_record() -> None:
    _, found = night(pensions=[])

    assert fired(found) == [(PLANTED, "HT-NO-PENSION")]
    assert message(found, "HT-NO-PENSION") == "no pension record valid on 2026-11-01"


def test_pension_record_that_ended_before_the_service_date() -> None:
    computed, found = night(pensions=[pension(valid_from="2024-01-01", valid_to="2026-10-31")])

    assert fired(found) == [(PLANTED, "HT-NO-PENSION")]
    assert message(found, "HT-NO-PENSION") == "no pension record valid on 2026-11-01"
    assert computed["amount_oere"].tolist()[PLANTED] == 0


def test_pension_record_that_starts_after_the_service_date() -> None:
    _, found = night(pensions=[pension(valid_from="2026-11-02")])
    assert fired(found) == [(PLANTED, "HT-NO-PENSION")]


def test_pension_record_ending_on_the_service_date_is_in_force() -> None:
    _, found = night(pensions=[pension(valid_to="2026-11-01")])
    assert fired(found) == []


def test_the_record_in_force_on_the_service_date_is_used() -> None:
    computed, found = night(
        pensions=[
            pension(supplement_percent=0, valid_from="2024-01-01", valid_to="2026-06-30"),
            pension(supplement_percent=100, valid_from="2026-07-01"),
        ]
    )
    assert fired(found) == []
    # 85 % x 45.00 kr. x 100 % = 38.25 kr.
    assert computed["amount_oere"].tolist()[PLANTED] == 3825


def test_foertidspension_awarded_after_2003() -> None:
    _, found = night(pensions=[pension(pension_type="foertidspension", awarded_date="2005-03-01")])

    assert fired(found) == [(PLANTED, "HT-FOERTID-NEW")]
    assert message(found, "HT-FOERTID-NEW") == "foertidspension awarded 2005-03-01"


def test_foertidspension_awarded_on_1_january_2003_is_new_scheme() -> None:
    _, found = night(pensions=[pension(pension_type="foertidspension", awarded_date="2003-01-01")])
    assert fired(found) == [(PLANTED, "HT-FOERTID-NEW")]


def test_foertidspension_awarded_before_2003_is_eligible() -> None:
    _, found = night(pensions=[pension(pension_type="foertidspension", awarded_date="2002-12-31")])
    assert fired(found) == []


def test_foertidspension_with_no_award_date() -> None:
    _, found = night(pensions=[pension(pension_type="foertidspension", awarded_date=None)])

    assert fired(found) == [(PLANTED, "HT-FOERTID-UNKNOWN")]
    assert message(found, "HT-FOERTID-UNKNOWN") == (
        "no award date; foertidspension in the extract since 2024-01-01"
    )


def test_foertidspension_in_force_before_2003_proves_the_old_scheme() -> None:
    _, found = night(
        pensions=[
            pension(pension_type="foertidspension", valid_from="1998-05-01", valid_to="2023-12-31"),
            pension(pension_type="foertidspension", valid_from="2024-01-01"),
        ]
    )
    assert fired(found) == []


def test_foertidspension_from_1_january_2003_without_award_date_is_held() -> None:
    _, found = night(pensions=[pension(pension_type="foertidspension", valid_from="2003-01-01")])
    assert fired(found) == [(PLANTED, "HT-FOERTID-UNKNOWN")]


def test_only_a_folkepension_before_2003_proves_nothing_about_foertidspension() -> None:
    _, found = night(
        pensions=[
            pension(pension_type="folkepension", valid_from="1995-01-01", valid_to="2009-12-31"),
            pension(pension_type="foertidspension", valid_from="2010-01-01"),
        ]
    )
    assert fired(found) == [(PLANTED, "HT-FOERTID-UNKNOWN")]


def test_assets_one_krone_above_the_2026_limit() -> None:
    _, found = night(pensions=[pension(liquid_assets=10_800_100)])  # 108.001,00 kr.

    assert fired(found) == [(PLANTED, "HT-ASSETS")]
    assert message(found, "HT-ASSETS") == (
        "liquid assets 10800100 oere above the 2026 limit 10800000 oere"
    )


def test_assets_exactly_at_the_2026_limit_are_eligible() -> None:
    _, found = night(pensions=[pension(liquid_assets=10_800_000)])  # 108.000,00 kr.
    assert fired(found) == []


def test_assets_use_the_limit_of_the_service_year() -> None:
    # 2024's limit is 99.200 kr.: 100.000 kr. is above it, though below 2026's.
    _, found = night(
        claim(service_date="2024-06-01", received_date="2024-06-10"),
        pensions=[pension(liquid_assets=10_000_000)],
    )
    assert fired(found) == [(PLANTED, "HT-ASSETS")]
    assert message(found, "HT-ASSETS") == (
        "liquid assets 10000000 oere above the 2024 limit 9920000 oere"
    )


def test_supplement_percent_zero() -> None:
    computed, found = night(pensions=[pension(supplement_percent=0)])

    assert fired(found) == [(PLANTED, "HT-PCT-ZERO")]
    assert message(found, "HT-PCT-ZERO") == "personlig tillaegsprocent 0"
    assert computed["amount_oere"].tolist()[PLANTED] == 0


# --- the night ---------------------------------------------------------------------------


def test_same_bill_twice_holds_only_the_later_one() -> None:
    earlier = claim(claim_id="C-A9", received_date="2026-11-02")
    later = claim(claim_id="C-A1", received_date="2026-11-05")  # sorts first by id, not by date
    _, found = night(earlier, later)

    assert fired(found) == [(2, "HT-DUP-NIGHT")]
    assert message(found, "HT-DUP-NIGHT", row=2) == "same bill as claim C-A9"


def test_same_bill_received_the_same_day_holds_the_higher_claim_id() -> None:
    _, found = night(claim(claim_id="C-A2"), claim(claim_id="C-A1"))

    assert fired(found) == [(PLANTED, "HT-DUP-NIGHT")]
    assert message(found, "HT-DUP-NIGHT") == "same bill as claim C-A1"


def test_same_bill_three_times_holds_both_later_ones_against_the_first() -> None:
    # Between two other bills, so the twins are not neighbours in the night's order.
    _, found = night(
        claim(claim_id="C-A3", received_date="2026-11-04"),
        claim(claim_id="C-B7", citizen_share=999),
        claim(claim_id="C-A5", received_date="2026-11-02"),
        claim(claim_id="C-A4", received_date="2026-11-04"),
    )

    assert fired(found) == [(1, "HT-DUP-NIGHT"), (4, "HT-DUP-NIGHT")]
    assert message(found, "HT-DUP-NIGHT", row=1) == "same bill as claim C-A5"
    assert message(found, "HT-DUP-NIGHT", row=4) == "same bill as claim C-A5"


def test_bills_differing_by_one_oere_are_not_the_same_bill() -> None:
    _, found = night(claim(claim_id="C-A1"), claim(claim_id="C-A2", citizen_share=4501))
    assert fired(found) == []


def test_more_claims_for_one_citizen_than_usual() -> None:
    seven = [
        claim(claim_id=f"C-A{i}", citizen_share=4500 + i, received_date="2026-11-02")
        for i in range(1, 8)
    ]
    _, found = night(*seven)

    assert fired(found) == [(row, "HT-VELOCITY") for row in range(1, 8)]
    assert message(found, "HT-VELOCITY", row=4) == (
        "7 claims for one citizen tonight; usual at most 6"
    )


def test_six_claims_for_one_citizen_are_usual() -> None:
    six = [claim(claim_id=f"C-A{i}", citizen_share=4500 + i) for i in range(1, 7)]
    _, found = night(*six)
    assert fired(found) == []


# --- the bill ----------------------------------------------------------------------------


def test_citizen_share_above_the_ceiling() -> None:
    # config/checks.toml: medicin ceiling 8000 kr.
    _, found = night(claim(citizen_share=800_001))

    assert fired(found) == [(PLANTED, "HT-HIGH-AMOUNT")]
    assert message(found, "HT-HIGH-AMOUNT") == (
        "citizen share 8.000,01 kr. is above the ceiling of 8.000,00 kr. for medicin "
        "(config/checks.toml)"
    )


def test_citizen_share_at_the_ceiling_is_not_a_finding() -> None:
    _, found = night(claim(citizen_share=800_000))
    assert fired(found) == []


def history(expense_type: str, shares: list[int]) -> pd.DataFrame:
    """The ledger's recent claims as the pipeline hands them to the checks."""
    return pd.DataFrame(
        {
            "category": pd.Series([expense_type] * len(shares), dtype="string"),
            "basis_oere": pd.Series(shares, dtype="int64"),
        }
    )


def test_a_medicine_bill_many_times_the_usual_is_held_below_the_ceiling() -> None:
    _, found = night(claim(citizen_share=750_000), history=history("medicin", [30_000] * 100))

    assert fired(found) == [(PLANTED, "HT-HIGH-AMOUNT")]
    assert message(found, "HT-HIGH-AMOUNT") == (
        "citizen share 7.500,00 kr. is 25.0 times the median 300,00 kr. of 101 medicin bills "
        "(tonight and the ledger's recent ones); held above 10 times the median"
    )


def test_a_physiotherapy_bill_of_5500_kr_is_held_among_usual_ones() -> None:
    usual = [30_000 + 1_000 * (i % 20) for i in range(60)]  # 300-490 kr.
    _, found = night(
        claim(expense_type="fysioterapi", citizen_share=550_000),
        history=history("fysioterapi", usual),
    )
    assert fired(found) == [(PLANTED, "HT-HIGH-AMOUNT")]
    assert "times the median 395,00 kr. of 62 fysioterapi bills" in message(found, "HT-HIGH-AMOUNT")


def test_exactly_ten_times_the_median_is_not_held() -> None:
    _, found = night(claim(citizen_share=300_000), history=history("medicin", [30_000] * 100))
    assert fired(found) == []


def test_a_large_denture_among_dentures_is_paid() -> None:
    dentures = [800_000 + 10_000 * (i % 40) for i in range(40)]  # 8.000-11.900 kr.
    _, found = night(
        claim(expense_type="tandprotese", citizen_share=1_500_000, approval_date="2026-10-01"),
        history=history("tandprotese", dentures),
    )
    assert fired(found) == []


def test_with_too_few_bills_of_a_type_only_the_ceiling_decides() -> None:
    _, found = night(claim(citizen_share=750_000), history=history("medicin", [30_000] * 5))
    assert fired(found) == []


def test_other_types_do_not_make_a_type_usual() -> None:
    """Dentures in the history say nothing about what a medicine bill usually is."""
    dentures = history("tandprotese", [1_000_000] * 100)
    medicine = history("medicin", [30_000] * 50)
    _, found = night(
        claim(citizen_share=750_000), history=pd.concat([dentures, medicine], ignore_index=True)
    )
    assert fired(found) == [(PLANTED, "HT-HIGH-AMOUNT")]


def test_udvidet_item_without_approval() -> None:
    _, found = night(claim(expense_type="briller", approval_date=None))

    assert fired(found) == [(PLANTED, "HT-UDVIDET-APPROVAL")]
    assert message(found, "HT-UDVIDET-APPROVAL") == "briller approved (none); bought 2026-11-01"


def test_udvidet_item_approved_after_the_purchase() -> None:
    _, found = night(claim(expense_type="tandprotese", approval_date="2026-11-02"))

    assert fired(found) == [(PLANTED, "HT-UDVIDET-APPROVAL")]
    assert message(found, "HT-UDVIDET-APPROVAL") == (
        "tandprotese approved 2026-11-02; bought 2026-11-01"
    )


@pytest.mark.parametrize("approved", ["2026-10-01", "2026-11-01"])
def test_udvidet_item_approved_before_or_on_the_purchase_day(approved: str) -> None:
    _, found = night(claim(expense_type="briller", approval_date=approved))
    assert fired(found) == []


def test_ordinary_item_needs_no_approval() -> None:
    _, found = night(claim(expense_type="tandbehandling", approval_date=None))
    assert fired(found) == []


def test_udvidet_item_when_the_files_have_no_approval_column() -> None:
    _, found = night(claim(expense_type="briller"), optional_columns=frozenset())

    assert fired(found) == [(PLANTED, "HT-UDVIDET-UNKNOWN")]
    assert message(found, "HT-UDVIDET-UNKNOWN") == "no approval_date column in the extract"


def test_provider_not_in_the_cvr_extract() -> None:
    _, found = night(claim(provider_cvr="29403473"))

    assert fired(found) == [(PLANTED, "HT-PROVIDER-UNKNOWN")]
    assert message(found, "HT-PROVIDER-UNKNOWN") == "provider CVR 29403473 not in the CVR extract"


@pytest.mark.parametrize("status", ["bankrupt", "closed", "liquidation"])
def test_provider_closed_before_the_service_date(status: str) -> None:
    _, found = night(companies=[company(status=status, status_date="2026-09-30")])

    assert fired(found) == [(PLANTED, "HT-PROVIDER-CLOSED")]
    assert message(found, "HT-PROVIDER-CLOSED") == f"provider {APOTEK} {status} since 2026-09-30"


def test_provider_closed_after_the_service_date_is_not_a_finding() -> None:
    _, found = night(companies=[company(status="bankrupt", status_date="2026-11-10")])
    assert fired(found) == []


def test_provider_not_active_with_no_status_date_is_held() -> None:
    # Not active and no date: we cannot tell it was active on the service date, so hold.
    _, found = night(companies=[company(status="bankrupt", status_date="")])

    assert fired(found) == [(PLANTED, "HT-PROVIDER-CLOSED")]
    assert message(found, "HT-PROVIDER-CLOSED") == f"provider {APOTEK} bankrupt since (none)"


def test_received_more_than_36_months_after_the_service() -> None:
    # The rates begin in 2024, so the service date is early 2024 and the receipt in 2027.
    _, found = night(claim(service_date="2024-01-15", received_date="2027-01-16"))

    assert fired(found) == [(PLANTED, "HT-STALE")]
    assert message(found, "HT-STALE") == "received 2027-01-16 for service 2024-01-15"


def test_received_exactly_36_months_after_the_service_is_not_stale() -> None:
    _, found = night(claim(service_date="2024-01-15", received_date="2027-01-15"))
    assert fired(found) == []


# --- rates -------------------------------------------------------------------------------


def test_provisional_rate_holds_the_claim_in_production() -> None:
    computed, found = night(claim(service_date="2025-06-01", received_date="2025-06-10"))

    assert fired(found) == [(PLANTED, "HT-PROVISIONAL-RATE")]
    text = message(found, "HT-PROVISIONAL-RATE")
    assert text == (
        "liquid_asset_limit 99200 carried from 2024: confirm config/rates/2025.toml "
        "[helbredstillaeg.liquid_asset_limit]"
    )
    assert computed["rate_provisional"].tolist() == [False, True]
    assert computed["rate_year"].tolist() == [2026, 2025]
    # The amount is still computed (85 % x 45.00 x 75 %) for the control group to see.
    assert computed["amount_oere"].tolist()[PLANTED] == 2869


def test_provisional_rate_in_demo_pays_and_says_so() -> None:
    _, found = night(claim(service_date="2025-06-01", received_date="2025-06-10"), mode="demo")

    assert fired(found) == [(PLANTED, "HT-PROVISIONAL-RATE-DEMO")]
    assert message(found, "HT-PROVISIONAL-RATE-DEMO") == (
        "DEMO pays on a provisional rate: liquid_asset_limit 99200 carried from 2024: "
        "confirm config/rates/2025.toml [helbredstillaeg.liquid_asset_limit]"
    )


def test_confirmed_2024_rates_are_not_provisional() -> None:
    computed, found = night(claim(service_date="2024-06-01", received_date="2024-06-10"))
    assert fired(found) == []
    assert computed["rate_provisional"].tolist() == [False, False]


def test_amount_that_rounds_to_zero() -> None:
    computed, found = night(claim(citizen_share=1), pensions=[pension(supplement_percent=1)])

    assert fired(found) == [(PLANTED, "HT-AMOUNT-ZERO")]
    assert message(found, "HT-AMOUNT-ZERO") == "85 % x 1 % of 0.01 kr. rounds to 0.00 kr."
    assert computed["amount_oere"].tolist()[PLANTED] == 0


def test_smallest_amount_that_does_not_round_to_zero() -> None:
    # 85 % x 0.59 kr. x 1 % = 0.005015 -> 0.01 kr.
    computed, found = night(claim(citizen_share=59), pensions=[pension(supplement_percent=1)])
    assert fired(found) == []
    assert computed["amount_oere"].tolist()[PLANTED] == 1


def _usual_by_type_plainly(
    shares: pd.Series, types: pd.Series, earlier: pd.DataFrame | None
) -> tuple[pd.Series, pd.Series]:
    """What usual_by_type computes, said with pandas' groupby and median."""
    rows = pd.DataFrame({"type": types.astype("string"), "share": shares.astype("Int64")})
    if earlier is not None and len(earlier):
        rows = pd.concat(
            [rows, earlier.rename(columns={"category": "type", "basis_oere": "share"})],
            ignore_index=True,
        ).astype({"type": "string", "share": "Int64"})
    grouped = rows.dropna().groupby("type")["share"]
    twice = (grouped.median() * 2).round().astype("int64")
    return (
        types.map(twice).astype("Int64"),
        types.map(grouped.size()).fillna(0).astype("int64"),
    )


@pytest.mark.parametrize("seed", range(40))
def test_usual_by_type_equals_the_median_said_plainly(seed: int) -> None:
    from robots.helbredstillaeg.checks import usual_by_type

    rng = np.random.default_rng(seed)
    kinds = ["medicin", "briller", "tandprotese", None]
    n, m = int(rng.integers(0, 40)), int(rng.integers(0, 40))
    types = pd.Series(rng.choice(kinds, n), dtype="string")
    shares = pd.Series(rng.integers(1, 10_000, n), dtype="Int64").mask(rng.random(n) < 0.1)
    earlier = (
        pd.DataFrame(
            {
                "category": pd.Series(rng.choice(kinds[:3], m), dtype="string"),
                "basis_oere": pd.Series(rng.integers(1, 10_000, m), dtype="int64"),
            }
        )
        if seed % 3
        else None
    )
    fast = usual_by_type(shares, types, earlier)
    plain = _usual_by_type_plainly(shares, types, earlier)
    pd.testing.assert_series_equal(fast[0], plain[0], check_names=False)
    pd.testing.assert_series_equal(fast[1], plain[1], check_names=False)
