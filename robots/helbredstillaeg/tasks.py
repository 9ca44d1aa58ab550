"""robocorp entry point: `python -m robocorp.tasks run robots/helbredstillaeg/tasks.py -t nightly`.

The night and the data folder come from the environment (ROBOTS_NIGHT, ROBOTS_DATA_DIR,
ROBOTS_MODE), which the `robots run` command sets.
"""

from robocorp.tasks import task

from robots.core.runlog import run_robot_task
from robots.helbredstillaeg.robot import ROBOT


@task
def nightly() -> None:
    """Read tonight's health claims, decide each, pay the clean ones exactly once."""
    run_robot_task(ROBOT)
