"""Read the NemKonto system's (NKS) answers, in a small CSV format of our own.

NKS answers each bundle (Kvitteringssvar 1, Retursvar 5, 7, 8, 9; domain.md 7.4), but
the fields of its answers are not public: the municipality's data supplier has them.
So the robots read this format, and the supplier's file is mapped onto it in one place,
on the supplier's side, instead of being guessed at here.

One file is one answer. UTF-8 (a byte-order mark is allowed), `;` between fields, a
header row naming the eight columns below (in any order, no others), one row per
answered bundle or payment; a field holding `;` is quoted ("..."); blank lines are
skipped. Line numbers in messages are the file's lines, the header being line 1.

Columns:

* `answer_id`: the answer's unique id (NKS's message or file id); the same on every row.
* `answer_type`: NKS's number: `1` bundle received, `5` stopped, `7` completion failed
  (no NemKonto), `8` received by the bank, `9` rejected in the bank. (0 and 2 concern
  only the data supplier and are not passed on.)
* `bundle_id`: our batch id, the pain.001 MsgId the bundle was sent as; required.
* `end_to_end_id`: our EndToEndId of the payment; blank when the answer is about the
  whole bundle: always blank for `1`, required for `7`.
* `amount`: optional; kroner, Danish `1.234,50` or plain `1234.50`, at most two
  decimals, above zero. `1.234` (no comma) is refused: thousands or decimals?
* `outcome`: for `7` only, and required there: `cheque`, `error_account`,
  `waiting_account` or `rejected` (then the municipality must pay again itself).
* `reason`: optional free text, as NKS gives it.
* `answered_on`: `YYYY-MM-DD`, the day of the answer; the same on every row.

Rows become: `1` a "file" row "received"; `8` "received", `9` "rejected", `5` "stopped",
each a "transfer" row when end_to_end_id is given, else a "batch" row; `7` a "transfer"
row "no_nemkonto" with `nks_outcome`. `bank_status` is the number; the currency of an
amount is DKK. Any wrong row refuses the whole file, naming its line.

Example:

    answer_id;answer_type;bundle_id;end_to_end_id;amount;outcome;reason;answered_on
    N-0001;1;HT20261201-1a2b3c4d;;;;;2026-12-02
    N-0001;7;HT20261201-1a2b3c4d;HT20261201-1a2b3c4d-000042;1.234,50;waiting_account;;2026-12-02
"""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from robots.core.payments.answers.rows import (
    NKS_OUTCOMES,
    AnswerError,
    AnswerFile,
    Row,
    exact_oere,
    rows_frame,
)

logger = logging.getLogger(__name__)

COLUMNS = (
    "answer_id",
    "answer_type",
    "bundle_id",
    "end_to_end_id",
    "amount",
    "outcome",
    "reason",
    "answered_on",
)
ANSWER_TYPES = {
    "1": "received",
    "5": "stopped",
    "7": "no_nemkonto",
    "8": "received",
    "9": "rejected",
}
"""NKS's answer numbers and the status each becomes."""

_DANISH = re.compile(r"(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")
_PLAIN = re.compile(r"\d+(?:\.\d+)?")
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_nks_header(line: str) -> bool:
    """Whether a first line is this format's header (how `read_answer_file` knows it)."""
    cells = [cell.strip() for cell in line.lstrip("\ufeff").rstrip("\r\n").split(";")]
    return sorted(cells) == sorted(COLUMNS)


