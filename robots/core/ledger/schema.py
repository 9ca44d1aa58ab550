"""The ledger's tables as typed SQLAlchemy 2 models.

Money is whole øre in BIGINT columns: identical on SQLite and PostgreSQL (SQLite would
store NUMERIC as a float). Status columns are enums stored as text. The two constraints
that make paying exactly-once hold whatever crashes happen: `claims.idempotency_key` is
unique (a claim is recorded once) and `payment_items` is keyed by (claim_pk, attempt): a
claim's first payment is attempt 1, and a later attempt must name the decision that allowed
it (`approved_by_event_id`, a `repay_approved` event after the bank returned the last).

A claim's life after the night is `claim_events`, appended only (robots.core.ledger.history):
what people, the bank and corrections did to it. Its current state follows from the robot's
decision, its payments and those events; nothing edits a claim in place.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back time-zone aware.

    SQLite keeps no offset, PostgreSQL converts to the session zone; this makes both give
    the same aware UTC value, and refuses naive datetimes on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; use robots.core.dates.now()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The one declarative base of the ledger."""


def _enum(kind: type[enum.Enum]) -> Enum:
    return Enum(
        kind,
        native_enum=False,
        length=16,
        validate_strings=True,
        values_callable=lambda k: [m.value for m in k],
    )


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class FileStatus(enum.StrEnum):
    PROCESSED = "processed"
    QUARANTINED = "quarantined"


class Decision(enum.StrEnum):
    PAY = "pay"
    HOLD = "hold"
    REJECT = "reject"


class BatchStatus(enum.StrEnum):
    PREPARED = "prepared"
    RELEASED = "released"


class ExceptionStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Run(Base):
    """One nightly run of one robot."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    robot: Mapped[str] = mapped_column(String(32), index=True)
    night: Mapped[date] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report_path: Mapped[str | None] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    # A run killed after recording its decisions: the run that reported them (0009).
    finished_by: Mapped[str | None] = mapped_column(String(40))
    # The period the run was of: a night (2026-11-23) or a month (2026-11) (0011).
    period: Mapped[str | None] = mapped_column(String(10))


class PeriodStatus(enum.StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class Period(Base):
    """A period one robot works on (a night, a month): which runs worked on it and whether
    it is finished. A killed or failed run leaves it running or failed; the next run of the
    same period takes it up (robots.core.ledger.periods)."""

    __tablename__ = "periods"

    robot: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[PeriodStatus] = mapped_column(_enum(PeriodStatus))
    first_run_id: Mapped[str] = mapped_column(String(40))
    last_run_id: Mapped[str] = mapped_column(String(40))
    runs: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SourceFile(Base):
    """A file from the inbox, known by its content hash so it is never read twice."""

    __tablename__ = "source_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    dataset: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    status: Mapped[FileStatus] = mapped_column(_enum(FileStatus))
    reason: Mapped[str | None] = mapped_column(Text)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)


class Claim(Base):
    """A claim the robot decided on: what it was, what it computed, what it decided."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # "<robot>:<claim_id>": the natural key, so no library upgrade can ever change it.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    robot: Mapped[str] = mapped_column(String(32))
    claim_id: Mapped[str] = mapped_column(String(64))
    # The sender's own id where it is not the claim id (a doctor's invoice number), 0009.
    source_id: Mapped[str | None] = mapped_column(String(64))
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    source_file_id: Mapped[int] = mapped_column(ForeignKey("source_files.id"))
    source_line: Mapped[int] = mapped_column(Integer)
    cpr: Mapped[str | None] = mapped_column(String(10))
    payee_kind: Mapped[str] = mapped_column(String(3))
    payee_id: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(32))
    counterparty: Mapped[str | None] = mapped_column(String(10))
    service_date: Mapped[date] = mapped_column(Date)
    basis_oere: Mapped[int] = mapped_column(BigInteger)
    amount_oere: Mapped[int] = mapped_column(BigInteger)
    rate_year: Mapped[int] = mapped_column(Integer)
    rate_provisional: Mapped[bool] = mapped_column(Boolean)
    rule_basis: Mapped[str] = mapped_column(String(200))
    # The business content (who, what, where, when, how much) as plain text: the same
    # fingerprint under another claim id is a duplicate bill.
    fingerprint: Mapped[str] = mapped_column(String(120))
    decision: Mapped[Decision] = mapped_column(_enum(Decision))
    rule_ids: Mapped[str] = mapped_column(String(400), default="")
    # What may be paid only once (a doctor's request) and the source document (an invoice
    # a later credit note refers to): robots look earlier claims up by them (migration 0004).
    bill_key: Mapped[str | None] = mapped_column(String(120))
    document_key: Mapped[str | None] = mapped_column(String(120))
    # A changed re-delivery is a new version of the claim (migration 0010): version 2 and
    # on name the version they supersede; `period` is the month or night a claim is for,
    # where the robot pays by period (YYYY-MM), else NULL.
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    supersedes_pk: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    period: Mapped[str | None] = mapped_column(String(10))
    # Where the state's refusion and the posting grouping depend on the claim (migration
    # 0012: fleksloentilskud's refusionstrappe), else NULL: the account's.
    refusion_percent: Mapped[int | None] = mapped_column(Integer)
    posting_grouping: Mapped[str | None] = mapped_column(String(8))
    # The last day of the period the claim is for (migration 0015), where the robot's
    # claims cover several days: a later claim is asked whether it covers any of the same
    # days. NULL: the claim covers its service_date only.
    service_end: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        Index("ix_claims_fingerprint", "robot", "fingerprint"),
        # Only the claims that carry a key are indexed by it (migration 0007).
        Index(
            "ix_claims_bill_key",
            "robot",
            "bill_key",
            sqlite_where=text("bill_key IS NOT NULL"),
            postgresql_where=text("bill_key IS NOT NULL"),
        ),
        Index(
            "ix_claims_document_key",
            "robot",
            "document_key",
            sqlite_where=text("document_key IS NOT NULL"),
            postgresql_where=text("document_key IS NOT NULL"),
        ),
        # Paying scans a robot's claims decided 'pay'. Without this index SQLite walks
        # ix_claims_fingerprint for `robot = ?` and reads the table in random order.
        Index(
            "ix_claims_payable",
            "robot",
            "id",
            sqlite_where=text("decision = 'pay'"),
            postgresql_where=text("decision = 'pay'"),
        ),
        # The few claims that supersede another, found from the one superseded (0011).
        Index(
            "ix_claims_supersedes",
            "supersedes_pk",
            sqlite_where=text("supersedes_pk IS NOT NULL"),
            postgresql_where=text("supersedes_pk IS NOT NULL"),
        ),
    )


class ClaimException(Base):
    """Every claim or row not paid straight through, with the rule and its evidence."""

    __tablename__ = "exceptions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    robot: Mapped[str] = mapped_column(String(32))
    claim_pk: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    claim_ref: Mapped[str | None] = mapped_column(String(64))
    source_file_id: Mapped[int | None] = mapped_column(ForeignKey("source_files.id"))
    source_line: Mapped[int | None] = mapped_column(Integer)
    rule_id: Mapped[str] = mapped_column(String(48), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[ExceptionStatus] = mapped_column(_enum(ExceptionStatus))
    # What the rule compared and the register rows behind it, as JSON (migration 0011).
    evidence: Mapped[str | None] = mapped_column(Text)


class WaitingClaim(Base):
    """A claim row that waits for a register in doubt, as it was read (migration 0009).

    Not a claim yet: nothing was decided. Read again each night until the register is
    trusted or the row has waited `max_days`; then decided like any row, and marked
    resolved by that run.
    """

    __tablename__ = "waiting_claims"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    robot: Mapped[str] = mapped_column(String(32))
    claim_ref: Mapped[str | None] = mapped_column(String(64))
    source_file_id: Mapped[int | None] = mapped_column(ForeignKey("source_files.id"))
    source_line: Mapped[int | None] = mapped_column(Integer)
    row_json: Mapped[str] = mapped_column(Text)
    waits_for: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    since: Mapped[date] = mapped_column(Date)
    resolved_run_id: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        Index(
            "ix_waiting_claims_open",
            "robot",
            "id",
            sqlite_where=text("resolved_run_id IS NULL"),
            postgresql_where=text("resolved_run_id IS NULL"),
        ),
    )


