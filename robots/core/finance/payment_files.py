"""What a payment file itself says: its count of transfers and control sum, read from the
group header only (a million-transfer file is not parsed to find two numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree


@dataclass(frozen=True)
class FileTotals:
    transfers: int | None
    total_oere: int | None
    problem: str | None
    """Why the file's numbers could not be read (missing, unreadable), else None."""


def file_totals(path: str | None) -> FileTotals:
    """NbOfTxs and CtrlSum of a pain.001's GrpHdr."""
    if not path or not Path(path).is_file():
        return FileTotals(None, None, f"the payment file {path or '(none)'} is missing")
    count = total = None
    try:
        for _, element in etree.iterparse(
            path, events=("end",), resolve_entities=False, no_network=True
        ):
            name = etree.QName(element).localname
            if name == "NbOfTxs" and count is None:
                count = int(element.text or "")
            elif name == "CtrlSum" and total is None:
                total = int(Decimal(element.text or "") * 100)
            elif name == "GrpHdr":
                break
    except (etree.XMLSyntaxError, ValueError, InvalidOperation, OSError) as error:
        return FileTotals(None, None, f"the payment file {path} cannot be read: {error}")
    if count is None or total is None:
        return FileTotals(count, total, f"the payment file {path} has no NbOfTxs/CtrlSum")
    return FileTotals(count, total, None)
