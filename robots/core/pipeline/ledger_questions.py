"""What a night asks the ledger about its claims, answered as frames and columns, so the
robots' checks stay pure: which claims it knows, which bills it holds under other ids,
what the robot's keys were paid for before, which earlier claims under a key cover some of
the same days, and what amounts are usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from robots.core.ledger import claim_records, versions
from robots.core.robot import ChangePolicy, OverlapLookup, Robot, concat_findings


@dataclass(frozen=True)
class KnownSplit:
    """Tonight's claims told apart by what the ledger knows of them."""

    new: pd.DataFrame
    """Claims to decide tonight: new ones, and (under a robot that settles the difference)
    changed re-deliveries as their next version."""
    same: pd.DataFrame
    """Identical re-deliveries: nothing to do."""
    changed: pd.DataFrame
    """Changed re-deliveries held for a person (a robot whose change policy is to hold)."""
    versions: pd.DataFrame
    """The new versions among `new`: idempotency_key (the version's), version, supersedes_pk."""


def split_known(engine: Engine, robot: Robot, claims: pd.DataFrame) -> KnownSplit:
    """Tonight's claims as new ones, identical re-deliveries and changed ones.

    A claim the ledger already holds is skipped when its content (fingerprint) is the same
    as its latest version's. When it changed, the robot's change policy says what it is: a
    re-delivery held for a person, or the claim's next version, decided afresh and settled
    against what the earlier versions paid. When the ledger knows none of tonight's keys
    (a night of new claims) the new claims are the claims, not a filtered copy of them.
    """
    nothing = pd.DataFrame()
    if not len(claims):
        return KnownSplit(claims, nothing, nothing, nothing)
    claims = claims.assign(
        idempotency_key=robot.idempotency_keys(claims), fingerprint=robot.fingerprint(claims)
    )
    with engine.connect() as connection:
        known = claim_records.claims_already_known(
            connection=connection, keys=claims["idempotency_key"]
        )
        if len(known) and robot.change_policy is ChangePolicy.SETTLE:
            known = versions.latest_versions(connection=connection, known=known)
    if not len(known):
        return KnownSplit(claims, nothing, nothing, nothing)
    seen = claims.merge(known, on="idempotency_key", how="inner", suffixes=("", "_ledger"))
    same = seen[seen["fingerprint"] == seen["fingerprint_ledger"]]
    changed = seen[seen["fingerprint"] != seen["fingerprint_ledger"]]
    new = claims[~claims["idempotency_key"].isin(known["idempotency_key"])]
    if robot.change_policy is not ChangePolicy.SETTLE or not len(changed):
        return KnownSplit(new, same, changed, nothing)
    number = changed["version"].astype("int64") + 1
    next_versions = pd.DataFrame(
        {
            "idempotency_key": [
                versions.version_key(key, int(n))
                for key, n in zip(changed["idempotency_key"], number, strict=True)
            ],
            "version": number.to_numpy(),
            "supersedes_pk": changed["claim_pk"].astype("int64").to_numpy(),
        }
    )
    as_claims = changed[claims.columns].assign(
        idempotency_key=next_versions["idempotency_key"].to_numpy()
    )
    return KnownSplit(pd.concat([new, as_claims], ignore_index=True), same, nothing, next_versions)


def earlier_bills(engine: Engine, robot: Robot, computed: pd.DataFrame) -> pd.DataFrame:
    """Findings for tonight's bills the ledger already holds under another claim id: paid
    or approved (the robot's duplicate-paid rule), else held for the control group (its
    duplicate-held rule: releasing the original would pay the bill twice). Each names the
    original claim and its run."""
    with engine.connect() as connection:
        earlier = claim_records.earlier_bills(
            connection=connection, robot=robot.name, fingerprints=computed["fingerprint"]
        )
    fingerprints = computed["fingerprint"]
    found = []
    for decision, rule_id, standing in (
        ("pay", robot.duplicate_paid_rule, "already paid or approved"),
        ("hold", robot.duplicate_held_rule, "held for the control group"),
    ):
        originals = earlier[earlier["decision"] == decision].set_index("fingerprint")
        if decision == "hold":  # a bill paid before is the paid rule's alone
            originals = originals.drop(
                index=earlier.loc[earlier["decision"] == "pay", "fingerprint"], errors="ignore"
            )
        hits = fingerprints[fingerprints.isin(originals.index)]
        if not len(hits):
            continue
        claim = hits.map(originals["claim_id"]).astype("string")
        run = hits.map(originals["run_id"]).astype("string")
        found.append(
            pd.DataFrame(
                {
                    "row": hits.index,
                    "rule_id": rule_id,
                    "message": pd.array(
                        "same bill as claim " + claim + " (run " + run + "), " + standing,
                        dtype="string",
                    ),
                }
            )
        )
    return concat_findings(found)


