"""Payment files for the bank: ISO 20022 pain.001 credit transfers to NemKonto."""
