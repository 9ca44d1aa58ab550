"""Demo nights: inbox files for every robot, with planted errors and an answer key.

`generator.generate_night` writes the register extracts and the night's claims under
`<data_dir>/inbox/` and a ground-truth CSV under `<data_dir>/ground_truth/`, so a demo or a
test can check that every clean claim is paid and every planted error is caught by the rule
meant for it. It stands above the robots (it writes every robot's files), beside the
registry; the foundation never imports it.
"""
