"""Tests for robots.core.payments.pain001: writing and checking pain.001.001.09 files.

Why these tests matter: a payment file that passes here is sent to the bank and money
leaves. The negative tests tamper with a good file the way a bug, a bad merge or a person
with a text editor could, and every one of them must be caught before sending.

Third-party example files are in tests/data/iso20022/ (sources in SOURCES.md there).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from robots.core.dates import COPENHAGEN
from robots.core.payments import pain001
from robots.core.payments.pain001 import (
    NAMESPACE,
    BatchHeader,
    Debtor,
    Pain001Summary,
    PaymentFileError,
    validate_pain001,
    validate_pain001_schema,
    write_pain001,
)

DATA = Path(__file__).resolve().parents[3] / "data" / "iso20022"
EXAMPLES = sorted(DATA.glob("*.pain.001.001.09*.xml"))
NS = {"p": NAMESPACE}

CPR = "0101001234"  # test CPR number (not a real person)
CVR = "11715311"

DEBTOR = Debtor(
    name="Lyngby-Taarbaek Kommune",
    iban="DK5000400440116243",
    bic="DABADKKK",
    cvr="11715311",
)
HEADER = BatchHeader(
    msg_id="HT-2026-12-01-001",
    created_at=datetime(2026, 11, 23, 16, 4, 5, tzinfo=COPENHAGEN),
    execution_date=date(2026, 12, 1),
    debtor=DEBTOR,
)


def _transfers(
    amounts: list[int] | None = None,
    remittances: list[str | None] | None = None,
) -> pd.DataFrame:
    """Build a transfers frame; alternating CPR and CVR payees.

    Args:
        amounts: Amounts in øre (default: one CPR and one CVR payee).
        remittances: Remittance texts (default: short texts).

    Returns:
        A frame in the shape write_pain001 expects.
    """
    amounts = amounts if amounts is not None else [1234567, 50000]
    n = len(amounts)
    kinds = ["cpr" if i % 2 == 0 else "cvr" for i in range(n)]
    return pd.DataFrame(
        {
            "end_to_end_id": [f"HT-E2E-{i:06d}" for i in range(n)],
            "payee_kind": kinds,
            "payee_id": [CPR if k == "cpr" else CVR for k in kinds],
            "amount_oere": pd.Series(amounts, dtype="int64"),
            "remittance": remittances
            if remittances is not None
            else [f"Helbredstillaeg december 2026 nr {i}" for i in range(n)],
        }
    )


def _write(tmp_path: Path, transfers: pd.DataFrame | None = None) -> Pain001Summary:
    """Write a file into tmp_path; why: most tests start from a good file."""
    return write_pain001(
        tmp_path / "batch.xml", HEADER, transfers if transfers is not None else _transfers()
    )


def _tamper(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace text in a written file, failing loudly if the text is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in file"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _tree(path: Path) -> etree._ElementTree:
    """Parse a written file for inspecting its content."""
    return etree.parse(str(path))


# --------------------------------------------------------------------------- good files


def test_small_batch_with_cpr_and_cvr_payee_validates(tmp_path: Path) -> None:
    """One CPR and one CVR payee: the file is XSD-valid and passes every check."""
    summary = _write(tmp_path)
    assert summary == Pain001Summary(2, Decimal("12845.67"), tmp_path / "batch.xml")
    validate_pain001(summary.path, expected=summary)
    assert not (tmp_path / "batch.xml.tmp").exists()


def test_small_batch_structure(tmp_path: Path) -> None:
    """The file says what the NemKonto payment needs, and nothing it must not."""
    summary = _write(tmp_path)
    doc = _tree(summary.path)

    def texts(xpath: str) -> list[str]:
        return [e.text for e in doc.xpath(xpath, namespaces=NS)]

    root = "/p:Document/p:CstmrCdtTrfInitn"
    assert texts(f"{root}/p:GrpHdr/p:MsgId") == ["HT-2026-12-01-001"]
    assert texts(f"{root}/p:GrpHdr/p:CreDtTm") == ["2026-11-23T16:04:05+01:00"]
    assert texts(f"{root}/p:GrpHdr/p:NbOfTxs") == ["2"]
    assert texts(f"{root}/p:GrpHdr/p:CtrlSum") == ["12845.67"]
    assert texts(f"{root}/p:GrpHdr/p:InitgPty/p:Id/p:OrgId/p:Othr/p:Id") == [DEBTOR.cvr]
    assert texts(f"{root}/p:GrpHdr/p:InitgPty/p:Id/p:OrgId/p:Othr/p:SchmeNm/p:Cd") == ["COID"]
    pmt = f"{root}/p:PmtInf"
    assert texts(f"{pmt}/p:PmtInfId") == ["HT-2026-12-01-001"]
    assert texts(f"{pmt}/p:PmtMtd") == ["TRF"]
    assert texts(f"{pmt}/p:PmtTpInf/p:CtgyPurp/p:Cd") == ["GOVT"]
    assert texts(f"{pmt}/p:ReqdExctnDt/p:Dt") == ["2026-12-01"]
    assert texts(f"{pmt}/p:DbtrAcct/p:Id/p:IBAN") == [DEBTOR.iban]
    assert texts(f"{pmt}/p:DbtrAgt/p:FinInstnId/p:BICFI") == [DEBTOR.bic]
    assert texts(f"{pmt}/p:Dbtr/p:Id/p:OrgId/p:Othr/p:Id") == [DEBTOR.cvr]
    assert texts(f"{pmt}/p:ChrgBr") == ["SLEV"]
    tx = f"{pmt}/p:CdtTrfTxInf"
    assert texts(f"{tx}/p:PmtId/p:EndToEndId") == ["HT-E2E-000000", "HT-E2E-000001"]
    assert texts(f"{tx}/p:Amt/p:InstdAmt") == ["12345.67", "500.00"]
    assert [e.get("Ccy") for e in doc.xpath(f"{tx}/p:Amt/p:InstdAmt", namespaces=NS)] == [
        "DKK",
        "DKK",
    ]
    assert texts(f"{tx}[1]/p:Cdtr/p:Id/p:PrvtId/p:Othr/p:Id") == [CPR]
    assert texts(f"{tx}[1]/p:Cdtr/p:Id/p:PrvtId/p:Othr/p:SchmeNm/p:Cd") == ["NIDN"]
    assert texts(f"{tx}[2]/p:Cdtr/p:Id/p:OrgId/p:Othr/p:Id") == [CVR]
    assert texts(f"{tx}[2]/p:Cdtr/p:Id/p:OrgId/p:Othr/p:SchmeNm/p:Cd") == ["COID"]
    # NemKonto resolves the account from the id: no creditor name, account or agent.
    assert texts(f"{tx}/p:Cdtr/p:Nm") == []
    assert texts(f"{tx}/p:CdtrAcct") == []
    assert texts(f"{tx}/p:CdtrAgt") == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_third_party_examples_pass_the_schema_step(example: Path) -> None:
    """Real-world-style pain.001.001.09 files are valid for our XSD step."""
    validate_pain001_schema(example)


def test_examples_are_present() -> None:
    """Guard: an empty glob would make the parametrised test above vacuous."""
    assert len(EXAMPLES) >= 5


def test_foreign_currency_example_fails_business_rules() -> None:
    """The Swedish salary file is XSD-valid but in SEK: not payable by the robots."""
    with pytest.raises(PaymentFileError, match="not in DKK"):
        validate_pain001(DATA / "se.bankgiro.salary.pain.001.001.09.xml")


@pytest.mark.parametrize(
    ("oere", "text"),
    [(1, "0.01"), (10, "0.10"), (100, "1.00"), (12345, "123.45"), (123456789, "1234567.89")],
)
def test_amounts_are_formatted_from_integer_oere(tmp_path: Path, oere: int, text: str) -> None:
    """Øre become kroner with exactly 2 decimals, by integer arithmetic."""
    summary = _write(tmp_path, _transfers([oere]))
    doc = _tree(summary.path)
    assert [e.text for e in doc.iterfind(".//p:InstdAmt", NS)] == [text]
    assert [e.text for e in doc.iterfind(".//p:CtrlSum", NS)] == [text, text]
    assert summary.control_sum == Decimal(text)
    assert str(summary.control_sum) == text
    validate_pain001(summary.path, expected=summary)


def _ustrd(path: Path) -> list[list[str]]:
    """Ustrd texts per transaction, as parsed (i.e. unescaped)."""
    doc = _tree(path)
    return [
        [u.text for u in tx.iterfind("p:RmtInf/p:Ustrd", NS)]
        for tx in doc.iterfind(".//p:CdtTrfTxInf", NS)
    ]


def test_long_remittance_is_split_into_140_character_lines(tmp_path: Path) -> None:
    """Ustrd may repeat, so nothing of a long text is lost."""
    long_text = "".join(f"{i:03d}-" for i in range(75))  # 300 characters
    exact = "x" * 140
    summary = _write(tmp_path, _transfers([100, 200, 300], [long_text, exact, "kort"]))
    validate_pain001(summary.path, expected=summary)
    lines = _ustrd(summary.path)
    assert [len(piece) for piece in lines[0]] == [140, 140, 20]
    assert "".join(lines[0]) == long_text
    assert lines[1] == [exact]
    assert lines[2] == ["kort"]


def test_missing_or_empty_remittance_gives_no_rmtinf(tmp_path: Path) -> None:
    """Ustrd needs at least one character, so absent text means no RmtInf."""
    summary = _write(tmp_path, _transfers([100, 200, 300], [None, "", "x"]))
    validate_pain001(summary.path, expected=summary)
    assert _ustrd(summary.path) == [[], [], ["x"]]


def test_all_missing_remittance_column_of_any_dtype_is_accepted(tmp_path: Path) -> None:
    """After a merge an absent text column is often all-NaN float; that means "no text"."""
    transfers = _transfers([100, 200])
    transfers["remittance"] = np.nan
    summary = _write(tmp_path, transfers)
    validate_pain001(summary.path, expected=summary)
    assert _ustrd(summary.path) == [[], []]


def test_special_characters_are_escaped_and_file_validates(tmp_path: Path) -> None:
    """& and < must be escaped; the split counts characters, not escaped bytes."""
    tricky = "Tillæg & efterbetaling <2026> \"x\" 'y' ø" + "&" * 200  # escape across a split
    transfers = _transfers([100, 200], [tricky, "A & B < C > D"])
    transfers.loc[1, "end_to_end_id"] = "E2E-&<>"
    summary = _write(tmp_path, transfers)
    validate_pain001(summary.path, expected=summary)
    lines = _ustrd(summary.path)
    assert "".join(lines[0]) == tricky
    assert all(len(piece) <= 140 for piece in lines[0])
    assert lines[1] == ["A & B < C > D"]
    raw = summary.path.read_text(encoding="utf-8")
    assert "A &amp; B &lt; C &gt; D" in raw
    assert "<EndToEndId>E2E-&amp;&lt;&gt;</EndToEndId>" in raw


def test_control_characters_in_remittance_become_spaces(tmp_path: Path) -> None:
    """Tabs, newlines and characters XML forbids would break or garble the file."""
    summary = _write(tmp_path, _transfers([100], ["linje 1\nlinje\t2\x00\x07slut"]))
    validate_pain001(summary.path, expected=summary)
    assert _ustrd(summary.path) == [["linje 1 linje 2  slut"]]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10**13), min_size=1, max_size=40))
def test_ctrl_sum_equals_integer_sum_of_oere(amounts: list[int]) -> None:
    """For any positive øre amounts the file's CtrlSum is the exact integer sum."""
    total = sum(amounts)
    with tempfile.TemporaryDirectory() as tmp:
        summary = write_pain001(Path(tmp) / "p.xml", HEADER, _transfers(amounts))
        validate_pain001(summary.path, expected=summary)
        doc = _tree(summary.path)
        ctrl_sums = [e.text for e in doc.iterfind(".//p:CtrlSum", NS)]
        amount_texts = [e.text for e in doc.iterfind(".//p:InstdAmt", NS)]
    assert ctrl_sums == [f"{total // 100}.{total % 100:02d}"] * 2
    assert Decimal(ctrl_sums[0]).scaleb(2) == total
    assert [int(t.replace(".", "")) for t in amount_texts] == amounts
    assert summary.number_of_transactions == len(amounts)
    assert summary.control_sum.scaleb(2) == total


