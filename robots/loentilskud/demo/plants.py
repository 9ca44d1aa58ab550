"""Each planted kind and look-alike laid out on agreements of its own.

Why it is a module of its own: a plant is the one place that says how its fault looks in
the registers and the claim (a date before the period, hours over the cap, an agreement
written longer than the law allows); the judge then reads the rules on what was planted,
never this module's intentions.

A fleksjob planted for LT-IN-FLEKSJOB ended more than two years before the anchor: the
fleksloentilskud robot never lists months that old (config/checks.toml: at most 24 months
back), so the shared register changes nothing for that robot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from robots.loentilskud import rules
from robots.loentilskud.demo import kinds as k
from robots.loentilskud.demo import terms as t
from robots.loentilskud.demo.cast import Agreement, Benefit, Builder, Claim, FlexJob
from robots.loentilskud.demo.people import bad_check_digit

FLEX_SAFE_MONTHS = 28
"""How many months before the anchor a planted fleksjob month lies (see the module's note)."""
NO_AGREEMENT_BASE = 90_000
"""Agreement numbers the register never has: a claim naming one has no agreement."""


def _nights(count: int) -> list[int]:
    """Alternate nights, so each kind lands on both."""
    return [1 + i % 2 for i in range(count)]


def _no_agreement(b: Builder, n: int) -> None:
    for i, night in enumerate(_nights(n)):
        ghost = Agreement(
            agreement_id=f"LTA-{NO_AGREEMENT_BASE + i}",
            cpr=0,
            employer=b.any_employer().cvr,
            target_group="dagpenge",
            start=t.first_day(b.m1),
            end=t.last_day(b.m1),
            weekly=3700,
        )
        b.claim(ghost, night, rules.NO_AGREEMENT)


def _other_employer(b: Builder, n: int) -> None:
    for night in _nights(n):
        boss = b.any_employer("private")
        other = next(e for e in b.private if e.cvr != boss.cvr)
        agreement = b.running(2, employer_cvr=boss.cvr)
        b.claim(agreement, night, rules.OTHER_EMPLOYER, employer_cvr=other.cvr)


def _outside(b: Builder, n: int) -> None:
    """Wholly before the agreement began, or after it ended early."""
    for i, night in enumerate(_nights(n)):
        if i % 2 == 0:
            agreement = b.agreement(t.first_day(b.m1))
            first, last = t.first_day(b.m1 - 1), t.last_day(b.m1 - 1)
        else:
            agreement = b.running(4, group="ressourceforloeb", end=t.last_day(b.m1 - 2))
            first, last = t.first_day(b.m1), t.last_day(b.m1)
        cap = t.cap_hundredths(agreement.weekly, (last - first).days + 1)
        b.claim(
            agreement,
            night,
            rules.OUTSIDE_AGREEMENT,
            start=first,
            end=last,
            hours=b.clean_hours(cap),
        )


def _partly(b: Builder, n: int) -> None:
    """The whole of m1 claimed under an agreement that began, or ended, inside it."""
    for i, night in enumerate(_nights(n)):
        day = t.in_month(b.m1, b.draw(8, 20))
        if i % 2 == 0:
            agreement = b.agreement(day)
        else:
            agreement = b.running(3, group="ressourceforloeb", end=day)
        days = t.covered_days(t.first_day(b.m1), t.last_day(b.m1), agreement.start, agreement.end)
        b.claim(
            agreement,
            night,
            rules.PARTLY_OUTSIDE,
            start=t.first_day(b.m1),
            end=t.last_day(b.m1),
            hours=b.clean_hours(t.cap_hundredths(agreement.weekly, days)),
        )


def _employer_gone(b: Builder, n: int) -> None:
    for i, night in enumerate(_nights(n)):
        status = ("bankrupt", "closed", "liquidation")[i % 3]
        since = t.in_month(b.m1 - 1, b.draw(3, 25))
        cvr = b.new_employer("private", status, since)
        b.claim(b.running(3, employer_cvr=cvr), night, rules.EMPLOYER_GONE)


def _employer_ending(b: Builder, n: int) -> None:
    for i, night in enumerate(_nights(n)):
        status = ("bankrupt", "liquidation", "closed")[i % 3]
        since = t.in_month(b.m1, b.draw(2, 27))
        cvr = b.new_employer("private", status, since)
        b.claim(b.running(3, employer_cvr=cvr), night, rules.EMPLOYER_ENDING)


def _overlap(b: Builder, n: int) -> None:
    """A clean claim for m1, then part of m1 again: the same night, or the next."""
    for i in range(n):
        agreement = b.running(2)
        b.claim(agreement, 1, k.CLEAN)
        first = t.in_month(b.m1, b.draw(8, 20))
        b.claim(agreement, 1 + i % 2, rules.OVERLAP, start=first)


def _hours_above(b: Builder, n: int) -> None:
    for night in _nights(n):
        agreement = b.running(2)
        days = (t.last_day(b.m1) - t.first_day(b.m1)).days + 1
        cap = t.cap_hundredths(agreement.weekly, days)
        b.claim(agreement, night, rules.HOURS_ABOVE_AGREED, hours=cap + b.draw(3, 40) * 100 + 25)


def _duration(b: Builder, n: int) -> None:
    """Agreements written longer than the law allows, claimed after the limit: public
    dagpenge (4 months) and private dagpenge (6 months)."""
    for i, night in enumerate(_nights(n)):
        if i % 2 == 0:
            start = t.in_month(b.m1 - 4, b.draw(2, 28))
            agreement = b.agreement(
                start, group="dagpenge", sector="public", end=t.duration_end(start, 6)
            )
        else:
            start = t.first_day(b.m1 - 6)
            agreement = b.agreement(
                start, group="dagpenge", sector="private", end=t.duration_end(start, 9)
            )
        b.claim(agreement, night, rules.DURATION)


def _citizen(b: Builder, n: int, plan: str) -> None:
    for i, night in enumerate(_nights(n)):
        if plan == rules.CITIZEN_ENDING:
            status = ("dead", "emigrated", "missing")[i % 3]
            since = t.in_month(b.m1, b.draw(2, 27))
        else:
            status = "dead" if plan == rules.DEAD else "emigrated"
            since = t.in_month(b.m1 - 1, b.draw(3, 25))
        b.claim(b.running(3, status=status, since=since), night, plan)


def _dead(b: Builder, n: int) -> None:
    _citizen(b, n, rules.DEAD)


def _emigrated(b: Builder, n: int) -> None:
    _citizen(b, n, rules.EMIGRATED)


def _citizen_ending(b: Builder, n: int) -> None:
    _citizen(b, n, rules.CITIZEN_ENDING)


def _in_fleksjob(b: Builder, n: int) -> None:
    """An old month claimed while the person was in a fleksjob with another employer."""
    month = t.month_of(b.anchor) - FLEX_SAFE_MONTHS
    for i, night in enumerate(_nights(n)):
        agreement = b.agreement(t.first_day(month - 1), group="ressourceforloeb")
        other = next(e for e in b.private if e.cvr != agreement.employer)
        b.flex_jobs.append(
            FlexJob(
                job_id=f"FJLT-{i + 1:04d}",
                cpr=agreement.cpr,
                employer=other.cvr,
                start=t.first_day(month - 3),
                end=t.last_day(month + 1),
                weekly=b.draw(6, 25) * 100,
                benefit_start=t.first_day(month - 15),
            )
        )
        b.claim(
            agreement, night, rules.IN_FLEKSJOB, start=t.first_day(month), end=t.last_day(month)
        )


def _other_benefit(b: Builder, n: int) -> None:
    for i, night in enumerate(_nights(n)):
        agreement = b.running(2)
        first = t.in_month(b.m1, b.draw(3, 15))
        last = first + timedelta(days=b.draw(5, 12))
        benefit = ("sygedagpenge", "kontanthjaelp", "dagpenge")[i % 3]
        b.benefits.append(Benefit(agreement.cpr, benefit, first, last, b.draw(20, 90) * 10_000))
        b.claim(agreement, night, rules.OTHER_BENEFIT)


def _two_years(b: Builder, n: int) -> None:
    """A period from December into January."""
    year = b.anchor.year if date(b.anchor.year, 1, 28) < b.anchor else b.anchor.year - 1
    for night in _nights(n):
        agreement = b.agreement(date(year - 1, 11, 1), group="ressourceforloeb")
        day = b.draw(2, 28)
        b.claim(
            agreement,
            night,
            rules.TWO_YEARS,
            start=date(year - 1, 12, day),
            end=date(year, 1, day - 1),
        )


def _duplicate(b: Builder, n: int) -> None:
    """A clean claim paid on the first night, sent again the next under a new claim id."""
    for _ in range(n):
        original = b.claim(b.running(2), 1, k.CLEAN)
        copy = Claim(
            order=len(b.claims),
            night=2,
            agreement_id=original.agreement_id,
            employer=original.employer,
            start=original.start,
            end=original.end,
            hours=original.hours,
            plan=rules.DUPLICATE_PAID,
            copy_of=original.order,
        )
        b.claims.append(copy)


RULE_PLANTS = (
    _no_agreement,
    _other_employer,
    _outside,
    _partly,
    _employer_gone,
    _employer_ending,
    _overlap,
    _hours_above,
    _duration,
    _dead,
    _emigrated,
    _citizen_ending,
    _in_fleksjob,
    _other_benefit,
    _two_years,
    _duplicate,
)


def _consecutive(b: Builder, n: int) -> None:
    """Two whole months under one agreement: the earlier on the first night, the later the
    same night or the next."""
    for night in _nights(n):
        agreement = b.running(b.draw(1, 2), group="ressourceforloeb")
        b.claim(agreement, 1, k.CLEAN, start=t.first_day(b.m1 - 1), end=t.last_day(b.m1 - 1))
        b.claim(agreement, night, k.LOOKALIKE_CONSECUTIVE)


def _benefit_ended(b: Builder, n: int) -> None:
    for i, night in enumerate(_nights(n)):
        start = t.in_month(b.m1, 1 if i % 2 else b.draw(2, 20))
        agreement = b.agreement(start)
        b.benefits.append(
            Benefit(
                agreement.cpr,
                ("dagpenge", "kontanthjaelp")[i % 2],
                start - timedelta(days=b.draw(90, 300)),
                start - timedelta(days=1),
                b.draw(60, 200) * 10_000,
            )
        )
        b.claim(agreement, night, k.LOOKALIKE_BENEFIT_ENDED)


def _max_duration(b: Builder, n: int) -> None:
    """Private dagpenge, exactly six months: from the 15th to the 14th, or 1st to last."""
    for i, night in enumerate(_nights(n)):
        start = t.in_month(b.m1 - 6, 15) if i % 2 == 0 else t.first_day(b.m1 - 5)
        agreement = b.agreement(start, group="dagpenge", sector="private")
        b.claim(agreement, night, k.LOOKALIKE_MAX_DURATION, end=agreement.end)


def _hours_at_cap(b: Builder, n: int) -> None:
    for i, night in enumerate(_nights(n)):
        agreement = b.running(2) if i % 2 == 0 else b.agreement(t.in_month(b.m1, b.draw(2, 25)))
        first = max(t.first_day(b.m1), agreement.start)
        days = (t.last_day(b.m1) - first).days + 1
        cap = t.cap_hundredths(agreement.weekly, days)
        b.claim(agreement, night, k.LOOKALIKE_HOURS_AT_CAP, hours=cap)


def _bankrupt_after(b: Builder, n: int) -> None:
    room = (b.anchor - t.last_day(b.m1)).days
    for night in _nights(n):
        cvr = b.new_employer(
            "private", "bankrupt", t.last_day(b.m1) + timedelta(days=b.draw(1, max(1, room)))
        )
        b.claim(b.running(3, employer_cvr=cvr), night, k.LOOKALIKE_BANKRUPT_AFTER)


LOOKALIKE_PLANTS = (_consecutive, _benefit_ended, _max_duration, _hours_at_cap, _bankrupt_after)


def _data_errors(b: Builder, n: int) -> None:
    """Claims no check may trust, each on a clean agreement of its own; how a wrong date is
    written is the file's business (files.py)."""
    for kind in k.DATA_ERROR_KINDS:
        for night in _nights(n):
            agreement = b.running(2)
            made = b.claim(agreement, night, kind)
            if kind == k.DATA_NEGATIVE_HOURS:
                _replace(b, made, hours=-made.hours)
            elif kind == k.DATA_PERIOD_REVERSED:
                _replace(b, made, start=made.end, end=made.start)
            elif kind == k.DATA_BAD_CVR:
                _replace(b, made, employer=bad_check_digit(made.employer))


def _replace(b: Builder, claim: Claim, **changes: Any) -> Claim:
    changed = replace(claim, **changes)
    b.claims[claim.order] = changed
    return changed


PLANTS: tuple[Callable[[Builder, int], None], ...] = (*RULE_PLANTS, *LOOKALIKE_PLANTS, _data_errors)
"""Every plant, each given the builder and how many of its kind to plant."""
