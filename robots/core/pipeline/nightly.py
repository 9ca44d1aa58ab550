"""One robot's night, end to end: read, validate, compute, check, record, pay, report.

Each stage is a function of its own, in the order the README names them, over one `_Night`
that carries what the later stages need (and lets go of what they do not: a million claims
hold hundreds of MB). The night's decisions go into the ledger in one transaction; files
are archived only after it commits; payment follows the prepare/write/release protocol of
`payments.paying`. A run killed at any point and started again completes the night, pays
each claim once, and reports the killed run's decisions.
"""

from __future__ import annotations

import fcntl
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine

from checks.quality.suites import SuiteContext
from robots.core import dates
from robots.core.errors import ApplicationError, ReasonCode
from robots.core.evidence import json_objects
from robots.core.killpoints import kill_point
from robots.core.ledger import audit_trail, case_records, periods, run_records
from robots.core.ledger.database import checkpoint_beside, defer_checkpoint, open_ledger
from robots.core.ledger.run_locks import robot_lock
from robots.core.ledger.schema import RunStatus
from robots.core.memory import return_free_heap, use_returning_arrow_allocator
from robots.core.payments.drafting import Draft
from robots.core.payments.paying import (
    BatchResult,
    draft_tonight,
    drafted_batches_pay_all,
    pay_outstanding,
)
from robots.core.pipeline import references as snapshots
from robots.core.pipeline.copies import Copies, split_copies
from robots.core.pipeline.datasets import Dataset
from robots.core.pipeline.deciding import decide
from robots.core.pipeline.false_alarms import without_known_false_alarms
from robots.core.pipeline.inbox import DataFolders, folders_of_run, not_read
from robots.core.pipeline.ingest import (
    FILE,
    IngestedClaims,
    NightFile,
    RegisterIntake,
    archive_read_files,
    ingest_claims,
    ingest_registers,
    reference_sets,
)
from robots.core.pipeline.ledger_questions import (
    amount_history,
    earlier_bills,
    split_known,
    with_ledger_lookups,
)
from robots.core.pipeline.listing import write_listed_claims
from robots.core.pipeline.outcomes import (
    OUTCOME_COLUMNS,
    automation_rate,
    data_error_rows,
    night_outcomes,
    own_source_ids,
    summary_of,
)
from robots.core.pipeline.parsing import empty_frame
from robots.core.pipeline.quality import validate
from robots.core.pipeline.reading import LINE
from robots.core.pipeline.recorded_outcomes import recorded_outcomes
from robots.core.pipeline.recording import record_night
from robots.core.pipeline.waiting import claims_waiting, errors_waiting, waiting_rows
from robots.core.pipeline.waiting_ledger import Waiting, ids_read_again, with_rows_read_again
from robots.core.robot import (
    EvaluationContext,
    ListingContext,
    Robot,
    concat_findings,
    empty_findings,
)
from robots.core.settings import Settings

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
"""Told the name of each stage as it starts (the CLI draws a progress bar from it)."""

STAGES = ("read", "validate", "compute", "cross-check", "ledger", "payment file", "report")


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


def run_night(
    robot: Robot,
    *,
    settings: Settings,
    night: date,
    progress: Progress | None = None,
    log_dir: Path | None = None,
    run_id: str | None = None,
    inbox_datasets: frozenset[str] | None = None,
    period: str | None = None,
    month_alone: bool = True,
) -> NightRun:
    """Run `robot` over everything waiting in the inbox, as the night `night` (under
    `run_id` when the caller named the run, as `robots run` does).

    `inbox_datasets` names the inbox folders some robot of the suite reads (the runner
    knows them all); a file in any other folder is reported as read by nobody. None: the
    folders of this robot's own datasets.

    `period` is what the run is of, in the ledger's periods: the night (`2026-11-23`)
    unless the caller names another (a month, `2026-11`). A robot that pays by month lists
    that month alone when `month_alone` (`robots run --month`), or every month due, with
    corrections of earlier months, under the month's name (the scheduler's monthly run)."""
    folders = folders_of_run(
        settings.data_dir,
        settle_seconds=settings.inbox.settle_seconds,
        written_here=[robot.claims.name] if robot.list_claims is not None else [],
    )
    folders.create()
    use_returning_arrow_allocator()
    with run_lock(folders):
        engine = open_ledger(settings.ledger_url)
        try:
            # Released before the engine is disposed of: the lock's connection is its own.
            with robot_lock(engine, robot.name):
                return _run(
                    robot,
                    engine=engine,
                    settings=settings,
                    folders=folders,
                    night=night,
                    progress=progress,
                    log_dir=log_dir,
                    run_id=run_id or new_run_id(robot, night),
                    inbox_datasets=inbox_datasets or frozenset(d.name for d in robot.datasets),
                    period=period or periods.night_period(night),
                    month_alone=month_alone,
                )
        finally:
            engine.dispose()


