"""Claims joined with the CPR, pension and CVR registers (robot.join_registers).

The robot joins by row positions; `reference_join` below states the same join with
pandas merges, as it reads. A property test holds the two equal on random nights with
several pension records per citizen, equal start dates, open and closed records,
citizens or providers missing from the registers, and columns held in several chunks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robots.helbredstillaeg.robot import join_registers

CPRS = [f"01015{n:05d}" for n in range(8)]
CVRS = [f"1234{n:04d}" for n in range(5)]
DATES = pd.to_datetime(["2024-01-01", "2025-03-01", "2025-06-01", "2026-01-01", "2026-06-01"])


def reference_join(claims: pd.DataFrame, references: dict[str, pd.DataFrame]) -> pd.DataFrame:
    citizens = references["citizens"][
        ["cpr", "status", "status_date", "municipality_code", "moved_date"]
    ].rename(
        columns={
            "status": "cit_status",
            "status_date": "cit_status_date",
            "municipality_code": "cit_municipality",
            "moved_date": "cit_moved_date",
        }
    )
    joined = claims.merge(citizens, on="cpr", how="left", validate="many_to_one")
    joined.index = claims.index
    candidates = (
        claims[["cpr", "service_date"]]
        .reset_index(names="row")
        .merge(references["pensioners"], on="cpr", how="inner")
    )
    in_force = (candidates["valid_from"] <= candidates["service_date"]) & (
        candidates["valid_to"].isna() | (candidates["valid_to"] >= candidates["service_date"])
    )
    pension = (
        candidates.loc[in_force]
        .sort_values(["row", "valid_from"], ascending=[True, False])
        .drop_duplicates("row")
        .set_index("row")
    )
    joined["pen_type"] = pension["pension_type"].reindex(claims.index)
    joined["pen_percent"] = pension["supplement_percent"].reindex(claims.index).astype("Int64")
    joined["pen_assets"] = pension["liquid_assets"].reindex(claims.index).astype("Int64")
    joined["pen_awarded"] = pension["awarded_date"].reindex(claims.index)
    companies = references["companies"].set_index("cvr")
    joined["comp_status"] = claims["provider_cvr"].map(companies["status"])
    joined["comp_status_date"] = claims["provider_cvr"].map(companies["status_date"])
    pensions = references["pensioners"]
    foertid = pensions[pensions["pension_type"] == "foertidspension"]
    since = foertid.groupby("cpr")["valid_from"].min()
    earliest = dict(zip(since.index, since.to_numpy(), strict=True))
    joined["pen_foertid_since"] = pd.Series(
        [earliest.get(c, np.datetime64("NaT")) for c in claims["cpr"]],
        index=claims.index,
        dtype="datetime64[s]",
    )
    return joined


def dates(rng: np.random.Generator, size: int, missing: float) -> pd.Series:
    values = pd.Series(rng.choice(DATES, size), dtype="datetime64[s]")
    return values.mask(rng.random(size) < missing)


def random_night(seed: int) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(0, 25)), int(rng.integers(0, 16))
    claims = pd.DataFrame(
        {
            "claim_id": pd.Series([f"C{i}" for i in range(n)], dtype="string"),
            "cpr": pd.Series(rng.choice(CPRS, n), dtype="string"),
            "provider_cvr": pd.Series(rng.choice(CVRS, n), dtype="string"),
            "service_date": dates(rng, n, 0.0),
        },
        index=pd.RangeIndex(100, 100 + n),
    )
    known = rng.permutation(CPRS)[: int(rng.integers(1, len(CPRS) + 1))]
    citizens = pd.DataFrame(
        {
            "cpr": pd.Series(known, dtype="string"),
            "status": pd.Series(rng.choice(["active", "dead"], len(known)), dtype="string"),
            "status_date": dates(rng, len(known), 0.5),
            "municipality_code": pd.Series(rng.choice([173, 151], len(known)), dtype="Int64"),
            "moved_date": dates(rng, len(known), 0.5),
        }
    )
    pensioners = pd.DataFrame(
        {
            "cpr": pd.Series(rng.choice(CPRS, k), dtype="string"),
            "pension_type": pd.Series(
                rng.choice(["folkepension", "foertidspension"], k), dtype="string"
            ),
            "supplement_percent": pd.Series(rng.integers(0, 101, k), dtype="Int64"),
            "liquid_assets": pd.Series(rng.integers(0, 10**7, k), dtype="Int64"),
            "valid_from": dates(rng, k, 0.1),
            "valid_to": dates(rng, k, 0.5),
            "awarded_date": dates(rng, k, 0.3),
        }
    )
    listed = rng.permutation(CVRS)[: int(rng.integers(1, len(CVRS) + 1))]
    companies = pd.DataFrame(
        {
            "cvr": pd.Series(listed, dtype="string"),
            "status": pd.Series(rng.choice(["active", "bankrupt"], len(listed)), dtype="string"),
            "status_date": dates(rng, len(listed), 0.3),
        }
    )
    references = {"citizens": citizens, "pensioners": pensioners, "companies": companies}
    if rng.random() < 0.5:  # as frames built by concatenation: Arrow columns in chunks
        claims = in_pieces(claims, rng)
        references = {name: in_pieces(frame, rng) for name, frame in references.items()}
    return claims, references


def in_pieces(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    cut = int(rng.integers(0, len(frame) + 1))
    return pd.concat([frame.iloc[:cut], frame.iloc[cut:]])


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_join_equals_the_merge_statement(seed: int) -> None:
    claims, references = random_night(seed)
    pd.testing.assert_frame_equal(
        join_registers(claims, references), reference_join(claims, references)
    )


def test_equal_start_dates_take_the_register_order() -> None:
    claims, references = random_night(0)
    claims = claims.iloc[:1].assign(cpr=CPRS[0], service_date=pd.Timestamp("2026-03-01"))
    references["pensioners"] = references["pensioners"].iloc[:0]
    records = pd.DataFrame(
        {
            "cpr": pd.Series([CPRS[0]] * 3, dtype="string"),
            "pension_type": pd.Series(["folkepension"] * 3, dtype="string"),
            "supplement_percent": pd.Series([10, 20, 30], dtype="Int64"),
            "liquid_assets": pd.Series([0, 0, 0], dtype="Int64"),
            "valid_from": pd.Series(pd.to_datetime(["2025-01-01", "2026-01-01", "2026-01-01"])),
            "valid_to": pd.Series([pd.NaT] * 3, dtype="datetime64[s]"),
            "awarded_date": pd.Series([pd.NaT] * 3, dtype="datetime64[s]"),
        }
    ).astype({"valid_from": "datetime64[s]"})
    references["pensioners"] = records
    assert join_registers(claims, references)["pen_percent"].tolist() == [20]


@pytest.mark.parametrize(("register", "key"), [("citizens", "cpr"), ("companies", "cvr")])
def test_a_register_key_on_two_rows_is_refused(register: str, key: str) -> None:
    claims, references = random_night(1)
    claims = claims.assign(cpr=CPRS[0], provider_cvr=CVRS[0])
    frame = references[register]
    twice = frame.iloc[[0, 0]].assign(**{key: CPRS[0] if key == "cpr" else CVRS[0]})
    references[register] = pd.concat([frame, twice], ignore_index=True)
    with pytest.raises(ValueError, match=key):
        join_registers(claims, references)