def test_existing_file_is_replaced_atomically(tmp_path: Path) -> None:
    """Writing again replaces the file and leaves no temporary file behind."""
    path = tmp_path / "batch.xml"
    path.write_text("old", encoding="utf-8")
    summary = write_pain001(path, HEADER, _transfers([100]))
    validate_pain001(path, expected=summary)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.xml"]


# --------------------------------------------------------------------------- tampered files


@pytest.mark.parametrize("block", ["GrpHdr", "PmtInf"])
def test_tampered_ctrl_sum_fails(tmp_path: Path, block: str) -> None:
    """A wrong control sum (in either place) is a business-rule error."""
    summary = _write(tmp_path)
    text = summary.path.read_text(encoding="utf-8")
    # The first CtrlSum is in GrpHdr, the second in PmtInf.
    occurrence = 0 if block == "GrpHdr" else 1
    starts = [m.start() for m in re.finditer("<CtrlSum>12845.67</CtrlSum>", text)]
    pos = starts[occurrence]
    text = (
        text[:pos]
        + "<CtrlSum>12845.68</CtrlSum>"
        + text[pos + len("<CtrlSum>12845.67</CtrlSum>") :]
    )
    summary.path.write_text(text, encoding="utf-8")
    with pytest.raises(PaymentFileError, match=rf"{block}.*CtrlSum is 12845.68"):
        validate_pain001(summary.path)


