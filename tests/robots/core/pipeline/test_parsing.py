"""Typing a file's text columns (robots/core/pipeline/parsing.py).

Frames are built as read_file builds them (text cells and a `_line` column) so each test
names its dialect and values inline. CPR numbers are made up.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from robots.core.pipeline.datasets import CITIZENS
from robots.core.pipeline.parsing import parse
from robots.core.pipeline.reading import LINE, RawFrame, read_file
from robots.helbredstillaeg.datasets import HEALTH_CLAIMS, PENSIONERS


def raw(dialect: str, **columns: list[str]) -> RawFrame:
    """A RawFrame as read_file returns it; lines count from 2 (after the header)."""
    frame = pd.DataFrame(columns, dtype="string")
    frame[LINE] = list(range(2, 2 + len(frame)))
    return RawFrame(frame, dialect, "utf-8")  # type: ignore[arg-type]


def claims(dialect: str = "semicolon", **changes: list[str]) -> RawFrame:
    """Health claims, one row per value given; unchanged columns hold a valid value."""
    n = len(next(iter(changes.values()))) if changes else 1
    columns = {
        "claim_id": [f"C{i + 1}" for i in range(n)],
        "cpr": ["0101501234"] * n,
        "expense_type": ["medicin"] * n,
        "provider_cvr": ["12345674"] * n,
        "service_date": ["2026-11-01"] * n,
        "citizen_share": ["45,00" if dialect == "semicolon" else "45.00"] * n,
        "received_date": ["2026-11-02"] * n,
    }
    columns.update(changes)
    return raw(dialect, **columns)


def amounts(dialect: str, *values: str) -> tuple[list, list[dict]]:
    parsed = parse(claims(dialect, citizen_share=list(values)), HEALTH_CLAIMS)
    errors = parsed.errors[["line", "column", "value"]].to_dict("records")
    return parsed.frame["citizen_share"].tolist(), errors


# --- dates -------------------------------------------------------------------------------


def test_dates_in_both_formats() -> None:
    parsed = parse(claims(service_date=["2026-11-01", "01-11-2026", "29-02-2024"]), HEALTH_CLAIMS)

    assert parsed.errors.empty
    assert parsed.frame["service_date"].dtype == "datetime64[s]"
    assert parsed.frame["service_date"].tolist() == [
        pd.Timestamp("2026-11-01"),
        pd.Timestamp("2026-11-01"),
        pd.Timestamp("2024-02-29"),
    ]


def test_impossible_date_is_an_error_naming_column_value_and_line() -> None:
    parsed = parse(claims(service_date=["2026-11-01", "31-02-2026", "2026-11-03"]), HEALTH_CLAIMS)

    assert parsed.errors.to_dict("records") == [
        {
            "line": 3,
            "column": "service_date",
            "value": "31-02-2026",
            "reason": "is not a date (write YYYY-MM-DD or DD-MM-YYYY)",
        }
    ]
    # The bad row leaves the frame; the others keep their lines.
    assert parsed.frame["claim_id"].tolist() == ["C1", "C3"]
    assert parsed.frame[LINE].tolist() == [2, 4]


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30",
        "2026-13-01",
        "1-11-2026",
        "2026/11/01",
        "i går",
        "29-02-2025",
        "2026-04-31",
        "2026-11-00",
        "00-11-2026",
        "2026-00-10",
        "2026-11-01x",
        "\u0662\u0660\u0662\u0666-11-01",
    ],
)
def test_other_non_dates_are_errors(text: str) -> None:
    parsed = parse(claims(received_date=[text]), HEALTH_CLAIMS)
    assert parsed.errors[["line", "column", "value"]].to_dict("records") == [
        {"line": 2, "column": "received_date", "value": text}
    ]
    assert parsed.frame.empty


def test_far_future_open_end_date_is_a_date() -> None:
    # Registers often write an open period as 9999-12-31.
    parsed = parse(
        raw(
            "semicolon",
            cpr=["0101501234"],
            pension_type=["folkepension"],
            supplement_percent=["100"],
            liquid_assets=["0"],
            valid_from=["2024-01-01"],
            valid_to=["9999-12-31"],
        ),
        PENSIONERS,
    )
    assert parsed.errors.empty
    assert parsed.frame["valid_to"].tolist() == [pd.Timestamp("9999-12-31")]


# --- amounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "oere"),
    [
        ("1.234,50", 123450),
        ("1234,50", 123450),
        ("12,5", 1250),
        ("-3", -300),
        ("-0,50", -50),
        ("12.345", 1234500),  # a dot in a ;-file is a thousands separator
        ("1.000.000", 100000000),
        ("0,01", 1),
        ("45", 4500),
    ],
)
def test_amounts_in_a_semicolon_file(text: str, oere: int) -> None:
    assert amounts("semicolon", text) == ([oere], [])


@pytest.mark.parametrize(
    ("text", "oere"),
    [("1234.50", 123450), ("12.5", 1250), ("-3", -300), ("0.01", 1), ("45", 4500)],
)
def test_amounts_in_a_comma_file(text: str, oere: int) -> None:
    assert amounts("comma", text) == ([oere], [])


@pytest.mark.parametrize(
    ("dialect", "text"),
    [
        ("semicolon", "12,345"),  # three decimals
        ("semicolon", "1,2,3"),
        ("semicolon", "12.34"),  # a dot group of two is not thousands
        ("semicolon", "1234.50"),  # decimal point in a ;-file
        ("semicolon", "abc"),
        ("comma", "12.345"),  # three decimals
        ("comma", "1,234.50"),
        ("comma", "1.234,50"),  # decimal comma in a ,-file
        ("comma", "abc"),
        ("comma", "12 kr"),
    ],
)
def test_amounts_that_are_not_kroner_are_errors(dialect: str, text: str) -> None:
    values, errors = amounts(dialect, text)
    assert values == []
    assert errors == [{"line": 2, "column": "citizen_share", "value": text}]


def test_amount_error_reason_shows_how_to_write_it() -> None:
    semicolon = parse(claims("semicolon", citizen_share=["abc"]), HEALTH_CLAIMS).errors
    comma = parse(claims("comma", citizen_share=["abc"]), HEALTH_CLAIMS).errors
    assert "1.234,50" in semicolon["reason"].iloc[0]
    assert "1234.50" in comma["reason"].iloc[0]


def test_amounts_are_integer_oere() -> None:
    parsed = parse(claims("semicolon", citizen_share=["1.234,50", "0,07"]), HEALTH_CLAIMS)
    assert parsed.frame["citizen_share"].dtype == "Int64"
    assert parsed.frame["citizen_share"].tolist() == [123450, 7]


@pytest.mark.parametrize(
    ("text", "oere"), [("1234.5", 123450), ("45", 4500), ("99.95", 9995), ("1.234,50", 123450)]
)
def test_amounts_in_xlsx_text(text: str, oere: int) -> None:
    assert amounts("xlsx", text) == ([oere], [])


def test_xlsx_amount_with_three_decimal_comma_digits_is_an_error() -> None:
    values, errors = amounts("xlsx", "12,345")
    assert values == []
    assert errors == [{"line": 2, "column": "citizen_share", "value": "12,345"}]


def test_blank_value_becomes_missing_not_an_error() -> None:
    parsed = parse(
        claims(citizen_share=["", "45,00"], service_date=["", "2026-11-01"]), HEALTH_CLAIMS
    )

    assert parsed.errors.empty
    assert parsed.frame["citizen_share"].isna().tolist() == [True, False]
    assert parsed.frame["service_date"].isna().tolist() == [True, False]


def test_blank_optional_register_values_are_missing() -> None:
    parsed = parse(
        raw(
            "semicolon",
            cpr=["0101501234"],
            name=["Jens Hansen"],
            status=["active"],
            status_date=["  "],
            municipality_code=["173"],
            civil_status=[""],
        ),
        CITIZENS,
    )
    assert parsed.errors.empty
    row = parsed.frame.iloc[0]
    assert pd.isna(row["status_date"])
    assert pd.isna(row["civil_status"])
    assert row["municipality_code"] == 173


def test_header_only_file_parses_to_nothing(tmp_path: Path) -> None:
    # A night with an empty health_claims export: no rows, no errors.
    header = "claim_id;cpr;expense_type;provider_cvr;service_date;citizen_share;received_date"
    path = tmp_path / "claims.csv"
    path.write_text(f"{header}\n", encoding="utf-8")
    parsed = parse(read_file(path, HEALTH_CLAIMS), HEALTH_CLAIMS)
    assert parsed.frame.empty
    assert parsed.errors.empty


# --- whole numbers -----------------------------------------------------------------------


def citizens_with_municipality(*codes: str):
    n = len(codes)
    return parse(
        raw(
            "semicolon",
            cpr=["0101501234"] * n,
            name=["Jens"] * n,
            status=["active"] * n,
            status_date=[""] * n,
            municipality_code=list(codes),
            civil_status=["single"] * n,
        ),
        CITIZENS,
    )


def test_whole_numbers() -> None:
    parsed = citizens_with_municipality("173", " 101 ", "0851", "+5", "")
    assert parsed.errors.empty
    assert parsed.frame["municipality_code"].dtype == "Int64"
    assert parsed.frame["municipality_code"].tolist() == [173, 101, 851, 5, pd.NA]


@pytest.mark.parametrize(
    "text", ["17.3", "1,5", "17a", "one", "+-5", "1" * 19, "\u0661\u0667\u0663"]
)
def test_not_whole_numbers_are_errors(text: str) -> None:
    parsed = citizens_with_municipality(text)
    assert parsed.errors.to_dict("records") == [
        {"line": 2, "column": "municipality_code", "value": text, "reason": "is not a whole number"}
    ]


# --- CPR and CVR -------------------------------------------------------------------------


def test_cpr_with_hyphen_or_spaces_is_normalised() -> None:
    parsed = parse(
        claims(
            cpr=["010150-1234", " 0101501234 ", "010150 1234", "010150\u00a01234", "0101\t501234"]
        ),
        HEALTH_CLAIMS,
    )
    assert parsed.errors.empty
    assert parsed.frame["cpr"].tolist() == ["0101501234"] * 5


def test_cvr_with_dk_prefix_is_normalised() -> None:
    parsed = parse(
        claims(
            provider_cvr=[
                "DK 12345674",
                "DK12345674",
                "dk 12345674",
                "12 34 56 74",
                "DK\u202f1234\u00a05674",
            ]
        ),
        HEALTH_CLAIMS,
    )
    assert parsed.errors.empty
    assert parsed.frame["provider_cvr"].tolist() == ["12345674"] * 5


def test_bad_cpr_text_is_kept_for_the_quality_suite() -> None:
    # Parsing does not judge CPR validity: the data-quality suite does, naming the rule.
    parsed = parse(claims(cpr=["01015012"]), HEALTH_CLAIMS)
    assert parsed.errors.empty
    assert parsed.frame["cpr"].tolist() == ["01015012"]


# --- optional columns --------------------------------------------------------------------


def test_absent_optional_column_is_all_missing_and_not_present() -> None:
    parsed = parse(claims(claim_id=["C1", "C2"]), HEALTH_CLAIMS)

    assert "approval_date" not in parsed.present_optional
    assert parsed.present_optional == frozenset()
    assert parsed.frame["approval_date"].dtype == "datetime64[s]"
    assert parsed.frame["approval_date"].isna().all()
    assert len(parsed.frame) == 2


def test_present_optional_column_is_parsed_and_named() -> None:
    parsed = parse(claims(claim_id=["C1", "C2"], approval_date=["15-10-2026", ""]), HEALTH_CLAIMS)

    assert parsed.present_optional == frozenset({"approval_date"})
    assert parsed.frame["approval_date"].tolist()[0] == pd.Timestamp("2026-10-15")
    assert pd.isna(parsed.frame["approval_date"].tolist()[1])


def test_output_columns_are_the_dataset_columns_in_order() -> None:
    parsed = parse(claims(), HEALTH_CLAIMS)
    assert list(parsed.frame.columns) == [LINE, *HEALTH_CLAIMS.column_names]
    assert parsed.frame.dtypes.astype(str).to_dict() == {
        LINE: "int64",
        "claim_id": "string",
        "cpr": "string",
        "expense_type": "string",
        "provider_cvr": "string",
        "service_date": "datetime64[s]",
        "citizen_share": "Int64",
        "received_date": "datetime64[s]",
        "approval_date": "datetime64[s]",
    }


def test_errors_in_several_columns_of_one_row_drop_the_row_once() -> None:
    parsed = parse(
        claims(
            citizen_share=["45,00", "abc", "45,00"],
            service_date=["2026-11-01", "31-02-2026", "2026-11-01"],
        ),
        HEALTH_CLAIMS,
    )
    assert sorted(parsed.errors["column"].tolist()) == ["citizen_share", "service_date"]
    assert set(parsed.errors["line"]) == {3}
    assert parsed.frame[LINE].tolist() == [2, 4]
