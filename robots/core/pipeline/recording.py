"""The night's decisions into the ledger, in the caller's one transaction: the files read,
the claims decided, every exception with its rule and evidence, the copies and the rows
that wait. Nothing is archived or paid before this commits.
"""

from __future__ import annotations

import json
from datetime import date
from functools import partial

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from checks import rules
from checks.reading import CLAIM_ALREADY_PROCESSED, CLAIM_COPY_TONIGHT
from robots.core import dates
from robots.core.evidence import json_objects
from robots.core.ledger import audit_trail, bulk, cases, history
from robots.core.pipeline.exceptions import insert_exceptions
from robots.core.pipeline.inbox import DataFolders
from robots.core.pipeline.ingest import FILE, IngestedClaims, record_file
from robots.core.pipeline.outcomes import own_source_ids
from robots.core.pipeline.reading import LINE
from robots.core.pipeline.waiting_ledger import Waiting, record_waiting
from robots.core.robot import COMPUTED_COLUMNS, KEY_COLUMNS, Robot


def record_night(
    connection: Connection,
    *,
    robot: Robot,
    run_id: str,
    night: date,
    folders: DataFolders,
    ingested: IngestedClaims,
    computed: pd.DataFrame | None,
    findings: pd.DataFrame,
    errors: pd.DataFrame,
    same: pd.DataFrame,
    changed: pd.DataFrame,
    copies: pd.DataFrame,
    waiting: Waiting | None = None,
    versions: pd.DataFrame | None = None,
) -> np.ndarray | None:
    """The night's decisions into the ledger, in the caller's one transaction; the keys
    the decided claims were given, in their order (None: no claims decided)."""
    for item in ingested.files:
        if item.status == "read":
            record_file(
                connection=connection,
                item=item,
                run_id=run_id,
                rows_rejected=0,
                folders=folders,
                night=night,
            )
    file_ids = ingested.file_ids
    claim_pks = None
    record_exceptions = partial(
        insert_exceptions,
        connection=connection,
        run_id=run_id,
        robot=robot.name,
        file_ids=file_ids,
    )
    if computed is not None:
        claim_pks = bulk.reserve_claim_pks(connection=connection, count=len(computed))
        with bulk.claim_lookup_index_deferred(connection=connection, incoming=len(computed)):
            bulk.bulk_insert(
                connection=connection,
                table="claims",
                frame=_claim_rows(computed, claim_pks, robot, run_id, file_ids, versions),
            )
        if versions is not None and len(versions):
            _supersede(connection, robot, run_id, versions, computed)
        record_exceptions(
            frame=findings.assign(
                claim_pk=findings["row"].map(pd.Series(claim_pks, index=computed.index)),
                claim_ref=findings["row"].map(computed[robot.claim_id_column]),
                file=findings["row"].map(computed[FILE]),
                line=findings["row"].map(computed[LINE]),
                evidence=finding_evidence(computed, findings, robot),
            )
        )
    record_exceptions(frame=errors)
    record_exceptions(
        frame=pd.concat(
            [
                _history_rows(same, CLAIM_ALREADY_PROCESSED.id, "already processed in run ", robot),
                _history_rows(
                    changed,
                    robot.resubmitted_changed_rule,
                    "differs from the claim decided in run ",
                    robot,
                ),
            ],
            ignore_index=True,
        )
    )
    record_exceptions(frame=_copy_rows(copies, [f.path.name for f in ingested.files]))
    if waiting is not None:
        record_waiting(connection, robot, run_id, night, waiting, file_ids)
    if computed is not None and (computed["decision"] == "hold").any():
        cases.open_cases_of_run(
            connection=connection, run_id=run_id, robot=robot.name, at=dates.now()
        )
    audit_trail.robot_event(
        connection=connection,
        robot=robot.name,
        action="claims_decided",
        entity="run",
        entity_id=run_id,
        run_id=run_id,
        detail=f"{0 if computed is None else len(computed)} claims decided",
    )
    return claim_pks


def finding_evidence(computed: pd.DataFrame, findings: pd.DataFrame, robot: Robot) -> np.ndarray:
    """Each finding's evidence: the rule, and the values of the claim and of the register
    rows joined to it that the rule compares (`Rule.compares`, else the robot's
    `evidence_columns`), read for the firing rows of each rule only.

    Per rule, not every column for every finding: at a million claims a quarter fire, and
    thirty columns each made 100 MB of JSON and 2.5 s of the ledger stage (measured)."""
    out = np.empty(len(findings), dtype=object)
    if not len(findings):
        return out
    catalogue = {rule.id: rule for rule in rules.catalogue()}
    rule_ids = findings["rule_id"].astype(str).to_numpy()
    positions = computed.index.get_indexer(findings["row"].to_numpy())
    for rule_id in pd.unique(rule_ids):
        at = np.flatnonzero(rule_ids == rule_id)
        rule = catalogue.get(str(rule_id))
        declared = rule.compares if rule is not None and rule.compares else robot.evidence_columns
        wanted = [c for c in declared if c in computed.columns]
        values = json_objects(computed[wanted].take(positions[at]), wanted)
        head = '{"rule": ' + json.dumps(str(rule_id)) + ', "compared": '
        out[at] = (head + values + "}").to_numpy()
    return out