@pytest.mark.parametrize("block", ["GrpHdr", "PmtInf"])
def test_tampered_nb_of_txs_fails(tmp_path: Path, block: str) -> None:
    """A wrong transaction count (in either place) is a business-rule error."""
    summary = _write(tmp_path)
    text = summary.path.read_text(encoding="utf-8")
    head, _, rest = text.partition("<PmtInf>")
    if block == "GrpHdr":
        head = head.replace("<NbOfTxs>2</NbOfTxs>", "<NbOfTxs>3</NbOfTxs>")
    else:
        rest = rest.replace("<NbOfTxs>2</NbOfTxs>", "<NbOfTxs>3</NbOfTxs>")
    summary.path.write_text(head + "<PmtInf>" + rest, encoding="utf-8")
    with pytest.raises(PaymentFileError, match=rf"{block}( 1)?/NbOfTxs is 3 but the file holds 2"):
        validate_pain001(summary.path)


def test_duplicate_end_to_end_id_in_file_fails(tmp_path: Path) -> None:
    """Two transfers with one EndToEndId cannot be told apart in bank feedback."""
    summary = _write(tmp_path)
    _tamper(summary.path, "HT-E2E-000001", "HT-E2E-000000")
    with pytest.raises(PaymentFileError, match="EndToEndId must be unique"):
        validate_pain001(summary.path)


