"""Turn typed demo rows into the bytes of real-looking export files.

The same rows can be written in every notation the contract allows (`;` + cp1252 +
Danish amounts + DD-MM-YYYY, `,` + UTF-8 + decimal point + ISO dates, XLSX with date
and number cells), so the readers are exercised on all of them. Planted read errors
(wrong field count, unreadable values) are made here, because how they look depends on
the file they land in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from robots.demo.claims import (
    ALL_TYPES,
    BAD_DATE_FIELD,
    BAD_RECEIVED_FIELD,
    BAD_SHARE_FIELD,
    EXTRA_FIELD,
    MISSING_FIELD,
    Flavour,
)
from robots.demo.population import Population
from robots.demo.textformat import (
    BLANK_DAY,
    IntArray,
    Strings,
    cat,
    choose,
    cpr_text,
    csv_bytes,
    danish_amounts,
    dmy_dates,
    iso_dates,
    join_fields,
    pick,
    plain_amounts,
    replace_where,
    strings,
    take,
)
from robots.demo.xlsx import workbook_bytes

CLAIM_HEADER = (
    "claim_id",
    "cpr",
    "expense_type",
    "provider_cvr",
    "service_date",
    "citizen_share",
    "received_date",
    "approval_date",
)
CITIZEN_HEADER = (
    "cpr",
    "name",
    "status",
    "status_date",
    "municipality_code",
    "civil_status",
    "moved_date",
)
PENSIONER_HEADER = (
    "cpr",
    "pension_type",
    "supplement_percent",
    "liquid_assets",
    "valid_from",
    "valid_to",
    "awarded_date",
)
COMPANY_HEADER = ("cvr", "name", "status", "status_date", "sector")


def _dates(flavour: Flavour, days: IntArray) -> Strings:
    """Dates in the file's notation."""
    return dmy_dates(days) if flavour.dmy_dates else iso_dates(days)


def _amounts(flavour: Flavour, oere: IntArray) -> Strings:
    """Amounts in the file's notation."""
    return danish_amounts(oere) if flavour.danish_amounts else plain_amounts(oere)


def _csv(flavour: Flavour, header: Sequence[str], lines: Strings) -> bytes:
    """Encode lines with the flavour's delimiter, encoding, BOM and line ends."""
    return csv_bytes(
        header,
        lines,
        delimiter=flavour.delimiter,
        encoding=flavour.encoding,
        bom=flavour.bom,
        newline=flavour.newline,
    )


def _py_dates(days: IntArray) -> list[object]:
    """Days -> datetime.date objects for XLSX date cells (None where blank)."""
    days = np.asarray(days, dtype=np.int64)
    blank = days == BLANK_DAY
    values = np.where(blank, 0, days).astype("datetime64[D]").astype(object)
    values[blank] = None
    return values.tolist()


def _decimals(oere: IntArray) -> list[Decimal]:
    """Øre -> exact Decimal kroner for XLSX number cells (never a binary float)."""
    return list(map(Decimal, plain_amounts(oere).to_pylist()))