class PaymentBatch(Base):
    """One pain.001 file: prepared in the ledger first, released once the file is valid."""

    __tablename__ = "payment_batches"

    id: Mapped[str] = mapped_column(String(35), primary_key=True)
    robot: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    status: Mapped[BatchStatus] = mapped_column(_enum(BatchStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    execution_date: Mapped[date] = mapped_column(Date)
    transfers: Mapped[int] = mapped_column(Integer)
    total_oere: Mapped[int] = mapped_column(BigInteger)
    payment_file: Mapped[str | None] = mapped_column(String(500))
    posting_file: Mapped[str | None] = mapped_column(String(500))


class PaymentTransfer(Base):
    """One transfer to one payee in one batch (several claims may make it up)."""

    __tablename__ = "payment_transfers"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # Found by batch through uq_payment_transfers_payee, whose first column this is.
    batch_id: Mapped[str] = mapped_column(ForeignKey("payment_batches.id"))
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    payee_kind: Mapped[str] = mapped_column(String(3))
    payee_id: Mapped[str] = mapped_column(String(10))
    amount_oere: Mapped[int] = mapped_column(BigInteger)
    claims: Mapped[int] = mapped_column(Integer)
    # The remittance text as prepared, so a file rewritten after a crash says the same.
    remittance: Mapped[str] = mapped_column(Text, server_default="")

    # One transfer per payee per batch, held by the database itself.
    __table_args__ = (
        Index("uq_payment_transfers_payee", "batch_id", "payee_kind", "payee_id", unique=True),
    )


class PaymentItem(Base):
    """A claim's place in a transfer: attempt 1 is its payment, a later attempt a payment
    again after the bank returned the last one, allowed by a person's decision."""

    __tablename__ = "payment_items"

    claim_pk: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True, server_default=text("1"))
    # Neither indexed nor a foreign key (migrations 0006, 0008): nothing looks items up by
    # transfer (a batch's items are found by batch_id), and items are written in claim
    # order, so each index entry or key check is a random lookup: together 4 s of writing
    # a million items. paying._record reserves the batch's transfer ids and checks, before
    # it commits, that every item points at a transfer of its own batch.
    transfer_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    batch_id: Mapped[str] = mapped_column(ForeignKey("payment_batches.id"), index=True)
    amount_oere: Mapped[int] = mapped_column(BigInteger)
    approved_by_event_id: Mapped[int | None] = mapped_column(ForeignKey("claim_events.id"))

    __table_args__ = (
        CheckConstraint(
            "(attempt = 1 AND approved_by_event_id IS NULL) "
            "OR (attempt > 1 AND approved_by_event_id IS NOT NULL)",
            name="ck_payment_items_attempt_approved",
        ),
        # Keyed by (claim_pk, attempt) and written in claim order: on SQLite the rows are
        # the key's own B-tree, with no second index to keep (migration 0010).
        {"sqlite_with_rowid": False},
    )


class ClaimEvent(Base):
    """One thing that happened to a claim after the robot decided it, appended only.

    `seq` numbers a claim's events 1, 2, ...: two people acting on one claim at once cannot
    both append the same next event (unique), so neither acts on a state that has changed.
    """

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    claim_pk: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, server_default="")
    attempt: Mapped[int | None] = mapped_column(Integer)
    amount_oere: Mapped[int | None] = mapped_column(BigInteger)
    run_id: Mapped[str | None] = mapped_column(String(40))
    batch_id: Mapped[str | None] = mapped_column(String(35))
    detail: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """The case a person's decision closed (migration 0013); NULL for the robot's and the
    bank's events."""

    __table_args__ = (Index("uq_claim_events_seq", "claim_pk", "seq", unique=True),)


