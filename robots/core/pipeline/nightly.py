"""One robot's night, end to end: read, validate, compute, check, record, pay, report.

The night's decisions go into the ledger in one transaction; files are archived only
after it commits; payment follows the prepare/write/release protocol of `payments.paying`.
A run killed at any point and started again completes the night and pays each claim once.
"""

from __future__ import annotations

import fcntl
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine

from checks import rules as catalogue
from checks.quality.suites import SuiteContext
from checks.reading import (
    CLAIM_ALREADY_PROCESSED,
    CLAIM_COPY_TONIGHT,
    CLAIM_WAITS_FOR_REGISTER,
)
from robots.core import dates
from robots.core.errors import ApplicationError, ReasonCode
from robots.core.killpoints import kill_point
from robots.core.ledger import repository
from robots.core.ledger.database import open_ledger
from robots.core.ledger.schema import RunStatus
from robots.core.memory import return_free_heap, use_returning_arrow_allocator
from robots.core.payments.paying import BatchResult, pay_outstanding
from robots.core.pipeline import references as snapshots
from robots.core.pipeline.copies import split_copies
from robots.core.pipeline.datasets import ALL_DATASETS
from robots.core.pipeline.exceptions import insert_exceptions
from robots.core.pipeline.inbox import DataFolders, not_read
from robots.core.pipeline.ingest import (
    FILE,
    IngestedClaims,
    NightFile,
    archive_read_files,
    ingest_claims,
    ingest_registers,
    record_file,
    reference_sets,
)
from robots.core.pipeline.parsing import empty_frame
from robots.core.pipeline.quality import validate
from robots.core.pipeline.reading import LINE
from robots.core.pipeline.recorded_outcomes import recorded_outcomes
from robots.core.pipeline.registers import max_wait_days
from robots.core.pipeline.waiting import (
    WAITING_ID,
    WAITING_SINCE,
    as_json_lines,
    from_json_lines,
    waits,
)
from robots.core.robot import (
    COMPUTED_COLUMNS,
    KEY_COLUMNS,
    EvaluationContext,
    Robot,
    concat_findings,
)
from robots.core.settings import Settings

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
"""Told the name of each stage as it starts (the CLI draws a progress bar from it)."""

STAGES = ("read", "validate", "compute", "cross-check", "ledger", "payment file", "report")

OUTCOME_COLUMNS = [
    "claim_id",
    "source_id",
    "outcome",
    "basis_oere",
    "amount_oere",
    "rule_ids",
    "file",
    "line",
]


@dataclass
class NightRun:
    """What a night did: the files, every claim row's outcome, the batches, the timings."""

    run_id: str
    robot: Robot
    night: date
    mode: str
    registers: list[NightFile]
    claim_files: list[NightFile]
    outcomes: pd.DataFrame
    exceptions_by_rule: pd.Series
    batches: list[BatchResult]
    register_notes: list[str] = field(default_factory=list)
    """What tonight did to the registers (files combined, extracts refused), in words."""
    registers_in_doubt: dict[str, snapshots.RegisterState] = field(default_factory=dict)
    """The robot's registers that cannot be trusted tonight, and why."""
    not_read: list[tuple[Path, str]] = field(default_factory=list)
    """What lies in the inbox and no dataset reads (a stray folder, a device), and why;
    paths relative to the data folder."""
    finished_runs: list[str] = field(default_factory=list)
    """Earlier runs, killed after recording their decisions, whose rows this run reports."""
    timings: dict[str, float] = field(default_factory=dict)
    report_path: Path | None = None
    outcome_path: Path | None = None
    log_dir: Path | None = None


@contextmanager
def run_lock(folders: DataFolders) -> Iterator[None]:
    """One run at a time per data folder; the OS releases the lock if the run is killed."""
    folders.root.mkdir(parents=True, exist_ok=True)
    handle = (folders.root / ".robots.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise ApplicationError(
            ReasonCode.RUN_LOCKED,
            f"another run is working in {folders.root}; wait for it to finish (robots status)",
        ) from exc
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def new_run_id(robot: Robot, night: date) -> str:
    """`HT-20261123T221503-rab12`: sortable, and never shaped like a CPR number.

    The letter before the random part matters: at 22:10:27 an all-digit token made
    `221027-4541`, which every CPR mask and leak check rightly reads as a CPR number.
    """
    return f"{robot.code}-{night:%Y%m%d}T{dates.now():%H%M%S}-r{secrets.token_hex(2)}"