def claim_file(rows: pd.DataFrame, flavour: Flavour, stamp: datetime) -> bytes:
    """One claims file from its rows (already in file order)."""
    rows = rows.reset_index(drop=True)
    cpr = cpr_text(rows["cpr"].to_numpy(), rows["hyphen"].to_numpy())
    etype = pick(ALL_TYPES, rows["etype"].to_numpy())
    cvr = strings(rows["provider"].to_numpy())
    bad_field = rows["bad_field"].to_numpy()
    token = strings(rows["bad_token"])
    if flavour.xlsx:
        columns: list[list[Any]] = [
            rows["claim_id"].tolist(),
            cpr.to_pylist(),
            etype.to_pylist(),
            cvr.to_pylist(),
            _py_dates(rows["service"].to_numpy()),
            _decimals(rows["share"].to_numpy()),
            _py_dates(rows["received"].to_numpy()),
            _py_dates(rows["approval"].to_numpy()),
        ]
        tokens = token.to_pylist()
        for field, col in ((BAD_DATE_FIELD, 4), (BAD_RECEIVED_FIELD, 6), (BAD_SHARE_FIELD, 5)):
            for i in np.flatnonzero(bad_field == field):  # the few planted cells only
                columns[col][i] = tokens[i]
        return workbook_bytes(
            "claims",
            CLAIM_HEADER,
            zip(*columns, strict=True),
            amount_columns=(5,),
            date_columns=(4, 6, 7),
            stamp=stamp,
        )

    fields = [
        strings(rows["claim_id"]),
        cpr,
        etype,
        cvr,
        _dates(flavour, rows["service"].to_numpy()),
        _amounts(flavour, rows["share"].to_numpy()),
        _dates(flavour, rows["received"].to_numpy()),
        _dates(flavour, rows["approval"].to_numpy()),
    ]
    for field, col in ((BAD_DATE_FIELD, 4), (BAD_RECEIVED_FIELD, 6), (BAD_SHARE_FIELD, 5)):
        fields[col] = choose(bad_field == field, token, fields[col])
    lines = join_fields(fields, flavour.delimiter)

    malformed = rows["malformed"].to_numpy()
    missing = malformed == MISSING_FIELD
    if missing.any():
        short = [take(f, missing) for i, f in enumerate(fields) if i != 3]
        lines = replace_where(lines, missing, join_fields(short, flavour.delimiter))
    extra = malformed == EXTRA_FIELD
    if extra.any():
        if flavour.delimiter == ",":
            # A decimal comma in a comma file, unquoted: the amount splits into two fields.
            wide = list(fields)
            wide[5] = pc.replace_substring(fields[5], pattern=".", replacement=",")
            long = join_fields([take(f, extra) for f in wide], flavour.delimiter)
        else:
            # A trailing remark column the header does not have.
            long = cat(
                join_fields([take(f, extra) for f in fields], flavour.delimiter), ";se bilag"
            )
        lines = replace_where(lines, extra, long)
    return _csv(flavour, CLAIM_HEADER, lines)


def citizens_file(population: Population, flavour: Flavour) -> bytes:
    """The CPR extract; names carry æøå, which is what the cp1252 reader must get right."""
    return citizen_rows_file(population.citizens, flavour)


def citizen_rows_file(c: pd.DataFrame, flavour: Flavour) -> bytes:
    """Citizen rows (the whole extract or a few corrections) as one CPR extract file."""
    fields = [
        cpr_text(c["cpr"].to_numpy(), c["hyphen"].to_numpy()),
        strings(c["name"]),
        strings(c["status"]),
        _dates(flavour, c["status_day"].to_numpy()),
        strings(c["municipality_code"].to_numpy()),
        strings(c["civil_status"]),
        _dates(flavour, c["moved_day"].to_numpy()),
    ]
    return _csv(flavour, CITIZEN_HEADER, join_fields(fields, flavour.delimiter))


def pensioners_file(population: Population, flavour: Flavour) -> bytes:
    """The pension extract: one row per record, an open record has a blank valid_to."""
    p = population.pensioners
    fields = [
        cpr_text(p["cpr"].to_numpy(), p["hyphen"].to_numpy()),
        strings(p["pension_type"]),
        strings(p["supplement_percent"].to_numpy()),
        _amounts(flavour, p["liquid_assets_oere"].to_numpy()),
        _dates(flavour, p["valid_from"].to_numpy()),
        _dates(flavour, p["valid_to"].to_numpy()),
        _dates(flavour, p["awarded_day"].to_numpy()),
    ]
    return _csv(flavour, PENSIONER_HEADER, join_fields(fields, flavour.delimiter))


def companies_file(population: Population, flavour: Flavour, stamp: datetime) -> bytes:
    """The CVR extract, as XLSX with date cells or as CSV."""
    c = population.companies
    if flavour.xlsx:
        columns = [
            strings(c["cvr"].to_numpy()).to_pylist(),
            c["name"].tolist(),
            c["status"].tolist(),
            _py_dates(c["status_day"].to_numpy()),
            c["sector"].tolist(),
        ]
        return workbook_bytes(
            "companies", COMPANY_HEADER, zip(*columns, strict=True), date_columns=(3,), stamp=stamp
        )
    fields = [
        strings(c["cvr"].to_numpy()),
        strings(c["name"]),
        strings(c["status"]),
        _dates(flavour, c["status_day"].to_numpy()),
        strings(c["sector"]),
    ]
    return _csv(flavour, COMPANY_HEADER, join_fields(fields, flavour.delimiter))


def unreadable_file(stamp: datetime) -> bytes:
    """A scan upload cut off mid-transfer: starts like an XLSX, is not a zip any more."""
    whole = workbook_bytes("scan", ("scan",), [("side 1",)], stamp=stamp)
    return whole[: len(whole) // 3] + b"\x00" * 64
