"""Reading one inbox file into a frame of text, exactly as contracts.md describes.

CSV in UTF-8 (with or without BOM) or Windows-1252, `;` or `,` delimited, and XLSX (first
sheet, header in row 1). Every cell comes out as text plus the row's physical line number
(`_line`), so the parser can name file, line and value in every error. A row with the
wrong number of fields becomes a `RowError`; a file that cannot be read whole raises
`UnreadableFileError` with a reason a caseworker understands.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from robots.core.errors import BusinessError, ReasonCode
from robots.core.pipeline.datasets import Dataset, Dialect
from robots.core.settings import InboxLimits

MIB = 1024 * 1024

LINE = "_line"


class UnreadableFileError(BusinessError):
    """The file cannot be read whole; it goes to quarantine with this reason."""

    def __init__(self, file_name: str, reason: str) -> None:
        super().__init__(ReasonCode.UNREADABLE_FILE, f"{file_name}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class RowError:
    """One row that could not be taken apart: its line and why."""

    line: int
    reason: str
    fields: tuple[str, ...] = field(default=(), compare=False)
    """The row's values as far as they could be split, so the error can still name the
    claim it was (by the header's positions; a broken row may have shifted them)."""


@dataclass
class RawFrame:
    """A file's rows as text, with the dialect that decides how amounts are written."""

    frame: pd.DataFrame
    dialect: Dialect
    encoding: str
    row_errors: list[RowError] = field(default_factory=list)


def read_file(path: Path, dataset: Dataset, limits: InboxLimits | None = None) -> RawFrame:
    """Read a CSV or XLSX file (or an OIOUBL XML invoice) of `dataset`, or raise
    UnreadableFileError saying why it cannot be read (past `limits`: unread)."""
    limits = limits or InboxLimits()
    suffix = path.suffix.lower()
    check_file_size(path, limits.max_file_mib)
    if suffix in (".csv", ".txt"):
        raw = _read_csv(path)
    elif suffix == ".xlsx":
        raw = _read_xlsx(path, limits)
    elif dataset.documents is not None and suffix in dataset.documents.suffixes:
        columns = dataset.documents.columns(path, limits)
        raw = RawFrame(pd.DataFrame(columns, dtype=object), dataset.documents.dialect, "xml")
    else:
        raise UnreadableFileError(
            path.name, f"the file type '{suffix or '(none)'}' is not read here; send CSV or XLSX"
        )
    rows = len(raw.frame) + len(raw.row_errors)
    if rows > limits.max_rows_per_file:
        raise UnreadableFileError(
            path.name,
            f"the file has {rows:,} rows, more than the {limits.max_rows_per_file:,} one file may "
            "have (config/settings.toml [inbox]); split it, or raise the limit if it is right",
        )
    _check_header(path.name, raw.frame, dataset)
    return raw


def check_file_size(path: Path, max_mib: int) -> None:
    """Refuse a file larger than `max_mib` before a byte of it is read."""
    size = path.stat().st_size
    if size > max_mib * MIB:
        raise UnreadableFileError(
            path.name,
            f"the file is {size / MIB:,.1f} MiB, more than the {max_mib} MiB a file may be "
            "(config/settings.toml [inbox]); it was not opened",
        )


def _decode(path: Path, data: bytes) -> tuple[bytes, str, str]:
    """The file as UTF-8 bytes for Arrow, its first line as text, and its encoding.

    UTF-8 files go to Arrow as they are (only checked, not copied through a str).
    """
    if not data or data.isspace():
        raise UnreadableFileError(path.name, "the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableFileError(
                path.name, "the file says it is UTF-16 (byte order mark) but is not"
            ) from None
        data = text.encode("utf-8")
        return data, _first_line(text), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if encoding == "utf-8-sig":
            raise UnreadableFileError(
                path.name, "the file says it is UTF-8 (byte order mark) but is not"
            ) from None
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(
                path.name,
                "the text is neither UTF-8 nor Windows-1252 (byte "
                f"{exc.object[exc.start]:#x} at position {exc.start}); it may not be a CSV file",
            ) from exc
        data, encoding = text.encode("utf-8"), "cp1252"
    if "\x00" in text[:4096]:
        raise UnreadableFileError(path.name, "the file holds binary data, not CSV text")
    return data, _first_line(text), encoding


def _first_line(text: str) -> str:
    """Lines may end in LF, CRLF or a lone CR (old Mac exports): the first ends at the first."""
    ends = [at for at in (text.find("\n"), text.find("\r")) if at >= 0]
    return text[: min(ends)] if ends else text


_SEPARATOR_HINT = re.compile(r'^\s*"?sep=(.)"?\s*$', re.IGNORECASE)
"""Excel's first line naming the delimiter (`sep=;`), written before the header."""


def _without_separator_hint(data: bytes, first: str) -> tuple[bytes, str, str | None]:
    """The file without an Excel `sep=` line, its header line, and the delimiter it named."""
    hint = _SEPARATOR_HINT.match(first)
    if hint is None:
        return data, first, None
    rest = data[data.index(b"\n") + 1 :] if b"\n" in data else data[data.index(b"\r") + 1 :]
    return rest, _first_line(rest.decode("utf-8")[:65536]), hint.group(1)


def _read_csv(path: Path) -> RawFrame:
    data, header_line, encoding = _decode(path, path.read_bytes())
    data, header_line, named = _without_separator_hint(data, header_line)
    skipped = 0 if named is None else 1  # the hint's line: every line number one further on
    if named is not None:
        delimiter = named
    else:
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = [h.strip().strip('"').strip().lower() for h in header_line.split(delimiter)]
    _check_names(path.name, header)
    bad: list[RowError] = []
    blank_lines: set[int] = set()

    def _on_invalid_row(row: pacsv.InvalidRow) -> str:
        if not row.text.strip():
            blank_lines.add(int(row.number) + skipped)
        else:
            swallowed = row.text.count("\n") + row.text.count("\r")
            reason = (
                f'a quote (") opened in this row is not closed, so the {swallowed} line(s) '
                "after it were read as one value and not processed; close the quote and send "
                "the rows again"
                if swallowed
                else f"the row has {row.actual_columns} fields where the header has "
                f"{row.expected_columns}"
            )
            bad.append(
                RowError(
                    int(row.number) + skipped,
                    reason,
                    tuple(row.text.replace('"', "").split(delimiter)),
                )
            )
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(use_threads=False, column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, invalid_row_handler=_on_invalid_row, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:
        raise UnreadableFileError(path.name, _csv_trouble(str(exc))) from exc
    frame = table.to_pandas()
    # Every physical line after the header is a record (empty lines included), so the
    # good rows' line numbers are the record numbers less the bad ones.
    bad_lines = {e.line for e in bad} | blank_lines
    first = 2 + skipped
    all_lines = np.arange(first, first + len(frame) + len(bad_lines), dtype=np.int64)
    frame[LINE] = all_lines[~np.isin(all_lines, list(bad_lines))][: len(frame)]
    frame = _drop_blank_rows(frame)
    return RawFrame(frame, "semicolon" if delimiter == ";" else "comma", encoding, bad)


def _check_names(file_name: str, header: list[str]) -> None:
    """A header must name each column once (which one is named twice, is said)."""
    seen: set[str] = set()
    twice = [h for h in header if h in seen or seen.add(h)]  # type: ignore[func-returns-value]
    if twice:
        raise UnreadableFileError(
            file_name,
            f"the header row names the column '{twice[0]}' more than once; each column "
            "must be named once",
        )


def _csv_trouble(arrow_message: str) -> str:
    """Arrow's reason a CSV could not be split into rows, in a caseworker's words."""
    if "straddling" in arrow_message or "block size" in arrow_message:
        return (
            'one row is longer than 1 MB, usually because a quote (") is opened and never '
            "closed, so the rest of the file reads as one value; correct the file and send "
            "it again"
        )
    return (
        "the file cannot be split into rows and columns (the CSV reader stopped: "
        f"{arrow_message.splitlines()[0][:200]}); correct the file and send it again"
    )


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop rows whose every cell is blank (a line of bare delimiters, say)."""
    data = frame.drop(columns=[LINE])
    if data.empty:
        return frame
    # Only rows blank in the first cell can be blank rows: check the rest for those only.
    candidates = data.index[data.iloc[:, 0].str.strip() == ""]
    if len(candidates) == 0:
        return frame
    rest = data.loc[candidates]
    blank = rest.apply(lambda s: s.str.strip() == "").all(axis=1)
    dropped = blank.index[blank]
    return frame.drop(index=dropped).reset_index(drop=True) if len(dropped) else frame


def _cell_text(value: object) -> str:
    """An XLSX cell as the same text a CSV export would hold (amounts never via float math)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr gives the shortest text that round-trips, e.g. 1234.5 -> '1234.5'; the
        # parser then takes that text as an exact decimal.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _check_workbook_zip(path: Path, limits: InboxLimits) -> None:
    """Refuse an XLSX whose parts unpack to more than the limits allow, before openpyxl
    opens it: a zip bomb of under 1 MB can unpack to hundreds of thousands of rows.

    The sizes are those the zip declares; Python's zipfile never unpacks a part beyond its
    declared size (it stops there and the checksum fails), so a lie cannot get past.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # openpyxl says why it is no workbook
    unpacked = sum(p.file_size for p in parts)
    if unpacked > limits.max_xlsx_unpacked_mib * MIB:
        raise UnreadableFileError(
            path.name,
            f"the workbook unpacks to {unpacked / MIB:,.0f} MiB, more than the "
            f"{limits.max_xlsx_unpacked_mib} MiB allowed (config/settings.toml [inbox]); it "
            "was not read",
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > MIB and ratio > limits.max_xlsx_ratio:
            raise UnreadableFileError(
                path.name,
                f"part {part.filename} of the workbook unpacks {ratio:,.0f} times its packed "
                f"size (at most {limits.max_xlsx_ratio} is allowed): refused as a possible "
                "zip bomb, not read",
            )


def _read_xlsx(path: Path, limits: InboxLimits) -> RawFrame:
    from openpyxl import load_workbook

    _check_workbook_zip(path, limits)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFileError(
            path.name, "the file is not a readable Excel workbook (damaged or another format)"
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        try:
            header_row = next(rows)
        except StopIteration as exc:
            raise UnreadableFileError(path.name, "the first sheet is empty") from exc
        header = [_cell_text(h).lower() for h in header_row]
        while header and header[-1] == "":
            header.pop()
        width = len(header)
        records: list[list[str]] = []
        lines: list[int] = []
        bad: list[RowError] = []
        for number, row in enumerate(rows, start=2):
            if number - 1 > limits.max_rows_per_file:
                raise UnreadableFileError(
                    path.name,
                    f"the workbook has more than the {limits.max_rows_per_file:,} rows one file "
                    "may have (config/settings.toml [inbox]); it was not read",
                )
            cells = [_cell_text(v) for v in row]
            extra = [c for c in cells[width:] if c != ""]
            cells = (cells + [""] * width)[:width]
            if not any(cells) and not extra:
                continue
            if extra:
                bad.append(
                    RowError(
                        number,
                        f"the row has values beyond the {width} header columns",
                        tuple(cells),
                    )
                )
                continue
            records.append(cells)
            lines.append(number)
    finally:
        workbook.close()
    _check_names(path.name, header)
    frame = pd.DataFrame(records, columns=header, dtype="string")
    frame[LINE] = np.asarray(lines, dtype=np.int64)
    return RawFrame(frame, "xlsx", "xlsx", bad)


def _check_header(file_name: str, frame: pd.DataFrame, dataset: Dataset) -> None:
    missing = [c for c in dataset.mandatory_header if c not in frame.columns]
    if missing:
        raise UnreadableFileError(
            file_name,
            f"the header lacks the column(s) {', '.join(missing)} that a {dataset.name} "
            "file must have (contracts.md)",
        )
