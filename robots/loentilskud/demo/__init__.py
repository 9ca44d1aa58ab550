"""Demo nights for the loentilskud robot: agreements, employers' claims, the rows they add
to the shared registers, and the answer key.

Why it is built like this:
- The answer key names each claim (`loentilskud_<night>.csv` beside the other ground
  truth) with its planted kind, the outcome it must have, the rule that must catch it and,
  for a claim to be paid, the amount in øre, so amounts are scored too, not only alarms.
- The key is not the generator's bookkeeping: every claim is judged by `judge_night`, a
  plain reading of the rules (rules.py, README "Løntilskud") with the terms stated once in
  `terms` from domain.md 4; the night then checks that each planted claim trips its rule
  and that no clean claim or look-alike trips any.
- Agreements, people and employers depend on the seed and the first night only, so the
  registers are the same on both nights; a second night brings the kinds that need a claim
  decided before it (the same claim under a new id, a period overlapping last night's,
  the month after last night's) and every other kind again.
- This package imports nothing from `robots.demo` (it sits in the robots' layer): the demo
  generator calls `build_night`, handing in the XLSX writer (`SheetWriter`) and the CPR and
  CVR numbers the other robots' demo people already use.

The modules, each with one job: `kinds` (the key's words), `terms` (rates, cap, amount,
duration), `people` (CPR and CVR numbers, the extract rows), `layout` (the agreements and
claims, each kind planted), `judging` (what each claim must come to), `notes` (the key's
one-line notes), `files` (the inbox files), `night` (one night and its answer key) and
`scoring` (outcomes against the key). This file re-exports what the generator, the
command line and the tests use.
"""

from __future__ import annotations

from robots.core.export_dialects import SheetWriter
from robots.loentilskud.demo.kinds import (
    CLEAN,
    DATA_BAD_CVR,
    DATA_ERROR_KINDS,
    DATA_ERROR_RULES,
    DATA_IMPOSSIBLE_DATE,
    DATA_NEGATIVE_HOURS,
    DATA_PERIOD_REVERSED,
    LOOKALIKE_BANKRUPT_AFTER,
    LOOKALIKE_BENEFIT_ENDED,
    LOOKALIKE_CONSECUTIVE,
    LOOKALIKE_HOURS_AT_CAP,
    LOOKALIKE_MAX_DURATION,
    LOOKALIKES,
    PLANTED_KINDS,
    RULE_KINDS,
    SECOND_NIGHT_KINDS,
    TRUTH_COLUMNS,
)
from robots.loentilskud.demo.layout import per_kind
from robots.loentilskud.demo.night import LoentilskudNight, build_night
from robots.loentilskud.demo.scoring import LoentilskudScore, run_outcomes, score, summary

__all__ = [
    "CLEAN",
    "DATA_BAD_CVR",
    "DATA_ERROR_KINDS",
    "DATA_ERROR_RULES",
    "DATA_IMPOSSIBLE_DATE",
    "DATA_NEGATIVE_HOURS",
    "DATA_PERIOD_REVERSED",
    "LOOKALIKES",
    "LOOKALIKE_BANKRUPT_AFTER",
    "LOOKALIKE_BENEFIT_ENDED",
    "LOOKALIKE_CONSECUTIVE",
    "LOOKALIKE_HOURS_AT_CAP",
    "LOOKALIKE_MAX_DURATION",
    "PLANTED_KINDS",
    "RULE_KINDS",
    "SECOND_NIGHT_KINDS",
    "TRUTH_COLUMNS",
    "LoentilskudNight",
    "LoentilskudScore",
    "SheetWriter",
    "build_night",
    "per_kind",
    "run_outcomes",
    "score",
    "summary",
]
