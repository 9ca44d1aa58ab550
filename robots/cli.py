"""`robots`: run the nightly robots, make demo data, list the rules, show recent runs.

Every robot run is a robocorp task in a child process (one process per run, so a killed
run cannot take the scheduler or this command down with it). Its output is passed
through the CPR mask on the way to the terminal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.exceptions import TyperException

from robots.core import dates
from robots.core.cpr import mask_text
from robots.core.settings import Settings, get_settings

app = typer.Typer(
    help=__doc__,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


class RunMode(StrEnum):
    """What --mode accepts: the click choice names them in its one-line error."""

    PRODUCTION = "production"
    DEMO = "demo"


def _night(value: str | None) -> date | None:
    """--date as a night, or a one-line refusal naming what is wrong with it."""
    if value is None:
        return None
    try:
        return dates.parse_night(value)
    except dates.NightError as exc:
        raise typer.BadParameter(str(exc)) from None


DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data folder (default: config/settings.toml)")
]
Mode = Annotated[RunMode | None, typer.Option("--mode", help="production or demo")]
Night = Annotated[
    date | None,
    typer.Option(
        "--date",
        parser=_night,
        metavar="YYYY-MM-DD",
        help="the night to run (default: today, in Copenhagen)",
    ),
]


class CommandLineError(TyperException):
    """A command that cannot be carried out as given: one line, exit code 2."""

    exit_code = 2


def _existing_folder(data_dir: Path | None, settings_dir: Path) -> Path:
    """The data folder, which must exist: a typo must not start a new, empty ledger."""
    folder = data_dir.resolve() if data_dir else settings_dir
    if not folder.is_dir():
        given = "--data-dir" if data_dir else "the data folder (config/settings.toml)"
        raise CommandLineError(
            f"{given} {folder} does not exist; give the folder that holds inbox/ and the "
            "ledger (robots demo makes one)"
        )
    return folder


def _settings(data_dir: Path | None, mode: RunMode | None, *, must_exist: bool = True) -> Settings:
    folder = data_dir.resolve() if data_dir else None
    if must_exist:
        folder = _existing_folder(data_dir, get_settings().data_dir)
    return get_settings(data_dir=folder, mode=mode.value if mode else None)


def run_robot(
    name: str,
    *,
    settings: Settings,
    night: date,
    month: str | None = None,
    month_alone: bool = True,
) -> int:
    """Run one robot's nightly task in a child process; print its own report; return its
    exit code."""
    from robots.core.pipeline.nightly import STAGES
    from robots.operations.launching import STAGE_MARK, launch_run
    from robots.registry import ROBOTS

    robot = ROBOTS[name]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        bar = progress.add_task(f"{robot.title} {night}", total=len(STAGES))

        def show(line: str) -> None:
            if line.startswith(STAGE_MARK):
                stage = line[len(STAGE_MARK) :].strip()
                progress.update(
                    bar,
                    completed=STAGES.index(stage),
                    description=f"{robot.title} {night}: {stage}",
                )
            elif _worth_showing(line):
                progress.console.print(mask_text(line.rstrip()), markup=False)

        launched = launch_run(
            name,
            settings=settings,
            night=night,
            period=month,
            month_alone=month_alone,
            on_line=show,
        )
        if launched.ok:
            progress.update(bar, completed=len(STAGES), description=f"{robot.title} {night}: done")
    _print_report(settings, launched.run_id)
    return launched.exit_code


def _worth_showing(line: str) -> bool:
    noise = ("truststore", "_inject_truststore", "Collecting task", "=====")
    return bool(line.strip()) and not any(n in line for n in noise)


def _print_report(settings: Settings, run_id: str) -> None:
    """The report of the run this command started (never another run's)."""
    from robots.core.ledger.database import open_ledger
    from robots.core.ledger.run_records import run_by_id

    engine = open_ledger(settings.ledger_url)
    with engine.connect() as connection:
        run = run_by_id(connection=connection, run_id=run_id)
    engine.dispose()
    if run is None:
        console.print(f"Run {run_id} did not start: see the lines above")
        return
    if run.report_path and Path(run.report_path).exists():
        console.print(
            mask_text(Path(run.report_path).read_text(encoding="utf-8")),
            markup=False,
            soft_wrap=True,
        )
    else:
        console.print(f"Run {run.id} ended {run.status}: no report (see robots status and the log)")


@app.command()
def run(
    robot: Annotated[str, typer.Argument(help="the robot, e.g. helbredstillaeg, or 'all'")],
    night: Night = None,
    data_dir: DataDir = None,
    mode: Mode = None,
    month: Annotated[
        str | None,
        typer.Option(
            "--month",
            help="a robot that pays by month: run this month (YYYY-MM) alone, if it is due",
        ),
    ] = None,
) -> None:
    """Run a robot (or all) over everything waiting in the inbox."""
    from robots.core.ledger.periods import is_month
    from robots.registry import ROBOTS

    names = list(ROBOTS) if robot == "all" else [robot]
    unknown = [n for n in names if n not in ROBOTS]
    if unknown:
        raise CommandLineError(
            f"there is no robot '{unknown[0]}'; choose {', '.join(ROBOTS)} or all"
        )
    if month is not None:
        if not is_month(month):
            raise CommandLineError(f"--month {month!r} is not a month; write YYYY-MM, e.g. 2026-11")
        if any(ROBOTS[n].period_column is None for n in names):
            monthly = [n for n, r in ROBOTS.items() if r.period_column is not None]
            raise CommandLineError(
                f"--month is for a robot that pays by month ({', '.join(monthly)}), not {robot}"
            )
    settings = _settings(data_dir, mode)
    when = night or dates.today()
    codes = [run_robot(n, settings=settings, night=when, month=month) for n in names]
    raise typer.Exit(max(codes))


SETTLE_VARIABLE = "ROBOTS_INBOX__SETTLE_SECONDS"
"""[inbox] settle_seconds for the robots' runs, as the environment gives it."""


@app.command()
def demo(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="where the demo data goes")] = Path(
        "data/demo"
    ),
    pensioners: Annotated[int, typer.Option(help="pensioners in the demo municipality")] = 10_000,
    claims: Annotated[int, typer.Option(help="health claims per night")] = 3_000,
    invoices: Annotated[int, typer.Option(help="doctors' invoice lines per night")] = 1_000,
    flex_jobs: Annotated[int, typer.Option(help="fleksjobs in the demo municipality")] = 400,
    subsidy_agreements: Annotated[
        int, typer.Option(help="wage-subsidy agreements with employers (loentilskud)")
    ] = 400,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same data)")] = 173,
    night: Night = None,
    fresh: Annotated[bool, typer.Option(help="start from an empty demo folder")] = True,
) -> None:
    """Make two nights of demo data for Lyngby-Taarbaek (173) and run the robots on each."""
    import shutil

    from robots.demo.generator import DemoSpec, generate_night
    from robots.registry import ROBOTS

    target = data_dir.resolve()
    if fresh and target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    settings = _settings(target, RunMode.DEMO)
    today = night or dates.today()
    first = DemoSpec(
        night=today - timedelta(days=1),
        seed=seed,
        pensioners=pensioners,
        claims=claims,
        invoices=invoices,
        flex_jobs=flex_jobs,
        subsidy_agreements=subsidy_agreements,
    )
    second = replace(first, night=today)
    codes = []
    # Each night's files are written whole by this process and run on at once: its runs
    # (child processes, which inherit the environment) take them without waiting [inbox]
    # settle_seconds for them to lie still. `robots run` and the scheduler wait as set.
    settle = os.environ.get(SETTLE_VARIABLE)
    os.environ[SETTLE_VARIABLE] = "0"
    try:
        for spec, previous in ((first, None), (second, first)):
            made = generate_night(target, spec, previous_night=previous)
            console.print(
                f"Demo data for {spec.night}: {len(made.files)} files, "
                f"{made.claims_written} claim and invoice rows (ground truth: {made.ground_truth})"
            )
            for name in ROBOTS:
                codes.append(run_robot(name, settings=settings, night=spec.night))
            if made.flex_ground_truth is not None:
                _print_flex_score(target, made.flex_ground_truth)
            if made.loentilskud_ground_truth is not None:
                from robots.loentilskud.demo import summary

                console.print(summary(target, made.loentilskud_ground_truth), markup=False)
    finally:
        if settle is None:
            os.environ.pop(SETTLE_VARIABLE, None)
        else:
            os.environ[SETTLE_VARIABLE] = settle
    _demo_staff(settings)
    _demo_bank(settings, seed)
    raise typer.Exit(max(codes))