def test_three_decimal_amount_fails(tmp_path: Path) -> None:
    """The XSD allows 5 decimals; DKK has 2."""
    summary = _write(tmp_path)
    _tamper(summary.path, ">500.00</InstdAmt>", ">500.005</InstdAmt>")
    with pytest.raises(PaymentFileError, match="more than 2 decimals"):
        validate_pain001(summary.path)


def test_lowercase_currency_fails_schema(tmp_path: Path) -> None:
    """Ccy must match [A-Z]{3}; the XSD catches "dkk"."""
    summary = _write(tmp_path)
    _tamper(summary.path, 'Ccy="DKK"', 'Ccy="dkk"')
    with pytest.raises(PaymentFileError, match=r"schema error.*line \d+"):
        validate_pain001(summary.path)


def test_other_currency_fails(tmp_path: Path) -> None:
    """EUR is XSD-valid, but the robots pay in DKK only."""
    summary = _write(tmp_path)
    _tamper(summary.path, 'Ccy="DKK"', 'Ccy="EUR"')
    with pytest.raises(PaymentFileError, match=r"1 amount\(s\) are not in DKK.*EUR"):
        validate_pain001(summary.path)


def test_missing_msg_id_fails_schema(tmp_path: Path) -> None:
    """MsgId is mandatory; the error names the line."""
    summary = _write(tmp_path)
    _tamper(summary.path, "<MsgId>HT-2026-12-01-001</MsgId>", "")
    with pytest.raises(PaymentFileError, match=r"line \d+: .*CreDtTm.*not expected.*MsgId") as info:
        validate_pain001(summary.path)
    assert "schema error" in str(info.value)


def test_zero_amount_in_file_fails(tmp_path: Path) -> None:
    """The XSD allows 0.00; paying nothing is a bug upstream."""
    summary = _write(tmp_path, _transfers([100, 200]))
    text = summary.path.read_text(encoding="utf-8")
    text = text.replace(">2.00</InstdAmt>", ">0.00</InstdAmt>").replace(
        "3.00</CtrlSum>", "1.00</CtrlSum>"
    )
    summary.path.write_text(text, encoding="utf-8")
    with pytest.raises(PaymentFileError, match="amount\\(s\\) are zero"):
        validate_pain001(summary.path)


def test_expected_summary_mismatch_fails(tmp_path: Path) -> None:
    """A consistent file that is not the one written (swapped) is caught."""
    summary = _write(tmp_path)
    other = Pain001Summary(3, Decimal("12845.67"), summary.path)
    with pytest.raises(PaymentFileError, match="3 were written"):
        validate_pain001(summary.path, expected=other)
    other = Pain001Summary(2, Decimal("12845.66"), summary.path)
    with pytest.raises(PaymentFileError, match=r"12845\.66 was written"):
        validate_pain001(summary.path, expected=other)


def test_truncated_file_fails(tmp_path: Path) -> None:
    """A half-written file is not well-formed."""
    summary = _write(tmp_path)
    text = summary.path.read_text(encoding="utf-8")
    summary.path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(PaymentFileError, match="not well-formed"):
        validate_pain001(summary.path)


def test_doctype_is_rejected(tmp_path: Path) -> None:
    """Payment files never carry a DTD; one could smuggle in entities."""
    summary = _write(tmp_path)
    _tamper(summary.path, "<Document", '<!DOCTYPE Document [<!ENTITY x "y">]>\n<Document')
    with pytest.raises(PaymentFileError, match="DOCTYPE"):
        validate_pain001(summary.path)


