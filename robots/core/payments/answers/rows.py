"""What every answer reader shares: one row shape, one error, one safe way into XML.

Why one shape: matching answers to the ledger should not care whether the bank said it
in a pain.002, a camt.054 or NKS in its own format. Each reader turns its file into an
`AnswerFile` whose `rows` frame has the columns below, and nothing else reads the files.

The columns of `AnswerFile.rows` (`COLUMNS`), one row per status the answer gives:

* `level`: "file" (the whole pain.001 or NKS bundle), "batch" (one debit entry,
  PmtInfId) or "transfer" (one payee, EndToEndId).
* `batch_id`: our batch id as the answer quotes it (OrgnlMsgId, OrgnlPmtInfId, camt.054
  Refs or Btch PmtInfId/MsgId, the NKS bundle_id); our MsgId and PmtInfId are the same
  id, so either matches a batch. None when the answer names none.
* `end_to_end_id`: our EndToEndId, or None (bundle or batch answers, and the ISO
  placeholder "NOTPROVIDED").
* `status`: normalised, one of `STATUSES`; `bank_status`: the code as the answer wrote
  it (ACCP, RJCT, BOOK, PDNG, INFO, or the NKS answer number "1" ... "9"), so nothing is
  lost in the normalising.
* `reason_code` (e.g. AC04) and `reason_text`: why, as the answer says; else None.
* `amount_oere` (Int64, nullable) and `currency`: hundredths of the amount in its
  currency (øre for DKK), exact through `Decimal`; a finer amount refuses the file.
* `credit_debit`: "CRDT" or "DBIT" (camt.054 only): a booked credit without return
  information is still "booked", and only this column tells it from our own debit.
* `booked_on`: datetime64[s], the bank's booking date (camt.054), else NaT.
* `nks_outcome`: for NKS answer 7, what became of the payment (`NKS_OUTCOMES`).
* `source_line`: Int64, the file's line where the row's element or CSV row starts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

import pandas as pd
from lxml import etree

from robots.core.errors import BusinessError, ReasonCode

Kind = Literal["pain.002", "camt.054", "nks"]

LEVELS = ("file", "batch", "transfer")
STATUSES = (
    "accepted",
    "rejected",
    "pending",
    "booked",
    "returned",
    "received",
    "stopped",
    "no_nemkonto",
)
NKS_OUTCOMES = ("cheque", "error_account", "waiting_account", "rejected")

_PROLOG_BYTES = 1 << 16
_DTD_MARKERS = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_DOCTYPE_REASON = "declares a DOCTYPE (entities), which bank answers never have; refused unread"

XSD_DIR = Path(__file__).resolve().parent.parent / "xsd"
"""The official schemas shipped with the package (see xsd/SOURCES.md)."""


class AnswerError(BusinessError):
    """An answer file that cannot be trusted, refused whole.

    Why whole: an answer is one message; applying the rows that happen to be readable
    would record half of what the bank or NKS said and hide the rest.
    """

    def __init__(self, path: Path, reason: str, *, line: int | None = None) -> None:
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(ReasonCode.BANK_ANSWER, f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True, kw_only=True)
class Row:
    """One status an answer gives, as the readers build it; its fields are `COLUMNS`."""

    level: str
    batch_id: str | None = None
    end_to_end_id: str | None = None
    status: str
    bank_status: str
    reason_code: str | None = None
    reason_text: str | None = None
    amount_oere: int | None = None
    currency: str | None = None
    credit_debit: str | None = None
    booked_on: date | None = None
    nks_outcome: str | None = None
    source_line: int | None


COLUMNS = tuple(field.name for field in fields(Row))
"""The columns of `AnswerFile.rows`, in order (see the module docstring)."""
_DTYPES = {"amount_oere": "Int64", "source_line": "Int64", "booked_on": "datetime64[s]"}


@dataclass(frozen=True, eq=False)
class AnswerFile:
    """One answer as read: who said it, when, about which account, and its rows.

    Attributes:
        kind: "pain.002", "camt.054" or "nks".
        message_id: The answer's own id (GrpHdr/MsgId, or the NKS answer_id), so the
            same answer delivered twice can be recognised.
        created: When the answer was made, as written (CreDtTm, or NKS answered_on).
        account_iban: The account a camt.054 reports on; None for the others.
        rows: The statuses, with the columns of `COLUMNS` (see the module docstring).
    """

    kind: Kind
    message_id: str
    created: str
    account_iban: str | None
    rows: pd.DataFrame


def rows_frame(rows: Sequence[Row]) -> pd.DataFrame:
    """The rows as a frame with fixed dtypes, also when there are none."""
    return pd.DataFrame(
        {
            name: pd.Series([getattr(row, name) for row in rows], dtype=_DTYPES.get(name, object))
            for name in COLUMNS
        }
    )


def exact_oere(amount: Decimal) -> int:
    """Hundredths of a decimal amount, or ValueError when it has finer digits.

    Why refuse rather than round: an answer's amount is compared with what we paid;
    a rounded amount could match a transfer it is not about.
    """
    hundredths = amount * 100
    if not amount.is_finite() or hundredths != hundredths.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of øre")
    return int(hundredths)


def amount_of(element: etree._Element | None, path: Path) -> tuple[int | None, str | None]:
    """The øre and currency of an ISO amount element (`<Amt Ccy="DKK">12.50</Amt>`)."""
    if element is None:
        return None, None
    try:
        oere = exact_oere(Decimal((element.text or "").strip()))
    except (InvalidOperation, ValueError) as exc:
        raise AnswerError(
            path,
            f"amount {element.text!r} is not exact to the øre, so it matches no payment; "
            "ask the bank what it means",
            line=element.sourceline,
        ) from exc
    return oere, element.get("Ccy")


def _parser() -> etree.XMLParser:
    """No entities resolved, no DTD loaded, no network: an answer comes from outside."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@functools.cache