@dataclass
class _Night:
    """What a night carries from stage to stage. A stage sets what the later ones read and
    clears what none of them reads again."""

    robot: Robot
    run_id: str
    night: date
    settings: Settings
    folders: DataFolders
    engine: Engine
    inbox_datasets: frozenset[str]
    period: str
    month_alone: bool = True
    intake: RegisterIntake = field(default_factory=RegisterIntake)
    refs: dict[str, pd.DataFrame] = field(default_factory=dict)
    in_doubt: dict[str, snapshots.RegisterState] = field(default_factory=dict)
    ingested: IngestedClaims | None = None
    frame: pd.DataFrame | None = None
    read_again: set[int] = field(default_factory=set)
    copies: pd.DataFrame = field(default_factory=pd.DataFrame)
    repeated_ids: pd.Index = field(default_factory=lambda: pd.Index([]))
    errors: pd.DataFrame = field(default_factory=pd.DataFrame)
    waiting_errors: pd.DataFrame = field(default_factory=pd.DataFrame)
    data_errors: pd.DataFrame = field(default_factory=pd.DataFrame)
    new: pd.DataFrame | None = None
    same: pd.DataFrame = field(default_factory=pd.DataFrame)
    changed: pd.DataFrame = field(default_factory=pd.DataFrame)
    versions: pd.DataFrame = field(default_factory=pd.DataFrame)
    context: EvaluationContext | None = None
    computed: pd.DataFrame | None = None
    findings: pd.DataFrame = field(default_factory=empty_findings)
    waiting: Waiting | None = None
    draft: Draft | None = None
    claim_pks: np.ndarray | None = None
    checkpoint: threading.Thread | None = None
    batches: list[BatchResult] = field(default_factory=list)


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
    inbox_datasets: frozenset[str],
    period: str,
    month_alone: bool,
) -> NightRun:
    clock = _Clock(progress)
    state = _Night(robot, run_id, night, settings, folders, engine, inbox_datasets, period)
    state.month_alone = month_alone
    _start(state)
    try:
        clock.stage("read")
        _read(state)
        clock.stage("validate")
        _validate(state)
        clock.stage("compute")
        _compute(state)
        clock.stage("cross-check")
        _cross_check(state)
        clock.stage("ledger")
        _record(state)
        clock.stage("payment file")
        _pay(state)
        clock.stage("report")
        return _report(state, clock, log_dir)
    except BaseException:
        _join_checkpoint(state)
        if state.draft is not None:
            state.draft.abandon()
        with engine.begin() as connection:
            run_records.finish_run(
                connection=connection,
                run_id=run_id,
                status=RunStatus.FAILED,
                at=dates.now(),
                report_path=None,
                summary=None,
            )
            periods.end_period(
                connection=connection,
                robot=robot.name,
                period=period,
                run_id=run_id,
                ok=False,
                at=dates.now(),
            )
        raise


def _start(n: _Night) -> None:
    """The run recorded as started (any earlier run of the robot still 'running' was
    killed), and audited."""
    with n.engine.begin() as connection:
        run_records.start_run(
            connection=connection,
            run_id=n.run_id,
            robot=n.robot.name,
            night=n.night,
            mode=n.settings.mode,
            at=dates.now(),
        )
        periods.begin_period(
            connection=connection,
            robot=n.robot.name,
            period=n.period,
            run_id=n.run_id,
            at=dates.now(),
        )
        audit_trail.robot_event(
            connection=connection,
            robot=n.robot.name,
            action="run_started",
            entity="run",
            entity_id=n.run_id,
            run_id=n.run_id,
            detail=f"night {n.night}, period {n.period}, mode {n.settings.mode}",
        )
    logger.info("run %s started for night %s (%s)", n.run_id, n.night, n.settings.mode)


