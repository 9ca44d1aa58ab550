"""Demo nights for the fleksloentilskud robot: fleksjobs, eIndkomst rows, other benefits,
and the answer key.

Why it is built like this:
- The robot lists its own claims (one per fleksjob and subsidy month) from registers, so
  the answer key cannot name a file and line as the other robots' keys do: it names the
  job and the month (`fleksloentilskud_<night>.csv` beside the other ground truth) and the
  amount each month must be paid, so amounts are scored too, not only alarms.
- The key is not the generator's bookkeeping. Every month the robot will list is judged by
  `_judge`, a plain reading of the rules (rules.py, README "Fleksløntilskud") on the
  registers as the robot will hold them after the night; the generator then checks that
  each planted job trips its rule in its month and that no clean job trips any.
- People and employers depend on the seed only, so the CPR and CVR extracts stay the same
  from night to night. Jobs, wages and faults are laid out around the window of complete
  wage months of the night a job group arrives, so faults land in months that are due.
- A first night brings group A: its jobs and five wage months of eIndkomst (the three due
  months' wage months and two older ones, which the robot decides too because they
  arrive tonight). A night after it brings group B (jobs registered since, with their
  history: tonight's planted kinds), wage months completed since, and corrections of
  group A's past wage months: some up (a recovery), some down (the difference is paid),
  some sent again unchanged (nothing happens).
- This package imports nothing from `robots.demo`: it sits in the robots' layer, and the
  demo generator calls it, handing in the XLSX writer (`SheetWriter`).

The modules, each with one job: `kinds` (the key's words), `months` (months and the
amount), `people` (the registers' rows, citizens and employers), `groups` (a group of
jobs and its wage rows), `judging` (what the robot holds and must decide), `files` (the
inbox files), `night` (one night and its answer key) and `scoring` (outcomes against the
key). This file re-exports the names the generator, the command line and the tests use.
"""

from __future__ import annotations

from robots.core.export_dialects import SheetWriter
from robots.fleksloentilskud.demo.groups import enough_jobs, group_sizes, per_kind, smallest_group
from robots.fleksloentilskud.demo.kinds import (
    CLEAN,
    CORRECTION_DOWN,
    CORRECTION_UP,
    HISTORY_KINDS,
    LOOKALIKE_BENEFIT_ENDED,
    LOOKALIKE_CPR,
    LOOKALIKE_PENSION,
    LOOKALIKE_SECOND_PAYER,
    LOOKALIKES,
    PLANTED_KINDS,
    REDELIVERY_SAME,
    RULE_KINDS,
    TRUTH_COLUMNS,
)
from robots.fleksloentilskud.demo.months import subsidy_oere
from robots.fleksloentilskud.demo.night import FlexNight, build_night
from robots.fleksloentilskud.demo.people import mod11_holds
from robots.fleksloentilskud.demo.scoring import FlexScore, score

__all__ = [
    "CLEAN",
    "CORRECTION_DOWN",
    "CORRECTION_UP",
    "HISTORY_KINDS",
    "LOOKALIKES",
    "LOOKALIKE_BENEFIT_ENDED",
    "LOOKALIKE_CPR",
    "LOOKALIKE_PENSION",
    "LOOKALIKE_SECOND_PAYER",
    "PLANTED_KINDS",
    "REDELIVERY_SAME",
    "RULE_KINDS",
    "TRUTH_COLUMNS",
    "FlexNight",
    "FlexScore",
    "SheetWriter",
    "build_night",
    "enough_jobs",
    "group_sizes",
    "mod11_holds",
    "per_kind",
    "score",
    "smallest_group",
    "subsidy_oere",
]
