"""Reading doctors' OIOUBL e-invoices (and credit notes) safely into invoice rows.

OIOUBL 2.02 (UBL 2.0) and OIOUBL 2.1 (UBL 2.1) share the UBL namespaces, so one reader
takes both. Where a LAE-attest invoice carries each contract field is NOT FOUND in public
sources (domain.md 5.2), so this is the project's mapping (README "Formats"):

- invoice_id: `cbc:ID`; invoice_date: `cbc:IssueDate`; request_id: `cac:OrderReference/cbc:ID`
  (the municipality's requisition number, which the doctor needs to e-invoice at all, S80);
- doctor_cvr: the supplier's CVR (`PartyLegalEntity/CompanyID`, else `PartyIdentification/ID`,
  else `EndpointID`, scheme DK:CVR), without the `DK` prefix;
- one row per `InvoiceLine` / `CreditNoteLine`: certificate_code from the item's
  `SellersItemIdentification/ID` (else `StandardItemIdentification/ID`, else `Name`),
  cpr from the item property named `CPR`, service_date from the line's (else the
  document's) `Delivery/ActualDeliveryDate`, amount from `LineExtensionAmount` (VAT-exempt);
- a `CreditNote` gives document_type `credit_note` and credited_invoice_id from
  `BillingReference/InvoiceDocumentReference/ID`; with no delivery date it is dated by its
  issue date.

Every row's `_line` is the physical line of its InvoiceLine element, so errors name file
and line like any CSV. Safety: e-invoices never need a DTD, so a file declaring one (the
carrier of entity expansion and external entities) is refused before libxml2 sees it;
the parser also resolves no entities, loads no DTD, never touches the network and keeps
libxml2's size limits. Real invoices often embed the invoice as a PDF
(`EmbeddedDocumentBinaryObject`, base64): such a document is cut out before parsing (its
line breaks kept, so line numbers stay true) and nothing of it is kept. A file above
`InboxLimits.max_xml_mib` is refused unread, and one whose invoice without its embedded
documents is above `max_xml_text_mib` is refused before it is parsed.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from robots.core.pipeline.reading import (
    LINE,
    MIB,
    Dialect,
    RawFrame,
    UnreadableFileError,
    check_file_size,
)
from robots.core.settings import InboxLimits

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CPR_PROPERTY_NAMES = ("cpr", "cpr-nummer", "cprnummer", "personnummer")

_DTD_MARKERS = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_EMBEDDED = re.compile(
    rb"(<(?:[A-Za-z_][\w.-]*:)?EmbeddedDocumentBinaryObject\b[^>]*>)"
    rb"((?:[A-Za-z0-9+/=\s]++|&#(?:13|10|x[dDaA]);)*+)"
    rb"(</(?:[A-Za-z_][\w.-]*:)?EmbeddedDocumentBinaryObject\s*>)"
)
"""An embedded document: base64 text (which holds no '<'), so its end cannot be mistaken."""


@dataclass(frozen=True)
class LineShift:
    """Where line breaks were cut out of a document, so that a line number in what was
    parsed can be given back as the file's physical line."""

    cut_at: tuple[int, ...] = ()
    """The parsed text's line on which each cut stands, in order."""
    removed_before: tuple[int, ...] = ()
    """Line breaks removed by that cut and every one before it."""

    def physical(self, line: int) -> int:
        """The file's line of a line in the parsed text."""
        cuts = bisect_left(self.cut_at, line)  # the cuts on earlier lines
        return line + (self.removed_before[cuts - 1] if cuts else 0)


def without_embedded_documents(data: bytes) -> tuple[bytes, LineShift]:
    """The e-invoice with each embedded document's base64 text cut out, and how to give
    lines back their physical numbers.

    A cut text that spanned lines leaves one line break where it stood: what starts on the
    cut's line came before it, what starts on the next line came after it, even when the
    rest of the document is written on one line. (Keeping every line break instead would
    leave a document of 100,000s of lines, past which libxml2 counts lines one off.)
    """
    pieces: list[bytes] = []
    cut_at: list[int] = []
    removed: list[int] = []
    start, line = 0, 1
    for match in _EMBEDDED.finditer(data):
        before = data[start : match.start(2)]
        breaks = match.group(2).count(b"\n")
        pieces.append(before + (b"\n" if breaks else b""))
        line += before.count(b"\n")
        start = match.end(2)
        if breaks:
            cut_at.append(line)
            removed.append((removed[-1] if removed else 0) + breaks - 1)
            line += 1
    if start == 0:
        return data, LineShift()
    pieces.append(data[start:])
    return b"".join(pieces), LineShift(tuple(cut_at), tuple(removed))