def _read(n: _Night) -> None:
    """Registers into snapshots, tonight's claim files and the rows still waiting into one
    frame, each claim once."""
    robot = n.robot
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="claims") as beside:
        # Tonight's claims are read beside the registers (their parsing is mostly Arrow's
        # C code, which leaves the interpreter to the registers' quality suites), unless
        # the robot makes its claims from the registers.
        reading = beside.submit(_claims_of_tonight, n) if robot.list_claims is None else None
        n.intake = ingest_registers(
            engine=n.engine,
            folders=n.folders,
            run_id=n.run_id,
            night=n.night,
            registers=robot.registers,
            limits=n.settings.inbox,
            keep_tonight=robot.list_claims is not None,
        )
        kill_point("after_references")
        n.refs = {r.dataset.name: _register(n.folders, r.dataset) for r in robot.registers}
        if robot.list_claims is not None:
            _list_claims(n)
        n.in_doubt = {
            name: state
            for name in robot.register_names
            if (state := snapshots.load_state(n.folders, name)).in_doubt
        }
        claims = _claims_of_tonight(n) if reading is None else reading.result()
    kill_point("after_quarantine")
    n.frame, n.read_again = claims.frame, claims.read_again
    n.copies, n.repeated_ids = claims.copies.rows, claims.copies.repeated_ids
    n.ingested = claims.ingested


@dataclass(frozen=True)
class _ClaimsRead:
    """Tonight's claims, each once, with the rows still waiting; what was read (its frame
    let go: from here on the claims live in `frame` alone) and the copies set aside."""

    ingested: IngestedClaims
    frame: pd.DataFrame
    read_again: set[int]
    copies: Copies


def _claims_of_tonight(n: _Night) -> _ClaimsRead:
    """Read from the inbox and the ledger only (what the registers do meanwhile is not
    needed): tonight's claim files, quarantining what cannot be read, and the rows still
    waiting; copies set aside."""
    robot = n.robot
    ingested = ingest_claims(
        engine=n.engine,
        folders=n.folders,
        dataset=robot.claims,
        run_id=n.run_id,
        night=n.night,
        identify=robot.identify,
        limits=n.settings.inbox,
    )
    frame, ingested = with_rows_read_again(n.engine, robot, ingested)
    read_again = ids_read_again(frame)
    if robot.prepare is not None and len(frame):
        frame = robot.prepare(frame)
    identity = robot.claim_id_column
    if robot.period_column is not None and len(frame):
        identity = IDENTITY
        frame = frame.assign(**{IDENTITY: robot.claim_identity(frame)})
    kept, copies = split_copies(frame, identity, robot.claims.column_names, robot.claims.source_id)
    if identity == IDENTITY:
        kept = kept.drop(columns=[IDENTITY])
    return _ClaimsRead(replace(ingested, frame=pd.DataFrame()), kept, read_again, copies)


IDENTITY = "_identity"
"""Column holding a claim's identity (its id and month) while copies are found."""


def _list_claims(n: _Night) -> None:
    """The claims a robot lists from its registers, written into its claims inbox as one
    CSV file (then read like any claim file): a month it lists unchanged is a file seen
    before, or rows the ledger knows, and nothing is decided twice."""
    assert n.robot.list_claims is not None
    claims = n.robot.claims
    listed = n.robot.list_claims(
        ListingContext(
            night=n.night,
            mode=n.settings.mode,
            month=n.period if n.month_alone and periods.is_month(n.period) else None,
            references=n.refs,
            taken_in=n.intake.taken_in,
            unreadable=n.intake.unreadable,
            state_dir=n.folders.root / "state" / n.robot.name,
        )
    )
    n.intake.taken_in, n.intake.unreadable = {}, {}
    if len(listed):
        # Months the ledger holds with the same facts are not listed again: the list kept
        # in the archive is what was decided tonight, not the whole window every night.
        known = split_known(n.engine, n.robot, listed).same
        if len(known):
            keys = n.robot.idempotency_keys(listed)
            listed = listed[~keys.isin(known["idempotency_key"]).to_numpy()]
    if not len(listed):
        logger.info("%s: no claims due tonight that the ledger does not know", n.robot.name)
        return
    write_listed_claims(n.folders, claims, listed, name=f"{n.period}_{n.run_id}")


