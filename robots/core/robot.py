"""What a robot is to the shared pipeline: its datasets, its amount, its checks.

Everything else (inbox, reading, data quality, the ledger, paying, reporting) is the
pipeline's; a new benefit is a new `Robot`, not a copy of the machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from checks.quality.suites import QualityRule, Register
from robots.core.pipeline.datasets import Dataset

FINDING_COLUMNS = ["row", "rule_id", "message"]
"""A finding: the claim's row in the night's frame, the rule that fired, the evidence."""

COMPUTED_COLUMNS = [
    "payee_kind",
    "payee_id",
    "category",
    "counterparty",
    "basis_oere",
    "amount_oere",
    "rate_year",
    "rate_provisional",
    "rule_basis",
]
"""What a robot adds to each claim: who is paid, how much, on which rule and rates."""

KEY_COLUMNS = ["bill_key", "document_key"]
"""Optional keys a robot may add, kept in the ledger so later nights can look them up:
`bill_key` is what may be paid only once (a request), `document_key` the source document
(a doctor's invoice) that later documents (credit notes) refer to."""


@dataclass(frozen=True)
class LedgerLookup:
    """A question the pipeline asks the ledger before a robot's checks run.

    For each row, the claims of this robot decided 'pay' in earlier runs whose
    `ledger_column` equals the row's `frame_column`: the first such claim id and the sum of
    their amounts, as `<prefix>_claim_id` and `<prefix>_oere` (missing when none). With
    `held_too`, also the first such claim still held for the control group, as
    `<prefix>_held_claim_id` (once released it is paid: a second bill for it must wait).
    The checks stay pure; the pipeline does the I/O.
    """

    frame_column: str
    ledger_column: str
    prefix: str
    held_too: bool = False

    @property
    def columns(self) -> list[str]:
        """The columns this lookup adds to the frame."""
        added = [f"{self.prefix}_claim_id", f"{self.prefix}_oere"]
        return [*added, f"{self.prefix}_held_claim_id"] if self.held_too else added


@dataclass(frozen=True)
class OverlapLookup:
    """A question about days, asked of the ledger before a robot's checks run.

    Equality (`LedgerLookup`) cannot see the same hours claimed twice in two claims whose
    periods differ but share days (Jan 1-31, then Jan 15-Feb 14 under one agreement). For
    each row, the earliest earlier claim of this robot that still stands (decided 'pay'
    or 'hold': a held claim is paid once released; no superseded version), whose
    `ledger_key` equals the row's `frame_key`, whose claim id is another, and whose days
    (`service_date` to `service_end`; its `service_date` alone where it has no end) share a
    day with the row's `start` to `end`: its claim id, first and last day as
    `<prefix>_claim_id`, `<prefix>_start`, `<prefix>_end` (missing when none). The checks
    stay pure; the pipeline does the I/O.
    """

    frame_key: str
    """The frame's column holding the key (e.g. the agreement a claim is under)."""
    ledger_key: str
    """The claims column it is compared with: `document_key` or `bill_key`."""
    start: str
    """The frame's datetime column of the claim's first day."""
    end: str
    """The frame's datetime column of the claim's last day."""
    prefix: str

    @property
    def columns(self) -> list[str]:
        """The columns this lookup adds to the frame."""
        return [f"{self.prefix}_claim_id", f"{self.prefix}_start", f"{self.prefix}_end"]


@dataclass(frozen=True)
class EvaluationContext:
    """What a robot's rules may know besides the claims: the night and the registers."""

    night: date
    mode: str
    municipality_code: int
    references: dict[str, pd.DataFrame]
    optional_columns: frozenset[str] = frozenset()
    """The optional claim columns present in tonight's files (absent ones cannot be checked)."""
    amount_history: pd.DataFrame | None = None
    """The robot's most recent earlier claims as `category, basis_oere` (when the robot asks
    for them): what amounts are usual, beside tonight's."""


@dataclass(frozen=True)
class ListingContext:
    """What a robot that lists its own claims (`Robot.list_claims`) lists them from."""

    night: date
    mode: str
    month: str | None
    """The month the run is of (`robots run <robot> --month YYYY-MM`), or None: every month
    that is due tonight."""
    references: dict[str, pd.DataFrame]
    """Every register's snapshot, tonight's extracts laid over it."""
    taken_in: dict[str, pd.DataFrame]
    """Per register, tonight's readable rows."""
    unreadable: dict[str, pd.DataFrame]
    """Per register, tonight's rows that could not be used: `file_name`, `line`, `rule_id`,
    `message` and `text_<column>` (the row's text as far as it split)."""
    state_dir: Path
    """A folder of the robot's own, for what it must remember from night to night (kept
    beside the register snapshots, outside the ledger)."""


class ChangePolicy(StrEnum):
    """What a robot does with a claim delivered again with other content."""

    HOLD = "hold"
    """Hold the re-delivery for a person (the claim as first decided stands): bills, where
    a changed bill under a known id is more often an error than a correction."""
    SETTLE = "settle"
    """Record it as the claim's next version, decide it afresh, and settle the difference
    with what earlier versions paid: pay what is owed on top, or open a recovery for what
    was paid too much (a corrected month of wages)."""


@dataclass(frozen=True)
class Robot:
    """A benefit robot as the pipeline sees it."""

    name: str
    code: str
    title: str
    claims: Dataset
    quality_suite: list[QualityRule]
    registers: tuple[Register, ...]
    """The registers its checks look things up in, in the order they are taken in (the CPR
    extract first: the others' suites look CPR numbers up in it)."""
    compute: Callable[[pd.DataFrame, EvaluationContext], pd.DataFrame]
    """Claims -> claims joined with the registers, plus COMPUTED_COLUMNS (pure, no I/O)."""
    check: Callable[[pd.DataFrame, EvaluationContext], pd.DataFrame]
    """The computed frame -> findings (row, rule_id, message) of every cross-check."""
    fingerprint: Callable[[pd.DataFrame], pd.Series]
    """The bill's business content as text: the same under another claim id is a duplicate."""
    duplicate_paid_rule: str
    """Fires on a bill already paid (or approved) under another claim id."""
    duplicate_held_rule: str
    """Fires on a bill already held under another claim id (paid twice once released)."""
    resubmitted_changed_rule: str
    accounts_section: str
    remittance_title: str
    remittance_label: str = "krav"
    """What the payee's own ids in the remittance are, e.g. "fakt." for invoice numbers."""
    service_date_column: str = "service_date"
    claim_id_column: str = "claim_id"
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    """Parsed rows -> rows with derived columns (e.g. the claim id), before data quality."""
    ledger_lookups: tuple[LedgerLookup, ...] = ()
    overlap_lookups: tuple[OverlapLookup, ...] = ()
    """Which earlier claims under the same key cover some of a claim's days (see
    OverlapLookup): asked beside `ledger_lookups`. Its claims keep their last day in the
    ledger (`claims.service_end`) when compute gives a `service_end` column."""
    amount_history: Callable[[], int] | None = None
    """How many of its most recent claims' amounts the robot's checks see (read from its
    config when the night starts); None: none."""
    claim_ref: Callable[[pd.DataFrame], pd.Series] | None = None
    """Rows of text -> the claim id, where the id is derived (an invoice line's
    `<cvr>-<invoice>-<line>`); None: the claim id column as it is."""
    evidence_columns: tuple[str, ...] = ()
    """Columns of the computed frame its rules compare (the claim's values and the register
    rows joined to it): kept as JSON with the exceptions of a rule that names none of its
    own (`Rule.compares`), so a case page shows them as fields."""
    change_policy: ChangePolicy = ChangePolicy.HOLD
    """What a changed re-delivery of a claim becomes (see ChangePolicy)."""
    period_column: str | None = None
    """The column (text, `YYYY-MM`) naming the month a claim is for, where the robot pays
    by period: its key is then `<robot>:<claim id>:<month>` and the ledger sums money per
    period. None: claims belong to no period."""

    refusion_per_claim: bool = False
    """Whether the state's refusion (and the posting grouping) is the claim's own
    (`refusion_percent`, `posting_grouping` columns of compute's frame, kept in the ledger
    and on the posting file), not one percent for the robot's account."""
    list_claims: Callable[[ListingContext], pd.DataFrame] | None = None
    """For a robot whose claims nobody sends (a month of subsidy due from its registers):
    tonight's claims, listed from the registers in the columns of `claims`. The pipeline
    writes the list into the claims inbox as a CSV file and reads it like any claim file,
    so every claim still comes from a file and line kept in the archive. None: the claims
    are sent."""

    def claim_identity(self, claims: pd.DataFrame) -> pd.Series:
        """What makes a row one claim: its id, and its month where the robot pays by month
        (a fleksjob's id recurs every month)."""
        ids = claims[self.claim_id_column].astype("string")
        if self.period_column is None:
            return ids
        return ids + ":" + claims[self.period_column].astype("string")

    def idempotency_keys(self, claims: pd.DataFrame) -> pd.Series:
        """Each claim's key in the ledger: `<robot>:<claim id>[:<period>]`, what makes it
        recorded (and paid) once."""
        keys = self.name + ":" + claims[self.claim_id_column].astype("string")
        if self.period_column is not None:
            keys = keys + ":" + claims[self.period_column].astype("string")
        return keys

    @property
    def register_names(self) -> list[str]:
        return [register.dataset.name for register in self.registers]

    @property
    def datasets(self) -> list[Dataset]:
        """Every dataset the robot reads: its registers, then its claims."""
        return [*(register.dataset for register in self.registers), self.claims]

    def identify(self, rows: pd.DataFrame) -> pd.DataFrame:
        """What rows are called, by the ledger (`claim_ref`) and by their sender
        (`source_ref`), from whatever text they have: a row that could not be read still
        names the claim it was."""

        def column(name: str | None) -> pd.Series:
            if name is None or name not in rows:
                return pd.Series(pd.NA, index=rows.index, dtype="string")
            return rows[name].astype("string").str.strip()

        if self.claim_ref is not None:
            claim_ref = self.claim_ref(rows)
        else:
            claim_ref = column(self.claim_id_column)
        return pd.DataFrame(
            {"claim_ref": claim_ref, "source_ref": column(self.claims.source_id)},
            index=rows.index,
        )


class FiringRows:
    """The rows a rule fired on, read column by column as evidence asks for them.

    Evidence reads two or three of some thirty columns; taking whole rows for every rule
    would cost more than the text.
    """

    def __init__(self, frame: pd.DataFrame, selected: np.ndarray) -> None:
        self._frame = frame
        self._selected = selected
        self.index = frame.index[selected]

    def __getitem__(self, column: str) -> pd.Series:
        return self._frame[column][self._selected]

    def __len__(self) -> int:
        return len(self.index)


Evidence: TypeAlias = str | pd.Series | Callable[[FiringRows], "pd.Series | str"]
"""A finding's text: one text for every row, a column aligned with the mask, or a callable
given the firing rows of `frame` (so text is built for those rows only)."""


def empty_findings() -> pd.DataFrame:
    """A findings frame with no rows and the right columns."""
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="int64"),
            "rule_id": pd.Series(dtype="str"),
            "message": pd.Series(dtype="string"),
        }
    )


