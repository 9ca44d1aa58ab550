"""Rules about files and rows that could not be read, and claims seen before."""

from __future__ import annotations

from checks.rules import Kind, Rule, Severity, register

READ_MALFORMED = register(
    Rule(
        "READ-MALFORMED",
        "shared",
        "A row whose number of fields differs from the header (a broken export line).",
        Severity.DATA_ERROR,
        Kind.DATA_ERROR,
    )
)
READ_VALUE = register(
    Rule(
        "READ-VALUE",
        "shared",
        "A value that cannot be read as its type: a date that does not exist, an amount "
        "with more than 2 decimals or letters, a number with text.",
        Severity.DATA_ERROR,
        Kind.DATA_ERROR,
    )
)
FILE_UNREADABLE = register(
    Rule(
        "FILE-UNREADABLE",
        "shared",
        "A file that cannot be read whole (damaged, wrong type, wrong encoding, missing "
        "columns): moved to quarantine/ beside a text file saying why.",
        Severity.DATA_ERROR,
        Kind.DATA_ERROR,
    )
)
FILE_ALREADY_PROCESSED = register(
    Rule(
        "FILE-ALREADY-PROCESSED",
        "shared",
        "A file whose content (SHA-256) was processed before: archived again, never re-read.",
        Severity.INFO,
        Kind.DATA_ERROR,
        what_happens="nothing in the file is read or paid again; the copy is archived",
    )
)
CLAIM_ALREADY_PROCESSED = register(
    Rule(
        "CLAIM-ALREADY-PROCESSED",
        "shared",
        "A claim id already in the ledger with the same content (a re-delivery): skipped, "
        "never paid again.",
        Severity.INFO,
        Kind.SUSPECTED_ERROR,
        what_happens="skipped: the claim was decided before and is never paid again",
    )
)
CLAIM_COPY_TONIGHT = register(
    Rule(
        "CLAIM-COPY-TONIGHT",
        "shared",
        "The same claim (same id, same content) more than once tonight, in one file or "
        "several (a re-export, an e-invoice also sent as CSV): read once.",
        Severity.INFO,
        Kind.DATA_ERROR,
        what_happens="the first row is decided and paid once; the copies are noted, not paid",
    )
)
KNOWN_FALSE_ALARM = register(
    Rule(
        "KNOWN-FALSE-ALARM",
        "shared",
        "A rule fired on the same person (or payee) with the same compared values as a hit "
        "the control group marked a false alarm: that rule does not hold the claim again "
        "(changed values do).",
        Severity.INFO,
        Kind.SUSPECTED_ERROR,
        what_happens="the marked rule is set aside for this claim; any other rule still counts",
    )
)
REGISTER_SHRANK = register(
    Rule(
        "REGISTER-SHRANK",
        "shared",
        "A full register extract that lacks more than the allowed share of the previous "
        "one (config/registers.toml): quarantined whole; the night goes on with the previous "
        "register, and claims that miss a row in it wait for the next extract.",
        Severity.DATA_ERROR,
        Kind.DATA_ERROR,
        what_happens="the file is quarantined; the previous register stays in use",
    )
)
CLAIM_WAITS_FOR_REGISTER = register(
    Rule(
        "CLAIM-WAITS-FOR-REGISTER",
        "shared",
        "A claim stopped only by a row missing from a register in doubt (its last extract "
        "was refused, or none has come): not decided tonight.",
        Severity.HOLD,
        Kind.DATA_ERROR,
        what_happens="waits, and is decided again when the register is accepted (at most "
        "config/registers.toml [waiting] max_days)",
    )
)