def _demo_bank(settings: Settings, seed: int) -> None:
    """The demo's bank answers the nights' payment files (a few transfers rejected, one
    paid by cheque, one booking the ledger never sent); they are read back, and the
    reconciliation workbook of the demo's payment days is written."""
    from robots.core.finance.export import export_reconciliation
    from robots.core.ledger import bank_answer_records, reconciliation_records
    from robots.core.ledger.database import open_ledger
    from robots.core.payments.feedback import take_in_answers
    from robots.demo.bank_answers import write_demo_answers
    from robots.registry import BANK_ANSWERS

    engine = open_ledger(settings.ledger_url)
    try:
        with engine.connect() as connection:
            batches = reconciliation_records.batches_executed(
                connection=connection, first=date(2000, 1, 1), last=date(2999, 12, 31)
            )
            transfers = bank_answer_records.transfers_of_batches(
                connection=connection, batch_ids=batches["batch_id"]
            )
        if not len(transfers):
            return
        days = sorted(pd_dates(batches["execution_date"]))
        folder = settings.data_dir / "inbox" / BANK_ANSWERS
        planted = write_demo_answers(folder, transfers, settings.bank.debtor_iban, days[-1], seed)
        taken = take_in_answers(
            engine=engine,
            inbox=folder,
            archive=settings.data_dir / "archive" / BANK_ANSWERS,
            quarantine=settings.data_dir / "quarantine" / BANK_ANSWERS,
            debtor_iban=settings.bank.debtor_iban,
            postings=settings.data_dir / "outputs" / "postings" / "returns",
        )
        made = export_reconciliation(engine, days[0], days[-1], settings.data_dir / "outputs")
    finally:
        engine.dispose()
    returned = sum(t.returned_claims for t in taken)
    console.print(
        f"The demo's bank answered: {len(taken)} files read back; {len(planted.rejected)} "
        f"transfers rejected ({returned} claims now cases for finance, paid again only after "
        f"a decision), one paid by cheque; {sum(t.unmatched for t in taken)} answer line(s) "
        "that fit no transfer on finance's list."
    )
    console.print(
        f"Reconciliation {days[0]} to {days[-1]} "
        f"({'ties out' if made.reconciliation.ties_out else 'differences named'}): {made.path}"
    )


