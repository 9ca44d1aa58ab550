"""Data-quality suites: one great-expectations suite per dataset, each expectation a rule."""
