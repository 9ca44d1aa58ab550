"""Helbredstillaeg: 85 % of a pensioner's own payment times the personal tillaegsprocent.

Legal basis: lov om social pension § 14 a (folkepension) and §§ 17/17 a (foertidspension
awarded before 1.1.2003). `amounts` is the pure rule, `rules` the cross-checks' wiring,
`robot` the robot's definition for the shared pipeline, `tasks` its robocorp entry point.
"""