def test_missing_file_fails(tmp_path: Path) -> None:
    """A wrong path gives a PaymentFileError, not a bare OSError."""
    with pytest.raises(PaymentFileError, match="cannot read"):
        validate_pain001(tmp_path / "nope.xml")


# --------------------------------------------------------------------------- bad input


def _bad_input(
    tmp_path: Path, transfers: pd.DataFrame, match: str, header: BatchHeader = HEADER
) -> str:
    """Assert write_pain001 refuses the input and writes nothing; return the message."""
    path = tmp_path / "batch.xml"
    with pytest.raises(PaymentFileError, match=match) as info:
        write_pain001(path, header, transfers)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []
    return str(info.value)


def test_duplicate_end_to_end_id_is_refused(tmp_path: Path) -> None:
    """Duplicates are refused before a file exists."""
    transfers = _transfers([100, 200])
    transfers.loc[1, "end_to_end_id"] = transfers.loc[0, "end_to_end_id"]
    _bad_input(tmp_path, transfers, "must be unique")


def test_float_amounts_are_refused(tmp_path: Path) -> None:
    """Money is never float: 0.1 + 0.2 != 0.3."""
    transfers = _transfers([100, 200])
    transfers["amount_oere"] = transfers["amount_oere"].astype("float64")
    _bad_input(tmp_path, transfers, "integer column of øre")


@pytest.mark.parametrize("amount", [0, -100])
def test_non_positive_amounts_are_refused(tmp_path: Path, amount: int) -> None:
    """Zero and negative transfers are bugs upstream."""
    _bad_input(tmp_path, _transfers([100, amount]), "must be positive")


@pytest.mark.parametrize(
    ("kind", "payee_id"),
    [("cpr", "010100-1234"), ("cpr", "01010012"), ("cvr", "1171531"), ("cvr", "0101001234")],
)
def test_bad_payee_ids_are_refused_without_showing_them(
    tmp_path: Path, kind: str, payee_id: str
) -> None:
    """Wrong-length ids are refused, and the CPR never appears in the message."""
    transfers = _transfers([100])
    transfers.loc[0, ["payee_kind", "payee_id"]] = [kind, payee_id]
    message = _bad_input(tmp_path, transfers, "payee_id must be 10 digits")
    assert payee_id not in message
    assert "HT-E2E-000000" in message


def test_integer_payee_ids_are_refused(tmp_path: Path) -> None:
    """An int CPR has lost its leading zero."""
    transfers = _transfers([100])
    transfers["payee_id"] = pd.Series([int(CPR)], dtype="int64")
    _bad_input(tmp_path, transfers, "'payee_id' must hold text")


def test_unknown_payee_kind_is_refused(tmp_path: Path) -> None:
    """Only 'cpr' and 'cvr' map to NemKonto identifiers."""
    transfers = _transfers([100])
    transfers.loc[0, "payee_kind"] = "CPR"
    _bad_input(tmp_path, transfers, "payee_kind must be 'cpr' or 'cvr'")


def test_too_long_end_to_end_id_is_refused(tmp_path: Path) -> None:
    """EndToEndId is Max35Text."""
    transfers = _transfers([100])
    transfers.loc[0, "end_to_end_id"] = "E" * 36
    _bad_input(tmp_path, transfers, "1 to 35 printable")


def test_empty_batch_is_refused(tmp_path: Path) -> None:
    """A pain.001 needs at least one transaction."""
    _bad_input(tmp_path, _transfers([]), "no transfers")


def test_missing_column_is_refused(tmp_path: Path) -> None:
    """The error lists the missing columns."""
    _bad_input(tmp_path, _transfers([100]).drop(columns=["remittance"]), "remittance")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"created_at": datetime(2026, 11, 23, 16, 4)}, "time-zone aware"),  # noqa: DTZ001
        ({"msg_id": "M" * 36}, "msg_id"),
        ({"execution_date": datetime(2026, 12, 1, tzinfo=COPENHAGEN)}, "execution_date"),
        (
            {"debtor": Debtor(DEBTOR.name, "DK5000400440116244", DEBTOR.bic, DEBTOR.cvr)},
            "check digits",
        ),
        (
            {"debtor": Debtor(DEBTOR.name, "SE7550639613542320999232", DEBTOR.bic, DEBTOR.cvr)},
            "Danish IBAN",
        ),
        ({"debtor": Debtor(DEBTOR.name, DEBTOR.iban, "dabadkkk", DEBTOR.cvr)}, "debtor.bic"),
        ({"debtor": Debtor(DEBTOR.name, DEBTOR.iban, DEBTOR.bic, "11715312")}, "modulus-11"),
    ],
)
def test_bad_header_is_refused(tmp_path: Path, change: dict[str, object], match: str) -> None:
    """Header mistakes are caught with a message naming the field."""
    fields = {**HEADER.__dict__, **change}
    _bad_input(tmp_path, _transfers([100]), match, BatchHeader(**fields))  # type: ignore[arg-type]


