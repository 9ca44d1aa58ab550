"""The robots this suite can run, by name."""

from __future__ import annotations

from pathlib import Path

from robots.core.robot import Robot
from robots.fleksloentilskud.robot import ROBOT as FLEKSLOENTILSKUD
from robots.helbredstillaeg.robot import ROBOT as HELBREDSTILLAEG
from robots.laegeregninger.robot import ROBOT as LAEGEREGNINGER
from robots.loentilskud.robot import ROBOT as LOENTILSKUD

ROBOTS: dict[str, Robot] = {
    HELBREDSTILLAEG.name: HELBREDSTILLAEG,
    LAEGEREGNINGER.name: LAEGEREGNINGER,
    FLEKSLOENTILSKUD.name: FLEKSLOENTILSKUD,
    LOENTILSKUD.name: LOENTILSKUD,
}
"""Name -> robot, in the order the nightly job runs them."""


BANK_ANSWERS = "bank_answers"
"""The inbox folder of the bank's and NemKonto's answers (`robots answers` reads it)."""


def inbox_datasets() -> frozenset[str]:
    """Every inbox folder something reads (a robot, or `robots answers`): a file anywhere
    else is read by nobody."""
    return frozenset({BANK_ANSWERS, *(d.name for robot in ROBOTS.values() for d in robot.datasets)})


def tasks_file(robot: Robot) -> Path:
    """The robocorp tasks module of a robot."""
    return Path(__file__).resolve().parent / robot.name / "tasks.py"