def _validate(n: _Night) -> None:
    """Data quality; rows that wait for a register set aside; tonight's claims told apart
    from claims the ledger already knows."""
    assert n.ingested is not None and n.frame is not None
    claims, errors = _validated(
        n.robot, n.frame, n.ingested.errors, n.night, n.refs, n.repeated_ids
    )
    n.errors, n.waiting_errors = errors_waiting(n.frame, errors, n.in_doubt, n.night)
    n.frame = None
    n.data_errors = data_error_rows(n.errors)
    split = split_known(n.engine, n.robot, claims)
    n.new, n.same, n.changed, n.versions = split.new, split.same, split.changed, split.versions


def _compute(n: _Night) -> None:
    """Each new claim's amount, beside the registers and what the ledger knows of it."""
    assert n.ingested is not None and n.new is not None
    n.context = EvaluationContext(
        night=n.night,
        mode=n.settings.mode,
        municipality_code=n.settings.municipality_code,
        references=n.refs,
        optional_columns=n.ingested.optional_columns,
        amount_history=amount_history(n.engine, n.robot) if len(n.new) else None,
    )
    n.computed = n.robot.compute(n.new.reset_index(drop=True), n.context) if len(n.new) else None
    n.new = None
    if n.computed is not None and (n.robot.ledger_lookups or n.robot.overlap_lookups):
        with n.engine.connect() as connection:
            n.computed = with_ledger_lookups(connection, n.robot, n.computed)


def _cross_check(n: _Night) -> None:
    """Every check, the earlier bills, each claim's decision; claims that wait for a
    register taken out of the night's decisions."""
    assert n.context is not None
    if n.computed is not None:
        n.findings = without_known_false_alarms(
            n.engine,
            n.robot,
            n.computed,
            concat_findings(
                [n.robot.check(n.computed, n.context), earlier_bills(n.engine, n.robot, n.computed)]
            ),
        )
        n.computed["decision"], n.computed["rule_ids"] = decide(n.findings, n.computed.index)
    n.computed, n.findings, waiting_claims = claims_waiting(
        n.computed, n.findings, n.in_doubt, n.night
    )
    n.waiting = Waiting(
        in_doubt=n.in_doubt,
        rows=waiting_rows(n.robot, [n.waiting_errors, waiting_claims]),
        read_again=n.read_again,
    )
    # The registers are not needed past the checks (hundreds of MB at a million claims).
    n.refs, n.context, n.waiting_errors = {}, None, pd.DataFrame()


def _record(n: _Night) -> None:
    """The night's decisions in one transaction; then the files read are archived."""
    assert n.ingested is not None
    n.draft = _draft_payment(n)
    with n.engine.begin() as connection:
        defer_checkpoint(connection)
        n.claim_pks = record_night(
            connection,
            robot=n.robot,
            run_id=n.run_id,
            night=n.night,
            folders=n.folders,
            ingested=n.ingested,
            computed=n.computed,
            findings=n.findings,
            errors=n.errors,
            same=n.same,
            changed=n.changed,
            versions=n.versions,
            copies=n.copies,
            waiting=n.waiting,
        )
        kill_point("before_ledger_commit")
    n.checkpoint = checkpoint_beside(n.engine)
    kill_point("after_ledger_commit")
    archive_read_files(folders=n.folders, files=n.ingested.files, night=n.night)
    kill_point("after_archive")


def _draft_payment(n: _Night) -> Draft | None:
    """Tonight's batches drafted on the second core from the claims just decided 'pay',
    while the ledger records them (`payments.drafting`); the ledger decides at the payment
    stage whether the draft holds."""
    computed = n.computed
    if computed is None:
        return None
    pay = np.flatnonzero((computed["decision"] == "pay").to_numpy(dtype=bool))
    if len(pay) < n.settings.payment.draft_from_claims:
        return None
    # The few columns the draft reads, then the rows: taking every computed column of
    # 740,000 rows first cost 0.33 s of the ledger stage (measured, a million claims).
    wanted = [n.robot.claim_id_column, "payee_kind", "payee_id", "amount_oere"]
    source = n.robot.claims.source_id
    if source is not None and source in computed and source not in wanted:
        wanted.append(source)
    rows = computed[wanted].take(pay)
    claim_ids = rows[n.robot.claim_id_column].astype("string")
    own = own_source_ids(rows, n.robot)
    claims = pa.table(
        {
            "claim_pk": pa.array(pay, type=pa.int64()),  # the row: its key is drawn later
            "claim_id": pa.array(claim_ids, type=pa.string()),
            "source_id": pa.array(
                claim_ids if own is None else own.fillna(claim_ids), type=pa.string()
            ),
            "payee_kind": pa.array(rows["payee_kind"].astype("string"), type=pa.string()),
            "payee_id": pa.array(rows["payee_id"].astype("string"), type=pa.string()),
            "amount_oere": pa.array(rows["amount_oere"].astype("int64"), type=pa.int64()),
        }
    )
    try:
        return draft_tonight(
            robot=n.robot,
            run_id=n.run_id,
            night=n.night,
            settings=n.settings,
            folders=n.folders,
            claims=claims,
        )
    except OSError as error:  # only time is lost: the night pays from the ledger instead
        logger.warning("tonight's payment could not be drafted (%s): paid from the ledger", error)
        return None


