"""The fleksloentilskud robot: each month's flex wage subsidy, computed from the wage the
employers reported to eIndkomst for the month before (domain.md 3), settled again when a
wage month is corrected."""