def amount_history(engine: Engine, robot: Robot) -> pd.DataFrame | None:
    """The robot's recent claims' amounts, when its checks judge what is usual by them."""
    if robot.amount_history is None:
        return None
    with engine.connect() as connection:
        return claim_records.recent_amounts(
            connection=connection, robot=robot.name, limit=robot.amount_history()
        )


def with_ledger_lookups(
    connection: Connection, robot: Robot, computed: pd.DataFrame
) -> pd.DataFrame:
    """The robot's ledger questions answered as columns, so its checks stay pure."""
    out = computed
    for lookup in robot.ledger_lookups:
        wanted = computed[lookup.frame_column]
        keys = wanted.dropna().unique()
        answers = claim_records.claims_by_key(
            connection=connection, robot=robot.name, column=lookup.ledger_column, keys=keys
        ).set_index("key")
        out = out.assign(
            **{
                f"{lookup.prefix}_claim_id": wanted.map(answers["claim_id"]),
                f"{lookup.prefix}_oere": wanted.map(answers["amount_oere"]).astype("Int64"),
            }
        )
        if lookup.held_too:
            held = claim_records.claims_by_key(
                connection=connection,
                robot=robot.name,
                column=lookup.ledger_column,
                keys=keys,
                decision="hold",
            ).set_index("key")
            out[f"{lookup.prefix}_held_claim_id"] = wanted.map(held["claim_id"])
    for overlap in robot.overlap_lookups:
        out = out.assign(**_overlap_answer(connection, robot, computed, overlap))
    return out


def _overlap_answer(
    connection: Connection, robot: Robot, computed: pd.DataFrame, lookup: OverlapLookup
) -> dict[str, pd.Series]:
    """One overlap question's columns: per row, the earliest earlier claim under its key
    that shares a day with it (see OverlapLookup)."""
    own = pd.DataFrame(
        {
            "key": computed[lookup.frame_key].astype("string"),
            "claim_id": computed[robot.claim_id_column].astype("string"),
            "start": computed[lookup.start],
            "end": computed[lookup.end],
        }
    )
    earlier = claim_records.standing_periods_by_key(
        connection=connection,
        robot=robot.name,
        column=lookup.ledger_key,
        keys=own["key"].dropna().unique(),
        ending_from=_earliest_day(own["start"]),
    )
    first = earliest_overlaps(own, earlier)
    return {
        name: pd.Series(first[part].array, index=computed.index)
        for name, part in zip(lookup.columns, ("claim_id", "start", "end"), strict=True)
    }


def _earliest_day(starts: pd.Series) -> date | None:
    """The first day any of tonight's claims begins: an earlier claim ending before it
    shares no day with any of them."""
    first = starts.min()
    return None if pd.isna(first) else pd.Timestamp(first).date()


def earliest_overlaps(own: pd.DataFrame, earlier: pd.DataFrame) -> pd.DataFrame:
    """For each of `own` claims (key, claim_id, start, end: datetime64 days), the earliest
    of `earlier` (key, claim_id, service_date, service_end) under the same key and another
    claim id that shares at least one day with it, days inclusive at both ends: its
    claim_id, start and end (its service_date where it has no service_end), in `own`'s
    order, missing where none.

    Set-based, not a loop over rows: each row is paired with its key's few earlier claims
    (one merge), the pairs that share no day are dropped, and the earliest left (by first
    day, then claim id) is kept per row, so 200,000 claims cost a few sorts.
    """
    mine = own[["key", "claim_id", "start", "end"]].assign(row=np.arange(len(own)))
    theirs = pd.DataFrame(
        {
            "key": earlier["key"].astype("string"),
            "earlier_id": earlier["claim_id"].astype("string"),
            "earlier_start": earlier["service_date"],
            "earlier_end": earlier["service_end"].fillna(earlier["service_date"]),
        }
    )
    pairs = mine[mine["key"].notna()].merge(theirs, on="key", how="inner")
    shares_a_day = (
        (pairs["earlier_start"] <= pairs["end"]) & (pairs["earlier_end"] >= pairs["start"])
    ).to_numpy(dtype=bool)
    other_claim = (pairs["earlier_id"] != pairs["claim_id"]).to_numpy(dtype=bool, na_value=True)
    first = (
        pairs[shares_a_day & other_claim]
        .sort_values(["row", "earlier_start", "earlier_id"])
        .drop_duplicates("row")
        .set_index("row")
        .reindex(np.arange(len(own)))
    )
    return pd.DataFrame(
        {
            "claim_id": first["earlier_id"].astype("string").array,
            "start": first["earlier_start"].astype("datetime64[s]").array,
            "end": first["earlier_end"].astype("datetime64[s]").array,
        },
        index=own.index,
    )
