"""Money (integer øre, exact), rates per year with their sources, and CPR masking.

CPR numbers are made up.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from robots.core import cpr
from robots.core.errors import ConfigError
from robots.core.money import (
    divide_round_half_up,
    format_kroner,
    format_oere_plain,
    from_oere,
    kroner,
    to_oere,
)
from robots.core.rates import clear_rates_cache, rate, rates_by_year

D = Decimal

# --- money -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1.5, 0.1, 100.0])
def test_kroner_refuses_float(value: float) -> None:
    with pytest.raises(TypeError, match="float"):
        kroner(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.345", D("12.35")),
        ("12.344", D("12.34")),
        ("-0.005", D("-0.01")),  # half away from zero
        (45, D("45.00")),
        (D("0.1"), D("0.10")),
    ],
)
def test_kroner_is_exact_and_rounds_half_up_to_the_oere(value, expected: Decimal) -> None:
    result = kroner(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("amount", "oere"),
    [
        (D("12.34"), 1234),
        (D("0.01"), 1),
        (D("-1234.56"), -123456),
        (D("0"), 0),
        (D("99200"), 9920000),
    ],
)
def test_to_oere_and_from_oere_round_trip(amount: Decimal, oere: int) -> None:
    assert to_oere(amount) == oere
    assert from_oere(oere) == amount
    assert to_oere(from_oere(oere)) == oere
    assert from_oere(oere).as_tuple().exponent == -2


def test_to_oere_rounds_half_up() -> None:
    assert to_oere(D("28.6875")) == 2869
    assert to_oere(D("0.005")) == 1
    assert to_oere(D("0.0049")) == 0
    assert to_oere(D("-0.005")) == -1


def test_from_oere_has_two_decimals() -> None:
    assert str(from_oere(4500)) == "45.00"
    assert str(from_oere(-5)) == "-0.05"


def test_divide_round_half_up_on_halves_and_negatives() -> None:
    numerators = np.array([5, -5, 15, -15, 25, -25, 4, -4, 6, -6, 0], dtype=np.int64)
    assert divide_round_half_up(numerators, 10).tolist() == [1, -1, 2, -2, 3, -3, 0, 0, 1, -1, 0]


def test_divide_round_half_up_ht1() -> None:
    # 4500 oere x 85 x 75 / (100 x 100) = 2868.75 -> 2869
    assert divide_round_half_up(np.array([4500 * 85 * 75]), 100 * 100).tolist() == [2869]


def test_divide_round_half_up_is_exact_for_large_numbers() -> None:
    # A float would lose the last digits here.
    big = 10**17 + 5
    assert divide_round_half_up(np.array([big, -big], dtype=np.int64), 10).tolist() == [
        10**16 + 1,
        -(10**16 + 1),
    ]


@pytest.mark.parametrize("denominator", [0, -10])
def test_divide_round_half_up_refuses_non_positive_denominator(denominator: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        divide_round_half_up(np.array([1]), denominator)


@pytest.mark.parametrize(
    ("oere", "text"),
    [
        (123456, "1.234,56"),
        (-123456, "-1.234,56"),
        (0, "0,00"),
        (5, "0,05"),
        (-5, "-0,05"),
        (100, "1,00"),
        (99999, "999,99"),
        (100_000_000, "1.000.000,00"),
    ],
)
def test_format_kroner_danish(oere: int, text: str) -> None:
    assert format_kroner(oere) == text


def test_format_oere_plain() -> None:
    values = np.array([123456, -5, 0, 100, -123456, 7], dtype=np.int64)
    assert format_oere_plain(values).tolist() == [
        "1234.56",
        "-0.05",
        "0.00",
        "1.00",
        "-1234.56",
        "0.07",
    ]


# --- rates -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_rates():
    clear_rates_cache()
    yield
    clear_rates_cache()


def test_2024_rates_are_sourced() -> None:
    limit = rate("helbredstillaeg", "liquid_asset_limit", 2024)
    assert limit.value == D("99200")
    assert (limit.provisional, limit.provisional_from) == (False, None)
    assert "S19" in limit.source

    coverage = rate("helbredstillaeg", "coverage_percent", 2024)
    assert coverage.value == D("85")
    assert coverage.provisional is False
    assert coverage.source


def test_2025_asset_limit_is_provisional_from_2024() -> None:
    limit = rate("helbredstillaeg", "liquid_asset_limit", 2025)
    assert limit.value == D("99200")
    assert limit.year == 2025
    assert (limit.provisional, limit.provisional_from) == (True, 2024)
    assert limit.source
    assert limit.config_key == "config/rates/2025.toml [helbredstillaeg.liquid_asset_limit]"

    # The coverage has a source for 2025 and is not provisional.
    coverage = rate("helbredstillaeg", "coverage_percent", 2025)
    assert (coverage.value, coverage.provisional) == (D("85"), False)


def test_2026_rates_are_sourced() -> None:
    limit = rate("helbredstillaeg", "liquid_asset_limit", 2026)
    assert limit.value == D("108000")
    assert (limit.provisional, limit.provisional_from) == (False, None)
    assert "S12" in limit.source


@pytest.mark.parametrize(
    ("name", "value"), [("liquid_asset_limit", "108000"), ("coverage_percent", "85")]
)
def test_2027_is_carried_forward_from_2026(name: str, value: str) -> None:
    carried = rate("helbredstillaeg", name, 2027)
    assert carried.value == D(value)
    assert carried.year == 2027
    assert (carried.provisional, carried.provisional_from) == (True, 2026)
    assert carried.source.startswith("carried forward from 2026: ")
    assert len(carried.source) > len("carried forward from 2026: ")


def write_rates(folder: Path, year: int, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{year}.toml").write_text(f"year = {year}\n\n{body}", encoding="utf-8")


def test_year_before_any_rate_file_is_a_config_error(tmp_path: Path) -> None:
    rates = tmp_path / "rates"
    write_rates(rates, 2024, '[helbredstillaeg.coverage_percent]\nvalue = "85"\nsource = "S1"\n')
    with pytest.raises(ConfigError, match=r"no helbredstillaeg\.coverage_percent rate for 2023"):
        rate("helbredstillaeg", "coverage_percent", 2023, folder=rates)


def test_rate_without_a_source_is_a_config_error(tmp_path: Path) -> None:
    rates = tmp_path / "rates"
    write_rates(rates, 2026, '[helbredstillaeg.liquid_asset_limit]\nvalue = "108000"\n')

    with pytest.raises(ConfigError, match="has no source") as caught:
        rate("helbredstillaeg", "liquid_asset_limit", 2026, folder=rates)
    assert "2026.toml [helbredstillaeg.liquid_asset_limit]" in caught.value.message


def test_rate_with_a_blank_source_is_a_config_error(tmp_path: Path) -> None:
    rates = tmp_path / "rates"
    write_rates(
        rates, 2026, '[helbredstillaeg.liquid_asset_limit]\nvalue = "108000"\nsource = "  "\n'
    )
    with pytest.raises(ConfigError, match="has no source"):
        rate("helbredstillaeg", "liquid_asset_limit", 2026, folder=rates)


def test_rate_without_a_value_is_a_config_error(tmp_path: Path) -> None:
    rates = tmp_path / "rates"
    write_rates(rates, 2026, '[helbredstillaeg.liquid_asset_limit]\nsource = "S12"\n')
    with pytest.raises(ConfigError, match="needs value"):
        rate("helbredstillaeg", "liquid_asset_limit", 2026, folder=rates)


def test_rate_file_whose_year_does_not_match_its_name_is_a_config_error(tmp_path: Path) -> None:
    rates = tmp_path / "rates"
    rates.mkdir()
    (rates / "2026.toml").write_text(
        'year = 2025\n[helbredstillaeg.coverage_percent]\nvalue = "85"\nsource = "S1"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="must say year = 2026"):
        rate("helbredstillaeg", "coverage_percent", 2026, folder=rates)


def test_empty_rates_folder_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "rates").mkdir()
    with pytest.raises(ConfigError, match="no rate files"):
        rate("helbredstillaeg", "coverage_percent", 2026, folder=tmp_path / "rates")


def test_carrying_forward_a_provisional_rate_keeps_its_origin(tmp_path: Path) -> None:
    rates = tmp_path / "rates"
    write_rates(
        rates, 2024, '[helbredstillaeg.liquid_asset_limit]\nvalue = "99200"\nsource = "S16"\n'
    )
    write_rates(
        rates,
        2025,
        '[helbredstillaeg.liquid_asset_limit]\nvalue = "99200"\nsource = "NOT FOUND"\n'
        "provisional = true\nprovisional_from = 2024\n",
    )
    carried = rate("helbredstillaeg", "liquid_asset_limit", 2026, folder=rates)
    assert carried.value == D("99200")
    assert (carried.provisional, carried.provisional_from) == (True, 2024)
    assert carried.source == "carried forward from 2025: NOT FOUND"


# --- CPR ---------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["0101501234", "010150-1234", " 010150-1234 "])
def test_mask(number: str) -> None:
    assert cpr.mask(number) == "010150-****"


def test_mask_of_something_too_short_reveals_nothing() -> None:
    assert cpr.mask("0101") == "******-****"


def test_mask_text_masks_plain_and_hyphenated_cpr_numbers() -> None:
    text = "Borger 0101501234 og ægtefælle 020242-1234 (claim C-1)."
    assert cpr.mask_text(text) == "Borger 010150-**** og ægtefælle 020242-**** (claim C-1)."


def test_mask_text_leaves_cvr_numbers_and_run_ids_alone() -> None:
    text = "provider CVR 12345674 not in the CVR extract; run HT-20261123T171637-1767"
    assert cpr.mask_text(text) == text


def test_mask_text_leaves_longer_digit_runs_alone() -> None:
    text = "account 12345678901 and amount 1234567890123"
    assert cpr.mask_text(text) == text


def test_mask_text_at_the_edges_of_the_text() -> None:
    assert cpr.mask_text("0101501234") == "010150-****"
    assert cpr.mask_text("cpr=010150-1234;") == "cpr=010150-****;"


def test_mask_series() -> None:
    masked = cpr.mask_series(pd.Series(["0101501234", "020242-1234"], dtype="string"))
    assert masked.tolist() == ["010150-****", "020242-****"]


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("0101501234", True),
        ("3102991234", False),  # 31 February
        ("010150123", False),  # nine digits
        ("0101501230", True),  # modulus 11 is not a validity rule
    ],
)
def test_is_valid(number: str, valid: bool) -> None:
    assert cpr.is_valid(number) is valid


def test_rates_by_year_looks_each_year_up_once_and_marks_rows() -> None:
    """A year with no figure at all marks its rows no_rate; a carried-forward year marks
    its rows provisional, saying which figure to confirm and where."""
    years = pd.Series([2024, 2026, 2019, 2024])
    found = rates_by_year("fleksloentilskud", ("max_month", "wage_threshold_month"), years)
    assert sorted(found.rates) == [2024, 2026]
    assert found.no_rate.tolist() == [False, False, True, False]
    assert found.provisional.tolist() == [False, True, False, False]
    text = found.provisional_text.tolist()
    assert text[0] == "" and "max_month 19952 carried from 2024" in text[1]
    assert "config/rates/2026.toml [fleksloentilskud.max_month]" in text[1]