def read_nks(path: Path) -> AnswerFile:
    """Read one NKS answer in the format above into answer rows.

    Args:
        path: The file.

    Returns:
        The answer; `message_id` is the answer_id, `created` the answered_on.

    Raises:
        AnswerError: The first thing wrong, with its line: not UTF-8, a wrong header,
            a row breaking a rule above, two answer ids or days, or no rows at all.
    """
    path = Path(path)
    reader = csv.reader(io.StringIO(_text(path), newline=""), delimiter=";", strict=True)
    rows: list[Row] = []
    first: dict[str, str] = {}
    try:
        names = [name.strip() for name in next(reader, [])]
        if sorted(names) != sorted(COLUMNS):
            raise AnswerError(
                path,
                f"the header must name the columns {';'.join(COLUMNS)} (in any order), "
                f"not {';'.join(names)!r}",
                line=1,
            )
        end = reader.line_num
        for record in reader:
            line, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(names):
                raise AnswerError(
                    path, f"has {len(record)} fields, the header {len(names)}", line=line
                )
            fields = {name: cell.strip() for name, cell in zip(names, record, strict=True)}
            rows.append(_row(path, line, fields))
            for same in ("answer_id", "answered_on"):
                first.setdefault(same, fields[same])
                if fields[same] != first[same]:
                    raise AnswerError(
                        path,
                        f"{same} {fields[same]!r} differs from {first[same]!r} above: one "
                        "file is one answer; split it",
                        line=line,
                    )
    except csv.Error as exc:
        raise AnswerError(path, f"is not readable CSV ({exc})", line=reader.line_num) from exc
    if not rows:
        raise AnswerError(path, "holds no answer rows, only a header (or nothing)")
    answer = AnswerFile(
        kind="nks",
        message_id=first["answer_id"],
        created=first["answered_on"],
        account_iban=None,
        rows=rows_frame(rows),
    )
    logger.info("Read NKS answer %s: %d row(s)", path.name, len(rows))
    return answer


def _text(path: Path) -> str:
    """The file as text; why UTF-8 only: the format says so, and a guess could misread."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AnswerError(path, f"cannot be read ({exc})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AnswerError(path, "is not UTF-8 text; export it as UTF-8", line=line) from exc


def _row(path: Path, line: int, fields: dict[str, str]) -> Row:
    """Check one row against the format and make it an answer row."""

    def refuse(reason: str) -> AnswerError:
        return AnswerError(path, reason, line=line)

    kind, e2e, outcome = fields["answer_type"], fields["end_to_end_id"], fields["outcome"]
    if not fields["answer_id"]:
        raise refuse("answer_id is empty")
    if kind not in ANSWER_TYPES:
        raise refuse(f"answer_type {kind!r} is not one of {', '.join(ANSWER_TYPES)}")
    if not fields["bundle_id"]:
        raise refuse("bundle_id is empty: every answer is about one of our bundles")
    if kind == "1" and e2e:
        raise refuse("answer_type 1 (bundle received) is about a bundle: leave end_to_end_id blank")
    if kind == "7" and not e2e:
        raise refuse("answer_type 7 (no NemKonto) needs the payment's end_to_end_id")
    if kind == "7" and outcome not in NKS_OUTCOMES:
        raise refuse(
            f"answer_type 7 needs an outcome, one of {', '.join(NKS_OUTCOMES)}; got {outcome!r}"
        )
    if kind != "7" and outcome:
        raise refuse(f"outcome {outcome!r} is only for answer_type 7; leave it blank")
    try:
        oere = _oere(fields["amount"]) if fields["amount"] else None
    except ValueError as exc:
        raise refuse(f"amount {fields['amount']!r} {exc}") from exc
    answered_on = fields["answered_on"]
    try:
        if not _DATE.fullmatch(answered_on):
            raise ValueError
        date.fromisoformat(answered_on)
    except ValueError:
        raise refuse(f"answered_on {answered_on!r} is not a date YYYY-MM-DD") from None
    return Row(
        level="file" if kind == "1" else ("transfer" if e2e else "batch"),
        status=ANSWER_TYPES[kind],
        bank_status=kind,
        source_line=line,
        batch_id=fields["bundle_id"],
        end_to_end_id=e2e or None,
        reason_text=fields["reason"] or None,
        amount_oere=oere,
        currency=None if oere is None else "DKK",
        nks_outcome=outcome or None,
    )


def _oere(text: str) -> int:
    """Kroner text -> øre, exactly; ValueError saying what is wrong (the message's tail)."""
    if _DANISH.fullmatch(text):
        value = text.replace(".", "").replace(",", ".")
    elif _GROUPED.fullmatch(text):
        raise ValueError("is ambiguous (thousands or decimals?): write 1.234,00 or 1234.00")
    elif _PLAIN.fullmatch(text):
        value = text
    else:
        raise ValueError("is not an amount in kroner such as 1.234,50 or 1234.50")
    try:
        oere = exact_oere(Decimal(value))
    except ValueError:
        raise ValueError("has more than two decimals: an amount is whole øre") from None
    if oere <= 0:
        raise ValueError("must be above zero")
    return oere
