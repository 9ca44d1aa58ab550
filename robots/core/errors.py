"""The two kinds of failure, named the same everywhere.

`BusinessError`: the data is wrong or missing; retrying will not help, a person must
look. `ApplicationError`: the system failed (disk, database, bank); a retry may help.
Messages name the thing and the fix, and never carry a CPR number.
"""

from __future__ import annotations

from enum import StrEnum


class ReasonCode(StrEnum):
    """Stable reason codes that other systems and the control group can rely on."""

    UNREADABLE_FILE = "unreadable_file"
    UNKNOWN_DATASET = "unknown_dataset"
    CONFIG = "config"
    PROVISIONAL_RATE = "provisional_rate"
    PAYMENT_FILE = "payment_file"
    RUN_LOCKED = "run_locked"
    EVENT_REFUSED = "event_refused"
    STAFF_REFUSED = "staff_refused"
    DECISION_REFUSED = "decision_refused"
    BANK_ANSWER = "bank_answer"


class BenefitsError(Exception):
    """Root of every error the robots raise on purpose."""

    def __init__(self, code: ReasonCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class BusinessError(BenefitsError):
    """Bad or missing data: never retried, goes to a person."""


class ApplicationError(BenefitsError):
    """A system failure: the run can be retried as it is."""


class ConfigError(ApplicationError):
    """A setting or rate file is missing or wrong; the message names the file to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(ReasonCode.CONFIG, message)
