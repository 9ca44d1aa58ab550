"""Taking tonight's files in: registers into snapshots, claim files into one frame.

Nothing is dropped in silence: a file seen before is archived and noted, an unreadable
file is quarantined with its reason, a bad row becomes a data error naming file and line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from checks.quality.expectations import ExpectColumnValuesToBeInReference
from checks.quality.suites import QualityRule, Register, SuiteContext
from checks.reading import FILE_UNREADABLE, READ_MALFORMED, READ_VALUE, REGISTER_SHRANK
from robots.core.evidence import json_objects
from robots.core.ledger import file_records
from robots.core.ledger.schema import FileStatus
from robots.core.pipeline import references as snapshots
from robots.core.pipeline.datasets import CITIZENS, Dataset
from robots.core.pipeline.exceptions import empty_errors, insert_exceptions
from robots.core.pipeline.inbox import (
    DataFolders,
    archive_path,
    files_waiting,
    link_id,
    links_waiting,
    move_to_archive,
    move_to_quarantine,
    sha256_of,
)
from robots.core.pipeline.parsing import ParsedFrame, parse
from robots.core.pipeline.quality import validate
from robots.core.pipeline.reading import (
    LINE,
    RawFrame,
    UnreadableFileError,
    read_file,
)
from robots.core.pipeline.registers import Combination, RegisterPolicy, combine, load_policies
from robots.core.settings import InboxLimits

logger = logging.getLogger(__name__)
T = TypeVar("T")

FILE = "_file"
"""Column holding the index of the night's file a row came from."""


@dataclass
class NightFile:
    """One file of tonight, and what became of it."""

    path: Path
    dataset: str
    sha256: str
    status: str = "read"  # "read", "seen_before", "quarantined"
    rows: int = 0
    reason: str = ""
    source_file_id: int | None = None
    stored_path: Path | None = None


@dataclass
class IngestedClaims:
    """Tonight's readable claim rows, the files they came from, and the rows that were not."""

    frame: pd.DataFrame
    files: list[NightFile]
    errors: pd.DataFrame
    optional_columns: frozenset[str] = field(default_factory=frozenset)

    @property
    def file_ids(self) -> dict[int, int | None]:
        return {i: f.source_file_id for i, f in enumerate(self.files)}


def reference_sets(refs: dict[str, pd.DataFrame]) -> dict[str, pd.Index]:
    """The sets other datasets' suites look values up in."""
    citizens = refs.get("citizens")
    cprs = citizens["cpr"] if citizens is not None else pd.Series([], dtype="string")
    return {"citizens.cpr": _index(cprs)}


def _index(values: pd.Series) -> pd.Index:
    """Distinct values as an Arrow-backed index: `isin` looks them up in C, built once."""
    return pd.Index(values.dropna().astype("string").unique())


Identify = Callable[[pd.DataFrame], pd.DataFrame]
"""Rows of text -> their `claim_ref` and `source_ref` (Robot.identify)."""


def identify_by_key(key: str | None) -> Identify:
    """A register's rows are called by their key column."""

    def identify(rows: pd.DataFrame) -> pd.DataFrame:
        refs = rows[key] if key and key in rows else pd.Series(pd.NA, index=rows.index)
        return pd.DataFrame({"claim_ref": refs.astype("string")}, index=rows.index)

    return identify