def test_non_banking_execution_date_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Paying on a bank closing day is allowed but warned about (it will be late)."""
    header = BatchHeader(HEADER.msg_id, HEADER.created_at, date(2026, 12, 24), DEBTOR)
    with caplog.at_level("WARNING", logger="robots.core.payments.pain001"):
        write_pain001(tmp_path / "b.xml", header, _transfers([100]))
    assert "not a Danish banking day" in caplog.text


def test_many_transfers_span_several_chunks(tmp_path: Path) -> None:
    """More rows than one render chunk: order, count and sum survive the chunking."""
    n = 120_001
    amounts = np.arange(1, n + 1, dtype=np.int64)
    transfers = pd.DataFrame(
        {
            "end_to_end_id": pd.Series(np.arange(n)).map("E{:07d}".format),
            "payee_kind": "cvr",
            "payee_id": CVR,
            "amount_oere": amounts,
            "remittance": "x",
        }
    )
    summary = write_pain001(tmp_path / "big.xml", HEADER, transfers)
    total = n * (n + 1) // 2
    assert summary.number_of_transactions == n
    assert summary.control_sum == Decimal(total).scaleb(-2)
    validate_pain001(summary.path, expected=summary)
    ids = _tree(summary.path).xpath("//p:EndToEndId/text()", namespaces=NS)
    assert ids[0] == "E0000000" and ids[-1] == f"E{n - 1:07d}" and len(ids) == n


def test_rows_stay_together_with_a_non_default_index(tmp_path: Path) -> None:
    """A filtered or sorted frame keeps each amount with its own payee and id."""
    transfers = _transfers([100, 200, 300, 400]).iloc[[3, 0, 2]]
    summary = _write(tmp_path, transfers)
    validate_pain001(summary.path, expected=summary)
    doc = _tree(summary.path)
    rows = [
        (
            tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
            tx.findtext("p:Amt/p:InstdAmt", namespaces=NS),
            tx.findtext("p:Cdtr/p:Id//p:Othr/p:Id", namespaces=NS),
        )
        for tx in doc.iterfind(".//p:CdtTrfTxInf", NS)
    ]
    assert rows == [
        ("HT-E2E-000003", "4.00", CVR),
        ("HT-E2E-000000", "1.00", CPR),
        ("HT-E2E-000002", "3.00", CPR),
    ]


# --------------------------------------------------------------------------- streaming


@pytest.fixture(params=[200, 4096, 1 << 20], ids=["tiny", "page", "default"])
def read_bytes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """The validator reads a file in pieces; small pieces put transactions across them."""
    monkeypatch.setattr(pain001, "_READ_BYTES", request.param)
    return int(request.param)


def _forty(tmp_path: Path) -> Pain001Summary:
    """A 40-transfer file (amounts 1.00 to 40.00, total 820.00): several read pieces."""
    return _write(tmp_path, _transfers([100 * (i + 1) for i in range(40)]))


def test_streamed_file_reads_every_transaction_once(tmp_path: Path, read_bytes: int) -> None:
    """However the file is cut into pieces, each transfer is counted exactly once."""
    summary = _forty(tmp_path)
    validate_pain001(summary.path, expected=summary)
    with pytest.raises(PaymentFileError, match="41 were written"):
        validate_pain001(summary.path, expected=Pain001Summary(41, Decimal("820.00"), summary.path))


def test_streamed_file_tampered_in_the_middle_fails(tmp_path: Path, read_bytes: int) -> None:
    """A changed amount deep in the file is found, whatever piece it falls in."""
    summary = _forty(tmp_path)
    _tamper(summary.path, ">25.00</InstdAmt>", ">26.00</InstdAmt>")
    with pytest.raises(
        PaymentFileError, match=r"PmtInf 1/CtrlSum is 820.00 but the amounts add up to 821.00"
    ):
        validate_pain001(summary.path)


def test_streamed_file_counts_a_foreign_currency_once(tmp_path: Path, read_bytes: int) -> None:
    """The currency check sees each amount once, not once per piece it was read in."""
    summary = _forty(tmp_path)
    _tamper(summary.path, 'Ccy="DKK">17.00<', 'Ccy="EUR">17.00<')
    _tamper(summary.path, 'Ccy="DKK">40.00<', 'Ccy="SEK">40.00<')
    with pytest.raises(
        PaymentFileError, match=r"2 amount\(s\) are not in DKK, found \['EUR', 'SEK'\]"
    ):
        validate_pain001(summary.path)


def test_streamed_file_duplicate_ids_far_apart_fail(tmp_path: Path, read_bytes: int) -> None:
    """The first and the last transfer sharing an id are caught across pieces."""
    summary = _forty(tmp_path)
    _tamper(summary.path, "HT-E2E-000039", "HT-E2E-000000")
    with pytest.raises(PaymentFileError, match="EndToEndId must be unique; 2 transaction"):
        validate_pain001(summary.path)


def test_streamed_file_truncated_late_fails(tmp_path: Path, read_bytes: int) -> None:
    """A file cut short after many pieces is not well-formed, not a shorter valid file."""
    summary = _forty(tmp_path)
    text = summary.path.read_text(encoding="utf-8")
    cut = text.rindex("</CdtTrfTxInf>") + len("</CdtTrfTxInf>\n")
    summary.path.write_text(text[:cut], encoding="utf-8")
    with pytest.raises(PaymentFileError, match="not well-formed"):
        validate_pain001(summary.path)


def test_comments_inside_values_do_not_change_what_is_read(tmp_path: Path) -> None:
    """An amount split by a comment or processing instruction is read whole, as the XSD reads it."""
    summary = _write(tmp_path)
    _tamper(summary.path, ">500.00</InstdAmt>", "><!-- a -->5<?pi x?>00.00<!-- b --></InstdAmt>")
    validate_pain001(summary.path, expected=summary)


def test_doctype_with_an_entity_in_a_value_is_refused(tmp_path: Path) -> None:
    """A DTD entity used in an amount is refused as a DOCTYPE, before any parsing."""
    summary = _write(tmp_path)
    _tamper(summary.path, "<Document", '<!DOCTYPE Document [<!ENTITY x "5">]>\n<Document')
    _tamper(summary.path, ">500.00</InstdAmt>", ">&x;00.00</InstdAmt>")
    with pytest.raises(PaymentFileError, match="DOCTYPE"):
        validate_pain001(summary.path)


def test_doctype_in_a_utf16_file_is_refused(tmp_path: Path) -> None:
    """The DOCTYPE check reads the prolog as XML, so another encoding does not hide it."""
    summary = _write(tmp_path)
    _tamper(summary.path, "<Document", '<!DOCTYPE Document [<!ENTITY x "5">]>\n<Document')
    _tamper(summary.path, ">500.00</InstdAmt>", ">&x;00.00</InstdAmt>")
    _tamper(summary.path, 'encoding="UTF-8"', 'encoding="UTF-16"')
    text = summary.path.read_text(encoding="utf-8")
    summary.path.write_bytes(text.encode("utf-16"))
    with pytest.raises(PaymentFileError, match="DOCTYPE"):
        validate_pain001(summary.path)


def test_schema_errors_found_while_streaming_name_their_line(
    tmp_path: Path, read_bytes: int
) -> None:
    """A schema error deep in a file is reported with its line, for the operator."""
    summary = _forty(tmp_path)
    _tamper(summary.path, 'Ccy="DKK">33.00<', 'Ccy="dkk">33.00<')
    line = next(
        number
        for number, text in enumerate(summary.path.read_text(encoding="utf-8").splitlines(), 1)
        if 'Ccy="dkk"' in text
    )
    with pytest.raises(PaymentFileError, match=rf"1 schema error\(s\)\): line {line}: .*dkk"):
        validate_pain001(summary.path)


_LOOK_ALIKE_ENVELOPE = (
    '<SplmtryData><Envlp><Extra><InstdAmt Ccy="DKK">999.00</InstdAmt>'
    "<PmtId><EndToEndId>LOOK-ALIKE</EndToEndId></PmtId></Extra></Envlp></SplmtryData>"
)


def test_supplementary_data_look_alikes_are_not_read_as_transfers(
    tmp_path: Path, read_bytes: int
) -> None:
    """InstdAmt and EndToEndId inside a SplmtryData envelope (xs:any) are not transfers.

    Why: the envelope may hold any element, so a reader that searched the whole
    transaction for amounts and ids (a tempting shortcut) would count these; only
    CdtTrfTxInf/Amt and CdtTrfTxInf/PmtId, where the XSD places them, are transfers.
    """
    summary = _forty(tmp_path)
    _tamper(summary.path, "</CdtTrfTxInf>", _LOOK_ALIKE_ENVELOPE + "</CdtTrfTxInf>", -1)
    validate_pain001_schema(summary.path)
    validate_pain001(summary.path, expected=summary)


def test_equivalent_amount_beside_an_envelope_amount_fails(tmp_path: Path, read_bytes: int) -> None:
    """A transfer paid by EqvtAmt is refused even when its envelope holds an InstdAmt.

    Why: counted from the envelope, the look-alike would stand in for the missing
    InstdAmt and the count and sum would still agree, while the bank pays EqvtAmt.
    """
    summary = _forty(tmp_path)
    _tamper(
        summary.path,
        '<InstdAmt Ccy="DKK">17.00</InstdAmt>',
        '<EqvtAmt><Amt Ccy="DKK">17.00</Amt><CcyOfTrf>DKK</CcyOfTrf></EqvtAmt>',
    )
    text = summary.path.read_text(encoding="utf-8")
    at = text.index("</CdtTrfTxInf>", text.index("<EqvtAmt>"))
    envelope = _LOOK_ALIKE_ENVELOPE.replace("999.00", "17.00").replace("LOOK-ALIKE", "E-17")
    summary.path.write_text(text[:at] + envelope + text[at:], encoding="utf-8")
    validate_pain001_schema(summary.path)
    with pytest.raises(PaymentFileError, match=r"1 transaction\(s\) have no InstdAmt"):
        validate_pain001(summary.path, expected=summary)


@pytest.mark.parametrize("amount", ["500", " 500.0 ", "0500.00", "500.000"])
def test_amounts_written_otherwise_are_read_exactly(tmp_path: Path, amount: str) -> None:
    """xs:decimal forms write_pain001 never writes are read as the same øre, or refused.

    Why: most files take a fast path for "kroner.2 decimals"; everything else must still
    be read by the general rules (fewer decimals, spaces, leading zeros), and more than 2
    decimals refused.
    """
    summary = _write(tmp_path)
    _tamper(summary.path, ">500.00</InstdAmt>", f">{amount}</InstdAmt>")
    if amount == "500.000":
        with pytest.raises(PaymentFileError, match="more than 2 decimals"):
            validate_pain001(summary.path, expected=summary)
    else:
        validate_pain001(summary.path, expected=summary)


def test_the_benefits_category_purpose_and_the_pi_agreement_are_written(tmp_path: Path) -> None:
    """A bank's NemKonto product reads the category purpose (PENS, SALA, SUPP); NKS files
    name the PI agreement: the initiating party's second id, scheme BANK. Still XSD-valid."""
    header = replace(HEADER, debtor=replace(DEBTOR, pi_agreement="PI4711"), category_purpose="PENS")
    summary = write_pain001(tmp_path / "batch.xml", header, _transfers())
    validate_pain001(summary.path, expected=summary)
    doc = _tree(summary.path)
    othr = "/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:InitgPty/p:Id/p:OrgId/p:Othr"
    assert [e.text for e in doc.xpath(f"{othr}/p:Id", namespaces=NS)] == [DEBTOR.cvr, "PI4711"]
    assert [e.text for e in doc.xpath(f"{othr}/p:SchmeNm/p:Cd", namespaces=NS)] == [
        "COID",
        "BANK",
    ]
    purpose = "/p:Document/p:CstmrCdtTrfInitn/p:PmtInf/p:PmtTpInf/p:CtgyPurp/p:Cd"
    assert [e.text for e in doc.xpath(purpose, namespaces=NS)] == ["PENS"]


