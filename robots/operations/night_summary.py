"""What the morning email says: a night's summary and a failure alert, as plain text.

Pure functions of plain data, so the wording is tested without a ledger or a mail relay;
the ledger query that fills `RunLine` and `Waiting` lives with the scheduler, and
`robots.operations.notify` sends the text (and masks any CPR number in it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from robots.core import dates
from robots.core.money import format_kroner

RunStatus = Literal["finished", "failed"]
AlertKind = Literal["technical", "business"]


@dataclass(frozen=True)
class RunLine:
    """One robot's run of the night, as the summary tells it."""

    robot: str
    period: str
    run_id: str
    status: RunStatus
    paid: int
    held: int
    rejected: int
    data_errors: int
    paid_oere: int


@dataclass(frozen=True)
class Waiting:
    """What waits for people this morning, whichever night put it there."""

    open_cases: int
    open_cases_oere: int
    bank_rejections: int


def _kr(oere: int) -> str:
    """Øre as people read kroner: 123450 -> '1.234,50 kr.'."""
    return f"{format_kroner(oere)} kr."


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def summary_text(night: date, runs: Sequence[RunLine], waiting: Waiting) -> tuple[str, str]:
    """The night's summary: the subject says whether anything failed, so a reader who
    sees only the inbox list knows whether to open it.

    Runs are listed in the order given. A night with no run says so in words: silence
    would read as "all well" when the scheduler did not run at all.

    Returns:
        (subject, body)
    """
    failed = [run for run in runs if run.status == "failed"]
    if not runs:
        outcome = "no runs"
    elif failed:
        outcome = f"{_plural(len(runs), 'run', 'runs')}, {len(failed)} failed"
    else:
        outcome = f"{_plural(len(runs), 'run', 'runs')}, all finished"
    subject = f"Robots, night {night.isoformat()}: {outcome}"
    waits = [
        _plural(count, one, many)
        for count, one, many in (
            (waiting.open_cases, "case waits", "cases wait"),
            (waiting.bank_rejections, "bank rejection", "bank rejections"),
        )
        if count
    ]
    if waits:
        subject += "; " + ", ".join(waits)

    lines = [f"Night {night.isoformat()}: {outcome}.", ""]
    if not runs:
        lines += ["No robot ran this night. Check that `robots schedule` is running.", ""]
    for run in runs:
        lines += [
            f"{run.robot}, period {run.period}: {run.status.upper()} (run {run.run_id})",
            f"  paid {run.paid} ({_kr(run.paid_oere)}), held {run.held}, "
            f"rejected {run.rejected}, data errors {run.data_errors}",
            "",
        ]
    total = sum(run.paid_oere for run in runs)
    if runs:
        lines += [f"Paid in all: {_kr(total)}", ""]
    lines += [
        "Waiting for people:",
        f"  open cases: {waiting.open_cases} ({_kr(waiting.open_cases_oere)})",
        f"  bank rejections: {waiting.bank_rejections}",
        "",
        "More: `robots status`, the workbench, and each run's report and log.",
    ]
    return subject, "\n".join(lines) + "\n"


def alert_text(
    robot: str,
    period: str,
    run_id: str,
    kind: AlertKind,
    reason: str,
    *,
    retry_at: datetime | None = None,
) -> tuple[str, str]:
    """An alert for one failed run. The subject says whether anyone must act: a
    technical failure that will be retried is news, one whose retries are used up, or a
    business failure (bad data, never retried), needs a person.

    Args:
        kind: "technical" (database, disk, network, timeout) or "business" (bad data).
        retry_at: when a technical failure will be retried; None means its retries
            are used up. A business failure is never retried.

    Returns:
        (subject, body)

    Raises:
        ValueError: a retry time for a business failure.
    """
    if kind == "business" and retry_at is not None:
        raise ValueError("a business failure is not retried: give no retry_at")
    if kind == "technical" and retry_at is not None:
        when = retry_at.astimezone(dates.COPENHAGEN)
        state = "technical failure, will be retried"
        advice = (
            f"It will be retried at {when:%Y-%m-%d %H:%M} (Copenhagen). Nothing is needed "
            "unless that fails too."
        )
    elif kind == "technical":
        state = "technical failure, retries used up"
        advice = (
            "Its retries are used up: a person must find the cause (database, disk, "
            "network) and run it again. The next run goes on from where this one stopped."
        )
    else:
        state = "business failure, not retried"
        advice = (
            "The data were refused and are not retried: a person must correct them. "
            "The next run goes on from where this one stopped."
        )
    subject = f"Robots ALERT: {robot} {period} failed ({state})"
    body = "\n".join(
        [
            f"{robot}, period {period}: the run failed ({state}).",
            "",
            f"Run: {run_id}",
            f"Log: {robot}/{run_id}/ in the logs folder",
            "",
            "Reason:",
            *(f"  {line}" for line in (reason.strip() or "(none given)").splitlines()),
            "",
            advice,
        ]
    )
    return subject, body + "\n"
