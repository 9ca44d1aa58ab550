"""The data-quality suites (checks/quality/suites.py) run through the real path:
CSV text -> read_file -> parse -> robots.core.pipeline.quality.validate.

Every CPR number is made up (a real date, ten digits). CVR 12345674 and 25313763 have a
valid modulus-11 check digit; 12345678 does not.
"""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from checks.quality.suites import CITIZENS_REGISTER, COMPANIES_REGISTER, SuiteContext
from robots.core.pipeline.parsing import parse
from robots.core.pipeline.quality import QualityResult, validate
from robots.core.pipeline.reading import LINE, read_file
from robots.helbredstillaeg.datasets import HEALTH_CLAIMS
from robots.helbredstillaeg.quality import HEALTH_CLAIMS_SUITE, PENSIONERS_REGISTER

NIGHT = SuiteContext(night=date(2026, 11, 23))
REGISTERS = {
    r.dataset.name: r for r in (CITIZENS_REGISTER, COMPANIES_REGISTER, PENSIONERS_REGISTER)
}
ALL_DATASETS = {"health_claims": HEALTH_CLAIMS} | {n: r.dataset for n, r in REGISTERS.items()}
SUITES = {"health_claims": HEALTH_CLAIMS_SUITE} | {n: list(r.suite) for n, r in REGISTERS.items()}
KNOWN_CPR = "0101501234"
OTHER_CPR = "1503451234"  # valid, but not in the citizens reference set

HEADERS = {
    "health_claims": (
        "claim_id;cpr;expense_type;provider_cvr;service_date;citizen_share;received_date"
    ),
    "citizens": "cpr;name;status;status_date;municipality_code;civil_status",
    "pensioners": "cpr;pension_type;supplement_percent;liquid_assets;valid_from;valid_to",
    "companies": "cvr;name;status;status_date;sector",
}


def run(
    tmp_path: Path, dataset: str, *rows: str, known: frozenset[str] = frozenset({KNOWN_CPR})
) -> QualityResult:
    """Write the rows under the dataset's header, read, parse and validate them."""
    path = tmp_path / f"{dataset}.csv"
    path.write_text("\n".join([HEADERS[dataset], *rows]) + "\n", encoding="utf-8")
    spec = ALL_DATASETS[dataset]
    parsed = parse(read_file(path, spec), spec)
    assert parsed.errors.empty, parsed.errors  # the rows must reach the suite
    return validate(parsed.frame, dataset, SUITES[dataset], NIGHT, {"citizens.cpr": known})


def found(result: QualityResult) -> list[tuple[int, str, str]]:
    """(line, rule_id, column) of each finding, sorted."""
    f = result.findings
    return sorted(zip(f["line"].tolist(), f["rule_id"].tolist(), f["column"].tolist(), strict=True))


def messages(result: QualityResult, rule_id: str) -> list[str]:
    return result.findings.loc[result.findings["rule_id"] == rule_id, "message"].tolist()


# --- health_claims -----------------------------------------------------------------------

CLEAN_CLAIM = f"C1;{KNOWN_CPR};medicin;12345674;2026-11-01;45,00;2026-11-02"


def test_clean_claim_passes_with_no_findings(tmp_path: Path) -> None:
    result = run(tmp_path, "health_claims", CLEAN_CLAIM)

    assert result.findings.empty
    assert result.frame["claim_id"].tolist() == ["C1"]
    assert result.frame[LINE].tolist() == [2]
    assert result.frame["citizen_share"].tolist() == [4500]


def test_service_on_the_night_itself_and_received_the_same_day_pass(tmp_path: Path) -> None:
    result = run(
        tmp_path, "health_claims", f"C1;{KNOWN_CPR};briller;12345674;2026-11-23;0,01;2026-11-23"
    )
    assert result.findings.empty
    assert len(result.frame) == 1