def row_errors(
    file_index: int, raw: RawFrame, parsed: ParsedFrame, identify: Identify
) -> pd.DataFrame:
    """Malformed rows and unreadable values of one file, as errors naming line and value,
    and the claim each row was as far as its text tells."""
    split = _malformed_as_text(raw)
    malformed = pd.concat(
        [
            pd.DataFrame(
                {
                    "file": file_index,
                    "line": [e.line for e in raw.row_errors],
                    "rule_id": READ_MALFORMED.id,
                    "message": [e.reason for e in raw.row_errors],
                }
            ),
            _named(identify, split),
        ],
        axis=1,
    )
    bad = parsed.errors
    texts = raw.frame.set_index(LINE)
    values = pd.concat(
        [
            pd.DataFrame(
                {
                    "file": file_index,
                    "line": bad["line"].to_numpy(),
                    "rule_id": READ_VALUE.id,
                    "message": (
                        bad["column"] + " '" + bad["value"].astype(str) + "' " + bad["reason"]
                    ).to_numpy(),
                    "evidence": json_objects(
                        bad[["column", "value", "reason"]].astype("string"),
                        ["column", "value", "reason"],
                    ).to_numpy(dtype=object),
                }
            ),
            _named(identify, texts.loc[bad["line"].to_numpy()]),
        ],
        axis=1,
    )
    parts = [p for p in (malformed, values) if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty_errors()


def _malformed_as_text(raw: RawFrame) -> pd.DataFrame:
    """The lines that split into the wrong number of fields, as the header's columns in
    order, as far as they go (a line that did not split at all names nothing)."""
    header = [c for c in raw.frame.columns if c != LINE]
    return pd.DataFrame(
        [
            (list(e.fields if len(e.fields) > 1 else ()) + [""] * len(header))[: len(header)]
            for e in raw.row_errors
        ],
        columns=header,
        dtype="string",
    )


def _named(identify: Identify, rows: pd.DataFrame) -> pd.DataFrame:
    """The refs of rows of text, blank ones missing, numbered from 0 like the errors."""
    if not len(rows):
        return pd.DataFrame(columns=["claim_ref"])
    refs = identify(rows).reset_index(drop=True)
    return refs.apply(lambda column: column.mask(column.fillna("").str.strip() == ""))


def _seen_before(
    engine: Engine,
    folders: DataFolders,
    night: date,
    item: NightFile,
    known: set[str] | None = None,
) -> bool:
    """Archive a file whose content was processed before; `known` saves a query per file."""
    if known is not None:
        seen = item.sha256 in known
    else:
        with engine.connect() as connection:
            seen = file_records.file_is_known(connection=connection, sha256=item.sha256)
    if seen:
        item.status = "seen_before"
        item.stored_path = move_to_archive(item.path, folders, item.dataset, night, item.sha256)
        logger.info("skipped %s: the same content was processed before", item.path.name)
    return seen


LINK_REASON = (
    "a link to another file, not a file: links in the inbox are never opened (one could "
    "point at any file on the server); put the file itself in the inbox"
)


def refuse_links(
    engine: Engine, folders: DataFolders, run_id: str, dataset: str
) -> list[NightFile]:
    """Quarantine every link in inbox/<dataset>/ (the link itself moves; its target is
    never opened), each recorded with its reason."""
    refused = []
    for path in links_waiting(folders, dataset):
        item = NightFile(path, dataset, link_id(path), status="quarantined", reason=LINK_REASON)
        _quarantine(engine, folders, run_id, item)
        refused.append(item)
    return refused


def _read(
    engine: Engine,
    folders: DataFolders,
    run_id: str,
    item: NightFile,
    dataset: Dataset,
    limits: InboxLimits,
    reader: Callable[[Path, Dataset, InboxLimits], T] = read_file,  # type: ignore[assignment]
) -> T | None:
    """Read a file, or quarantine it (recorded at once) and return None."""
    try:
        return reader(item.path, dataset, limits)
    except UnreadableFileError as exc:
        item.status, item.reason = "quarantined", exc.reason
    _quarantine(engine, folders, run_id, item)
    return None


def _quarantine(
    engine: Engine,
    folders: DataFolders,
    run_id: str,
    item: NightFile,
    rule_id: str = FILE_UNREADABLE.id,
) -> None:
    """Move a refused file to quarantine with its reason, and record both at once."""
    item.stored_path = move_to_quarantine(
        item.path, folders, item.dataset, item.sha256, item.reason
    )
    with engine.begin() as connection:
        item.source_file_id = file_records.record_file(
            connection=connection,
            sha256=item.sha256,
            dataset=item.dataset,
            file_name=item.path.name,
            stored_path=str(item.stored_path),
            run_id=run_id,
            status=FileStatus.QUARANTINED,
            reason=item.reason,
            rows_read=0,
            rows_rejected=0,
        )
        insert_exceptions(
            connection=connection,
            run_id=run_id,
            robot="shared",
            frame=pd.DataFrame(
                {
                    "file": [0],
                    "line": [None],
                    "rule_id": [rule_id],
                    "message": [f"{item.path.name}: {item.reason}"],
                }
            ),
            file_ids={0: item.source_file_id},
        )
    logger.warning("quarantined %s: %s", item.path.name, item.reason)


def record_file(
    *,
    connection: Connection,
    item: NightFile,
    run_id: str,
    rows_rejected: int,
    folders: DataFolders,
    night: date,
) -> None:
    """Record a read file, with its archive place, in the caller's transaction."""
    stored = archive_path(item.path, folders, item.dataset, night, item.sha256)
    item.source_file_id = file_records.record_file(
        connection=connection,
        sha256=item.sha256,
        dataset=item.dataset,
        file_name=item.path.name,
        stored_path=str(stored),
        run_id=run_id,
        status=FileStatus.PROCESSED,
        reason=None,
        rows_read=item.rows,
        rows_rejected=rows_rejected,
    )


@dataclass
class RegisterIntake:
    """Tonight's register files, what became of each, and each register's state after."""

    files: list[NightFile] = field(default_factory=list)
    states: dict[str, snapshots.RegisterState] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What tonight did to the registers, in words (combined files, refusals)."""
    unreadable: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per register, tonight's rows that could not be used (each also a data error of its
    own): file name, line, rule and the row's text, so a robot whose claims are made from a
    register can hold what such a row was part of, instead of deciding without it."""
    taken_in: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per register, tonight's readable rows (before they were laid over the snapshot)."""


@dataclass
class _ReadRegisterFile:
    item: NightFile
    frame: pd.DataFrame
    errors: pd.DataFrame
    kind: str


def ingest_registers(
    *,
    engine: Engine,
    folders: DataFolders,
    run_id: str,
    night: date,
    registers: Sequence[Register],
    limits: InboxLimits | None = None,
    keep_tonight: bool = False,
) -> RegisterIntake:
    """Make tonight's extracts of each of `registers` (in their order) into its snapshot
    (robots.core.pipeline.registers: full or delta by name, several files combined by key,
    a shrinking full extract refused), record and move each file, and say what each
    register rests on.

    `keep_tonight`: also keep tonight's readable and unreadable rows of each register in
    the intake (for a robot that lists its claims from its registers; held for no other).

    Per register: the snapshot and its state are saved first, then every file is recorded
    in one transaction, then the files are moved. A crash in between reads the files again
    next time onto the saved snapshot, with the same result.
    """
    limits = limits or InboxLimits()
    policies = load_policies()
    intake = RegisterIntake()
    citizens: pd.Series | None = None  # the CPR numbers of tonight's citizens register
    for register in registers:
        dataset = register.dataset
        name = dataset.name
        refused = refuse_links(engine, folders, run_id, name)
        intake.files += refused
        read: list[_ReadRegisterFile] = []
        full_seen_before = False
        for path in files_waiting(folders, name):
            item = NightFile(path, name, sha256_of(path))
            intake.files.append(item)
            if _seen_before(engine, folders, night, item):
                full_seen_before |= policies[name].kind_of(path.name) == "full"
                continue
            raw = _read(engine, folders, run_id, item, dataset, limits)
            if raw is None:
                refused.append(item)
                continue
            item.rows = len(raw.frame) + len(raw.row_errors)
            doubtful = {n for n, state in intake.states.items() if state.in_doubt}
            frame, errors = _validated_register(
                folders, register, raw, night, citizens, doubtful, with_row_text=keep_tonight
            )
            read.append(_ReadRegisterFile(item, frame, errors, policies[name].kind_of(path.name)))
        combined = _combine(folders, name, read, policies[name], full_seen_before)
        if combined.full_refused:
            for entry in (r for r in read if r.kind == "full"):
                entry.item.status = "quarantined"
                entry.item.reason = _shrink_reason(name, combined, policies[name])
                _quarantine(engine, folders, run_id, entry.item, REGISTER_SHRANK.id)
                refused.append(entry.item)
        accepted = [r for r in read if r.item.status == "read"]
        if keep_tonight:
            intake.unreadable[name] = _unreadable_rows(accepted)
            intake.taken_in[name] = (
                pd.concat([r.frame for r in accepted], ignore_index=True)
                if accepted
                else pd.DataFrame()
            )
        if combined.frame is not None:
            snapshots.save_snapshot(folders, name, combined.frame)
        state = _state_after(folders, name, night, accepted, refused, combined)
        snapshots.save_state(folders, state)
        intake.states[name] = state
        intake.notes += _register_notes(name, accepted, refused, combined, full_seen_before)
        if name == CITIZENS.name and combined.frame is not None:
            citizens = combined.frame["cpr"]
        _record_and_archive(engine, folders, run_id, night, accepted)
    return intake


def _unreadable_rows(accepted: list[_ReadRegisterFile]) -> pd.DataFrame:
    parts = [
        r.errors.drop(columns=["file", "claim_ref"], errors="ignore").assign(
            file_name=r.item.path.name
        )
        for r in accepted
        if len(r.errors)
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _validated_register(
    folders: DataFolders,
    register: Register,
    raw: RawFrame,
    night: date,
    citizens: pd.Series | None,
    doubtful: set[str],
    *,
    with_row_text: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One register file parsed and validated: its good rows and its row errors (with the
    text of their rows, `with_row_text`).

    A row is not refused for missing from a register in doubt tonight (a pension of a
    citizen not in a refused CPR extract): the register it would be looked up in cannot
    say, and a row dropped here would be lost until the source sends it again.
    """
    dataset = register.dataset
    name = dataset.name
    parsed = parse(raw, dataset)
    context = SuiteContext(night)
    suite = [rule for rule in register.suite if rule.rule.missing_from not in doubtful]
    lookup = (
        {"citizens.cpr": _index(_citizen_cprs(folders, name, parsed.frame, citizens))}
        if "citizens.cpr" in _looked_up(suite, context)
        else {}
    )
    result = validate(parsed.frame, name, suite, context, lookup)
    errors = pd.concat(
        [
            row_errors(0, raw, parsed, identify_by_key(dataset.key)),
            result.findings.assign(file=0, claim_ref=None)[
                ["file", "line", "claim_ref", "rule_id", "message"]
            ],
        ],
        ignore_index=True,
    )
    return result.frame, (_with_row_text(errors, raw) if with_row_text else errors)


def _with_row_text(errors: pd.DataFrame, raw: RawFrame) -> pd.DataFrame:
    """Errors with the text of their row's columns (`text_<column>`), as far as the line
    split: what the row was about (a CPR number, a month) though its values could not be
    used. Kept in memory for the night (RegisterIntake.unreadable), never stored."""
    if not len(errors):
        return errors
    split = _malformed_as_text(raw).assign(**{LINE: [e.line for e in raw.row_errors]})
    lines = pd.to_numeric(errors["line"], errors="coerce")
    rows = raw.frame[raw.frame[LINE].isin(lines.dropna())]
    text = pd.concat([rows, split], ignore_index=True).drop_duplicates(subset=[LINE])
    text = text.set_index(LINE)
    found = text.reindex(lines.to_numpy())
    return errors.assign(
        **{f"text_{c}": found[c].astype("string").to_numpy() for c in text.columns}
    )


def _combine(
    folders: DataFolders,
    name: str,
    read: list[_ReadRegisterFile],
    policy: RegisterPolicy,
    full_seen_before: bool,
) -> Combination:
    """Tonight's files of a register laid over its snapshot (the snapshot is read only
    when there is something to lay over it).

    A full extract that came again unchanged (seen before, so not read again) is tonight's
    full picture all the same: the register stands as taken in, and tonight's other files,
    full or delta, are laid over it in name order, never taken for the whole register.
    """
    if not read:
        return Combination(None, False, 0, 0, 0)
    try:
        previous = snapshots.load_snapshot(folders, name)
    except snapshots.MissingReferenceError:
        previous = None
    if full_seen_before and previous is not None:
        return combine(previous, [], [r.frame for r in read], policy)
    return combine(
        previous,
        [r.frame for r in read if r.kind == "full"],
        [r.frame for r in read if r.kind == "delta"],
        policy,
    )


def _shrink_reason(name: str, combined: Combination, policy: RegisterPolicy) -> str:
    return (
        f"tonight's full {name} extract lacks {combined.lost_keys:,} of the "
        f"{combined.previous_keys:,} entries of the previous one, more than the "
        f"{policy.max_loss_share:.0%} a register may lose in a night (config/registers.toml); "
        "refused whole, the night goes on with the previous register. If it is a delta, "
        "send it with 'delta' in its name; if the register really shrank, raise "
        "max_loss_share for one night and send it again"
    )


def _state_after(
    folders: DataFolders,
    name: str,
    night: date,
    accepted: list[_ReadRegisterFile],
    refused: list[NightFile],
    combined: Combination,
) -> snapshots.RegisterState:
    """The register's state after tonight: in doubt from a refused extract until one is
    accepted again."""
    before = snapshots.load_state(folders, name)
    taken: str | None
    if combined.frame is not None:
        rows, taken = len(combined.frame), night.isoformat()
    else:  # nothing accepted tonight: what it rested on before (None: never any)
        rows, taken = before.rows, before.night
    if refused:
        why = "; ".join(f"{f.path.name}: {f.reason}" for f in refused)
        return snapshots.RegisterState(
            name, taken, rows, why, before.in_doubt_since or night.isoformat()
        )
    if accepted:
        return snapshots.RegisterState(name, taken, rows)
    return before


def _register_notes(
    name: str,
    accepted: list[_ReadRegisterFile],
    refused: list[NightFile],
    combined: Combination,
    full_seen_before: bool,
) -> list[str]:
    notes = []
    if full_seen_before and accepted:
        notes.append(
            f"{name}: tonight's full extract is one taken in before (unchanged); "
            + ", ".join(r.item.path.name for r in accepted)
            + " laid over the register by key"
        )
    elif len(accepted) > 1:
        notes.append(
            f"{name}: {len(accepted)} files combined by key in name order ("
            + ", ".join(f"{r.item.path.name} [{r.kind}]" for r in accepted)
            + ")"
            + (
                f"; {combined.conflicting_keys:,} entries given differently by two files, "
                "the later file's kept"
                if combined.conflicting_keys
                else ""
            )
        )
    notes += [f"{name}: {f.path.name} refused: {f.reason}" for f in refused]
    return notes


def _record_and_archive(
    engine: Engine,
    folders: DataFolders,
    run_id: str,
    night: date,
    accepted: list[_ReadRegisterFile],
) -> None:
    """Record the accepted files with their row errors in one transaction, then archive."""
    if not accepted:
        return
    with engine.begin() as connection:
        for entry in accepted:
            record_file(
                connection=connection,
                item=entry.item,
                run_id=run_id,
                rows_rejected=int(entry.errors["line"].nunique()),
                folders=folders,
                night=night,
            )
            insert_exceptions(
                connection=connection,
                run_id=run_id,
                robot="shared",
                frame=entry.errors,
                file_ids={0: entry.item.source_file_id},
            )
    for entry in accepted:
        item = entry.item
        item.stored_path = move_to_archive(item.path, folders, item.dataset, night, item.sha256)
        logger.info(
            "register %s: %s, %d rows, %d with errors",
            item.dataset,
            item.path.name,
            item.rows,
            entry.errors["line"].nunique(),
        )


def _looked_up(rules: list[QualityRule], context: SuiteContext) -> set[str]:
    """The reference sets a suite looks values up in (building one costs ~0.1 s a
    register, reading the citizens snapshot for it as much again: only for suites that
    use it)."""
    built = (rule.build(context) for rule in rules)
    return {e.reference for e in built if isinstance(e, ExpectColumnValuesToBeInReference)}


def _citizen_cprs(
    folders: DataFolders, name: str, frame: pd.DataFrame, tonight: pd.Series | None
) -> pd.Series:
    """The CPR numbers a register's rows are looked up in: those of the citizens snapshot
    (saved earlier tonight, so still in hand, or read from disk, that column only), or
    with no snapshot yet, the register's own."""
    if name != "citizens":
        if tonight is not None:
            return tonight
        try:
            return snapshots.load_snapshot(folders, "citizens", columns=["cpr"])["cpr"]
        except snapshots.MissingReferenceError:
            pass
    return frame["cpr"]


def ingest_claims(
    *,
    engine: Engine,
    folders: DataFolders,
    dataset: Dataset,
    run_id: str,
    night: date,
    identify: Identify | None = None,
    limits: InboxLimits | None = None,
) -> IngestedClaims:
    """Read every claim file waiting into one frame; quarantine what cannot be read. A row
    that cannot be read is named by `identify` (default: the dataset's key column)."""
    identify = identify or identify_by_key(dataset.key)
    limits = limits or InboxLimits()
    files: list[NightFile] = refuse_links(engine, folders, run_id, dataset.name)
    frames: list[pd.DataFrame] = []
    errors: list[pd.DataFrame] = []
    present: set[str] = set()
    documents: list[tuple[int, dict[str, list[object]]]] = []
    waiting = [
        NightFile(path, dataset.name, sha256_of(path))
        for path in files_waiting(folders, dataset.name)
    ]
    # One query for the night's files: a night of e-invoices is thousands of small files.
    with engine.connect() as connection:
        known = file_records.known_files(connection=connection, sha256s=[f.sha256 for f in waiting])
    for item in waiting:
        files.append(item)
        if _seen_before(engine, folders, night, item, known):
            continue
        known.add(item.sha256)  # the same content twice tonight: the copy is "seen before"
        index = len(files) - 1
        if dataset.documents is not None and dataset.documents.recognises(item.path):
            # One document (an e-invoice) per file: read here, framed and parsed together.
            columns = _read(engine, folders, run_id, item, dataset, limits, _document_columns)
            if columns is not None:
                documents.append((index, columns))
                item.rows = len(columns[LINE])
            continue
        raw = _read(engine, folders, run_id, item, dataset, limits)
        if raw is None:
            continue
        item.rows = len(raw.frame) + len(raw.row_errors)
        parsed = parse(raw, dataset)
        errors.append(row_errors(index, raw, parsed, identify))
        frames.append(parsed.frame.assign(**{FILE: index}))
        present |= parsed.present_optional
    if documents:
        parsed_frame, document_errors, optional = _parse_documents(documents, dataset, identify)
        frames.append(parsed_frame)
        errors.append(document_errors)
        present |= optional
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    found = [e for e in errors if len(e)]
    return IngestedClaims(
        frame,
        files,
        pd.concat(found, ignore_index=True) if found else empty_errors(),
        frozenset(present),
    )


def _document_columns(path: Path, dataset: Dataset, limits: InboxLimits) -> dict[str, list[Any]]:
    assert dataset.documents is not None
    return dataset.documents.columns(path, limits)


def _parse_documents(
    documents: list[tuple[int, dict[str, list[Any]]]], dataset: Dataset, identify: Identify
) -> tuple[pd.DataFrame, pd.DataFrame, frozenset[str]]:
    """Frame and parse many one-document files in one pass, each row keeping file and line.

    Parsing is vectorised per call; per file it would cost more than the file itself (a
    night of 10,000 e-invoices took 70 s that way, measured). Rows are numbered through
    the batch while parsed, then given back their own file and line.
    """
    names = list(documents[0][1])
    combined = pd.DataFrame(
        {name: [v for _, columns in documents for v in columns[name]] for name in names},
        dtype=object,
    )
    file_of = np.concatenate(
        [np.full(len(columns[LINE]), i, dtype=np.int64) for i, columns in documents]
    )
    line_of = combined[LINE].to_numpy(dtype=np.int64)
    position = np.arange(len(combined), dtype=np.int64)
    assert dataset.documents is not None
    batch = RawFrame(combined.assign(**{LINE: position}), dataset.documents.dialect, "xml")
    parsed = parse(batch, dataset)
    rows = parsed.frame[LINE].to_numpy(dtype=np.int64)
    frame = parsed.frame.assign(**{LINE: line_of[rows], FILE: file_of[rows]})
    found = row_errors(0, batch, parsed, identify)
    at = found["line"].to_numpy(dtype=np.int64)
    found = found.assign(file=file_of[at], line=line_of[at])
    return frame, found, parsed.present_optional


def archive_read_files(*, folders: DataFolders, files: list[NightFile], night: date) -> None:
    """Move tonight's processed claim files to the archive (after the ledger commit)."""
    for item in files:
        if item.status == "read" and item.path.exists():
            item.stored_path = move_to_archive(item.path, folders, item.dataset, night, item.sha256)
