"""robocorp entry point: `python -m robocorp.tasks run robots/loentilskud/tasks.py -t nightly`.

The night and the data folder come from the environment (ROBOTS_NIGHT, ROBOTS_DATA_DIR,
ROBOTS_MODE), which the `robots run` command sets.
"""

from robocorp.tasks import task

from robots.core.runlog import run_robot_task
from robots.loentilskud.robot import ROBOT


@task
def nightly() -> None:
    """Read tonight's wage-subsidy claims, check each against its agreement, pay the clean
    ones to the employers exactly once."""
    run_robot_task(ROBOT)
