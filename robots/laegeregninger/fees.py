"""The fee card: what the municipality pays per certificate code in a year (pure).

Fees live in config/rates/<year>.toml as `[laegeregninger.fees."LÆ265"]` rows; each row's
variants (standard, med tolk, ...) are the amounts accepted for the code. A row missing for
a year is carried forward on its own and is then provisional (domain.md: production holds,
demo pays and says so).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from robots.core.money import format_kroner, to_oere
from robots.core.rates import rate_table

BENEFIT = "laegeregninger"
TABLE = "fees"
BY_INVOICE = "by_invoice"

CARD_COLUMNS = ["code", "year", "variant", "fee_oere"]
TERMS_COLUMNS = ["code", "year", "by_invoice", "provisional", "expected", "provisional_text"]


def fee_card(years: Iterable[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For the years asked: one row per accepted amount, and one row of terms per code.

    The first frame is (code, year, variant, fee_oere); the second (code, year, by_invoice,
    provisional, expected, provisional_text), where `expected` is the evidence text a
    caseworker reads when an invoice does not match.
    """
    amounts: list[tuple[str, int, str, int]] = []
    terms: list[tuple[str, int, bool, bool, str, str]] = []
    for year in sorted({int(y) for y in years}):
        for code, entry in rate_table(BENEFIT, TABLE, year).items():
            for variant, kroner in entry.amounts.items():
                amounts.append((code, year, variant, to_oere(kroner)))
            expected = " or ".join(
                f"{format_kroner(to_oere(k))} kr. ({v})" for v, k in entry.amounts.items()
            )
            note = (
                f"fee for {code} carried from {entry.provisional_from}: confirm {entry.config_key}"
                if entry.provisional
                else ""
            )
            terms.append((code, year, BY_INVOICE in entry.flags, entry.provisional, expected, note))
    card = pd.DataFrame(amounts, columns=CARD_COLUMNS)
    card["fee_oere"] = card["fee_oere"].astype("int64")
    return card, pd.DataFrame(terms, columns=TERMS_COLUMNS)


def price_invoices(codes: pd.Series, years: pd.Series, amount_oere: pd.Series) -> pd.DataFrame:
    """Per invoice row: is the code on the card, is it by invoice, does the amount match.

    Returns columns fee_known, fee_by_invoice, fee_matches, fee_provisional, fee_expected,
    fee_provisional_text, indexed like `codes`.
    """
    card, terms = fee_card(np.unique(years.to_numpy()))
    rows = pd.DataFrame(
        {"code": codes.to_numpy(), "year": years.to_numpy(), "amount": amount_oere.to_numpy()},
        index=codes.index,
    )
    keyed = rows.reset_index(names="row")
    known = keyed.merge(terms, on=["code", "year"], how="left").set_index("row")
    hits = keyed.merge(card, on=["code", "year"], how="inner")
    matched = hits.loc[hits["amount"] == hits["fee_oere"], "row"].unique()
    return pd.DataFrame(
        {
            "fee_known": known["by_invoice"].notna().reindex(rows.index).to_numpy(),
            "fee_by_invoice": known["by_invoice"].fillna(False).astype(bool).to_numpy(),
            "fee_matches": rows.index.isin(matched),
            "fee_provisional": known["provisional"].fillna(False).astype(bool).to_numpy(),
            "fee_expected": known["expected"].fillna("").astype("string").to_numpy(),
            "fee_provisional_text": known["provisional_text"]
            .fillna("")
            .astype("string")
            .to_numpy(),
        },
        index=rows.index,
    )