def _pay(n: _Night) -> None:
    """Every claim decided 'pay' and in no payment yet, in one batch (exactly once)."""
    draft, n.draft = n.draft, None
    n.batches = pay_outstanding(
        engine=n.engine,
        robot=n.robot,
        run_id=n.run_id,
        night=n.night,
        settings=n.settings,
        folders=n.folders,
        draft=draft,
        claim_pks=n.claim_pks,
    )


def _join_checkpoint(n: _Night) -> None:
    """Wait for the ledger's WAL to be copied into its file (begun after the night's
    commit, beside the later stages): no thread of the run outlives it."""
    if n.checkpoint is not None:
        n.checkpoint.join()
        n.checkpoint = None


def _report(n: _Night, clock: _Clock, log_dir: Path | None) -> NightRun:
    """Every claim row of the night (and of runs killed before their report) in the
    report and outcome file; the run recorded as completed."""
    assert n.ingested is not None and n.waiting is not None
    kill_point("before_report")
    outcomes = night_outcomes(
        n.engine,
        n.computed,
        n.same,
        n.changed,
        n.copies,
        n.waiting,
        n.data_errors,
        n.run_id,
        n.robot,
        all_paid=n.computed is not None
        and drafted_batches_pay_all(n.batches, int((n.computed["decision"] == "pay").sum())),
    )
    finished, earlier = _unreported_outcomes(n.engine, n.robot, n.run_id)
    if len(earlier):
        outcomes = pd.concat([outcomes, earlier], ignore_index=True)
    exceptions_by_rule = _exceptions_by_rule(n.engine, [n.run_id, *finished])
    clock.stop()
    result = NightRun(
        run_id=n.run_id,
        robot=n.robot,
        night=n.night,
        mode=n.settings.mode,
        registers=n.intake.files,
        register_notes=n.intake.notes,
        registers_in_doubt=n.in_doubt,
        claim_files=n.ingested.files,
        outcomes=outcomes,
        exceptions_by_rule=exceptions_by_rule,
        batches=n.batches,
        not_read=[
            (path.relative_to(n.folders.root), why)
            for path, why in not_read(n.folders, set(n.inbox_datasets))
        ],
        finished_runs=finished,
        timings=clock.timings,
    )
    from robots.core.pipeline.report import write_report

    write_report(result, n.folders, log_dir)
    with n.engine.begin() as connection:
        run_records.finish_run(
            connection=connection,
            run_id=n.run_id,
            status=RunStatus.COMPLETED,
            at=dates.now(),
            report_path=str(result.report_path),
            summary=summary_of(result),
        )
        run_records.mark_finished_by(connection=connection, run_ids=finished, by=n.run_id)
        periods.end_period(
            connection=connection,
            robot=n.robot.name,
            period=n.period,
            run_id=n.run_id,
            ok=True,
            at=dates.now(),
        )
        audit_trail.robot_event(
            connection=connection,
            robot=n.robot.name,
            action="run_completed",
            entity="run",
            entity_id=n.run_id,
            run_id=n.run_id,
        )
    _join_checkpoint(n)
    return result


