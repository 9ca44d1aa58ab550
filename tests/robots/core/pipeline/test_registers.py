"""A night's register extracts combined by key (robots/core/pipeline/registers.py), on
plain tables: full and delta told apart, later files win, a shrinking full is refused."""

from __future__ import annotations

import pandas as pd

from robots.core.pipeline.registers import (
    RegisterPolicy,
    combine,
    lay_over,
    load_policies,
    max_wait_days,
)

POLICY = RegisterPolicy(
    key=("cpr",),
    kind="full",
    delta_names=("delta", "aendring", "ændring", "changes"),
    full_names=("full", "fuld", "komplet"),
    max_loss_share=0.10,
)


def citizens(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cpr": pd.Series([r[0] for r in rows], dtype="string"),
            "status": pd.Series([r[1] for r in rows], dtype="string"),
        }
    )


PREVIOUS = citizens(*[(f"01015{n:05d}", "active") for n in range(100)])


def test_the_name_says_full_or_delta_else_the_register_kind() -> None:
    assert POLICY.kind_of("citizens_delta_20261123.csv") == "delta"
    assert POLICY.kind_of("CPR_Ændringer.csv") == "delta"
    assert POLICY.kind_of("citizens_full_delta-format.csv") == "full"
    assert POLICY.kind_of("citizens_20261123.csv") == "full"
    deltas_only = RegisterPolicy(**{**POLICY.__dict__, "kind": "delta"})
    assert deltas_only.kind_of("citizens_20261123.csv") == "delta"


def test_a_small_second_file_of_the_night_is_laid_over_the_full_one() -> None:
    full = PREVIOUS.copy()
    small = citizens(("0101500003", "dead"), ("0202020202", "active"))
    result = combine(PREVIOUS, [full, small], [], POLICY)
    assert not result.full_refused and result.frame is not None
    assert len(result.frame) == 101
    assert result.frame.set_index("cpr").loc["0101500003", "status"] == "dead"
    assert result.conflicting_keys == 1


def test_a_full_extract_losing_more_than_the_share_is_refused() -> None:
    result = combine(PREVIOUS, [PREVIOUS.iloc[:89]], [], POLICY)
    assert result.full_refused and result.frame is None
    assert (result.previous_keys, result.lost_keys) == (100, 11)


def test_a_full_extract_losing_exactly_the_share_stands() -> None:
    result = combine(PREVIOUS, [PREVIOUS.iloc[:90]], [], POLICY)
    assert not result.full_refused and len(result.frame) == 90


def test_deltas_are_laid_over_the_previous_register_and_over_a_refused_full() -> None:
    delta = citizens(("0101500001", "emigrated"))
    result = combine(PREVIOUS, [PREVIOUS.iloc[:5]], [delta], POLICY)
    assert result.full_refused
    assert len(result.frame) == 100
    assert result.frame.set_index("cpr").loc["0101500001", "status"] == "emigrated"
    assert result.conflicting_keys == 0, "a delta changing a row is no conflict"


def test_the_first_extract_ever_cannot_shrink_anything() -> None:
    result = combine(None, [PREVIOUS.iloc[:3]], [], POLICY)
    assert not result.full_refused and len(result.frame) == 3


def test_a_night_with_nothing_new_keeps_the_snapshot() -> None:
    assert combine(PREVIOUS, [], [], POLICY).frame is None


def test_a_pension_history_is_replaced_as_a_whole() -> None:
    history = pd.DataFrame(
        {
            "cpr": pd.Series(["A", "A", "B"], dtype="string"),
            "valid_from": pd.to_datetime(["2010-01-01", "2020-01-01", "2015-01-01"]),
        }
    )
    delta = pd.DataFrame(
        {"cpr": pd.Series(["A"], dtype="string"), "valid_from": pd.to_datetime(["2026-01-01"])}
    )
    laid = lay_over([history, delta], ("cpr",)).frame
    assert sorted(zip(laid["cpr"], laid["valid_from"].dt.year, strict=True)) == [
        ("A", 2026),
        ("B", 2015),
    ]


def test_the_project_config_names_a_key_for_every_register() -> None:
    policies = load_policies()
    assert {name: p.key for name, p in policies.items()} == {
        "citizens": ("cpr",),
        "pensioners": ("cpr",),
        "companies": ("cvr",),
        "certificate_requests": ("request_id",),
        "flex_jobs": ("job_id",),
        "incomes": ("cpr", "period", "payer_cvr", "income_type"),
        "other_benefits": ("cpr", "benefit", "period_start"),
        "subsidy_agreements": ("agreement_id",),
    }
    assert policies["incomes"].kind == "delta"
    assert max_wait_days() == 14
