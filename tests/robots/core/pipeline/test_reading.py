"""Reading inbox files into text frames (robots/core/pipeline/reading.py).

Every CPR number here is made up; CVR 12345674 is a made-up number with a valid check digit.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from robots.core.pipeline.datasets import CITIZENS
from robots.core.pipeline.parsing import parse
from robots.core.pipeline.reading import LINE, RowError, UnreadableFileError, read_file
from robots.helbredstillaeg.datasets import HEALTH_CLAIMS

CLAIMS_HEADER = "claim_id;cpr;expense_type;provider_cvr;service_date;citizen_share;received_date"
CLAIMS_HEADER_COMMA = CLAIMS_HEADER.replace(";", ",")
CITIZENS_HEADER = "cpr;name;status;status_date;municipality_code;civil_status"


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def column(raw_frame, name: str) -> list:
    return raw_frame.frame[name].tolist()


# --- encodings and dialects -------------------------------------------------------------


def test_semicolon_windows_1252_with_danish_letters(tmp_path: Path) -> None:
    text = (
        f"{CITIZENS_HEADER}\r\n"
        "0101501234;Søren Ærø Åsted;active;;173;single\r\n"
        "0202421234;Bjørn Løkke;dead;2026-10-01;173;married\r\n"
    )
    path = write(tmp_path, "cpr.csv", text, encoding="cp1252")
    assert "ø".encode("cp1252") in path.read_bytes()  # really Windows-1252, not UTF-8

    raw = read_file(path, CITIZENS)

    assert raw.dialect == "semicolon"
    assert raw.encoding == "cp1252"
    assert column(raw, "name") == ["Søren Ærø Åsted", "Bjørn Løkke"]
    assert column(raw, "cpr") == ["0101501234", "0202421234"]
    assert column(raw, "status_date") == ["", "2026-10-01"]
    assert column(raw, LINE) == [2, 3]
    assert raw.row_errors == []


def test_comma_utf8_with_bom(tmp_path: Path) -> None:
    text = (
        "cpr,name,status,status_date,municipality_code,civil_status\n"
        "0101501234,Åse Ørsted,active,,173,single\n"
    )
    path = write(tmp_path, "cpr.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))

    raw = read_file(path, CITIZENS)

    assert raw.dialect == "comma"
    assert raw.encoding == "utf-8-sig"
    # The BOM must not stick to the first column's name.
    assert raw.frame.columns[0] == "cpr"
    assert column(raw, "cpr") == ["0101501234"]
    assert column(raw, "name") == ["Åse Ørsted"]
    assert column(raw, LINE) == [2]


def test_comma_utf8_without_bom(tmp_path: Path) -> None:
    text = (
        "cpr,name,status,status_date,municipality_code,civil_status\n"
        "0101501234,Ærling Kræn,active,,173,single\n"
    )
    raw = read_file(write(tmp_path, "cpr.csv", text), CITIZENS)

    assert raw.dialect == "comma"
    assert raw.encoding == "utf-8"
    assert column(raw, "name") == ["Ærling Kræn"]


def test_semicolon_utf8_with_bom(tmp_path: Path) -> None:
    text = f"{CITIZENS_HEADER}\n0101501234;Jørgen;active;;173;single\n"
    raw = read_file(write(tmp_path, "cpr.csv", b"\xef\xbb\xbf" + text.encode()), CITIZENS)

    assert (raw.dialect, raw.encoding) == ("semicolon", "utf-8-sig")
    assert column(raw, "name") == ["Jørgen"]


@pytest.mark.parametrize(
    "header",
    [
        "CPR;NAME;STATUS;STATUS_DATE;MUNICIPALITY_CODE;CIVIL_STATUS",
        "Cpr;Name;Status;Status_Date;Municipality_Code;Civil_Status",
        "cpr;name;status;status_date;municipality_code;civil_status",
    ],
)
def test_header_names_are_read_in_any_letter_case(tmp_path: Path, header: str) -> None:
    raw = read_file(
        write(tmp_path, "cpr.csv", f"{header}\n0101501234;Jens;active;;173;single\n"), CITIZENS
    )

    assert list(raw.frame.columns) == [*CITIZENS.mandatory_header, LINE]
    assert column(raw, "municipality_code") == ["173"]


def test_dialect_follows_the_header_delimiter_and_values_keep_the_other_one(
    tmp_path: Path,
) -> None:
    # A ;-file whose amounts carry decimal commas: the comma is not a delimiter.
    semicolon = f"{CLAIMS_HEADER}\nC1;0101501234;medicin;12345674;2026-11-01;1.234,50;2026-11-02\n"
    raw = read_file(write(tmp_path, "a.csv", semicolon), HEALTH_CLAIMS)
    assert raw.dialect == "semicolon"
    assert column(raw, "citizen_share") == ["1.234,50"]

    comma = f"{CLAIMS_HEADER_COMMA}\nC1,0101501234,medicin,12345674,2026-11-01,1234.50,2026-11-02\n"
    raw = read_file(write(tmp_path, "b.csv", comma), HEALTH_CLAIMS)
    assert raw.dialect == "comma"
    assert column(raw, "citizen_share") == ["1234.50"]


def test_cells_are_text_not_numbers(tmp_path: Path) -> None:
    # Leading zeros of a CPR number must survive (no numeric inference).
    raw = read_file(
        write(tmp_path, "cpr.csv", f"{CITIZENS_HEADER}\n0101501234;Jens;active;;0173;single\n"),
        CITIZENS,
    )
    assert column(raw, "cpr") == ["0101501234"]
    assert column(raw, "municipality_code") == ["0173"]


# --- malformed rows and line numbers ----------------------------------------------------

GOOD = "0101501234;medicin;12345674;2026-11-01;45,00;2026-11-02"


def test_row_with_too_few_fields_becomes_a_row_error_and_later_lines_stay_right(
    tmp_path: Path,
) -> None:
    text = (
        f"{CLAIMS_HEADER}\n"
        f"C1;{GOOD}\n"  # line 2
        "C2;0101501234;medicin\n"  # line 3: 3 fields
        f"C3;{GOOD}\n"  # line 4
        f"C4;{GOOD}\n"  # line 5
    )
    raw = read_file(write(tmp_path, "claims.csv", text), HEALTH_CLAIMS)

    assert raw.row_errors == [RowError(3, "the row has 3 fields where the header has 7")]
    assert column(raw, "claim_id") == ["C1", "C3", "C4"]
    assert column(raw, LINE) == [2, 4, 5]


def test_row_with_too_many_fields_becomes_a_row_error(tmp_path: Path) -> None:
    text = f"{CLAIMS_HEADER}\nC1;{GOOD};extra\nC2;{GOOD}\n"
    raw = read_file(write(tmp_path, "claims.csv", text), HEALTH_CLAIMS)

    assert [e.line for e in raw.row_errors] == [2]
    assert "8 fields" in raw.row_errors[0].reason
    assert "7" in raw.row_errors[0].reason
    assert column(raw, "claim_id") == ["C2"]
    assert column(raw, LINE) == [3]


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    text = (
        f"{CLAIMS_HEADER}\r\n"
        f"C1;{GOOD}\r\n"  # line 2
        "\r\n"  # line 3 blank
        "C2;0101501234\r\n"  # line 4 malformed
        "\r\n"  # line 5 blank
        f"C3;{GOOD}\r\n"  # line 6
        "C4;x\r\n"  # line 7 malformed
        f"C5;{GOOD}\r\n"  # line 8
        "\r\n"  # trailing blank lines
        "\r\n"
    )
    raw = read_file(write(tmp_path, "claims.csv", text), HEALTH_CLAIMS)

    assert [e.line for e in raw.row_errors] == [4, 7]
    assert column(raw, "claim_id") == ["C1", "C3", "C5"]
    assert column(raw, LINE) == [2, 6, 8]


def test_whitespace_only_and_all_empty_rows_are_dropped(tmp_path: Path) -> None:
    text = f"{CLAIMS_HEADER}\nC1;{GOOD}\n   \n;;;;;;\nC2;{GOOD}\n"
    raw = read_file(write(tmp_path, "claims.csv", text), HEALTH_CLAIMS)

    assert raw.row_errors == []
    assert column(raw, "claim_id") == ["C1", "C2"]
    assert column(raw, LINE) == [2, 5]


def test_a_row_with_only_its_first_cell_blank_is_kept(tmp_path: Path) -> None:
    text = f"{CLAIMS_HEADER}\nC1;{GOOD}\n;{GOOD}\n ; ;;;;;\n;;;;;45,00;\n"
    raw = read_file(write(tmp_path, "claims.csv", text), HEALTH_CLAIMS)

    assert column(raw, "claim_id") == ["C1", "", ""]
    assert column(raw, LINE) == [2, 3, 5]
    assert column(raw, "citizen_share") == ["45,00", "45,00", "45,00"]


def test_quoted_delimiter_stays_inside_the_value(tmp_path: Path) -> None:
    text = f'{CITIZENS_HEADER}\n0101501234;"Hansen; Jens";active;;173;single\n'
    raw = read_file(write(tmp_path, "cpr.csv", text), CITIZENS)

    assert column(raw, "name") == ["Hansen; Jens"]
    assert raw.row_errors == []


@pytest.mark.xfail(
    strict=True,
    reason="KNOWN LIMITATION (README Formats): reading._read_csv numbers rows by CSV record, "
    "not physical line: a quoted "
    "value holding a line break shifts every later _line and RowError.line up by one",
)
def test_quoted_line_break_keeps_later_physical_line_numbers(tmp_path: Path) -> None:
    text = (
        f"{CITIZENS_HEADER}\n"
        '0101501234;"Jens\nHansen";active;;173;single\n'  # lines 2-3
        "0202421234;x\n"  # line 4: malformed
        "0303331234;Ole;active;;173;single\n"  # line 5
    )
    raw = read_file(write(tmp_path, "cpr.csv", text), CITIZENS)

    assert column(raw, "name") == ["Jens\nHansen", "Ole"]
    assert [e.line for e in raw.row_errors] == [4]
    assert column(raw, LINE) == [2, 5]


# --- XLSX --------------------------------------------------------------------------------


def xlsx(tmp_path: Path, rows: list[list], name: str = "claims.xlsx") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


HEADER_CELLS = CLAIMS_HEADER.split(";")


def test_xlsx_numbers_and_dates_become_the_text_a_csv_would_hold(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path,
        [
            HEADER_CELLS,
            [
                "C1",
                "0101501234",
                "medicin",
                12345674,
                datetime(2026, 11, 1),  # noqa: DTZ001  # an Excel cell has no zone
                1234.5,
                date(2026, 11, 2),
            ],
            ["C2", "0101501234", "medicin", "12345674", "01-11-2026", 45, datetime(2026, 11, 3)],  # noqa: DTZ001
            ["C3", "0101501234", "medicin", "12345674", "2026-11-01", 99.95, "2026-11-04"],
        ],
    )
    raw = read_file(path, HEALTH_CLAIMS)

    assert (raw.dialect, raw.encoding) == ("xlsx", "xlsx")
    assert raw.row_errors == []
    assert column(raw, "citizen_share") == ["1234.5", "45", "99.95"]
    assert column(raw, "service_date") == ["2026-11-01", "01-11-2026", "2026-11-01"]
    assert column(raw, "received_date") == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert column(raw, "provider_cvr") == ["12345674"] * 3
    assert column(raw, LINE) == [2, 3, 4]

    parsed = parse(raw, HEALTH_CLAIMS)
    assert parsed.errors.empty
    assert parsed.frame["citizen_share"].tolist() == [123450, 4500, 9995]


def test_xlsx_cell_beyond_the_header_is_a_row_error_with_its_row_number(
    tmp_path: Path,
) -> None:
    path = xlsx(
        tmp_path,
        [
            HEADER_CELLS,
            ["C1", "0101501234", "medicin", "12345674", "2026-11-01", 45, "2026-11-02"],
            [],  # row 3 blank: skipped
            ["C2", "0101501234", "medicin", "12345674", "2026-11-01", 45, "2026-11-02", "extra"],
            ["C3", "0101501234", "medicin", "12345674", "2026-11-01", 45, "2026-11-02"],
        ],
    )
    raw = read_file(path, HEALTH_CLAIMS)

    assert raw.row_errors == [RowError(4, "the row has values beyond the 7 header columns")]
    assert column(raw, "claim_id") == ["C1", "C3"]
    assert column(raw, LINE) == [2, 5]


def test_xlsx_header_is_read_in_any_letter_case(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path,
        [
            [h.upper() for h in HEADER_CELLS],
            ["C1", "0101501234", "medicin", "12345674", "2026-11-01", 45, "2026-11-02"],
        ],
    )
    raw = read_file(path, HEALTH_CLAIMS)
    assert list(raw.frame.columns) == [*HEADER_CELLS, LINE]


def test_xlsx_numeric_cell_with_three_decimals_is_an_error_not_thousands(
    tmp_path: Path,
) -> None:
    path = xlsx(
        tmp_path,
        [
            HEADER_CELLS,
            ["C1", "0101501234", "medicin", "12345674", "2026-11-01", 12.345, "2026-11-02"],
        ],
    )
    parsed = parse(read_file(path, HEALTH_CLAIMS), HEALTH_CLAIMS)

    assert parsed.frame.empty
    assert parsed.errors[["line", "column", "value"]].to_dict("records") == [
        {"line": 2, "column": "citizen_share", "value": "12.345"}
    ]


# --- unreadable files --------------------------------------------------------------------


def unreadable_reason(path: Path, dataset=HEALTH_CLAIMS) -> str:
    with pytest.raises(UnreadableFileError) as caught:
        read_file(path, dataset)
    error = caught.value
    assert error.code == "unreadable_file"
    assert str(error) == f"{path.name}: {error.reason}"
    return error.reason


def test_empty_file_is_unreadable(tmp_path: Path) -> None:
    assert unreadable_reason(write(tmp_path, "claims.csv", b"")) == "the file is empty"


def test_whitespace_only_file_is_unreadable(tmp_path: Path) -> None:
    assert unreadable_reason(write(tmp_path, "claims.csv", b" \r\n\r\n")) == "the file is empty"


def test_binary_garbage_named_csv_is_unreadable(tmp_path: Path) -> None:
    png_start = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"
    reason = unreadable_reason(write(tmp_path, "claims.csv", png_start))
    assert reason == "the file holds binary data, not CSV text"


def test_bytes_neither_utf8_nor_windows_1252_are_unreadable(tmp_path: Path) -> None:
    # 0x81 is undefined in Windows-1252 and invalid as a UTF-8 start byte.
    reason = unreadable_reason(write(tmp_path, "claims.csv", b"claim_id;cpr\n\x81\x81\x81\n"))
    assert "neither UTF-8 nor Windows-1252" in reason
    assert "0x81" in reason


def test_byte_order_mark_on_text_that_is_not_utf8_is_unreadable(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + f"{CLAIMS_HEADER}\nC1;S\xf8ren\n".encode("cp1252")
    reason = unreadable_reason(write(tmp_path, "claims.csv", data))
    assert reason == "the file says it is UTF-8 (byte order mark) but is not"


def test_xlsx_that_is_not_a_zip_is_unreadable(tmp_path: Path) -> None:
    reason = unreadable_reason(write(tmp_path, "claims.xlsx", f"{CLAIMS_HEADER}\nC1;x\n"))
    assert reason == "the file is not a readable Excel workbook (damaged or another format)"


def test_unknown_suffix_is_unreadable(tmp_path: Path) -> None:
    reason = unreadable_reason(write(tmp_path, "claims.pdf", b"%PDF-1.7\n"))
    assert reason == "the file type '.pdf' is not read here; send CSV or XLSX"


def test_file_without_suffix_is_unreadable(tmp_path: Path) -> None:
    reason = unreadable_reason(write(tmp_path, "claims", f"{CLAIMS_HEADER}\n"))
    assert reason == "the file type '(none)' is not read here; send CSV or XLSX"


def test_header_missing_a_mandatory_column_names_it(tmp_path: Path) -> None:
    header = CLAIMS_HEADER.replace(";citizen_share", "")
    text = f"{header}\nC1;0101501234;medicin;12345674;2026-11-01;2026-11-02\n"
    reason = unreadable_reason(write(tmp_path, "claims.csv", text))

    assert reason == (
        "the header lacks the column(s) citizen_share that a health_claims file must have "
        "(contracts.md)"
    )


def test_xlsx_header_missing_a_mandatory_column_names_it(tmp_path: Path) -> None:
    path = xlsx(tmp_path, [[h for h in HEADER_CELLS if h != "received_date"], ["C1"]])
    reason = unreadable_reason(path)
    assert "received_date" in reason


def test_missing_optional_column_is_not_an_error(tmp_path: Path) -> None:
    # approval_date is optional: a file without it is readable.
    raw = read_file(write(tmp_path, "claims.csv", f"{CLAIMS_HEADER}\nC1;{GOOD}\n"), HEALTH_CLAIMS)
    assert "approval_date" not in raw.frame.columns
    assert column(raw, "claim_id") == ["C1"]


def test_duplicate_header_column_is_unreadable(tmp_path: Path) -> None:
    text = f"{CLAIMS_HEADER};cpr\nC1;{GOOD};0101501234\n"
    assert unreadable_reason(write(tmp_path, "claims.csv", text)) == (
        "the header row names the column 'cpr' more than once; each column must be named once"
    )


def test_duplicate_header_column_differing_only_in_case_is_unreadable(tmp_path: Path) -> None:
    text = f"{CLAIMS_HEADER};CPR\nC1;{GOOD};0101501234\n"
    assert unreadable_reason(write(tmp_path, "claims.csv", text)) == (
        "the header row names the column 'cpr' more than once; each column must be named once"
    )


def test_xlsx_duplicate_header_column_is_unreadable(tmp_path: Path) -> None:
    path = xlsx(tmp_path, [[*HEADER_CELLS, "cpr"], ["C1"]])
    assert unreadable_reason(path) == (
        "the header row names the column 'cpr' more than once; each column must be named once"
    )
