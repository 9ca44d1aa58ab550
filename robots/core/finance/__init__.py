"""Finance: the month's money tied out between what the robots decided, what the ledger
holds, what went to the bank, what the bank booked or sent back, and what the state will
reimburse, with every difference named (`robots export reconciliation`)."""