@pytest.mark.parametrize(
    ("rule_id", "column", "bad_row", "shown"),
    [
        (
            "DQ-HC-CPR-FORMAT",
            "cpr",
            "C2;01015012;medicin;12345674;2026-11-01;45,00;2026-11-02",
            "cpr '01015012'",
        ),
        (
            "DQ-HC-CPR-KNOWN",
            "cpr",
            f"C2;{OTHER_CPR};medicin;12345674;2026-11-01;45,00;2026-11-02",
            f"cpr '{OTHER_CPR}'",
        ),
        (
            "DQ-HC-EXPENSE-TYPE",
            "expense_type",
            f"C2;{KNOWN_CPR};hoereapparat;12345674;2026-11-01;45,00;2026-11-02",
            "expense_type 'hoereapparat'",
        ),
        (
            "DQ-HC-PROVIDER-CVR",
            "provider_cvr",
            f"C2;{KNOWN_CPR};medicin;12345678;2026-11-01;45,00;2026-11-02",
            "provider_cvr '12345678'",
        ),
        (
            "DQ-HC-SHARE-POSITIVE",
            "citizen_share",
            f"C2;{KNOWN_CPR};medicin;12345674;2026-11-01;0;2026-11-02",
            "citizen_share '0,00 kr.'",
        ),
        (
            "DQ-HC-SHARE-POSITIVE",
            "citizen_share",
            f"C2;{KNOWN_CPR};medicin;12345674;2026-11-01;-1.250,00;2026-11-02",
            "citizen_share '-1.250,00 kr.'",
        ),
        (
            "DQ-HC-RECEIVED-BEFORE-SERVICE",
            "received_date",
            f"C2;{KNOWN_CPR};medicin;12345674;2026-11-03;45,00;2026-11-02",
            "received_date",
        ),
        (
            "DQ-HC-SERVICE-NOT-FUTURE",
            "service_date",
            f"C2;{KNOWN_CPR};medicin;12345674;2026-11-24;45,00;2026-11-24",
            "service_date",
        ),
        (
            "DQ-HC-REQUIRED",
            "provider_cvr",
            f"C2;{KNOWN_CPR};medicin;;2026-11-01;45,00;2026-11-02",
            "provider_cvr '(blank)'",
        ),
        (
            "DQ-HC-REQUIRED",
            "citizen_share",
            f"C2;{KNOWN_CPR};medicin;12345674;2026-11-01;;2026-11-02",
            "citizen_share '(blank)'",
        ),
        (
            "DQ-HC-REQUIRED",
            "received_date",
            f"C2;{KNOWN_CPR};medicin;12345674;2026-11-01;45,00;",
            "received_date '(blank)'",
        ),
    ],
)
def test_each_health_claims_rule_fires_on_the_row_made_bad_that_way(
    tmp_path: Path, rule_id: str, column: str, bad_row: str, shown: str
) -> None:
    result = run(
        tmp_path,
        "health_claims",
        CLEAN_CLAIM,  # line 2
        bad_row,  # line 3
        f"C3;{KNOWN_CPR};fysioterapi;25313763;2026-10-15;300,00;2026-10-20",  # line 4
        # The malformed CPR is in the reference set so that only its format is wrong.
        known=frozenset({KNOWN_CPR, "01015012"}),
    )

    assert found(result) == [(3, rule_id, column)]
    [message] = messages(result, rule_id)
    assert message.startswith(shown)
    assert result.frame["claim_id"].tolist() == ["C1", "C3"]
    assert result.frame[LINE].tolist() == [2, 4]


def test_received_before_service_message_names_the_date(tmp_path: Path) -> None:
    result = run(
        tmp_path, "health_claims", f"C1;{KNOWN_CPR};medicin;12345674;2026-11-03;45,00;2026-11-02"
    )
    [message] = messages(result, "DQ-HC-RECEIVED-BEFORE-SERVICE")
    assert "2026-11-02" in message
    assert message.endswith("is before the service date")


def test_date_in_a_finding_is_shown_as_a_date(tmp_path: Path) -> None:
    result = run(
        tmp_path, "health_claims", f"C1;{KNOWN_CPR};medicin;12345674;2026-11-24;45,00;2026-11-24"
    )
    assert messages(result, "DQ-HC-SERVICE-NOT-FUTURE") == [
        "service_date '2026-11-24' is after the night being run"
    ]


