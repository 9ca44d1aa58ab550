"""A payment batch planned in Arrow: one transfer per payee, every claim in its transfer.

Why one plan: the outstanding claims are read from the ledger once, and the same columns
then feed the ledger rows (transfers, items), the pain.001 file and the posting file. A
batch finished after a crash is rebuilt from the ledger into the same shapes, in the same
order, so its files come out byte for byte as they would have the first time.

Everything runs column-wise in Arrow and numpy; at a million claims a Python step per
claim or per payee would cost more than the whole payment stage may take.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

REMITTANCE_CHARS = 140
"""The whole remittance text of a transfer: one unstructured line (Max140Text), what every
bank and NemKonto pass on to the payee; a second Ustrd is dropped by many."""

CLAIMS_SCHEMA = pa.schema(
    [
        ("claim_pk", pa.int64()),
        ("claim_id", pa.string()),
        ("source_id", pa.string()),
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


def new_batch_id(code: str, night: date) -> str:
    """`HT20261123-9f2c41d0`: the robot, the night, and a random part, so a batch id (the
    pain.001's MsgId) is never used twice, whoever draws it."""
    return f"{code}{night:%Y%m%d}-{secrets.token_hex(4)}"


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


def into_bundles(claims: pa.Table, max_transfers: int) -> list[pa.Table]:
    """The claims split into parts of at most `max_transfers` payees each, in payment order.

    A bank or NemKonto takes a bounded number of payments per file (bundle), so a large
    night is paid as several batches, each its own file with its own MsgId and control
    sum. A payee's claims are never split between two parts: one payee, one transfer.
    One part (the claims as given) when they fit.
    """
    if claims.num_rows == 0:
        return [claims]
    ordered = in_payment_order(claims)
    starts = payee_starts(ordered)
    if len(starts) <= max_transfers:
        return [claims]
    bounds = np.append(starts[::max_transfers], ordered.num_rows)
    return [ordered.slice(int(low), int(high - low)) for low, high in itertools.pairwise(bounds)]


def plan_batch(claims: pa.Table, *, batch_id: str, title: str, label: str = "krav") -> BatchPlan:
    """Group outstanding claims into one transfer per payee.

    Args:
        claims: claim_pk, claim_id, payee_kind, payee_id, amount_oere (any order), and
            source_id, the payee's own id of each (a clinic's invoice number; default the
            claim id).
        batch_id: The batch (MsgId); end-to-end ids are "<batch_id>-000001" and so on.
        title: The benefit's remittance title, e.g. "Helbredstillaeg".
        label: What the ids in the remittance are, e.g. "fakt." for invoice numbers.

    Returns:
        The transfers and the claims in payment order.
    """
    if "source_id" not in claims.column_names:
        claims = claims.append_column("source_id", claims.column("claim_id"))
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
            "remittance": remittances(ordered, starts, title, label),
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


def remittances(ordered: pa.Table, starts: np.ndarray, title: str, label: str) -> pa.Array:
    """What each transfer pays, in words a payee's bookkeeper matches against open items,
    in one line of at most REMITTANCE_CHARS characters:

        Laegeattester: fakt. 1001, 1002, KN 77
        Laegeattester: fakt. 1001, 1002, ... 1019 m.fl. (30 stk.)

    Each document once (an invoice's lines are one invoice), in the payee's own numbers, a
    credit note marked KN; as many whole numbers as fit, never a number cut in two, and
    where not all fit "m.fl." and how many there are. The amount is the transfer's own, on
    the statement beside the text. In arrays: a batch has 100,000s of transfers.
    """
    doc_starts, doc_of_payee = _documents(ordered, starts)
    at = pa.array(doc_starts)
    own = ordered.column("source_id").combine_chunks().take(at)
    credit = pc.less(ordered.column("amount_oere").combine_chunks().take(at), 0)
    shown = pc.if_else(credit, pc.binary_join_element_wise("KN ", own, ""), own)
    documents = np.bincount(doc_of_payee, minlength=len(starts))
    head = f"{title}: {label} "
    more = " m.fl."
    tail = pc.binary_join_element_wise(
        " (", pc.cast(pa.array(documents), pa.string()), " stk.)", ""
    )
    # Whole numbers while they fit: each costs its length and ", " before the next.
    cost = pc.utf8_length(shown).to_numpy().astype(np.int64) + 2
    all_of_them = np.bincount(doc_of_payee, weights=cost, minlength=len(starts)) - 2
    room = np.where(
        len(head) + all_of_them <= REMITTANCE_CHARS,
        REMITTANCE_CHARS - len(head),
        REMITTANCE_CHARS - len(head) - len(more) - pc.utf8_length(tail).to_numpy(),
    )
    first_doc = np.cumsum(documents) - documents
    used = np.cumsum(cost) - np.repeat(np.cumsum(cost)[first_doc] - cost[first_doc], documents)
    fits = used - 2 <= room[doc_of_payee]
    kept = np.bincount(doc_of_payee[fits], minlength=len(starts))
    listed = pc.binary_join(
        pa.ListArray.from_arrays(
            pa.array(np.append(0, np.cumsum(kept)), pa.int32()), shown.filter(pa.array(fits))
        ),
        ", ",
    )
    cut = pa.array(kept < documents)
    return pc.if_else(
        pa.array(kept > 0),
        pc.binary_join_element_wise(
            head, listed, pc.if_else(cut, pc.binary_join_element_wise(more, tail, ""), ""), ""
        ),
        pc.binary_join_element_wise(
            f"{title}: ", pc.cast(pa.array(documents), pa.string()), " stk.", ""
        ),
    )


def _documents(ordered: pa.Table, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each payee's documents begin among its claims (claims of one document lie
    together: ids sort by document, then line), and the transfer of each document.

    A document begins with a new payee, or where the payee's own id or the sign of the
    amount (an invoice or its credit note) changes from the claim before.
    """
    count = ordered.num_rows
    begins = np.zeros(count, dtype=bool)
    begins[starts] = True
    if count > 1:
        own = ordered.column("source_id").combine_chunks()
        credit = np.signbit(ordered.column("amount_oere").to_numpy())
        begins[1:] |= pc.not_equal(own.slice(1), own.slice(0, count - 1)).to_numpy(
            zero_copy_only=False
        )
        begins[1:] |= credit[1:] != credit[:-1]
    doc_starts = np.flatnonzero(begins)
    payee_of_claim = np.cumsum(np.isin(np.arange(count), starts)) - 1
    return doc_starts, payee_of_claim[doc_starts]
