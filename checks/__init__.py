"""Every check the robots run, each a named rule with an id, a description and a severity.

`checks.quality` holds the data-quality suites (great-expectations, one per dataset);
`checks.helbredstillaeg` the helbredstillaeg cross-checks. `checks.rules` is the catalogue
that `robots rules` prints and that the exceptions refer to.
"""