def test_duplicated_claim_id_fires_on_both_rows(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "health_claims",
        CLEAN_CLAIM,  # line 2
        f"C2;{KNOWN_CPR};medicin;12345674;2026-11-01;45,00;2026-11-02",  # line 3
        f"C1;{KNOWN_CPR};tandbehandling;25313763;2026-10-01;800,00;2026-10-02",  # line 4
    )

    assert found(result) == [
        (2, "DQ-HC-CLAIM-ID-UNIQUE", "claim_id"),
        (4, "DQ-HC-CLAIM-ID-UNIQUE", "claim_id"),
    ]
    assert (
        messages(result, "DQ-HC-CLAIM-ID-UNIQUE")
        == ["claim_id 'C1' occurs on more than one row; it must be unique"] * 2
    )
    assert result.frame["claim_id"].tolist() == ["C2"]


def test_cpr_known_and_format_messages(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "health_claims",
        f"C1;{OTHER_CPR};medicin;12345674;2026-11-01;45,00;2026-11-02",
        known=frozenset({KNOWN_CPR}),
    )
    assert messages(result, "DQ-HC-CPR-KNOWN") == [
        f"cpr '{OTHER_CPR}' is not in the CPR extract (citizens), or its row there had errors"
    ]


def test_hyphenated_cpr_is_normalised_before_the_suite(tmp_path: Path) -> None:
    result = run(
        tmp_path, "health_claims", "C1;010150-1234;medicin;DK 12345674;2026-11-01;45,00;2026-11-02"
    )
    assert result.findings.empty
    assert result.frame["cpr"].tolist() == [KNOWN_CPR]


def test_one_row_bad_in_two_ways_gives_two_findings_and_leaves_once(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "health_claims",
        CLEAN_CLAIM,
        f"C2;{KNOWN_CPR};hoereapparat;12345678;2026-11-01;45,00;2026-11-02",
    )
    assert found(result) == [
        (3, "DQ-HC-EXPENSE-TYPE", "expense_type"),
        (3, "DQ-HC-PROVIDER-CVR", "provider_cvr"),
    ]
    assert result.frame["claim_id"].tolist() == ["C1"]


def test_finding_row_is_the_position_in_the_validated_frame(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "health_claims",
        CLEAN_CLAIM,
        "",  # blank line 3
        f"C2;{KNOWN_CPR};medicin;12345678;2026-11-01;45,00;2026-11-02",  # line 4
    )
    assert result.findings[["row", "line"]].to_dict("records") == [{"row": 1, "line": 4}]


def test_findings_name_positions_whatever_the_frame_index(tmp_path: Path) -> None:
    path = tmp_path / "health_claims.csv"
    rows = [
        CLEAN_CLAIM,
        f"C2;{KNOWN_CPR};medicin;12345678;2026-11-01;45,00;2026-11-02",
        f"C3;{KNOWN_CPR};fysioterapi;25313763;2026-10-15;300,00;2026-10-20",
    ]
    path.write_text("\n".join([HEADERS["health_claims"], *rows]) + "\n", encoding="utf-8")
    spec = ALL_DATASETS["health_claims"]
    frame = parse(read_file(path, spec), spec).frame.set_axis([70, 50, 60], axis=0)

    result = validate(
        frame, "health_claims", SUITES["health_claims"], NIGHT, {"citizens.cpr": {KNOWN_CPR}}
    )

    assert result.findings[["row", "line", "rule_id"]].to_dict("records") == [
        {"row": 1, "line": 3, "rule_id": "DQ-HC-PROVIDER-CVR"}
    ]
    assert result.frame["claim_id"].tolist() == ["C1", "C3"]


def test_no_citizens_means_no_claim_cpr_is_known(tmp_path: Path) -> None:
    result = run(tmp_path, "health_claims", CLEAN_CLAIM, known=frozenset())
    assert found(result) == [(2, "DQ-HC-CPR-KNOWN", "cpr")]


