"""What comes back after a payment file leaves: the bank's and NemKonto's answers.

A pain.001 is only the order. What happened to it comes back later, from two places
(domain.md 7.4):

* the bank, in ISO 20022: pain.002 status reports (the file, a debit entry or one
  transfer accepted or rejected, with a reason code) and camt.054 debit/credit
  notifications (the transfer booked off the account, or the money returned);
* the NemKonto system (NKS), whose answers (bundle received, stopped, no NemKonto,
  received by the bank, rejected in the bank) come through the data supplier in a
  format that is not public, mapped onto a small CSV format of our own (`nks`).

Each reader is small and separate and knows one format only; all of them return the
same `AnswerFile` with the same row shape (`rows`), so what matches answers to the
ledger never looks at a file. `read_answer_file` picks the reader by what the file
holds. A file that cannot be trusted (unknown version, invalid against its XSD, a row
breaking the format) is refused whole with an `AnswerError` naming file and line.
Reading is pure: no database, no moving of files.
"""

from __future__ import annotations

from robots.core.payments.answers.camt054 import read_camt054
from robots.core.payments.answers.nks import read_nks
from robots.core.payments.answers.pain002 import read_pain002
from robots.core.payments.answers.reading import read_answer_file
from robots.core.payments.answers.rows import (
    COLUMNS,
    LEVELS,
    NKS_OUTCOMES,
    STATUSES,
    AnswerError,
    AnswerFile,
)

__all__ = [
    "COLUMNS",
    "LEVELS",
    "NKS_OUTCOMES",
    "STATUSES",
    "AnswerError",
    "AnswerFile",
    "read_answer_file",
    "read_camt054",
    "read_nks",
    "read_pain002",
]
