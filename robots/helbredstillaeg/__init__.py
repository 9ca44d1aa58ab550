"""Helbredstillaeg: 85 % of a pensioner's own payment times the personal tillaegsprocent.

Legal basis: lov om social pension § 14 a (folkepension) and §§ 17/17 a (foertidspension
awarded before 1.1.2003). Everything the robot brings is here: `datasets` (the pension
register and the health claims), `quality` (their data-quality suites), `amounts` (the pure
rule), `checks` (the cross-checks), `robot` (its definition for the shared pipeline).
"""