class _Clock:
    def __init__(self, progress: Progress | None) -> None:
        self.timings: dict[str, float] = {}
        self._progress = progress
        self._stage: str | None = None
        self._started = 0.0

    def stage(self, name: str) -> None:
        self.stop()
        return_free_heap()
        self._stage, self._started = name, time.perf_counter()
        if self._progress:
            self._progress(name)

    def stop(self) -> None:
        if self._stage is not None:
            self.timings[self._stage] = (
                self.timings.get(self._stage, 0.0) + time.perf_counter() - self._started
            )
            self._stage = None


def _decide(findings: pd.DataFrame, rows: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Each row's decision (worst severity wins) and the ids of the rules that fired.

    In arrays, not per group: a night has a million rows and a finding on one in six.
    """
    severity = {r.id: r.severity.rank for r in catalogue.catalogue()}
    at = rows.get_indexer(findings["row"])
    known = at >= 0
    at = at[known]
    codes, names = pd.factorize(findings["rule_id"].to_numpy()[known], sort=True)
    rank = np.array([severity.get(n, 0) for n in names], dtype=np.int8)[codes]
    worst = np.zeros(len(rows), dtype=np.int8)
    np.maximum.at(worst, at, rank)
    decision = pd.Series(np.select([worst >= 2, worst == 1], ["reject", "hold"], "pay"), index=rows)
    return decision, _rule_ids_per_row(rows, at, codes, names)


def _rule_ids_per_row(
    rows: pd.Index, at: np.ndarray, codes: np.ndarray, names: np.ndarray
) -> pd.Series:
    """The ids of the rules fired on each row (at: row position, codes: into sorted names),
    sorted and comma-joined; '' where none fired."""
    order = np.lexsort((codes, at))
    at = at[order]
    starts = np.flatnonzero(np.diff(at, prepend=-1))
    per_row = pa.ListArray.from_arrays(
        pa.array(np.append(starts, len(at)), type=pa.int32()),
        pa.array(names, type=pa.string()).take(pa.array(codes[order])),
    )
    slot = np.full(len(rows), -1, dtype=np.int64)
    slot[at[starts]] = np.arange(len(starts))
    joined = pc.binary_join(per_row, ",").take(pa.array(slot, mask=slot < 0))
    return pd.Series(pd.array(pc.fill_null(joined, ""), dtype="str"), index=rows)


def _earlier_bills(engine: Engine, robot: Robot, computed: pd.DataFrame) -> pd.DataFrame:
    """Findings for tonight's bills the ledger already holds under another claim id: paid
    or approved (the robot's duplicate-paid rule), else held for the control group (its
    duplicate-held rule: releasing the original would pay the bill twice). Each names the
    original claim and its run."""
    with engine.connect() as connection:
        earlier = repository.earlier_bills(
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


def _no_line(lines: pd.api.extensions.ExtensionArray) -> pd.api.extensions.ExtensionArray:
    out = lines.copy()
    out[out < 0] = pd.NA
    return out


def _data_error_rows(errors: pd.DataFrame) -> pd.DataFrame:
    """Every row that did not become a claim, as one outcome row per file and line.

    The rule ids per place are joined in arrays (a Python function per place took ~3 s at
    90,000 bad rows, measured).
    """
    if errors.empty:
        return pd.DataFrame(columns=OUTCOME_COLUMNS)
    # One integer per place: file in the high bits, line + 1 below (0: a file-level error).
    file = errors["file"].astype("int64").to_numpy()
    line = pd.to_numeric(errors["line"]).fillna(-1).astype("int64").to_numpy()
    place_codes, unique_places = pd.factorize((file << 32) + (line + 1), sort=True)
    rule_codes, names = pd.factorize(errors["rule_id"].to_numpy(), sort=True)
    pairs = np.unique(np.stack([place_codes, rule_codes], axis=1), axis=0)
    rows = pd.RangeIndex(len(unique_places))
    rule_ids = _rule_ids_per_row(rows, pairs[:, 0], pairs[:, 1], np.asarray(names))
    first = pd.Series(np.arange(len(errors))).groupby(place_codes).first().to_numpy()
    places = np.asarray(unique_places, dtype=np.int64)
    lines = pd.array((places & 0xFFFFFFFF) - 1, dtype="Int64")
    source = (
        errors["source_ref"] if "source_ref" in errors else pd.Series(pd.NA, index=errors.index)
    )
    return pd.DataFrame(
        {
            "claim_id": errors["claim_ref"].to_numpy()[first],
            "source_id": source.to_numpy()[first],
            "outcome": "data_error",
            "basis_oere": pd.NA,
            "amount_oere": pd.NA,
            "rule_ids": rule_ids.to_numpy(),
            "file": pd.array(places >> 32, dtype="Int64"),
            "line": _no_line(lines),
        }
    )[OUTCOME_COLUMNS]


def run_night(
    robot: Robot,
    *,
    settings: Settings,
    night: date,
    progress: Progress | None = None,
    log_dir: Path | None = None,
    run_id: str | None = None,
) -> NightRun:
    """Run `robot` over everything waiting in the inbox, as the night `night` (under
    `run_id` when the caller named the run, as `robots run` does)."""
    folders = DataFolders(settings.data_dir)
    folders.create()
    use_returning_arrow_allocator()
    with run_lock(folders):
        engine = open_ledger(settings.ledger_url)
        try:
            return _run(
                robot,
                engine=engine,
                settings=settings,
                folders=folders,
                night=night,
                progress=progress,
                log_dir=log_dir,
                run_id=run_id or new_run_id(robot, night),
            )
        finally:
            engine.dispose()


def _run(
    robot: Robot,
    *,
    engine: Engine,
    settings: Settings,
    folders: DataFolders,
    night: date,
    progress: Progress | None,
    log_dir: Path | None,
    run_id: str,
) -> NightRun:
    clock = _Clock(progress)
    with engine.begin() as connection:
        repository.start_run(
            connection=connection,
            run_id=run_id,
            robot=robot.name,
            night=night,
            mode=settings.mode,
            at=dates.now(),
        )
        repository.robot_event(
            connection=connection,
            robot=robot.name,
            action="run_started",
            entity="run",
            entity_id=run_id,
            run_id=run_id,
            detail=f"night {night}, mode {settings.mode}",
        )
    logger.info("run %s started for night %s (%s)", run_id, night, settings.mode)
    try:
        clock.stage("read")
        intake = ingest_registers(
            engine=engine, folders=folders, run_id=run_id, night=night, limits=settings.inbox
        )
        kill_point("after_references")
        refs = {name: _register(folders, name) for name in robot.references}
        in_doubt = {
            name: state
            for name in robot.references
            if (state := snapshots.load_state(folders, name)).in_doubt
        }
        ingested = ingest_claims(
            engine=engine,
            folders=folders,
            dataset=robot.claims,
            run_id=run_id,
            night=night,
            identify=robot.identify,
            limits=settings.inbox,
        )
        kill_point("after_quarantine")
        frame, ingested = _with_rows_read_again(engine, robot, ingested)
        read_again = _ids_read_again(frame)
        if robot.prepare is not None and len(frame):
            frame = robot.prepare(frame)
        frame, copies = split_copies(
            frame, robot.claim_id_column, robot.claims.column_names, robot.claims.source_id
        )
        # From here on the claims live in `frame` alone, and past data quality in the rows
        # that passed: the ingested frame is not kept for the rest of the night.
        ingested = replace(ingested, frame=pd.DataFrame())

        clock.stage("validate")
        claims, errors = _validated(robot, frame, ingested.errors, night, refs)
        errors, waiting_errors = _errors_waiting(frame, errors, in_doubt, night)
        del frame
        data_errors = _data_error_rows(errors)
        new, same, changed = _split_known(engine, robot, claims)
        del claims

        context = EvaluationContext(
            night=night,
            mode=settings.mode,
            municipality_code=settings.municipality_code,
            references=refs,
            optional_columns=ingested.optional_columns,
            amount_history=_amount_history(engine, robot) if len(new) else None,
        )
        clock.stage("compute")
        computed = robot.compute(new.reset_index(drop=True), context) if len(new) else None
        del new
        if computed is not None and robot.ledger_lookups:
            with engine.connect() as connection:
                computed = _with_ledger_lookups(connection, robot, computed)
        clock.stage("cross-check")
        findings = (
            robot.check(computed, context)
            if computed is not None
            else pd.DataFrame(columns=["row", "rule_id", "message"])
        )
        if computed is not None:
            findings = concat_findings([findings, _earlier_bills(engine, robot, computed)])
            decision, fired = _decide(findings, computed.index)
            computed["decision"], computed["rule_ids"] = decision, fired
        computed, findings, waiting_claims = _claims_waiting(computed, findings, in_doubt, night)
        waiting = Waiting(
            in_doubt=in_doubt,
            rows=_waiting_rows(robot, [waiting_errors, waiting_claims]),
            read_again=read_again,
        )

        # The registers are not needed past the checks (hundreds of MB at a million claims).
        del refs, context

        clock.stage("ledger")
        with engine.begin() as connection:
            record_night(
                connection,
                robot=robot,
                run_id=run_id,
                night=night,
                folders=folders,
                ingested=ingested,
                computed=computed,
                findings=findings,
                errors=errors,
                same=same,
                changed=changed,
                copies=copies,
                waiting=waiting,
            )
            kill_point("before_ledger_commit")
        kill_point("after_ledger_commit")
        archive_read_files(folders=folders, files=ingested.files, night=night)
        kill_point("after_archive")

        clock.stage("payment file")
        batches = pay_outstanding(
            engine=engine,
            robot=robot,
            run_id=run_id,
            night=night,
            settings=settings,
            folders=folders,
        )

        clock.stage("report")
        kill_point("before_report")
        outcomes = _outcomes(
            engine, computed, same, changed, copies, waiting, data_errors, run_id, robot
        )
        finished, earlier = _unreported_outcomes(engine, robot, run_id)
        if len(earlier):
            outcomes = pd.concat([outcomes, earlier], ignore_index=True)
        exceptions_by_rule = _exceptions_by_rule(engine, [run_id, *finished])
        clock.stop()
        result = NightRun(
            run_id=run_id,
            robot=robot,
            night=night,
            mode=settings.mode,
            registers=intake.files,
            register_notes=intake.notes,
            registers_in_doubt=in_doubt,
            claim_files=ingested.files,
            outcomes=outcomes,
            exceptions_by_rule=exceptions_by_rule,
            batches=batches,
            not_read=[
                (path.relative_to(folders.root), why)
                for path, why in not_read(folders, set(ALL_DATASETS))
            ],
            finished_runs=finished,
            timings=clock.timings,
        )
        from robots.core.pipeline.report import write_report

        write_report(result, folders, log_dir)
        with engine.begin() as connection:
            repository.finish_run(
                connection=connection,
                run_id=run_id,
                status=RunStatus.COMPLETED,
                at=dates.now(),
                report_path=str(result.report_path),
                summary=summary_of(result),
            )
            repository.mark_finished_by(connection=connection, run_ids=finished, by=run_id)
            repository.robot_event(
                connection=connection,
                robot=robot.name,
                action="run_completed",
                entity="run",
                entity_id=run_id,
                run_id=run_id,
            )
        return result
    except BaseException:
        with engine.begin() as connection:
            repository.finish_run(
                connection=connection,
                run_id=run_id,
                status=RunStatus.FAILED,
                at=dates.now(),
                report_path=None,
                summary=None,
            )
        raise


def _validated(
    robot: Robot,
    frame: pd.DataFrame,
    read_errors: pd.DataFrame,
    night: date,
    refs: dict[str, pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The claims that met every data-quality rule, and every error of the night so far."""
    if not len(frame):
        return frame, pd.concat([read_errors], ignore_index=True)
    quality = validate(
        frame, robot.claims.name, robot.quality_suite, SuiteContext(night), reference_sets(refs)
    )
    found = [e for e in (read_errors, _quality_errors(quality.findings, frame, robot)) if len(e)]
    return quality.frame, pd.concat(found or [read_errors], ignore_index=True)


@dataclass
class Waiting:
    """Tonight's claim rows that wait for a register in doubt, and the rows read again."""

    in_doubt: dict[str, snapshots.RegisterState]
    rows: pd.DataFrame
    """Contract columns, claim id, FILE, LINE, WAITING_ID (NA: first night), WAITING_SINCE,
    registers (what it waits for), rule_ids (what stopped it)."""
    read_again: set[int]
    """waiting_claims ids read again tonight: resolved unless they wait again."""


def _with_rows_read_again(
    engine: Engine, robot: Robot, ingested: IngestedClaims
) -> tuple[pd.DataFrame, IngestedClaims]:
    """Tonight's rows and, after them, the rows still waiting from earlier nights; each
    earlier file they came in becomes a night file of status 'waiting' (not moved, not
    recorded again), so names, lines and ledger ids carry through like tonight's."""
    with engine.connect() as connection:
        kept = repository.open_waiting(connection=connection, robot=robot.name)
    if not len(kept):
        return ingested.frame, ingested
    rows = from_json_lines(kept["row_json"].tolist(), robot.claims)
    codes, earlier = pd.factorize(kept["source_file_id"].fillna(-1).astype("int64"))
    first = kept.groupby(codes).head(1)
    files = list(ingested.files)
    for (_, row), source_id in zip(first.iterrows(), earlier, strict=True):
        files.append(
            NightFile(
                Path(str(row["file_name"] or "(an earlier file)")),
                robot.claims.name,
                str(row["sha256"] or ""),
                status="waiting",
                reason="rows waiting for a register since an earlier night, read again",
                source_file_id=None if source_id < 0 else int(source_id),
                stored_path=Path(str(row["stored_path"])) if row["stored_path"] else None,
            )
        )
    rows[FILE] = len(ingested.files) + codes
    rows[LINE] = pd.to_numeric(kept["source_line"]).fillna(-1).astype("int64").to_numpy()
    rows[WAITING_ID] = kept["id"].astype("int64").to_numpy()
    rows[WAITING_SINCE] = pd.to_datetime(kept["since"]).astype("datetime64[s]").to_numpy()
    optional = {
        c.name for c in robot.claims.columns if c.optional_column and rows[c.name].notna().any()
    }
    frame = pd.concat([ingested.frame, rows], ignore_index=True)
    return frame, replace(
        ingested, files=files, optional_columns=ingested.optional_columns | optional
    )


def _ids_read_again(frame: pd.DataFrame) -> set[int]:
    """The waiting rows read again tonight (by their waiting_claims id)."""
    if WAITING_ID not in frame:
        return set()
    return set(pd.to_numeric(frame[WAITING_ID]).dropna().astype("int64").tolist())


def _too_old(since: pd.Series, night: date) -> pd.Series:
    """Rows that have waited `max_days`: decided on what there is."""
    limit = pd.Timestamp(night) - pd.Timedelta(days=max_wait_days())
    return since.notna() & (since <= limit)


def _errors_waiting(
    frame: pd.DataFrame,
    errors: pd.DataFrame,
    in_doubt: dict[str, snapshots.RegisterState],
    night: date,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows that failed data quality only for a row missing from a register in doubt: their
    errors set aside, the rows kept to wait."""
    places = waits(errors, ["file", "line"], in_doubt)
    if not len(places) or not len(frame):
        return errors, pd.DataFrame()
    places = places.astype({"file": "int64", "line": "int64"})
    rows = frame.merge(places, left_on=[FILE, LINE], right_on=["file", "line"], how="inner").drop(
        columns=["file", "line"]
    )
    if WAITING_SINCE in rows:
        rows = rows[~_too_old(rows[WAITING_SINCE], night)]
    if not len(rows):
        return errors, pd.DataFrame()
    at = pd.MultiIndex.from_arrays([errors["file"].astype("int64"), errors["line"].astype("int64")])
    held = pd.MultiIndex.from_arrays([rows[FILE], rows[LINE]])
    stopped = errors[at.isin(held)]
    rule_ids = stopped.groupby(["file", "line"])["rule_id"].agg(lambda r: ",".join(sorted(set(r))))
    rows["rule_ids"] = [
        rule_ids.get((f, ln), "") for f, ln in zip(rows[FILE], rows[LINE], strict=True)
    ]
    return errors[~at.isin(held)].reset_index(drop=True), rows


def _claims_waiting(
    computed: pd.DataFrame | None,
    findings: pd.DataFrame,
    in_doubt: dict[str, snapshots.RegisterState],
    night: date,
) -> tuple[pd.DataFrame | None, pd.DataFrame, pd.DataFrame]:
    """Claims stopped only by rows missing from registers in doubt: taken out of the
    night's decisions to wait, with their findings."""
    if computed is None or not in_doubt:
        return computed, findings, pd.DataFrame()
    rows = waits(findings, ["row"], in_doubt)
    if not len(rows):
        return computed, findings, pd.DataFrame()
    held = computed.loc[rows["row"].to_numpy()].assign(registers=rows["registers"].to_numpy())
    if WAITING_SINCE in held:
        held = held[~_too_old(held[WAITING_SINCE], night)]
    if not len(held):
        return computed, findings, pd.DataFrame()
    kept = computed.drop(index=held.index)
    findings = findings[~findings["row"].isin(held.index)].reset_index(drop=True)
    return (kept if len(kept) else None), findings, held


def _waiting_rows(robot: Robot, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The night's waiting rows from data quality and from the checks, in one shape."""
    columns = list(
        dict.fromkeys(
            [
                *robot.claims.column_names,
                robot.claim_id_column,
                FILE,
                LINE,
                WAITING_ID,
                WAITING_SINCE,
                "registers",
                "rule_ids",
            ]
        )
    )
    found = [p.reindex(columns=columns) for p in parts if len(p)]
    if not found:
        return pd.DataFrame(columns=columns)
    return pd.concat(found, ignore_index=True)


def _record_waiting(
    connection: Connection,
    robot: Robot,
    run_id: str,
    night: date,
    waiting: Waiting,
    file_ids: dict[int, int | None],
) -> None:
    """Keep tonight's new waiting rows, mark rows read again and decided as resolved, and
    give every waiting row tonight's exception saying what it waits for."""
    rows = waiting.rows
    again = set(pd.to_numeric(rows[WAITING_ID]).dropna().astype("int64").tolist())
    repository.resolve_waiting(connection=connection, ids=waiting.read_again - again, run_id=run_id)
    if not len(rows):
        return
    first_time = rows[rows[WAITING_ID].isna()]
    repository.park_waiting(
        connection=connection,
        rows=pd.DataFrame(
            {
                "robot": robot.name,
                "claim_ref": first_time[robot.claim_id_column].astype("string").str.slice(0, 64),
                "source_file_id": first_time[FILE].map(file_ids).astype("Int64"),
                "source_line": pd.to_numeric(first_time[LINE]).astype("Int64"),
                "row_json": as_json_lines(first_time, robot.claims),
                "waits_for": first_time["registers"].astype("string"),
                "run_id": run_id,
                "since": pd.Timestamp(night),
            }
        ),
    )
    deadline = pd.to_datetime(rows[WAITING_SINCE]).fillna(pd.Timestamp(night)) + pd.Timedelta(
        days=max_wait_days()
    )
    doubt = {
        name: f"{state.doubt or 'none received'} (since {state.in_doubt_since or night})"
        for name, state in waiting.in_doubt.items()
    }
    insert_exceptions(
        connection=connection,
        run_id=run_id,
        robot=robot.name,
        frame=pd.DataFrame(
            {
                "claim_ref": rows[robot.claim_id_column],
                "file": rows[FILE],
                "line": rows[LINE],
                "rule_id": CLAIM_WAITS_FOR_REGISTER.id,
                "message": [
                    f"waits for the {registers} register ({rules} fired); in doubt: "
                    + "; ".join(doubt.get(r, "")[:240] for r in registers.split(","))
                    + f"; decided again when it is accepted, at the latest on {until:%Y-%m-%d}"
                    for registers, rules, until in zip(
                        rows["registers"], rows["rule_ids"], deadline, strict=True
                    )
                ],
            }
        ),
        file_ids=file_ids,
    )


def _waiting_outcomes(waiting: Waiting, robot: Robot) -> pd.DataFrame:
    rows = waiting.rows
    if not len(rows):
        return pd.DataFrame(columns=OUTCOME_COLUMNS)
    return pd.DataFrame(
        {
            "claim_id": rows[robot.claim_id_column],
            "source_id": _source_ids(rows, robot),
            "outcome": "waiting",
            "basis_oere": pd.NA,
            "amount_oere": pd.NA,
            "rule_ids": CLAIM_WAITS_FOR_REGISTER.id + "," + rows["rule_ids"].astype("string"),
            "file": rows[FILE],
            "line": rows[LINE],
        }
    )


def _register(folders: DataFolders, name: str) -> pd.DataFrame:
    """A register's snapshot; one never received is empty (and in doubt), so the night
    goes on and its claims wait for it instead of the run stopping."""
    try:
        return snapshots.load_snapshot(folders, name)
    except snapshots.MissingReferenceError:
        return empty_frame(ALL_DATASETS[name])


def _split_known(
    engine: Engine, robot: Robot, claims: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tonight's claims as new ones, identical re-deliveries and changed ones.

    A claim id the ledger already holds is skipped when its content (fingerprint) is the
    same and held when it changed. When the ledger knows none of tonight's ids (a night
    of new claims) the new claims are the claims, not a filtered copy of them.
    """
    if not len(claims):
        return claims, pd.DataFrame(), pd.DataFrame()
    claims = claims.assign(
        idempotency_key=robot.name + ":" + claims[robot.claim_id_column],
        fingerprint=robot.fingerprint(claims),
    )
    with engine.connect() as connection:
        known = repository.claims_already_known(
            connection=connection, keys=claims["idempotency_key"]
        )
    if not len(known):
        return claims, pd.DataFrame(), pd.DataFrame()
    seen = claims.merge(known, on="idempotency_key", how="inner", suffixes=("", "_ledger"))
    same = seen[seen["fingerprint"] == seen["fingerprint_ledger"]]
    changed = seen[seen["fingerprint"] != seen["fingerprint_ledger"]]
    new = claims[~claims["idempotency_key"].isin(known["idempotency_key"])]
    return new, same, changed


def _amount_history(engine: Engine, robot: Robot) -> pd.DataFrame | None:
    """The robot's recent claims' amounts, when its checks judge what is usual by them."""
    if robot.amount_history is None:
        return None
    with engine.connect() as connection:
        return repository.recent_amounts(
            connection=connection, robot=robot.name, limit=robot.amount_history()
        )


def _with_ledger_lookups(
    connection: Connection, robot: Robot, computed: pd.DataFrame
) -> pd.DataFrame:
    """The robot's ledger questions answered as columns, so its checks stay pure."""
    out = computed
    for lookup in robot.ledger_lookups:
        wanted = computed[lookup.frame_column]
        keys = wanted.dropna().unique()
        answers = repository.claims_by_key(
            connection=connection, robot=robot.name, column=lookup.ledger_column, keys=keys
        ).set_index("key")
        out = out.assign(
            **{
                f"{lookup.prefix}_claim_id": wanted.map(answers["claim_id"]),
                f"{lookup.prefix}_oere": wanted.map(answers["amount_oere"]).astype("Int64"),
            }
        )
        if lookup.held_too:
            held = repository.claims_by_key(
                connection=connection,
                robot=robot.name,
                column=lookup.ledger_column,
                keys=keys,
                decision="hold",
            ).set_index("key")
            out[f"{lookup.prefix}_held_claim_id"] = wanted.map(held["claim_id"])
    return out


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
) -> None:
    """The night's decisions into the ledger, in the caller's one transaction."""
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
    if computed is not None:
        claim_pks = repository.reserve_claim_pks(connection=connection, count=len(computed))
        with repository.claim_lookup_index_deferred(connection=connection, incoming=len(computed)):
            repository.bulk_insert(
                connection=connection,
                table="claims",
                frame=_claim_rows(computed, claim_pks, robot, run_id, file_ids),
            )
        claim_findings = findings.assign(
            claim_pk=findings["row"].map(pd.Series(claim_pks, index=computed.index)),
            claim_ref=findings["row"].map(computed[robot.claim_id_column]),
            file=findings["row"].map(computed[FILE]),
            line=findings["row"].map(computed[LINE]),
        )
        insert_exceptions(
            connection=connection,
            run_id=run_id,
            robot=robot.name,
            frame=claim_findings,
            file_ids=file_ids,
        )
    insert_exceptions(
        connection=connection,
        run_id=run_id,
        robot=robot.name,
        frame=errors,
        file_ids=file_ids,
    )
    redelivered = pd.concat(
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
    insert_exceptions(
        connection=connection,
        run_id=run_id,
        robot=robot.name,
        frame=redelivered,
        file_ids=file_ids,
    )
    insert_exceptions(
        connection=connection,
        run_id=run_id,
        robot=robot.name,
        frame=_copy_rows(copies, [f.path.name for f in ingested.files]),
        file_ids=file_ids,
    )
    if waiting is not None:
        _record_waiting(connection, robot, run_id, night, waiting, file_ids)
    repository.robot_event(
        connection=connection,
        robot=robot.name,
        action="claims_decided",
        entity="run",
        entity_id=run_id,
        run_id=run_id,
        detail=f"{0 if computed is None else len(computed)} claims decided",
    )


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
    )[["claim_ref", "file", "line", "rule_id", "message"]]


def _claim_rows(
    computed: pd.DataFrame,
    claim_pks: np.ndarray,
    robot: Robot,
    run_id: str,
    file_ids: dict[int, int | None],
) -> pd.DataFrame:
    """The claims table's rows, keyed by the primary keys reserved for them."""
    return pd.DataFrame(
        {
            "id": claim_pks,
            "idempotency_key": computed["idempotency_key"],
            "robot": robot.name,
            "claim_id": computed[robot.claim_id_column],
            "source_id": _own_source_ids(computed, robot),
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
        },
        index=computed.index,
        copy=False,
    )


def _quality_errors(findings: pd.DataFrame, frame: pd.DataFrame, robot: Robot) -> pd.DataFrame:
    """Quality findings as errors naming tonight's file, the line and the claim id."""
    rows = findings["row"].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "file": frame[FILE].to_numpy()[rows],
            "line": findings["line"].to_numpy(),
            "claim_ref": frame[robot.claim_id_column].to_numpy()[rows],
            "source_ref": frame[robot.claims.source_id].to_numpy()[rows]
            if robot.claims.source_id in frame
            else None,
            "rule_id": findings["rule_id"].to_numpy(),
            "message": findings["message"].to_numpy(),
        }
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
        }
    )