def pd_dates(values: Iterable[object]) -> list[date]:
    """Execution dates as read from either database (text on SQLite, dates on PostgreSQL)."""
    return [v if isinstance(v, date) else date.fromisoformat(str(v)) for v in values]


DEMO_STAFF = {
    "kontrol.kirsten": "control_group",
    "kontrol.karl": "control_group",
    "sag.sofie": "caseworker",
    "oekonomi.olga": "finance",
    "admin.adam": "admin",
}
DEMO_PASSWORD = "demo-kodeord-173"
"""The demo's staff, one of each role (two of the control group, for four eyes). Their
password is printed: they exist in the demo's own ledger only."""


def _demo_staff(settings: Settings) -> None:
    from robots.core.ledger import staff
    from robots.core.ledger.database import open_ledger

    engine = open_ledger(settings.ledger_url)
    with engine.begin() as connection:
        for name, role in DEMO_STAFF.items():
            if staff.staff_member(connection=connection, name=name) is None:
                staff.add_staff(
                    connection=connection,
                    name=name,
                    role=role,
                    password=DEMO_PASSWORD,
                    by="robots demo",
                )
    engine.dispose()
    console.print(
        "The workbench's demo staff (password "
        f"{DEMO_PASSWORD}): "
        + ", ".join(f"{name} ({role.replace('_', ' ')})" for name, role in DEMO_STAFF.items())
    )