def _copy_rows(copies: pd.DataFrame, file_names: list[str]) -> pd.DataFrame:
    """Tonight's identical copies as info exceptions naming the row that was kept."""
    if not len(copies):
        return pd.DataFrame(columns=["rule_id", "message"])
    names = pd.Series(file_names, dtype="string")
    kept_in = names.take(copies["original_file"].astype("int64").to_numpy()).to_numpy()
    return copies.assign(
        rule_id=CLAIM_COPY_TONIGHT.id,
        message=(
            "the same claim as "
            + pd.Series(kept_in, index=copies.index, dtype="string")
            + " line "
            + copies["original_line"].astype("string")
            + " tonight: read once"
        ),
        evidence=json_objects(
            pd.DataFrame(
                {
                    "kept_file": pd.array(kept_in, dtype="string"),
                    "kept_line": copies["original_line"].astype("Int64").to_numpy(),
                },
                index=copies.index,
            ),
            ["kept_file", "kept_line"],
        ),
    )[["claim_ref", "file", "line", "rule_id", "message", "evidence"]]


SERVICE_END = "service_end"
"""The compute frame's column of a claim's last day, kept as `claims.service_end` where a
robot gives it (a claim for a period of days): later claims ask which days it covers."""


def _service_end(values: pd.Series) -> pd.Series:
    """The last days as they are (written as days by the bulk insert, as service_date is):
    only a datetime column is a day the ledger and the overlap questions can read back."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        raise TypeError(f"{SERVICE_END}: compute gave {values.dtype}, not datetime64 days")
    return values


def _claim_rows(
    computed: pd.DataFrame,
    claim_pks: np.ndarray,
    robot: Robot,
    run_id: str,
    file_ids: dict[int, int | None],
    versions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The claims table's rows, keyed by the primary keys reserved for them (a period, a
    last day and a version only where the robot has them: a night of first versions writes
    no more)."""
    extra: dict[str, object] = {}
    if robot.period_column is not None:
        extra["period"] = computed[robot.period_column].astype("string")
    if robot.refusion_per_claim:
        extra["refusion_percent"] = computed["refusion_percent"].astype("Int64")
        extra["posting_grouping"] = computed["posting_grouping"].astype("string")
    if SERVICE_END in computed:
        extra[SERVICE_END] = _service_end(computed[SERVICE_END])
    if versions is not None and len(versions):
        by_key = versions.set_index("idempotency_key")
        keys = computed["idempotency_key"]
        extra["version"] = keys.map(by_key["version"]).fillna(1).astype("int64")
        extra["supersedes_pk"] = keys.map(by_key["supersedes_pk"]).astype("Int64")
    return pd.DataFrame(
        {
            "id": claim_pks,
            "idempotency_key": computed["idempotency_key"],
            "robot": robot.name,
            "claim_id": computed[robot.claim_id_column],
            "source_id": own_source_ids(computed, robot),
            "run_id": run_id,
            "source_file_id": computed[FILE].map(file_ids),
            "source_line": computed[LINE],
            "cpr": computed["cpr"] if "cpr" in computed else None,
            **{name: computed[name] for name in COMPUTED_COLUMNS},
            **{name: computed[name] if name in computed else None for name in KEY_COLUMNS},
            "service_date": computed[robot.service_date_column],
            "fingerprint": computed["fingerprint"],
            "decision": computed["decision"],
            "rule_ids": computed["rule_ids"],
            **extra,
        },
        index=computed.index,
        copy=False,
    )


def _supersede(
    connection: Connection,
    robot: Robot,
    run_id: str,
    versions: pd.DataFrame,
    computed: pd.DataFrame,
) -> None:
    """Each earlier version that tonight's claims replace is superseded in its history (a
    new version that did not pass the checks, e.g. a data error, replaces nothing)."""
    decided = set(computed["idempotency_key"])
    for row in versions.itertuples(index=False):
        if row.idempotency_key not in decided:
            continue
        history.append_event(
            connection=connection,
            claim_pk=int(row.supersedes_pk),
            kind=history.EventKind.SUPERSEDED,
            actor=f"robot:{run_id}",
            reason=f"delivered again changed: version {row.version} ({row.idempotency_key}) "
            "is decided afresh and settled against what this one paid",
            run_id=run_id,
            detail={"superseded_by": row.idempotency_key, "version": int(row.version)},
        )


def _history_rows(rows: pd.DataFrame, rule_id: str, text: str, robot: Robot) -> pd.DataFrame:
    if rows is None or len(rows) == 0:
        return pd.DataFrame(columns=["rule_id", "message"])
    return pd.DataFrame(
        {
            "claim_pk": rows["claim_pk"].to_numpy(),
            "claim_ref": rows[robot.claim_id_column].to_numpy(),
            "file": rows[FILE].to_numpy(),
            "line": rows[LINE].to_numpy(),
            "rule_id": rule_id,
            "message": (
                "claim " + rows[robot.claim_id_column] + " " + text + rows["run_id"].astype(str)
            ).to_numpy(),
            # What the ledger holds and what came tonight, as the robot's fingerprint (the
            # bill's content) of each: a case page shows what changed.
            "evidence": json_objects(
                pd.DataFrame(
                    {
                        "earlier_run": rows["run_id"].astype("string").to_numpy(),
                        "in_ledger": rows["fingerprint_ledger"].astype("string").to_numpy(),
                        "tonight": rows["fingerprint"].astype("string").to_numpy(),
                    }
                ),
                ["earlier_run", "in_ledger", "tonight"],
            ).to_numpy(dtype=object),
        }
    )