def _outcomes(
    engine: Engine,
    computed: pd.DataFrame | None,
    same: pd.DataFrame,
    changed: pd.DataFrame,
    copies: pd.DataFrame,
    waiting: Waiting,
    data_errors: pd.DataFrame,
    run_id: str,
    robot: Robot,
) -> pd.DataFrame:
    parts = [data_errors, _waiting_outcomes(waiting, robot)]
    if computed is not None:
        # Ask the ledger for the exception, not the rule: this run's claims decided 'pay'
        # that are in no payment (none, unless paying failed). All others were paid.
        with engine.connect() as connection:
            unpaid = repository.approved_not_paid(connection=connection, run_id=run_id)
        outcome = computed["decision"].map({"pay": "paid", "hold": "held", "reject": "rejected"})
        outcome = outcome.mask(computed["idempotency_key"].isin(unpaid), "approved")
        parts.append(
            pd.DataFrame(
                {
                    "claim_id": computed[robot.claim_id_column],
                    "source_id": _source_ids(computed, robot),
                    "outcome": outcome,
                    "basis_oere": computed["basis_oere"],
                    "amount_oere": computed["amount_oere"],
                    "rule_ids": computed["rule_ids"],
                    "file": computed[FILE],
                    "line": computed[LINE],
                }
            )
        )
    for rows, label, rule in (
        (same, "already_processed", CLAIM_ALREADY_PROCESSED.id),
        (changed, "held", robot.resubmitted_changed_rule),
    ):
        if rows is not None and len(rows):
            parts.append(
                pd.DataFrame(
                    {
                        "claim_id": rows[robot.claim_id_column],
                        "source_id": _source_ids(rows, robot),
                        "outcome": label,
                        "basis_oere": pd.NA,
                        "amount_oere": pd.NA,
                        "rule_ids": rule,
                        "file": rows[FILE],
                        "line": rows[LINE],
                    }
                )
            )
    if len(copies):
        parts.append(
            pd.DataFrame(
                {
                    "claim_id": copies["claim_ref"],
                    "source_id": copies["source_ref"],
                    "outcome": "already_processed",
                    "basis_oere": pd.NA,
                    "amount_oere": pd.NA,
                    "rule_ids": CLAIM_COPY_TONIGHT.id,
                    "file": copies["file"],
                    "line": copies["line"],
                }
            )
        )
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=OUTCOME_COLUMNS)


