"""The demo's agreements and claims, laid out around the first night, each planted kind on
agreements of its own.

Why it is built like this:
- Everything depends on the seed and the first night (the `anchor`) only, so the agreements,
  the people and the employers are the same on both nights, and a second night can build the
  first night's claims again to know what was paid before it.
- Claims are monthly in arrears: most claim the last whole month before the anchor (`m1`),
  inside agreements laid out so that month lies within their dates and duration limit.
- Every planted kind has agreements of its own (plants.py), so one fault never spills onto
  a clean claim; a clean claim's hours stay below the cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from robots.loentilskud.demo import kinds as k
from robots.loentilskud.demo import terms as t
from robots.loentilskud.demo.cast import GROUP_WEIGHTS, GROUPS, Builder, Cast
from robots.loentilskud.demo.plants import PLANTS


def per_kind(agreements: int, error_rate: float) -> int:
    """Agreements per planted kind: about `error_rate` of the clean ones, at least 4, so
    each kind lands on both nights at least twice (0: none)."""
    return 0 if error_rate <= 0 else max(4, round(agreements * error_rate))


def build_cast(
    seed: int,
    anchor: date,
    clean: int,
    planted: int,
    taken_cprs: Sequence[int],
    taken_cvrs: Sequence[int],
) -> Cast:
    """Every agreement and claim of the demo, both nights. `clean`: agreements with clean
    claims; `planted`: agreements per planted kind and per look-alike (0: none)."""
    b = Builder(
        np.random.default_rng([seed, 81]),
        anchor,
        {int(c) for c in taken_cprs},
        set(map(int, taken_cvrs)),
    )
    for number in range(max(12, clean // 8)):
        b.new_employer("public" if number % 5 == 2 else "private")
    b.private = [e for e in b.employers if e.sector == "private"]
    b.public = [e for e in b.employers if e.sector == "public"]
    _clean(b, clean)
    if planted:
        for plant in PLANTS:
            plant(b, planted)
    return Cast(
        anchor=anchor,
        people=tuple(b.people),
        employers=tuple(b.employers),
        agreements=tuple(b.agreements),
        claims=tuple(b.claims),
        flex_jobs=tuple(b.flex_jobs),
        benefits=tuple(b.benefits),
    )


def _clean(b: Builder, count: int) -> None:
    """Agreements begun 0 to (limit - 2) months before m1, each claiming m1 on one night."""
    for i in range(count):
        boss = b.any_employer()
        group = str(b.rng.choice(GROUPS, p=GROUP_WEIGHTS))
        months = t.max_months(boss.sector, group)
        back = b.draw(0, months - 2)
        start = t.in_month(b.m1 - back, 1 if b.rng.random() < 0.5 else b.draw(2, 28))
        limit = t.duration_end(start, months)
        end = limit
        if b.rng.random() < 0.2:  # some agreements end before their limit, after m1
            end = t.last_day(b.m1) + timedelta(days=b.draw(0, (limit - t.last_day(b.m1)).days))
        agreement = b.agreement(start, group=group, employer_cvr=boss.cvr, end=end)
        b.claim(agreement, 1 + i % 2, k.CLEAN)
