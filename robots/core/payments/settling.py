"""Settling a new version of a claim against what its earlier versions paid.

Under a robot that settles the difference (ChangePolicy.SETTLE), a changed re-delivery is
decided afresh as the claim's next version. When it is to be paid, it pays only what is
owed on top of what the earlier versions paid and were not asked back: a difference above
zero is its payment (never a second full payment), zero settles it with nothing paid, and
below zero opens a recovery (tilbagebetalingskrav) on the earlier versions for what was
paid too much: a ledger row finance and the control group see, never a negative transfer.
Each is an event in the claims' histories, in the caller's transaction.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from robots.core.ledger import history, versions
from robots.core.money import format_kroner


def settle_versions(
    *,
    connection: Connection,
    robot: str,
    claims: pa.Table,
    run_id: str,
    settle_nothing_owed: bool = False,
) -> pa.Table:
    """`claims` (payable: claim_pk, amount_oere, ...) with each new version's amount made
    its difference, and the versions that owe nothing on top taken out (settled).

    `settle_nothing_owed` (a robot that settles): a first version that owes 0 kr. (a month
    whose wage left no subsidy) is settled too, with nothing paid, rather than waiting as
    payable for ever; a later version may still owe."""
    pending = versions.versions_of(connection=connection, robot=robot)
    if settle_nothing_owed:
        claims = _settle_nothing_owed(connection, claims, run_id, pending)
    if not pending:
        return claims
    is_version = pc.is_in(claims.column("claim_pk"), value_set=pa.array(pending, pa.int64()))
    due = claims.filter(is_version)
    if due.num_rows == 0:
        return claims
    chains = versions.earlier_versions(
        connection=connection, claim_pks=due.column("claim_pk").to_pylist()
    )
    earlier = {pk for chain in chains.values() for pk in chain}
    net = versions.net_paid_by(connection=connection, claim_pks=sorted(earlier))
    amounts: list[int] = []
    keep: list[bool] = []
    for claim_pk, amount in zip(
        due.column("claim_pk").to_pylist(), due.column("amount_oere").to_pylist(), strict=True
    ):
        chain = chains.get(claim_pk, [])
        paid = sum(net.get(pk, 0) for pk in chain)
        difference = amount - paid
        amounts.append(difference)
        keep.append(difference > 0)
        if difference <= 0:
            _settle(connection, claim_pk, chain, net, amount, paid, run_id)
    settled = due.set_column(
        due.column_names.index("amount_oere"), "amount_oere", pa.array(amounts, pa.int64())
    ).filter(pa.array(keep))
    return pa.concat_tables([claims.filter(pc.invert(is_version)), settled])


def _settle_nothing_owed(
    connection: Connection, claims: pa.Table, run_id: str, later_versions: list[int]
) -> pa.Table:
    """First versions owing 0 kr. settled (a later version owing 0 is settled against what
    its earlier versions paid, below)."""
    first = pc.invert(
        pc.is_in(claims.column("claim_pk"), value_set=pa.array(later_versions, pa.int64()))
    )
    zero = pc.and_(pc.equal(claims.column("amount_oere"), 0), first)
    if not pc.any(zero).as_py():
        return claims
    for claim_pk in claims.filter(zero).column("claim_pk").to_pylist():
        history.append_event(
            connection=connection,
            claim_pk=claim_pk,
            kind=history.EventKind.SETTLED,
            actor=f"robot:{run_id}",
            reason="nothing is owed (0,00 kr.): settled with nothing paid",
            run_id=run_id,
            detail={"owed_oere": 0, "earlier_paid_oere": 0},
        )
    return claims.filter(pc.invert(zero))


def _settle(
    connection: Connection,
    claim_pk: int,
    chain: list[int],
    net: dict[int, int],
    amount: int,
    paid: int,
    run_id: str,
) -> None:
    """A version that owes nothing on top: settled, and any overpayment asked back from
    the earlier versions, the latest first, each for at most what it paid."""
    actor = f"robot:{run_id}"
    words = (
        f"the corrected claim owes {format_kroner(amount)} kr., "
        f"its earlier versions paid {format_kroner(paid)} kr."
    )
    history.append_event(
        connection=connection,
        claim_pk=claim_pk,
        kind=history.EventKind.SETTLED,
        actor=actor,
        reason=words + ("" if paid == amount else ": the difference is asked back"),
        run_id=run_id,
        detail={"owed_oere": amount, "earlier_paid_oere": paid},
    )
    remaining = paid - amount
    for earlier_pk in chain:
        take = min(remaining, net.get(earlier_pk, 0))
        if take <= 0:
            continue
        history.append_event(
            connection=connection,
            claim_pk=earlier_pk,
            kind=history.EventKind.RECOVERY_OPENED,
            actor=actor,
            reason=f"tilbagebetalingskrav: {words}",
            amount_oere=take,
            run_id=run_id,
            detail={"corrected_by_pk": claim_pk},
        )
        remaining -= take