def _own_source_ids(rows: pd.DataFrame, robot: Robot) -> pd.Series | None:
    """The sender's id for the ledger, where it is not the claim id itself (else None)."""
    if robot.claims.source_id in (None, robot.claim_id_column):
        return None
    return _source_ids(rows, robot).str.slice(0, 64)


def _source_ids(rows: pd.DataFrame, robot: Robot) -> pd.Series:
    """The id each row's sender gave it (the claims' own column)."""
    name = robot.claims.source_id
    if name is None or name not in rows:
        return pd.Series(pd.NA, index=rows.index, dtype="string")
    return rows[name].astype("string")


def _unreported_outcomes(
    engine: Engine, robot: Robot, run_id: str
) -> tuple[list[str], pd.DataFrame]:
    """Earlier runs of the robot killed after recording their decisions, and their outcome
    rows read from the ledger: reported by this run, which finished their work."""
    with engine.connect() as connection:
        runs = repository.unreported_runs(connection=connection, robot=robot.name, besides=run_id)
        rows = [recorded_outcomes(connection, earlier, robot) for earlier in runs]
    for earlier in runs:
        logger.warning("run %s ended before its report: its decisions are reported here", earlier)
    found = [r for r in rows if len(r)]
    return runs, (pd.concat(found, ignore_index=True) if found else pd.DataFrame())


