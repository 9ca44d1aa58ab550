"""Demo data: nightly inbox files for the robots, with planted errors and an answer key.

`generate_night` writes the register extracts and the night's health claims under
`<data_dir>/inbox/` and a ground-truth CSV under `<data_dir>/ground_truth/`, so a demo
or a test can check that every clean claim is paid and every planted error is caught
by the rule meant for it.
"""

from robots.core.demo.generator import DemoNight, DemoSpec, generate_night

__all__ = ["DemoNight", "DemoSpec", "generate_night"]
