"""robocorp entry point: `python -m robocorp.tasks run robots/fleksloentilskud/tasks.py -t nightly`.

The night, the month (ROBOTS_PERIOD, from `robots run fleksloentilskud --month`) and the
data folder come from the environment, which the `robots run` command sets.
"""

from robocorp.tasks import task

from robots.core.runlog import run_robot_task
from robots.fleksloentilskud.robot import ROBOT


@task
def nightly() -> None:
    """List the fleksjob months due, decide each, pay the clean ones exactly once and settle
    corrected months."""
    run_robot_task(ROBOT)