def findings(
    mask: pd.Series,
    rule_id: str,
    message: Evidence,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Findings for the rows where `mask` holds, with a message per row.

    A rule fires on a few rows in a million, so evidence is best a callable: given `frame`'s
    firing rows it formats dates and amounts for those alone, where a column of text for
    every row would cost more than the check itself.
    """
    selected = mask.fillna(False).to_numpy(dtype=bool)
    if not selected.any():
        return empty_findings()
    rows = mask.index[selected]
    if callable(message):
        if frame is None:
            raise TypeError(f"{rule_id}: evidence built from the rows needs the frame they are in")
        text = message(FiringRows(frame, selected))
    elif isinstance(message, pd.Series):
        text = message[selected]
    else:
        text = message
    if isinstance(text, pd.Series):
        text = text.astype("string").array
    else:
        text = pd.array([text] * len(rows), dtype="string")
    return pd.DataFrame({"row": rows.to_numpy(dtype="int64"), "rule_id": rule_id, "message": text})


def day_text(values: pd.Series) -> pd.Series:
    """Dates as `YYYY-MM-DD` for a finding's words, `(none)` where there is none."""
    return values.dt.strftime("%Y-%m-%d").fillna("(none)").astype("string")


def rate_findings(
    frame: pd.DataFrame, *, demo: bool, provisional: str, provisional_demo: str, no_rate: str
) -> list[pd.DataFrame]:
    """What every robot that computes with a year's rates says of them: a claim on a
    provisional figure (held in production, paid and said in demo), and a claim whose year
    has no figure at all. Reads the columns `rates.rates_by_year` gives a robot's compute:
    `rate_provisional`, `provisional_text`, `no_rate`, `rate_year`."""
    return [
        findings(
            frame["rate_provisional"],
            provisional_demo if demo else provisional,
            lambda r: ("DEMO pays on a provisional rate: " if demo else "") + r["provisional_text"],
            frame,
        ),
        findings(
            frame["no_rate"],
            no_rate,
            lambda r: (
                "no config/rates file for "
                + r["rate_year"].astype("string")
                + " or any earlier year"
            ),
            frame,
        ),
    ]


def arrow_column(values: pd.Series, type: pa.DataType | None = None) -> pa.Array:
    """A column as one contiguous Arrow array, for Arrow's kernels.

    A frame built by concatenation (or read from a file in row groups) holds its columns in
    several chunks; kernels such as dictionary encoding then answer in chunks too.
    """
    array = pa.array(values)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array if type is None or array.type == type else array.cast(type)


def joined_text(columns: Iterable[pd.Series], separator: str = "|") -> pd.Series:
    """Each row's values as one text, `separator` between them; missing if any value is.

    What a bill's fingerprint is made of, so it must never change for the same bill: dates
    as YYYY-MM-DD (their time of day dropped), whole numbers (øre) in decimal, text as it
    is; any other type is refused rather than guessed. One Arrow kernel joins the parts,
    where a pandas `+` per part made a million-row column each time, and Arrow's date cast
    writes the day as pandas' `strftime('%Y-%m-%d')` did at a twentieth of its cost
    (tests/robots/core/test_joined_text.py holds the two equal).
    """
    columns = list(columns)
    parts = [_as_text(column) for column in columns]
    joined = pc.binary_join_element_wise(*parts, pa.scalar(separator, pa.large_string()))
    return pd.Series(pd.array(joined, dtype="string"), index=columns[0].index)


def _as_text(column: pd.Series) -> pa.Array:
    if pd.api.types.is_datetime64_any_dtype(column):
        values = pc.cast(arrow_column(column), pa.date32())
    elif pd.api.types.is_integer_dtype(column) or pd.api.types.is_string_dtype(column):
        values = arrow_column(column)
    else:
        raise TypeError(f"{column.name}: {column.dtype} has no agreed text form")
    return values.cast(pa.large_string())


def concat_findings(pieces: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Many rules' findings as one frame (the rules that found nothing left out)."""
    found = [p for p in pieces if len(p)]
    return pd.concat(found, ignore_index=True) if found else empty_findings()
