"""XLSX files for the demo, byte-for-byte reproducible.

openpyxl stamps the save time into docProps/core.xml and into every zip entry, so two
runs would give different bytes and the robots' "processed once, by content hash" rule
could not be demonstrated. The workbook is therefore written to memory and re-zipped
with one fixed timestamp (the night being generated).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.core import DocumentProperties
from openpyxl.xml.functions import tostring

AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "dd-mm-yyyy"
CORE_PROPERTIES = "docProps/core.xml"


def workbook_bytes(
    sheet_title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    amount_columns: Sequence[int] = (),
    date_columns: Sequence[int] = (),
    stamp: datetime,
) -> bytes:
    """One sheet, header in row 1, amounts shown with 2 decimals, dates as date cells.

    Values in `amount_columns` must be `Decimal` (exact kroner) and values in
    `date_columns` `datetime.date`; any other value (e.g. a planted unreadable text)
    is written as it is, as a real export with a bad cell would hold it.
    """
    workbook = Workbook(write_only=True)
    workbook.properties = DocumentProperties(creator="robots demo", created=stamp, modified=stamp)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append(list(header))
    formats = dict.fromkeys(amount_columns, AMOUNT_FORMAT) | dict.fromkeys(
        date_columns, DATE_FORMAT
    )
    for row in rows:
        cells: list[object] = []
        for i, value in enumerate(row):
            fmt = formats.get(i)
            if fmt is None or value is None or isinstance(value, str):
                cells.append(value)
            else:
                cell = WriteOnlyCell(sheet, value)
                cell.number_format = fmt
                cells.append(cell)
        sheet.append(cells)
    raw = io.BytesIO()
    workbook.save(raw)
    core = tostring(
        DocumentProperties(creator="robots demo", created=stamp, modified=stamp).to_tree()
    )
    return _rezip(raw.getvalue(), stamp, {CORE_PROPERTIES: core})


def _rezip(data: bytes, stamp: datetime, replace: dict[str, bytes]) -> bytes:
    """Copy a zip with every entry's timestamp set to `stamp`, in the same order."""
    out = io.BytesIO()
    when = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, replace.get(info.filename, source.read(info.filename)))
    return out.getvalue()