def _print_flex_score(data_dir: Path, ground_truth: Path) -> None:
    """The fleksloentilskud night against its answer key: planted kinds caught, look-alikes
    and clean months paid (by job and month: the robot lists its own claims)."""
    import pandas as pd

    from robots.fleksloentilskud.demo import score

    runs = sorted(
        (data_dir / "outputs" / "runs").glob("FL-*/outcomes.csv"),
        key=lambda p: p.stat().st_mtime,
    )
    if not runs:
        return
    outcomes = pd.read_csv(runs[-1], dtype=str, keep_default_na=False)
    result = score(ground_truth, outcomes)
    kinds = result.per_kind
    rules = kinds[kinds["planted"].str.startswith("FL-")]
    console.print(
        f"Fleksloentilskud against its answer key: planted errors caught "
        f"{int(rules['caught'].sum())} of {int(rules['rows'].sum())} months "
        f"({len(rules)} kinds); all months as expected {result.caught} of {result.planted}; "
        f"look-alikes stopped: {len(result.lookalikes_stopped)}; clean months not paid or "
        f"paid a wrong amount: {len(result.clean_wrong)}; alarms on unplanted months: "
        f"{len(result.unexpected)}"
    )


@app.command()
def rules() -> None:
    """The catalogue of every check: id, what it looks for, severity, what happens."""
    from checks.rules import catalogue

    table = Table(title="Rules", show_lines=False)
    for column in ("id", "robot", "looks for", "severity", "kind", "what happens to the claim"):
        table.add_column(column, overflow="fold")
    for rule in catalogue():
        table.add_row(
            rule.id, rule.robot, rule.looks_for, rule.severity.value, rule.kind.value, rule.action
        )
    console.print(table)


@app.command()
def status(
    limit: Annotated[int, typer.Option(help="how many runs")] = 10,
    data_dir: DataDir = None,
) -> None:
    """Recent runs and their outcome."""
    from robots.core.ledger.database import open_ledger
    from robots.core.ledger.run_records import recent_runs
    from robots.core.money import format_kroner

    settings = _settings(data_dir, None)
    if settings.database_url is None and not (settings.data_dir / "ledger.sqlite").exists():
        raise CommandLineError(
            f"no ledger in {settings.data_dir}: no robot has run there yet (give --data-dir)"
        )
    engine = open_ledger(settings.ledger_url)
    with engine.connect() as connection:
        runs = recent_runs(connection=connection, limit=limit)
    engine.dispose()
    table = Table(title=f"Recent runs ({settings.ledger_url.split('@')[-1]})")
    # Run ids name the folders under outputs/runs and logs/: never cut them.
    width = max((len(r.id) for r in runs), default=3)
    table.add_column("run", no_wrap=True, min_width=width)
    for column in (
        "robot",
        "night",
        "mode",
        "status",
        "started",
        "paid",
        "held",
        "rejected",
        "data errors",
        "paid kr.",
        "automation",
    ):
        table.add_column(column)
    for r in runs:
        summary = json.loads(r.summary) if r.summary else {}
        counts = summary.get("counts", {})
        rate = summary.get("automation_rate")
        table.add_row(
            r.id,
            r.robot,
            r.night.isoformat(),
            r.mode,
            f"{r.status}, reported by {r.finished_by}" if r.finished_by else r.status,
            f"{r.started_at.astimezone(dates.COPENHAGEN):%Y-%m-%d %H:%M}",
            str(counts.get("paid", 0)),
            str(counts.get("held", 0)),
            str(counts.get("rejected", 0)),
            str(counts.get("data_error", 0)),
            format_kroner(int(summary.get("paid_oere", 0))),
            "" if rate is None else f"{rate:.1%}",
        )
    console.print(table)
    _print_operations(settings)