def test_empty_frame_validates_to_nothing() -> None:
    frame = pd.DataFrame({LINE: pd.Series(dtype="int64"), "claim_id": pd.Series(dtype="string")})
    result = validate(frame, "health_claims", SUITES["health_claims"], NIGHT, {})
    assert result.findings.empty
    assert result.frame.empty


# --- citizens ----------------------------------------------------------------------------


def test_clean_citizens_pass(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "citizens",
        f"{KNOWN_CPR};Jens Hansen;active;;173;single",
        "0202421234;Grethe Lund;dead;2026-10-01;173;married",
        "0303331234;Søren Ørsted;emigrated;2025-06-30;173;",
    )
    assert result.findings.empty
    assert result.frame[LINE].tolist() == [2, 3, 4]


def test_citizen_cpr_with_impossible_birth_date_is_invalid(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "citizens",
        f"{KNOWN_CPR};Jens Hansen;active;;173;single",
        "3102991234;Ole Olsen;active;;173;single",  # 31 February does not exist
    )
    assert found(result) == [(3, "DQ-CIT-CPR-VALID", "cpr")]
    assert messages(result, "DQ-CIT-CPR-VALID") == ["cpr '3102991234' is not a valid CPR number"]
    assert result.frame["cpr"].tolist() == [KNOWN_CPR]


def test_citizen_cpr_of_nine_digits_is_invalid(tmp_path: Path) -> None:
    result = run(tmp_path, "citizens", "010150123;Jens Hansen;active;;173;single")
    assert found(result) == [(2, "DQ-CIT-CPR-VALID", "cpr")]


def test_dead_without_status_date(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "citizens",
        f"{KNOWN_CPR};Jens Hansen;active;;173;single",
        "0202421234;Grethe Lund;dead;;173;married",
    )
    assert found(result) == [(3, "DQ-CIT-STATUS-DATE", "status_date")]
    assert messages(result, "DQ-CIT-STATUS-DATE") == [
        "status_date '(blank)' is missing; a status other than active needs the date it took effect"
    ]
    assert result.frame["cpr"].tolist() == [KNOWN_CPR]


@pytest.mark.parametrize("status", ["emigrated", "missing"])
def test_other_non_active_status_without_date(tmp_path: Path, status: str) -> None:
    result = run(tmp_path, "citizens", f"0202421234;Grethe Lund;{status};;173;married")
    assert found(result) == [(2, "DQ-CIT-STATUS-DATE", "status_date")]


def test_duplicate_citizen_cpr(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "citizens",
        "1503451234;Anna;active;;173;married",
        f"{KNOWN_CPR};Jens Hansen;active;;173;single",
        "1503451234;Anna B.;active;;101;married",
    )
    assert found(result) == [(2, "DQ-CIT-CPR-UNIQUE", "cpr"), (4, "DQ-CIT-CPR-UNIQUE", "cpr")]
    assert result.frame["cpr"].tolist() == [KNOWN_CPR]


def test_unknown_citizen_status_and_civil_status(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "citizens",
        f"{KNOWN_CPR};Jens Hansen;alive;2026-01-01;173;single",
        "0202421234;Grethe Lund;active;;173;widow",
    )
    assert found(result) == [
        (2, "DQ-CIT-STATUS", "status"),
        (3, "DQ-CIT-CIVIL-STATUS", "civil_status"),
    ]


# --- pensioners --------------------------------------------------------------------------


def test_clean_pensioner_passes(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "pensioners",
        f"{KNOWN_CPR};folkepension;100;99.200,00;2024-01-01;2026-12-31",
        f"{KNOWN_CPR};folkepension;0;0;2027-01-01;",
    )
    assert result.findings.empty


def test_supplement_percent_above_100(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "pensioners",
        f"{KNOWN_CPR};folkepension;100;1.000,00;2024-01-01;",
        f"{KNOWN_CPR};folkepension;101;1.000,00;2024-01-01;",
        f"{KNOWN_CPR};folkepension;-1;1.000,00;2024-01-01;",
    )
    assert found(result) == [
        (3, "DQ-PEN-PERCENT", "supplement_percent"),
        (4, "DQ-PEN-PERCENT", "supplement_percent"),
    ]
    assert messages(result, "DQ-PEN-PERCENT")[0] == (
        "supplement_percent '101' is not between 0 and 100"
    )
    assert result.frame[LINE].tolist() == [2]


