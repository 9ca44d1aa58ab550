"""Credit notes are set off in the payee's transfer, never paid out as negative transfers."""

from __future__ import annotations

import pandas as pd

from robots.core.payments.paying import payable


def _claims(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [("cvr", payee, claim, amount) for payee, claim, amount in rows],
        columns=["payee_kind", "payee_id", "claim_id", "amount_oere"],
    )


def test_a_credit_smaller_than_the_bills_is_set_off_in_the_transfer() -> None:
    claims = _claims([("11111111", "A", 154_400), ("11111111", "CN", -50_000)])
    assert payable(claims)["amount_oere"].sum() == 104_400


def test_a_payee_whose_credits_outweigh_the_bills_waits() -> None:
    claims = _claims(
        [("11111111", "CN", -50_000), ("22222222", "B", 39_700), ("33333333", "CN2", -10_000)]
    )
    kept = payable(claims)
    assert kept["payee_id"].tolist() == ["22222222"]


def test_a_payee_netting_to_exactly_zero_waits_too() -> None:
    claims = _claims([("11111111", "A", 50_000), ("11111111", "CN", -50_000)])
    assert payable(claims).empty
