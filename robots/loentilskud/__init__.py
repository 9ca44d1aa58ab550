"""The loentilskud robot: employers' wage-subsidy claims checked against their agreements."""
