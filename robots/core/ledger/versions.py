"""A claim's versions: a changed re-delivery, under a robot that settles the difference, is
recorded as a new claim row (`version` n+1, `supersedes_pk` naming version n, key
`<key>#v<n+1>`) and the earlier one is superseded in its history.

Versions are rare beside a night's claims, so every question here starts from the few
rows that have them (the partial index `ix_claims_supersedes`) and walks the chain by
primary key; a night of new claims asks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from robots.core.ledger.history import money_of_claims


def version_key(first_key: str, version: int) -> str:
    """The key of a claim's version: the first version keeps the claim's own key."""
    return first_key if version == 1 else f"{first_key}#v{version}"


def _in(values: Sequence[int], prefix: str = "v") -> tuple[str, dict[str, int]]:
    names = [f":{prefix}{n}" for n in range(len(values))]
    return ", ".join(names), {f"{prefix}{n}": int(v) for n, v in enumerate(values)}


def _successors(connection: Connection, pks: Sequence[int]) -> pd.DataFrame:
    """The versions that supersede any of these claims (in chunks a driver accepts)."""
    found: list[Any] = []
    for start in range(0, len(pks), _CHUNK):
        placeholders, params = _in(pks[start : start + _CHUNK])
        found += connection.execute(
            text(
                "SELECT supersedes_pk, id, fingerprint, run_id, decision, version FROM claims "
                f"WHERE supersedes_pk IN ({placeholders})"
            ),
            params,
        ).all()
    columns = ["supersedes_pk", "claim_pk", "fingerprint", "run_id", "decision", "version"]
    return pd.DataFrame(found, columns=columns).set_index("supersedes_pk")


_CHUNK = 5000


def latest_versions(*, connection: Connection, known: pd.DataFrame) -> pd.DataFrame:
    """`known` (claims found by their first key: claim_pk, fingerprint, run_id, decision,
    version) with each row replaced by its latest version's values; the key stays the
    first one, so tonight's row still matches it."""
    if (
        connection.execute(
            text("SELECT 1 FROM claims WHERE supersedes_pk IS NOT NULL LIMIT 1")
        ).first()
        is None
    ):
        return known
    current = known.copy()
    while True:
        newer = _successors(connection, [int(pk) for pk in current["claim_pk"]])
        moved = current["claim_pk"].isin(newer.index)
        if not moved.any():
            return current
        for column in ("fingerprint", "run_id", "decision", "version", "claim_pk"):
            current.loc[moved, column] = current.loc[moved, "claim_pk"].map(newer[column])


def versions_of(*, connection: Connection, robot: str) -> list[int]:
    """The robot's versions 2 and on that were not rejected: among the claims about to be
    paid, these are settled against what their earlier versions paid.

    Asked by `supersedes_pk` alone, so the database walks the small partial index of
    versions; with `robot = ?` in the query SQLite chose the robot's index instead and
    read every claim the robot ever had (2.9 s at a million, measured)."""
    rows = connection.execute(
        text("SELECT id, robot, decision FROM claims WHERE supersedes_pk IS NOT NULL")
    ).all()
    return [int(pk) for pk, owner, decision in rows if owner == robot and decision != "reject"]


def earlier_versions(*, connection: Connection, claim_pks: Iterable[int]) -> dict[int, list[int]]:
    """Each version's earlier versions, the latest first."""
    pks = sorted({int(pk) for pk in claim_pks})
    if not pks:
        return {}
    placeholders, params = _in(pks)
    rows = connection.execute(
        text(
            "WITH RECURSIVE chain(version_pk, earlier_pk, depth) AS ("
            f" SELECT id, supersedes_pk, 1 FROM claims WHERE id IN ({placeholders})"
            " AND supersedes_pk IS NOT NULL"
            " UNION ALL"
            " SELECT chain.version_pk, c.supersedes_pk, chain.depth + 1"
            " FROM chain JOIN claims c ON c.id = chain.earlier_pk"
            " WHERE c.supersedes_pk IS NOT NULL)"
            " SELECT version_pk, earlier_pk FROM chain ORDER BY version_pk, depth"
        ),
        params,
    ).all()
    chains: dict[int, list[int]] = {pk: [] for pk in pks}
    for version_pk, earlier_pk in rows:
        chains[int(version_pk)].append(int(earlier_pk))
    return chains


def net_paid_by(*, connection: Connection, claim_pks: Iterable[int]) -> dict[int, int]:
    """Per claim: what it paid and was not returned, less what is already asked back."""
    money = money_of_claims(connection=connection, claim_pks=list(claim_pks))
    return {pk: m["paid_oere"] - m["to_recover_oere"] for pk, m in money.items()}
