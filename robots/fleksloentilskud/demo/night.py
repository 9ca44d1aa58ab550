"""One demo night: its groups, inbox files, extract rows, corrections, and the answer key.

Why it is a module of its own: it is the one entry the demo generator calls
(`build_night`); it puts the groups, the files and the judge together, and checks that
each planted job trips its rule in its month and that no clean job trips any.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from robots.core.export_dialects import COMMA, COMMA_BOM, SEMICOLON, Flavour, SheetWriter
from robots.core.money import format_kroner
from robots.core.settings import config_dir as default_config_dir
from robots.fleksloentilskud import rules
from robots.fleksloentilskud.demo.files import (
    _benefits_file,
    _incomes_file,
    _jobs_file,
)
from robots.fleksloentilskud.demo.groups import (
    GROUP_A,
    GROUP_B,
    _Group,
    _group,
    enough_jobs,
    group_sizes,
    per_kind,
    smallest_group,
)
from robots.fleksloentilskud.demo.judging import (
    _facts,
    _judge,
    _label,
    _listed,
    _State,
    _state,
    _Verdict,
)
from robots.fleksloentilskud.demo.kinds import (
    CLEAN,
    CORRECTION_DOWN,
    CORRECTION_UP,
    HISTORY_KINDS,
    LOOKALIKE_BENEFIT_ENDED,
    LOOKALIKE_CPR,
    LOOKALIKE_PENSION,
    LOOKALIKE_SECOND_PAYER,
    ROBOT,
    TRUTH_COLUMNS,
)
from robots.fleksloentilskud.demo.months import (
    Rates,
    _half_up,
    latest_wage_month,
    month_text,
    subsidy_oere,
)
from robots.fleksloentilskud.demo.people import EMPLOYERS, Income, Job, _companies
from robots.fleksloentilskud.settings import FlexSettings, load_settings


@dataclass(frozen=True)
class FlexNight:
    """What one night adds to the demo: inbox files, extract rows, and the answer key."""

    files: dict[str, bytes]
    """Path under inbox/ -> bytes."""
    citizens: pd.DataFrame
    """Rows for the CPR extract: cpr, hyphen, name, status, status_date (date or None),
    municipality_code, civil_status."""
    companies: pd.DataFrame
    """Rows for the CVR extract: cvr, name, status, status_date, sector, kind."""
    truth: pd.DataFrame
    """TRUTH_COLUMNS, one row per (job, month) the robot decides tonight."""
    truth_name: str

    def truth_csv(self) -> bytes:
        return self.truth.to_csv(index=False, lineterminator="\n").encode("utf-8")


def build_night(
    night: date,
    *,
    seed: int,
    jobs: int,
    error_rate: float,
    municipality_code: int,
    taken_cprs: Iterable[int],
    taken_cvrs: Iterable[int],
    previous_night: date | None = None,
    sheet: SheetWriter | None = None,
    config_dir: Path | None = None,
) -> FlexNight:
    """One night's fleksjob registers, eIndkomst files and answer key.

    `jobs`: group A's size (the first night's fleksjobs); group B, registered by a later
    night, has a quarter as many. `previous_night`: this night follows that one (group A
    came then: tonight brings group B, new wage months and corrections). `sheet`: write
    one of the first night's eIndkomst files as XLSX and the rest in mixed dialects; None:
    every file a plain `,` CSV (formats "csv"). `taken_*`: numbers the other registers use.
    """
    folder = Path(config_dir) if config_dir is not None else default_config_dir()
    settings = load_settings(str(folder))
    if previous_night is not None and previous_night >= night:
        raise ValueError("previous_night must be an earlier night")
    size_a, size_b = group_sizes(jobs, error_rate)
    if not enough_jobs(jobs, error_rate):
        raise ValueError(
            f"flex_jobs={jobs} is too few for error_rate={error_rate}: use at least "
            f"{smallest_group(error_rate)} (or 0 for none)"
        )
    companies = _companies(seed, taken_cvrs)
    employers = frozenset(int(c) for c in companies["cvr"].to_numpy()[:EMPLOYERS])
    latest = latest_wage_month(night, settings)
    taken = {int(c) for c in taken_cprs}
    anchor_a = previous_night or night
    group_a = _group(
        seed,
        GROUP_A,
        size_a,
        per_kind(size_a, error_rate),
        anchor_a,
        latest,
        settings,
        taken,
        companies,
    )
    # Tonight's corrections make the robot list group A's older months for every job that
    # runs in them, so group B's history starts where group A's does.
    group_b = _group(
        seed,
        GROUP_B,
        size_b,
        per_kind(size_b, error_rate),
        night,
        latest,
        settings,
        taken,
        companies,
        first=group_a.first if previous_night is not None else None,
        elder=group_a.plain if previous_night is not None else (),
    )
    people = [*group_a.people, *group_b.people]
    hyphens = {p.cpr: p.hyphen for p in people}
    mixed = sheet is not None
    iso = night.isoformat()
    corrections: dict[tuple[int, int], tuple[Income, str, int]] = {}
    arrived_a = [r for r in group_a.incomes if r.period <= group_a.anchor]
    if previous_night is None:
        registered, benefits, before = list(group_a.jobs), list(group_a.benefits), []
        batches = [arrived_a]
    else:
        registered = [*group_a.jobs, *group_b.jobs]
        benefits = [*group_a.benefits, *group_b.benefits]
        before = arrived_a
        corrections = _corrections(seed, night, group_a, before)
        news = [r for r in group_a.incomes if r.period > group_a.anchor] + list(group_b.incomes)
        batches = [news, [row for row, _, _ in corrections.values()]]
    tonight = [row for batch in batches for row in batch]
    files, places = _incomes_files(iso, batches, hyphens, sheet)
    files[f"flex_jobs/flex_jobs_{iso}.csv"] = _jobs_file(
        registered, hyphens, SEMICOLON if mixed else COMMA
    )
    files[f"other_benefits/other_benefits_{iso}.csv"] = _benefits_file(
        benefits, hyphens, COMMA_BOM if mixed else COMMA
    )

    state = _state(registered, before, tonight, benefits, people, employers, latest)
    earlier: dict[tuple[str, int], tuple[object, ...]] = {}
    if previous_night is not None:
        last_state = _state(
            group_a.jobs, [], arrived_a, group_a.benefits, people, employers, group_a.anchor
        )
        earlier = {
            (job.job_id, m): _facts(job, m, last_state) for job, m in _listed(last_state, settings)
        }
    fresh = group_a if previous_night is None else group_b
    truth = _truth(
        iso, state, settings, Rates(folder / "rates"), earlier, corrections, places, fresh
    )
    citizens = pd.DataFrame(
        {
            "cpr": [p.cpr for p in people],
            "hyphen": [p.hyphen for p in people],
            "name": [p.name for p in people],
            "status": [p.status for p in people],
            "status_date": [p.status_date for p in people],
            "municipality_code": municipality_code,
            "civil_status": [p.civil_status for p in people],
        }
    )
    return FlexNight(
        files=dict(sorted(files.items())),
        citizens=citizens,
        companies=companies,
        truth=truth,
        truth_name=f"{ROBOT}_{iso}.csv",
    )


def _incomes_files(
    iso: str,
    batches: Sequence[Sequence[Income]],
    hyphens: dict[int, bool],
    sheet: SheetWriter | None,
) -> tuple[dict[str, bytes], dict[tuple[int, int, int, str], str]]:
    """Tonight's eIndkomst files, and the file and line of each unreadable row.

    A first night (one batch) in mixed formats is split by citizen over a `;` file
    (Windows-1252, Danish amounts, months as 11-2026), an XLSX sheet and a `,` file with a
    BOM; a later night's batches (new rows; rows sent again) go to a `;` and a `,` delta
    file, so a row sent again is written in another notation than the first time. Without
    a sheet writer, one `,` file.
    """
    first = len(batches) == 1
    rows = [row for batch in batches for row in batch]
    parts: list[Sequence[Income]]
    flavours: list[Flavour | None]
    if sheet is None:
        parts, flavours = [rows], [COMMA]
        names = [f"incomes_{iso}" if first else f"incomes_{iso}_delta"]
    elif first:
        parts = [[r for r in rows if r.cpr % 3 == i] for i in range(3)]
        names = [f"incomes_{iso}_{i}" for i in (1, 2, 3)]
        flavours = [SEMICOLON, None, COMMA_BOM]
    else:
        parts, flavours = list(batches), [SEMICOLON, COMMA]
        names = [f"incomes_{iso}_delta_{i}" for i in (1, 2)]
    files: dict[str, bytes] = {}
    places: dict[tuple[int, int, int, str], str] = {}
    for name, part, flavour in zip(names, parts, flavours, strict=True):
        if not part:
            continue  # nothing to correct tonight (error_rate 0): no header-only file
        file_name = name + (".csv" if flavour is not None else ".xlsx")
        files[f"incomes/{file_name}"] = _incomes_file(
            file_name, part, hyphens, flavour, sheet, places
        )
    return files, places


def _corrections(
    seed: int, night: date, group: _Group, delivered: Sequence[Income]
) -> dict[tuple[int, int], tuple[Income, str, int]]:
    """Group A's past wage rows sent again: (cpr, wage month) -> (row, kind, old amount)."""
    k = len(group.corrigible) // 3
    rng = np.random.default_rng([seed, 76, night.toordinal()])
    known = {r.key: r for r in delivered}
    months = group.anchor - group.first + 1
    out: dict[tuple[int, int], tuple[Income, str, int]] = {}
    for i, job in enumerate(group.corrigible):
        kind = HISTORY_KINDS[i // k]
        old = known[(job.cpr, group.first + i % months, job.employer, "wage")]
        permille = int(rng.integers(50, 251))
        if kind == CORRECTION_UP:
            new = replace(old, amount=_half_up(Decimal(old.amount * (1000 + permille)) / 1000))
        elif kind == CORRECTION_DOWN:
            new = replace(old, amount=_half_up(Decimal(old.amount * (1000 - permille)) / 1000))
        else:
            new = old
        out[(job.cpr, old.period)] = (new, kind, old.amount)
    return out


def _truth(
    iso: str,
    state: _State,
    settings: FlexSettings,
    rates: Rates,
    earlier: dict[tuple[str, int], tuple[object, ...]],
    corrections: dict[tuple[int, int], tuple[Income, str, int]],
    places: dict[tuple[int, int, int, str], str],
    fresh: _Group,
) -> pd.DataFrame:
    """One row per (job, month) decided tonight, judged on tonight's registers; the plants
    of the group that arrived tonight are checked to land where they were meant to."""
    records = []
    fresh_ids = {job.job_id for job in fresh.jobs}
    landed: set[str] = set()
    for job, month in _listed(state, settings):
        facts = _facts(job, month, state)
        before = earlier.get((job.job_id, month))
        correction = corrections.get((job.cpr, month - 1))
        if before is not None and before == facts and correction is None:
            continue  # decided on an earlier night on the same facts: not listed again
        verdict = _judge(job, month, state, settings)
        label = _label(job, verdict)
        maximum, threshold = rates.of(month // 12)
        amount = (
            None
            if verdict.fired
            else subsidy_oere(verdict.wage, maximum, threshold, job.full_time_wage)
        )
        note = _note(job, month, state, verdict, label, places, amount)
        if correction is not None and before is not None:
            row, kind, old_wage = correction
            if verdict.fired or amount is None:
                raise RuntimeError(f"{job.job_id} {month_text(month)}: a correction trips a rule")
            old = subsidy_oere(old_wage, maximum, threshold, job.full_time_wage)
            label, change = kind, amount - old
            note = (
                f"wage {month_text(month - 1)} sent again: {format_kroner(old_wage)} -> "
                f"{format_kroner(row.amount)} kr.; subsidy {format_kroner(old)} -> "
                f"{format_kroner(amount)} kr.; difference {format_kroner(change)} kr."
                + (" (recovery)" if change < 0 else " (paid)" if change > 0 else " (nothing)")
            )
        records.append(
            (iso, job.job_id, month_text(month), label, "" if amount is None else str(amount), note)
        )
        if job.job_id in fresh_ids and fresh.targets.get(job.job_id) == month:
            if label != job.plan:
                raise RuntimeError(
                    f"{job.job_id} planted {job.plan} in {month_text(month)} reads as {label}"
                )
            landed.add(job.job_id)
        if job.job_id in fresh_ids and not job.plan and label != CLEAN:
            raise RuntimeError(f"clean {job.job_id} reads as {label} in {month_text(month)}")
    if landed != set(fresh.targets):
        raise RuntimeError(f"planted jobs not listed in their month: {set(fresh.targets) - landed}")
    truth = pd.DataFrame(records, columns=list(TRUTH_COLUMNS))
    return truth.sort_values(["job_id", "month"], kind="stable", ignore_index=True)


def _note(
    job: Job,
    month: int,
    state: _State,
    verdict: _Verdict,
    label: str,
    places: dict[tuple[int, int, int, str], str],
    amount: int | None,
) -> str:
    """What a caseworker would check first, in one line (no CPR numbers)."""
    wage_month = month_text(month - 1)
    rows = state.rows.get((job.cpr, month - 1), [])
    others = [r for r in rows if r.payer != job.employer]
    kr = format_kroner
    text = {
        rules.OTHER_EMPLOYER: lambda: "; ".join(
            f"wage {kr(r.amount)} kr. from {r.payer:08d} in {wage_month}" for r in others
        ),
        rules.NO_WAGE: lambda: f"no wage above 0 kr. in {wage_month} ({len(rows)} rows)",
        rules.JOB_ENDED: lambda: f"job ended {job.end}; employer's wage in {wage_month}",
        rules.JOB_NOT_BEGUN: lambda: f"job begins {job.start}; employer's wage in {wage_month}",
        rules.DOUBLE_SUPPORT: lambda: "; ".join(
            f"{b.benefit} {b.start} to {b.end}" for b in state.benefits.get(job.cpr, [])
        ),
        rules.DEAD: lambda: f"dead {state.people[job.cpr].status_date}",
        rules.EMIGRATED: lambda: f"emigrated {state.people[job.cpr].status_date}",
        rules.MISSING: lambda: "CPR status missing",
        rules.HOURS_HIGH: lambda: (
            f"{kr(sum(r.hours or 0 for r in rows))} hours paid in {wage_month}, agreed "
            f"{kr(job.weekly)} a week"
        ),
        rules.INCOME_UNREADABLE: lambda: "; ".join(
            f"{places.get(r.key, 'an earlier file')}: the amount cannot be read"
            for r in state.unreadable.get((job.cpr, month - 1), [])
        ),
        rules.DUPLICATE_PAID: lambda: (
            "the same job (citizen, employer, dates, hours) as " + state.twins[job.job_id].job_id
        ),
        LOOKALIKE_PENSION: lambda: "pension from a pension fund in the wage month, not deducted",
        LOOKALIKE_SECOND_PAYER: lambda: "pension (not wage) from another employer, not deducted",
        LOOKALIKE_BENEFIT_ENDED: lambda: (
            f"a benefit ended {job.start - timedelta(days=1)}, the day before the job began"
        ),
        LOOKALIKE_CPR: lambda: "born 1 January, CPR number without modulus 11 (valid)",
    }.get(label, lambda: "")()
    if amount is not None:
        wage = f"wage {kr(verdict.wage)} kr. in {wage_month}"
        if job.full_time_wage is not None:
            wage += f", full-time wage {kr(job.full_time_wage)} kr."
        text = f"{text}; {wage}" if text else wage
    also = [r for r in verdict.fired if r != label]
    return text + (f" (also {', '.join(also)})" if also else "")
