"""Credit notes are set off in the payee's transfer, never paid out as negative transfers."""

from __future__ import annotations

import pyarrow as pa

from robots.core.payments.planning import payable


def _claims(rows: list[tuple[str, str, int]]) -> pa.Table:
    return pa.table(
        {
            "claim_pk": list(range(len(rows))),
            "claim_id": [claim for _, claim, _ in rows],
            "payee_kind": ["cvr"] * len(rows),
            "payee_id": [payee for payee, _, _ in rows],
            "amount_oere": pa.array([amount for _, _, amount in rows], type=pa.int64()),
        }
    )


def test_a_credit_smaller_than_the_bills_is_set_off_in_the_transfer() -> None:
    claims = _claims([("11111111", "A", 154_400), ("11111111", "CN", -50_000)])
    assert sum(payable(claims).column("amount_oere").to_pylist()) == 104_400


def test_a_payee_whose_credits_outweigh_the_bills_waits() -> None:
    claims = _claims(
        [("11111111", "CN", -50_000), ("22222222", "B", 39_700), ("33333333", "CN2", -10_000)]
    )
    kept = payable(claims)
    assert kept.column("payee_id").to_pylist() == ["22222222"]


def test_a_payee_netting_to_exactly_zero_waits_too() -> None:
    claims = _claims([("11111111", "A", 50_000), ("11111111", "CN", -50_000)])
    assert payable(claims).num_rows == 0
