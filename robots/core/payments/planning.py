"""A payment batch planned in Arrow: one transfer per payee, every claim in its transfer.

Why one plan: the outstanding claims are read from the ledger once, and the same columns
then feed the ledger rows (transfers, items), the pain.001 file and the posting file. A
batch finished after a crash is rebuilt from the ledger into the same shapes, in the same
order, so its files come out byte for byte as they would have the first time.

Everything runs column-wise in Arrow and numpy; at a million claims a Python step per
claim or per payee would cost more than the whole payment stage may take.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

REMITTANCE_IDS_SHOWN = 20
"""How many claim ids a transfer's remittance text names before "+N flere"."""

CLAIMS_SCHEMA = pa.schema(
    [
        ("claim_pk", pa.int64()),
        ("claim_id", pa.string()),
        ("payee_kind", pa.string()),
        ("payee_id", pa.string()),
        ("amount_oere", pa.int64()),
    ]
)
"""What a plan needs to know of each claim."""


@dataclass(frozen=True)
class BatchPlan:
    """What one batch pays, in payment order.

    Attributes:
        transfers: end_to_end_id, payee_kind, payee_id, amount_oere, claims, remittance;
            one row per payee, ordered by (payee_kind, payee_id) and numbered in that order.
        claims: claim_pk, claim_id, amount_oere and transfer (row number in `transfers`),
            ordered by payee and then claim id.
        total_oere: The exact total of the batch.
    """

    transfers: pa.Table
    claims: pa.Table
    total_oere: int


def in_payment_order(claims: pa.Table) -> pa.Table:
    """Claims sorted by payee (kind, id), then claim id: the order of files and numbering."""
    order = pc.sort_indices(
        claims,
        sort_keys=[
            ("payee_kind", "ascending"),
            ("payee_id", "ascending"),
            ("claim_id", "ascending"),
        ],
    )
    return claims.take(order).combine_chunks()


def payee_starts(ordered: pa.Table) -> np.ndarray:
    """Row numbers where a new payee begins in claims sorted by payee."""
    if ordered.num_rows == 0:
        return np.zeros(0, dtype=np.int64)
    key = pc.binary_join_element_wise(
        ordered.column("payee_kind"), ordered.column("payee_id"), "\x00"
    ).combine_chunks()
    changed = pc.not_equal(key.slice(1), key.slice(0, len(key) - 1))
    flags = np.concatenate([[True], changed.to_numpy(zero_copy_only=False)])
    return np.flatnonzero(flags)


def payable(claims: pa.Table) -> pa.Table:
    """The claims of payees whose outstanding claims net to more than 0 kr.

    A credit note is a negative claim set off against the payee's next transfer; a payee
    whose credits outweigh what is owed gets no transfer (a bank pays no negative amount):
    those claims wait, outstanding, until new bills outweigh the credit. Free when no
    claim is negative (helbredstillaeg never has one).
    """
    if claims.num_rows == 0 or pc.min(claims.column("amount_oere")).as_py() >= 0:
        return claims
    keys = pc.binary_join_element_wise(
        claims.column("payee_kind"), claims.column("payee_id"), "\x00"
    ).combine_chunks()
    codes = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False)
    amounts = claims.column("amount_oere").to_numpy()
    net = np.zeros(codes.max() + 1, dtype=np.int64)
    np.add.at(net, codes, amounts)
    return claims.filter(pa.array(net[codes] > 0))


def plan_batch(claims: pa.Table, *, batch_id: str, title: str) -> BatchPlan:
    """Group outstanding claims into one transfer per payee.

    Args:
        claims: claim_pk, claim_id, payee_kind, payee_id, amount_oere (any order).
        batch_id: The batch (MsgId); end-to-end ids are "<batch_id>-000001" and so on.
        title: The benefit's remittance title, e.g. "Helbredstillaeg".

    Returns:
        The transfers and the claims in payment order.
    """
    ordered = in_payment_order(claims.select(CLAIMS_SCHEMA.names).cast(CLAIMS_SCHEMA))
    starts = payee_starts(ordered)
    counts = np.diff(np.append(starts, ordered.num_rows))
    amounts = ordered.column("amount_oere").to_numpy()
    sums = np.add.reduceat(amounts, starts) if len(starts) else np.zeros(0, np.int64)
    transfers = pa.table(
        {
            "end_to_end_id": _end_to_end_ids(batch_id, len(starts)),
            "payee_kind": ordered.column("payee_kind").take(starts),
            "payee_id": ordered.column("payee_id").take(starts),
            "amount_oere": pa.array(sums, type=pa.int64()),
            "claims": pa.array(counts, type=pa.int64()),
            "remittance": _remittances(ordered.column("claim_id"), starts, counts, title),
        }
    )
    plan_claims = pa.table(
        {
            "claim_pk": ordered.column("claim_pk"),
            "claim_id": ordered.column("claim_id"),
            "amount_oere": ordered.column("amount_oere"),
            "transfer": pa.array(np.repeat(np.arange(len(starts)), counts), type=pa.int64()),
        }
    )
    # Python integers: exact whatever the size, where an int64 sum could wrap around.
    return BatchPlan(transfers=transfers, claims=plan_claims, total_oere=sum(sums.tolist()))


def _end_to_end_ids(batch_id: str, count: int) -> pa.Array:
    numbers = pc.cast(pa.array(np.arange(1, count + 1)), pa.string())
    return pc.binary_join_element_wise(batch_id, pc.utf8_lpad(numbers, 6, "0"), "-")


def _remittances(
    claim_ids: pa.ChunkedArray, starts: np.ndarray, counts: np.ndarray, title: str
) -> pa.Array:
    """'<title> <n> krav: <first 20 claim ids> +<rest> flere' for each transfer."""
    offsets = pa.array(np.append(starts, len(claim_ids)), type=pa.int32())
    per_payee = pa.ListArray.from_arrays(offsets, claim_ids.combine_chunks())
    shown = pc.binary_join(pc.list_slice(per_payee, 0, REMITTANCE_IDS_SHOWN), " ")
    more = counts - REMITTANCE_IDS_SHOWN
    tail = pc.if_else(
        pa.array(more > 0),
        pc.binary_join_element_wise(" +", pc.cast(pa.array(more), pa.string()), " flere", ""),
        "",
    )
    count_text = pc.cast(pa.array(counts), pa.string())
    return pc.binary_join_element_wise(title, " ", count_text, " krav: ", shown, tail, "")