def _validated(
    robot: Robot,
    frame: pd.DataFrame,
    read_errors: pd.DataFrame,
    night: date,
    refs: dict[str, pd.DataFrame],
    repeated_ids: pd.Index,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The claims that met every data-quality rule, and every error of the night so far.

    The claims' uniqueness rule is not asked of great-expectations: the pass that set the
    night's copies aside already knows which ids are left on two rows (`repeated_ids`),
    and hashing a million ids a second time cost 0.14 s. Its rows fail it all the same,
    with the rule's id and words.
    """
    if not len(frame):
        return frame, pd.concat([read_errors], ignore_index=True)
    unique = [r for r in robot.quality_suite if r.unique and r.column == robot.claim_id_column]
    suite = [rule for rule in robot.quality_suite if rule not in unique]
    quality = validate(frame, robot.claims.name, suite, SuiteContext(night), reference_sets(refs))
    findings, passing = quality.findings, quality.frame
    if unique and len(repeated_ids):
        ids = robot.claim_identity(frame)
        at = np.flatnonzero(ids.isin(repeated_ids).to_numpy(dtype=bool, na_value=False))
        rule = unique[0]
        findings = pd.concat(
            [
                findings,
                pd.DataFrame(
                    {
                        "row": at,
                        "line": frame[LINE].to_numpy()[at],
                        "rule_id": rule.rule.id,
                        "column": rule.column,
                        "message": rule.messages(ids.iloc[at]).to_numpy(),
                    }
                ),
            ],
            ignore_index=True,
        )
        repeats = robot.claim_identity(passing).isin(repeated_ids)
        passing = passing[~repeats.to_numpy(dtype=bool, na_value=False)].reset_index(drop=True)
    found = [e for e in (read_errors, _quality_errors(findings, frame, robot)) if len(e)]
    return passing, pd.concat(found or [read_errors], ignore_index=True)


def _quality_errors(findings: pd.DataFrame, frame: pd.DataFrame, robot: Robot) -> pd.DataFrame:
    """Quality findings as errors naming tonight's file, the line and the claim id."""
    rows = findings["row"].to_numpy(dtype=np.int64)

    def at_rows(column: str | None) -> object:
        # The failing rows' values only: a million ids as Python objects cost 0.1 s.
        return frame[column].iloc[rows].to_numpy() if column in frame else None

    return pd.DataFrame(
        {
            "file": frame[FILE].to_numpy()[rows],
            "line": findings["line"].to_numpy(),
            "claim_ref": at_rows(robot.claim_id_column),
            "source_ref": at_rows(robot.claims.source_id),
            "rule_id": findings["rule_id"].to_numpy(),
            "message": findings["message"].to_numpy(),
            "evidence": _quality_evidence(findings, frame, rows),
        }
    )


def _quality_evidence(findings: pd.DataFrame, frame: pd.DataFrame, rows: np.ndarray) -> object:
    """Each data error's evidence: the column the rule read and the value it found there
    (as the file had it, so a case page shows what came in)."""
    if "column" not in findings or not len(findings):
        return None
    columns = findings["column"].astype("string").reset_index(drop=True)
    values = pd.Series(pd.NA, index=columns.index, dtype="string")
    for column in columns.dropna().unique():
        if column in frame:
            at = (columns == column).fillna(False).to_numpy(dtype=bool)
            values[at] = frame[column].iloc[rows[at]].astype("string").to_numpy()
    evidence = pd.DataFrame({"column": columns, "value": values})
    return json_objects(evidence, ["column", "value"]).to_numpy(dtype=object)


def _register(folders: DataFolders, dataset: Dataset) -> pd.DataFrame:
    """A register's snapshot; one never received is empty (and in doubt), so the night
    goes on and its claims wait for it instead of the run stopping."""
    try:
        return snapshots.load_snapshot(folders, dataset.name)
    except snapshots.MissingReferenceError:
        return empty_frame(dataset)


def _unreported_outcomes(
    engine: Engine, robot: Robot, run_id: str
) -> tuple[list[str], pd.DataFrame]:
    """Earlier runs of the robot killed after recording their decisions, and their outcome
    rows read from the ledger: reported by this run, which finished their work."""
    with engine.connect() as connection:
        runs = run_records.unreported_runs(connection=connection, robot=robot.name, besides=run_id)
        rows = [recorded_outcomes(connection, earlier, robot) for earlier in runs]
    for earlier in runs:
        logger.warning("run %s ended before its report: its decisions are reported here", earlier)
    found = [r for r in rows if len(r)]
    return runs, (pd.concat(found, ignore_index=True) if found else pd.DataFrame())


def _exceptions_by_rule(engine: Engine, run_ids: list[str]) -> pd.Series:
    with engine.connect() as connection:
        counts = case_records.exceptions_per_rule(connection=connection, run_ids=run_ids)
    return pd.Series(counts, dtype="int64")


__all__ = ["OUTCOME_COLUMNS", "STAGES", "NightRun", "automation_rate", "run_night"]