def _print_operations(settings: Settings) -> None:
    """Each scheduled robot's last and next run, periods failed, and what waits for people."""
    from robots.core.ledger.database import open_ledger
    from robots.core.money import format_kroner
    from robots.operations.status import operations_status

    plan = _schedule()
    engine = open_ledger(settings.ledger_url)
    try:
        facts = operations_status(engine, plan, dates.now())
    finally:
        engine.dispose()
    jobs = Table(title="Scheduled robots (robots schedule)")
    for column in ("job", "last period finished", "last run", "next start", "failed periods"):
        jobs.add_column(column, no_wrap=column != "failed periods")
    for job in facts.jobs:
        last = job.last_run
        jobs.add_row(
            job.label,
            job.last_finished or "never",
            f"{last.period or last.night} {last.status}, "
            f"{last.started_at.astimezone(dates.COPENHAGEN):%Y-%m-%d %H:%M}"
            if last is not None
            else "none",
            f"{job.next_start:%Y-%m-%d %H:%M}",
            ", ".join(job.failed) or "none",
        )
    console.print(jobs)
    if plan.catch_up.skip_nights:
        console.print(
            "Nights skipped on purpose (config/schedule.toml [catch_up] skip_nights; never "
            "caught up): " + ", ".join(night.isoformat() for night in plan.catch_up.skip_nights)
        )
    console.print(
        f"Waiting for people: {facts.open_cases} open case(s), "
        f"{format_kroner(facts.open_cases_oere)} kr.; "
        f"{facts.bank_rejections} transfer(s) sent back by the bank to decide "
        f"(robots review); {facts.unmatched_answers} bank answer line(s) matched to nothing."
    )


@app.command()
def bench(
    sizes: Annotated[
        str, typer.Option(help="comma-separated claim counts")
    ] = "10000,100000,1000000",
    rpa_sizes: Annotated[
        str, typer.Option(help="sizes for the one-work-item-per-claim comparison")
    ] = "1000,10000",
    invoice_sizes: Annotated[
        str, typer.Option(help="comma-separated doctors' invoice counts")
    ] = "10000,100000",
    xml_share: Annotated[float, typer.Option(help="share of invoices sent as OIOUBL")] = 0.1,
) -> None:
    """Items per second and peak memory per stage, and the work-item-per-claim comparison."""
    script = Path(__file__).resolve().parents[1] / "bench" / "run.py"
    code = subprocess.call(
        [
            sys.executable,
            str(script),
            "--sizes",
            sizes,
            "--rpa-sizes",
            rpa_sizes,
            "--invoice-sizes",
            invoice_sizes,
            "--xml-share",
            str(xml_share),
        ]
    )
    raise typer.Exit(code)


@app.command()
def answers(data_dir: DataDir = None) -> None:
    """Read the bank's and NemKonto's answers in inbox/bank_answers/ into the ledger."""
    from robots.core.ledger.database import open_ledger
    from robots.core.payments.feedback import take_in_answers
    from robots.registry import BANK_ANSWERS

    settings = _settings(data_dir, None)
    engine = open_ledger(settings.ledger_url)
    try:
        taken = take_in_answers(
            engine=engine,
            inbox=settings.data_dir / "inbox" / BANK_ANSWERS,
            archive=settings.data_dir / "archive" / BANK_ANSWERS,
            quarantine=settings.data_dir / "quarantine" / BANK_ANSWERS,
            debtor_iban=settings.bank.debtor_iban,
            postings=settings.data_dir / "outputs" / "postings" / "returns",
        )
    finally:
        engine.dispose()
    table = Table(title="Answers from the bank and NemKonto")
    for column in ("file", "kind", "outcome", "lines", "unmatched", "booked", "returned", "why"):
        table.add_column(column, overflow="fold")
    for t in taken:
        table.add_row(
            t.file_name,
            t.kind,
            t.outcome,
            str(t.lines),
            str(t.unmatched),
            str(t.booked_claims),
            str(t.returned_claims),
            mask_text(t.reason),
        )
    console.print(table if taken else "No answer waits in inbox/bank_answers/.")