def test_an_unknown_category_purpose_or_a_bad_agreement_is_refused(tmp_path: Path) -> None:
    _bad_input(
        tmp_path,
        _transfers(),
        "category_purpose must be one of",
        header=replace(HEADER, category_purpose="CASH"),
    )
    _bad_input(
        tmp_path,
        _transfers(),
        "pi_agreement must be 1 to 35 letters or digits",
        header=replace(HEADER, debtor=replace(DEBTOR, pi_agreement="PI 47/11")),
    )


def test_the_debit_account_must_be_the_ibans_own() -> None:
    """reg.nr. and account number in config are the IBAN's own, or the config is refused
    (one account to pay from and another told to NemKonto would be a silent error)."""
    from pydantic import ValidationError

    from robots.core.settings import BankSettings

    good = {
        "debtor_name": "Lyngby-Taarbaek Kommune",
        "debtor_iban": "DK5000400440116243",
        "debtor_bic": "DABADKKK",
        "debtor_cvr": "11715311",
        "pi_agreement": "PI4711",
    }
    assert BankSettings(**good, debit_reg_nr="0040", debit_account="0440116243")
    with pytest.raises(ValidationError, match="are not the account of debtor_iban"):
        BankSettings(**good, debit_reg_nr="0040", debit_account="0440116244")
