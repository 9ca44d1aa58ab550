"""Laegeregninger: paying doctors for the certificates (LAE-attester) the municipality asked for.

Everything the robot brings is here: `datasets` (requests and invoices), `oioubl` (the
e-invoice reader), `quality` (data-quality suites), `fees` (the fee card per certificate
code and year), `matching` (each invoice to its request), `checks` (the cross-checks) and
`robot` (its definition for the shared pipeline). Sources: domain.md section 5.
"""