def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression, namespaces=NS, smart_strings=False)


_SUPPLIER = "cac:AccountingSupplierParty/cac:Party/"
_DOCUMENT = {
    "invoice_id": _xpath("string(cbc:ID)"),
    "invoice_date": _xpath("string(cbc:IssueDate)"),
    "currency": _xpath("string(cbc:DocumentCurrencyCode)"),
    "request_id": _xpath("string(cac:OrderReference/cbc:ID)"),
    "credited_invoice_id": _xpath(
        "string(cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID)"
    ),
    "service_date": _xpath("string(cac:Delivery/cbc:ActualDeliveryDate)"),
    "doctor_cvr": _xpath(
        f"string(({_SUPPLIER}cac:PartyLegalEntity/cbc:CompanyID[@schemeID='DK:CVR']"
        f" | {_SUPPLIER}cac:PartyIdentification/cbc:ID[@schemeID='DK:CVR']"
        f" | {_SUPPLIER}cbc:EndpointID[@schemeID='DK:CVR'])[last()])"
    ),
}
_CERTIFICATE_CODE = (
    _xpath("string(cac:Item/cac:SellersItemIdentification/cbc:ID)"),
    _xpath("string(cac:Item/cac:StandardItemIdentification/cbc:ID)"),
    _xpath("string(cac:Item/cbc:Name)"),
)
"""Where the certificate code is looked for, in order of preference."""
_LINES = _xpath("cac:InvoiceLine | cac:CreditNoteLine")
_LINE = {
    "invoice_line": _xpath("string(cbc:ID)"),
    "amount": _xpath("string(cbc:LineExtensionAmount)"),
    "amount_currency": _xpath("string(cbc:LineExtensionAmount/@currencyID)"),
    "cpr": _xpath(
        "string(cac:Item/cac:AdditionalItemProperty[translate(normalize-space(cbc:Name),"
        " 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = "
        + " or translate(normalize-space(cbc:Name), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',"
        " 'abcdefghijklmnopqrstuvwxyz') = ".join(f"'{n}'" for n in CPR_PROPERTY_NAMES)
        + "][1]/cbc:Value)"
    ),
    "service_date": _xpath("string(cac:Delivery/cbc:ActualDeliveryDate)"),
}