def _schedule() -> Any:
    """config/schedule.toml, checked against the registered robots (one line if wrong)."""
    from robots.core.errors import ConfigError
    from robots.operations.schedule_config import load_schedule
    from robots.registry import ROBOTS

    try:
        return load_schedule(robots=frozenset(ROBOTS))
    except ConfigError as exc:
        raise CommandLineError(exc.message) from None


@app.command()
def schedule(
    list_jobs: Annotated[
        bool, typer.Option("--list", help="print every job and its next start, then stop")
    ] = False,
    data_dir: DataDir = None,
    mode: Mode = None,
) -> None:
    """Run the robots on config/schedule.toml until stopped, after catching up what was
    missed (or, with --list, show what would run next)."""
    from robots.operations.scheduler import next_runs, serve

    plan = _schedule()
    if list_jobs:
        table = Table(title=f"Schedule ({plan.timezone})")
        table.add_column("job", no_wrap=True)
        table.add_column("next start", no_wrap=True)
        for planned in next_runs(plan, dates.now()):
            table.add_row(planned.name, f"{planned.next_run:%Y-%m-%d %H:%M %Z}")
        console.print(table)
        return
    settings = _settings(data_dir, mode, must_exist=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    serve(settings, plan, on_start=lambda line: console.print(mask_text(line), markup=False))


@app.command()
def review(
    port: Annotated[
        int | None,
        typer.Option(help="port (default: config/settings.toml [review])", min=1, max=65535),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Serve the control group's workbench (on 127.0.0.1 unless config says otherwise)."""
    from waitress import serve

    from robots.review.app import create_app

    settings = _settings(data_dir, None)
    web = create_app(settings)
    host, at = settings.review.host, port or settings.review.port
    console.print(f"The workbench: http://{host}:{at}/ (stop with Ctrl-C)")
    serve(web, host=host, port=at, threads=8, ident="workbench")


export = typer.Typer(help="Workbooks for finance.", no_args_is_help=True)
app.add_typer(export, name="export")


def _month_bounds(month: str) -> tuple[date, date]:
    from robots.core.ledger.periods import is_month

    if not is_month(month):
        raise CommandLineError(f"--month {month} is not a month; write YYYY-MM")
    first = date(int(month[:4]), int(month[5:7]), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandLineError(f"{name} {value} is not a day; write YYYY-MM-DD") from None


@export.command("reconciliation")
def export_reconciliation(
    month: Annotated[str | None, typer.Option("--month", metavar="YYYY-MM")] = None,
    first: Annotated[str | None, typer.Option("--from", metavar="YYYY-MM-DD")] = None,
    last: Annotated[str | None, typer.Option("--to", metavar="YYYY-MM-DD")] = None,
    data_dir: DataDir = None,
) -> None:
    """Write the reconciliation workbook of a month (or --from ... --to ...): batches,
    bank answers, refusion and the checks that must be 0."""
    from robots.core.finance.export import export_reconciliation as export_workbook
    from robots.core.ledger.database import open_ledger

    if month and (first or last):
        raise CommandLineError("give --month, or --from and --to, not both")
    if month:
        start, end = _month_bounds(month)
    else:
        given_first, given_last = _day(first, "--from"), _day(last, "--to")
        if given_first is None or given_last is None:
            raise CommandLineError("give --month YYYY-MM, or --from and --to")
        if given_last < given_first:
            raise CommandLineError(f"--to {given_last} is before --from {given_first}")
        start, end = given_first, given_last
    settings = _settings(data_dir, None)
    engine = open_ledger(settings.ledger_url)
    try:
        made = export_workbook(engine, start, end, settings.data_dir / "outputs")
    finally:
        engine.dispose()
    ties = "ties out" if made.reconciliation.ties_out else "does NOT tie out"
    console.print(f"Reconciliation {start} to {end} {ties}: {made.path}")
    for check in made.reconciliation.checks:
        if check.difference:
            console.print(f"  {check.table}: {check.what}: {check.difference} {check.unit}")
            for item in check.items[:10]:
                console.print(f"    {mask_text(item)}")


users = typer.Typer(help="Staff accounts of the workbench.", no_args_is_help=True)
app.add_typer(users, name="users")


class StaffRole(StrEnum):
    """What --role accepts."""

    CONTROL_GROUP = "control_group"
    CASEWORKER = "caseworker"
    FINANCE = "finance"
    ADMIN = "admin"


@users.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="the log-in name, e.g. kontrol.kirsten")],
    role: Annotated[StaffRole, typer.Option("--role", help="what the person may do")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Add a member of staff (the password is asked for, or read from stdin)."""
    from robots.core.ledger import staff

    password = _new_password(password_stdin)
    _change_staff(
        data_dir,
        lambda connection, by: staff.add_staff(
            connection=connection, name=name, role=role.value, password=password, by=by
        ),
    )
    console.print(f"{name} added as {role.value}.")


@users.command("unlock")
def users_unlock(
    name: Annotated[str, typer.Argument(help="the log-in name")],
    data_dir: DataDir = None,
) -> None:
    """Unlock an account locked after failed log-ins."""
    from robots.core.ledger import staff

    _change_staff(
        data_dir, lambda connection, by: staff.unlock(connection=connection, name=name, by=by)
    )
    console.print(f"{name} is unlocked.")


@users.command("password")
def users_password(
    name: Annotated[str, typer.Argument(help="the log-in name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Give an account a new password (asked for, or read from stdin)."""
    from robots.core.ledger import staff

    password = _new_password(password_stdin)
    _change_staff(
        data_dir,
        lambda connection, by: staff.set_password(
            connection=connection, name=name, password=password, by=by
        ),
    )
    console.print(f"{name} has a new password.")


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _change_staff(data_dir: Path | None, change: Callable[[Any, str], object]) -> None:
    """One change to the staff accounts, audited as the command line's user; a refusal is
    one line."""
    from robots.core.ledger import staff
    from robots.core.ledger.database import open_ledger

    settings = _settings(data_dir, None)
    engine = open_ledger(settings.ledger_url)
    try:
        with engine.begin() as connection:
            change(connection, f"command line ({os.environ.get('USER', 'unknown')})")
    except staff.StaffError as refused:
        raise CommandLineError(refused.message) from None
    finally:
        engine.dispose()


@users.command("list")
def users_list(data_dir: DataDir = None) -> None:
    """Every account: name, role, locked or not."""
    from robots.core.ledger import staff
    from robots.core.ledger.database import open_ledger

    settings = _settings(data_dir, None)
    engine = open_ledger(settings.ledger_url)
    with engine.connect() as connection:
        members = staff.all_staff(connection=connection)
    engine.dispose()
    table = Table(title="Staff")
    for column in ("name", "role", "locked"):
        table.add_column(column)
    for member in members:
        table.add_row(member.name, member.role.value, "yes" if member.locked else "no")
    console.print(table)


def main(args: list[str] | None = None) -> None:
    """The `robots` command: a mistake on the command line is one line and exit code 2,
    never a traceback (and nothing is created)."""
    try:
        code = app(args=args, prog_name="robots", standalone_mode=False)
    except TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `robots` alone: the help
            errors.print(exc.format_message(), markup=False)
        else:
            message = exc.format_message().replace("Value error, ", "")
            errors.print(f"robots: {mask_text(message)}", markup=False)
        raise SystemExit(exc.exit_code) from None
    except (typer.Abort, KeyboardInterrupt):
        errors.print("robots: stopped", markup=False)
        raise SystemExit(130) from None
    except Exception as exc:
        if os.environ.get("ROBOTS_DEBUG") == "1":
            raise
        errors.print(
            f"robots: {type(exc).__name__}: {mask_text(str(exc))} (ROBOTS_DEBUG=1 shows where)",
            markup=False,
        )
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