def _schema(xsd_name: str) -> etree.XMLSchema:
    """Compiled once per process (it costs more than validating); not for two threads."""
    return etree.XMLSchema(etree.parse(str(XSD_DIR / xsd_name), _parser()))


def root_namespace(path: Path) -> tuple[str, int | None]:
    """The root element's namespace and line, read from the file's head only.

    A DTD is refused first, by its bytes: even unexpanded, entity declarations trip
    libxml2's amplification guard, whose message hides the plain reason (answers never
    have one). `parse_answer_xml` checks the parsed document again.
    """
    try:
        with open(path, "rb") as handle:
            if _DTD_MARKERS.search(handle.read(_PROLOG_BYTES)):
                raise AnswerError(path, _DOCTYPE_REASON)
        for _, element in etree.iterparse(
            str(path), events=("start",), resolve_entities=False, no_network=True
        ):
            return etree.QName(element).namespace or "", element.sourceline
    except OSError as exc:
        raise AnswerError(path, f"cannot be read ({exc})") from exc
    except etree.XMLSyntaxError as exc:
        raise AnswerError(path, _not_well_formed(exc), line=exc.lineno) from exc
    raise AnswerError(path, "holds no XML element")


def _not_well_formed(exc: etree.XMLSyntaxError) -> str:
    return f"is not well-formed XML ({exc.msg.split(', line ')[0]})"


def parse_answer_xml(path: Path, schemas: Mapping[str, str]) -> tuple[etree._Element, str]:
    """Parse an ISO 20022 answer safely and validate it against its version's XSD.

    Why the namespace decides: the version names which schema applies; a namespace we
    have no schema for (the Swiss `.ch.02` dialects, a newer version) is refused rather
    than read as if it were one we know.

    Args:
        path: The file.
        schemas: Namespace -> XSD file name in `XSD_DIR`, the versions the reader knows.

    Returns:
        The root element and its namespace.

    Raises:
        AnswerError: Unreadable, not well-formed, a DOCTYPE, an unknown namespace, or
            invalid against its schema (naming the schema's first error and its line).
    """
    namespace, root_line = root_namespace(path)
    if namespace not in schemas:
        known = ", ".join(sorted(name.rsplit(":", 1)[-1] for name in schemas))
        raise AnswerError(
            path,
            f"unknown namespace {namespace or '(none)'!r}: not a version the robots read "
            f"({known}); ask the bank for one of those, do not rename the namespace",
            line=root_line,
        )
    try:
        tree = etree.parse(str(path), _parser())
    except etree.XMLSyntaxError as exc:
        raise AnswerError(path, _not_well_formed(exc), line=exc.lineno) from exc
    if tree.docinfo.doctype:
        raise AnswerError(path, _DOCTYPE_REASON)
    schema = _schema(schemas[namespace])
    if not schema.validate(tree):
        error = schema.error_log[0]
        message = error.message.replace(f"{{{namespace}}}", "")
        raise AnswerError(
            path, f"is not valid against {schemas[namespace]}: {message}", line=error.line
        )
    return tree.getroot(), namespace


def texts(element: etree._Element, xpath: str, ns: Mapping[str, str]) -> list[str]:
    """The stripped, non-empty texts an XPath finds (reasons come in several lines)."""
    return [t.strip() for t in element.xpath(xpath, namespaces=dict(ns)) if t.strip()]