class AuditEvent(Base):
    """Who did what, when: robots and (later) people deciding cases."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)


class User(Base):
    """A member of staff who logs in to the workbench, with one role.

    The password is kept only as an argon2 hash. `failed_logins` counts failures since the
    last good log-in; at the configured limit `locked_at` is set and the account stays
    locked (a right password included) until an admin unlocks it from the command line.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Case(Base):
    """A claim put before people: held by a robot's rule at night (kanal `robot`), or opened
    by hand on a tip from another channel. Whether it is open, waiting for a second
    person's approval or decided follows from the claim's history (`claim_events.case_id`)
    and the proposals; only who holds it now (`taken_by`) is kept here, and it is taken by
    one conditional update so two reviewers never hold one case."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    claim_pk: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    robot: Mapped[str] = mapped_column(String(32))
    kanal: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, server_default="")
    taken_by: Mapped[str | None] = mapped_column(String(64))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CaseProposal(Base):
    """A decision that needs a second person (recover or refer above the configured
    amount): proposed here, applied as the claim's event only when another member of the
    control group approves it (`CaseApproval`)."""

    __tablename__ = "case_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    amount_oere: Mapped[int | None] = mapped_column(BigInteger)
    refer_to: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseApproval(Base):
    """The second person's answer to a proposal: one per proposal (unique), appended."""

    __tablename__ = "case_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("case_proposals.id"), unique=True)
    answer: Mapped[str] = mapped_column(String(16))
    answered_by: Mapped[str] = mapped_column(String(64))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    comment: Mapped[str] = mapped_column(Text, server_default="")


class FalseAlarm(Base):
    """A rule's hit that a person found wrong: the same rule on the same subject with the
    same compared values does not hold a claim again; changed values do."""

    __tablename__ = "false_alarms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    robot: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(64))
    facts: Mapped[str] = mapped_column(Text)
    event_id: Mapped[int] = mapped_column(ForeignKey("claim_events.id"))

    __table_args__ = (Index("ix_false_alarms_rule", "robot", "rule_id"),)


class BankAnswerFile(Base):
    """An answer from the bank (pain.002, camt.054) or NemKonto (NKS) read into the ledger,
    once: its own message id (per kind) and its content are unique, so the same answer read
    twice changes nothing."""

    __tablename__ = "bank_answer_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    account_iban: Mapped[str | None] = mapped_column(String(34))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lines: Mapped[int] = mapped_column(Integer)
    unmatched: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("uq_bank_answer_files_message", "kind", "message_id", unique=True),)


class BankAnswerLine(Base):
    """One status or booking the answer gave, with the transfer it was matched to (and how),
    or the reason it could not be: finance's list of what is unmatched is these rows with a
    problem, never dropped."""

    __tablename__ = "bank_answer_lines"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    answer_file_id: Mapped[int] = mapped_column(ForeignKey("bank_answer_files.id"), index=True)
    line: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(8))
    batch_id: Mapped[str | None] = mapped_column(String(35))
    end_to_end_id: Mapped[str | None] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(16))
    bank_status: Mapped[str | None] = mapped_column(String(8))
    reason_code: Mapped[str | None] = mapped_column(String(8))
    reason_text: Mapped[str | None] = mapped_column(Text)
    amount_oere: Mapped[int | None] = mapped_column(BigInteger)
    booked_on: Mapped[date | None] = mapped_column(Date)
    nks_outcome: Mapped[str | None] = mapped_column(String(16))
    transfer_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), index=True
    )
    matched_by: Mapped[str | None] = mapped_column(String(24))
    problem: Mapped[str | None] = mapped_column(Text)