def _exceptions_by_rule(engine: Engine, run_ids: list[str]) -> pd.Series:
    with engine.connect() as connection:
        counts = repository.exceptions_per_rule(connection=connection, run_ids=run_ids)
    return pd.Series(counts, dtype="int64")


def summary_of(result: NightRun) -> dict[str, object]:
    """The run's headline figures, stored with the run for `robots status`."""
    counts = result.outcomes["outcome"].value_counts().to_dict() if len(result.outcomes) else {}
    paid = result.outcomes.loc[result.outcomes["outcome"] == "paid", "amount_oere"]
    return {
        "counts": {k: int(v) for k, v in counts.items()},
        "paid_oere": int(paid.sum()) if len(paid) else 0,
        "batches": [b.batch_id for b in result.batches],
        "automation_rate": automation_rate(result.outcomes),
    }


def automation_rate(outcomes: pd.DataFrame) -> float | None:
    """Share of tonight's new claim rows paid with no human touch (re-deliveries and rows
    waiting for a register, decided on a later night, excluded)."""
    considered = (
        outcomes[~outcomes["outcome"].isin(["already_processed", "waiting"])]
        if len(outcomes)
        else outcomes
    )
    if len(considered) == 0:
        return None
    return float((considered["outcome"] == "paid").sum()) / len(considered)


__all__ = ["STAGES", "NightRun", "automation_rate", "run_night"]