@lru_cache(maxsize=1)
def _parser() -> etree.XMLParser:
    """One parser for the process (building one per file cost more than the parse)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def is_oioubl(path: Path) -> bool:
    """XML files are read as OIOUBL; everything else goes the CSV/XLSX way."""
    return path.suffix.lower() == ".xml"


def parse_document(
    data: bytes, file_name: str, limits: InboxLimits | None = None
) -> tuple[etree._Element, LineShift]:
    """Parse one e-invoice safely (and say how its lines map to the file's), or raise
    UnreadableFileError with the reason."""
    limits = limits or InboxLimits()
    if len(data) > limits.max_xml_mib * MIB:
        raise UnreadableFileError(
            file_name,
            f"the XML file is {len(data) / MIB:,.1f} MiB, above the {limits.max_xml_mib} MiB an "
            "invoice with its attachments may be (config/settings.toml [inbox])",
        )
    data, shift = without_embedded_documents(data)
    if len(data) > limits.max_xml_text_mib * MIB:
        raise UnreadableFileError(
            file_name,
            f"the invoice is {len(data) / MIB:,.1f} MiB without its attachments, above the "
            f"{limits.max_xml_text_mib} MiB an invoice may be (config/settings.toml [inbox])",
        )
    if not data.strip():
        raise UnreadableFileError(file_name, "the file is empty")
    if _DTD_MARKERS.search(data):
        raise UnreadableFileError(
            file_name,
            "the XML declares a DTD or entities, which an e-invoice never needs; refused for "
            "safety (entity expansion, external entities)",
        )
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = f" at line {shift.physical(exc.lineno)}" if exc.lineno else ""
        raise UnreadableFileError(
            file_name,
            f"the XML is not well-formed{line}: the file is damaged or cut off, so no invoice "
            f"can be read from it (the XML reader says: {exc.msg.split(', line ')[0]})",
        ) from exc
    if root.getroottree().docinfo.doctype:
        raise UnreadableFileError(file_name, "the XML carries a document type; refused")
    return root, shift


DIALECT: Dialect = "comma"
"""Amounts in XML are written with a decimal point, as in a `,` CSV file."""


def read_oioubl(path: Path, limits: InboxLimits | None = None) -> RawFrame:
    """One OIOUBL Invoice or CreditNote as invoice rows of text (one per invoice line)."""
    return RawFrame(pd.DataFrame(read_columns(path, limits), dtype=object), DIALECT, "xml")


def read_columns(path: Path, limits: InboxLimits | None = None) -> dict[str, list[Any]]:
    """One document's rows as plain columns (with `_line`): the night's documents are
    framed together, since a pandas frame per one-line document cost more than its parse."""
    limits = limits or InboxLimits()
    check_file_size(path, limits.max_xml_mib)
    root, shift = parse_document(path.read_bytes(), path.name, limits)
    return invoice_columns(root, path.name, shift)


def invoice_columns(
    root: etree._Element, file_name: str, shift: LineShift | None = None
) -> dict[str, list[object]]:
    """The rows of one parsed document, each with its physical line; a document that is no
    invoice is unreadable."""
    shift = shift or LineShift()
    namespace = etree.QName(root).namespace
    kind = etree.QName(root).localname
    if (namespace, kind) not in ((UBL_INVOICE, "Invoice"), (UBL_CREDIT_NOTE, "CreditNote")):
        raise UnreadableFileError(
            file_name,
            f"the XML is a {kind} ({namespace}), not an OIOUBL Invoice or CreditNote",
        )
    document = {name: str(get(root)).strip() for name, get in _DOCUMENT.items()}
    if document["currency"] and document["currency"] != "DKK":
        raise UnreadableFileError(
            file_name,
            f"the invoice is in {document['currency']}; the municipality pays DKK invoices only",
        )
    lines = _LINES(root)
    if not lines:
        raise UnreadableFileError(file_name, f"the {kind} has no lines")
    columns: dict[str, list[Any]] = {name: [] for name in (*_LINE, "certificate_code")}
    for line in lines:
        for name, get in _LINE.items():
            columns[name].append(str(get(line)).strip())
        columns["certificate_code"].append(_first_of(_CERTIFICATE_CODE, line))
    count = len(lines)
    currencies = {c for c in columns["amount_currency"] if c}
    if currencies - {"DKK"}:
        raise UnreadableFileError(
            file_name, f"invoice lines in {', '.join(sorted(currencies))}; only DKK is paid"
        )
    cvr = document["doctor_cvr"].upper().removeprefix("DK").strip()
    # A credit note often has no delivery: it is dated by its issue date instead.
    fallback = document["service_date"] or (
        document["invoice_date"] if kind == "CreditNote" else ""
    )
    service = [s or fallback for s in columns["service_date"]]
    return {
        "invoice_id": [document["invoice_id"]] * count,
        "doctor_cvr": [cvr] * count,
        "request_id": [document["request_id"]] * count,
        "cpr": columns["cpr"],
        "certificate_code": columns["certificate_code"],
        "service_date": service,
        "invoice_date": [document["invoice_date"]] * count,
        "amount": columns["amount"],
        "invoice_line": columns["invoice_line"],
        "document_type": ["credit_note" if kind == "CreditNote" else "invoice"] * count,
        "credited_invoice_id": [document["credited_invoice_id"]] * count,
        LINE: [shift.physical(line.sourceline or 0) for line in lines],
    }


def _first_of(paths: tuple[etree.XPath, ...], element: etree._Element) -> str:
    for path in paths:
        value = str(path(element)).strip()
        if value:
            return value
    return ""


__all__ = ["is_oioubl", "parse_document", "read_oioubl", "without_embedded_documents"]


@dataclass(frozen=True)
class OioublInvoices:
    """The doctor_invoices dataset's e-invoices, as the pipeline reads one-document files
    (robots.core.pipeline.datasets.DocumentReader)."""

    suffixes: frozenset[str] = frozenset({".xml"})
    dialect: Dialect = DIALECT

    def recognises(self, path: Path) -> bool:
        return is_oioubl(path)

    def columns(self, path: Path, limits: InboxLimits) -> dict[str, list[Any]]:
        return read_columns(path, limits)


E_INVOICES = OioublInvoices()
