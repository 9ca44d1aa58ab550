"""Laegeregninger: paying doctors for the certificates (LAE-attester) the municipality asked for.

`fees` is the fee card per certificate code and year, `matching` ties each invoice to its
request, `robot` the robot's definition for the shared pipeline (its checks are in
`checks.laegeregninger`), `tasks` its robocorp entry point. Sources: domain.md section 5.
"""