def test_percent_is_shown_as_written_when_another_row_has_none(tmp_path: Path) -> None:
    # A blank elsewhere in the column once made every value show as a float ('101.0').
    result = run(
        tmp_path,
        "pensioners",
        f"{KNOWN_CPR};folkepension;;1.000,00;2024-01-01;",
        f"{KNOWN_CPR};folkepension;101;1.000,00;2024-01-01;",
    )
    assert messages(result, "DQ-PEN-PERCENT") == [
        "supplement_percent '101' is not between 0 and 100"
    ]


def test_period_ending_before_it_starts(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "pensioners",
        f"{KNOWN_CPR};folkepension;75;1.000,00;2026-01-01;2026-01-01",  # one day: fine
        f"{KNOWN_CPR};folkepension;75;1.000,00;2026-01-01;2025-12-31",
    )
    assert found(result) == [(3, "DQ-PEN-PERIOD", "valid_to")]
    [message] = messages(result, "DQ-PEN-PERIOD")
    assert message.startswith("valid_to '2025-12-31")
    assert message.endswith("is before valid_from")
    assert result.frame[LINE].tolist() == [2]


def test_pensioner_not_in_citizens(tmp_path: Path) -> None:
    result = run(tmp_path, "pensioners", f"{OTHER_CPR};folkepension;75;0;2024-01-01;")
    assert found(result) == [(2, "DQ-PEN-CPR-KNOWN", "cpr")]


def test_unknown_pension_type(tmp_path: Path) -> None:
    result = run(tmp_path, "pensioners", f"{KNOWN_CPR};efterloen;75;0;2024-01-01;")
    assert found(result) == [(2, "DQ-PEN-PENSION-TYPE", "pension_type")]


# --- companies ---------------------------------------------------------------------------


def test_company_cvr_with_bad_check_digit(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "companies",
        "12345674;Apoteket;active;;private",
        "12345678;Klinikken;active;;private",
        "DK 25313763;Tandlægen;bankrupt;2026-03-01;private",
    )
    assert found(result) == [(3, "DQ-CVR-VALID", "cvr")]
    assert messages(result, "DQ-CVR-VALID") == ["cvr '12345678' is not a valid CVR number"]
    assert result.frame["cvr"].tolist() == ["12345674", "25313763"]


def test_duplicate_company_and_unknown_status(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "companies",
        "12345674;Apoteket;active;;private",
        "12345674;Apoteket igen;active;;private",
        "25313763;Tandlægen;sleeping;;public",
    )
    assert found(result) == [
        (2, "DQ-CVR-UNIQUE", "cvr"),
        (3, "DQ-CVR-UNIQUE", "cvr"),
        (4, "DQ-CVR-STATUS", "status"),
    ]
    assert result.frame.empty


def test_validating_never_hashes_the_whole_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """great-expectations' batch fingerprint (~0.7 s at 1M claims) is read by nothing."""
    from great_expectations.execution_engine import pandas_execution_engine

    def refuse(_frame: pd.DataFrame) -> str:
        raise AssertionError("the batch frame was hashed")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", refuse)
    result = run(tmp_path, "health_claims", CLEAN_CLAIM, CLEAN_CLAIM.replace("C1", "C2", 1))
    assert found(result) == []


def test_no_frame_of_the_validated_rows_outlives_the_validation(tmp_path: Path) -> None:
    """great-expectations keeps its last batch; validate() lets go of it, so the rows are
    not held through the rest of the night (here: both rows fail and leave)."""
    twice = CLEAN_CLAIM.replace("C1", "GONE-7", 1)
    result = run(tmp_path, "health_claims", twice, twice)
    assert result.frame.empty
    gc.collect()
    holding = [
        o
        for o in gc.get_objects()
        if isinstance(o, pd.DataFrame)
        and "claim_id" in o.columns
        and o["claim_id"].eq("GONE-7").any()
    ]
    assert holding == []
