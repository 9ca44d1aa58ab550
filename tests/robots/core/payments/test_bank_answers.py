"""Tests for robots.core.payments.answers: reading the bank's and NemKonto's answers.

Why these tests matter: an answer decides whether a claim counts as paid, returned or to
be paid again. A misread answer pays twice or never, so every reader is held to what the
real sample files say (expectations written by hand from the files), and every file that
cannot be trusted must be refused whole, naming file and line.

Third-party samples are in tests/data/iso20022/ (sources in SOURCES.md there); the Danish
files are written here, in DKK, with ids as `robots.core.payments.planning` makes them.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from robots.core.errors import BusinessError, ReasonCode
from robots.core.payments.answers import (
    COLUMNS,
    STATUSES,
    AnswerError,
    AnswerFile,
    read_answer_file,
    read_camt054,
    read_nks,
    read_pain002,
)

DATA = Path(__file__).resolve().parents[3] / "data" / "iso20022"
NEGATIVE = DATA / "hbci4java.test-pain-parse-0020110-02.pain.002.001.10.NEGATIVE-invalid-BICFI.xml"
PAIN002_10 = DATA / "hbci4java.test-pain-parse-0020110-03.pain.002.001.10.xml"
PAIN002_03 = DATA / "pain001.pain002_sample.pain.002.001.03.xml"
SWISS = DATA / "postfinance.pain002-epo_p_ch2909000000250094239_1109800799_0_2018032612092784.xml"
FFFS = DATA / "FFFS.FI_camt_054_sample.camt.054.001.02.xml"
PF_CREDIT = DATA / (
    "postfinance.200519_camt.054-Credit_P_CH2909000000250094239_1110092691_0_2019042421291293.xml"
)
PF_DEBIT = DATA / (
    "postfinance.200519_camt.054-Debit_P_CH2909000000250094239_1110092692_0_2019042401501580.xml"
)
PF_RETURNS = DATA / (
    "postfinance.200519_camt054-returns_p_ch2909000000250094239_1109800798_0_2019052023472022.xml"
)
SAMPLES = [PAIN002_03, PAIN002_10, FFFS, PF_CREDIT, PF_DEBIT, PF_RETURNS]

BATCH = "HT20261201-1a2b3c4d"
E2E_1, E2E_2, E2E_3 = (f"{BATCH}-{n:06d}" for n in (1, 2, 3))
IBAN = "DK5000400440116243"
NKS_HEADER = "answer_id;answer_type;bundle_id;end_to_end_id;amount;outcome;reason;answered_on"


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _cells(answer: AnswerFile, *columns: str) -> list[tuple[object, ...]]:
    """The rows' values of some columns, missing values as None."""
    frame = answer.rows[list(columns)].astype(object)
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]


def _check_shape(answer: AnswerFile) -> None:
    assert tuple(answer.rows.columns) == COLUMNS
    assert answer.rows["amount_oere"].dtype == "Int64"
    assert answer.rows["source_line"].dtype == "Int64"
    assert answer.rows["booked_on"].dtype == "datetime64[s]"
    assert set(answer.rows["status"]) <= set(STATUSES)


# --------------------------------------------------------------------------- pain.002


def test_pain002_03_sample_partly_accepted_with_one_rejected_transfer() -> None:
    answer = read_pain002(PAIN002_03)

    _check_shape(answer)
    assert (answer.kind, answer.message_id, answer.created) == (
        "pain.002",
        "STAT-001",
        "2026-04-10T09:30:00",
    )
    assert answer.account_iban is None
    assert _cells(answer, "level", "batch_id", "end_to_end_id", "status", "bank_status") == [
        ("file", "PMT-BATCH-001", None, "pending", "PART"),
        ("batch", "PAY-INFO-001", None, "pending", "PART"),
        ("transfer", "PAY-INFO-001", "PaymentID6789", "rejected", "RJCT"),
    ]
    assert _cells(answer, "reason_code", "amount_oere", "source_line") == [
        (None, None, 8),
        (None, None, 13),
        ("AC04", None, 16),
    ]


def test_pain002_10_sample_verification_of_payee_is_pending() -> None:
    answer = read_pain002(PAIN002_10)

    _check_shape(answer)
    assert answer.message_id == "dc6f9da5b431-4956-8e23-1bef7d23f948"
    assert answer.created == "2025-11-02T18:33:13.303+01:00"
    assert _cells(answer, "level", "batch_id", "status", "bank_status", "source_line") == [
        ("file", "2025-11-02T18:33:03:0287", "pending", "RCVC", 13),
        ("batch", "2025-11-02T18:33:03:0287", "pending", "RCVC", 28),
    ]
    assert answer.rows["reason_text"].iloc[0] == (
        "RCVC Der angegebene Empfaengername stimmt mit dem Namen des Kontoinhabers "
        "ueberein. RCVC Hier besteht kein Handlungsbedarf."
    )


def test_the_negative_pain002_is_refused_with_the_schemas_reason() -> None:
    with pytest.raises(AnswerError) as caught:
        read_pain002(NEGATIVE)

    error = caught.value
    assert isinstance(error, BusinessError)
    assert error.code is ReasonCode.BANK_ANSWER
    assert error.line == 11
    assert str(NEGATIVE) in str(error)
    assert "line 11" in str(error)
    assert "pain.002.001.10.xsd" in str(error)
    assert "BICFI" in str(error)
    assert "'ABCDEFGHIJ' is not accepted by the pattern" in str(error)


@pytest.mark.parametrize("reader", [read_pain002, read_answer_file])
def test_a_swiss_ch02_pain002_is_refused_as_an_unknown_namespace(reader) -> None:
    with pytest.raises(AnswerError, match=r"unknown namespace .*pain\.002\.001\.03\.ch\.02"):
        reader(SWISS)


PAIN002_DK = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">
  <CstmrPmtStsRpt>
    <GrpHdr>
      <MsgId>DABA-STS-20261201-0001</MsgId>
      <CreDtTm>2026-12-01T07:15:00+01:00</CreDtTm>
    </GrpHdr>
    <OrgnlGrpInfAndSts>
      <OrgnlMsgId>{BATCH}</OrgnlMsgId>
      <OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
      <GrpSts>ACCP</GrpSts>
    </OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>{BATCH}</OrgnlPmtInfId>
      <TxInfAndSts>
        <OrgnlEndToEndId>{E2E_1}</OrgnlEndToEndId>
        <TxSts>RJCT</TxSts>
        <StsRsnInf>
          <Rsn><Cd>AC04</Cd></Rsn>
          <AddtlInf>closed account</AddtlInf>
        </StsRsnInf>
        <OrgnlTxRef>
          <Amt><InstdAmt Ccy="DKK">1234.50</InstdAmt></Amt>
        </OrgnlTxRef>
      </TxInfAndSts>
      <TxInfAndSts>
        <OrgnlEndToEndId>{E2E_2}</OrgnlEndToEndId>
        <TxSts>ACCP</TxSts>
        <OrgnlTxRef>
          <Amt><InstdAmt Ccy="DKK">800</InstdAmt></Amt>
        </OrgnlTxRef>
      </TxInfAndSts>
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>
"""


def test_a_danish_pain002_accepts_the_file_and_rejects_one_transfer(tmp_path: Path) -> None:
    answer = read_answer_file(_write(tmp_path, "status.xml", PAIN002_DK))

    _check_shape(answer)
    assert (answer.kind, answer.message_id) == ("pain.002", "DABA-STS-20261201-0001")
    assert _cells(
        answer,
        "level",
        "batch_id",
        "end_to_end_id",
        "status",
        "bank_status",
        "reason_code",
        "reason_text",
        "amount_oere",
        "currency",
        "source_line",
    ) == [
        ("file", BATCH, None, "accepted", "ACCP", None, None, None, None, 8),
        ("transfer", BATCH, E2E_1, "rejected", "RJCT", "AC04", "closed account", 123450, "DKK", 15),
        ("transfer", BATCH, E2E_2, "accepted", "ACCP", None, None, 80000, "DKK", 26),
    ]


def test_a_transfer_without_its_own_status_takes_its_batchs(tmp_path: Path) -> None:
    text = PAIN002_DK.replace("<TxSts>ACCP</TxSts>", "").replace(
        f"<OrgnlPmtInfId>{BATCH}</OrgnlPmtInfId>",
        f"<OrgnlPmtInfId>{BATCH}</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>",
    )
    answer = read_pain002(_write(tmp_path, "status.xml", text))

    assert _cells(answer, "level", "end_to_end_id", "status") == [
        ("file", None, "accepted"),
        ("batch", None, "rejected"),
        ("transfer", E2E_1, "rejected"),
        ("transfer", E2E_2, "rejected"),
    ]


def test_a_status_code_nobody_mapped_refuses_the_file(tmp_path: Path) -> None:
    text = (
        PAIN002_10.read_text(encoding="utf-8")
        .replace("<GrpSts>RCVC</GrpSts>", "<GrpSts>BLCK</GrpSts>")
        .replace("<PmtInfSts>RCVC</PmtInfSts>", "")
    )
    path = _write(tmp_path, "blocked.xml", text)

    with pytest.raises(AnswerError, match=r"line 13: status 'BLCK' at file level is not one"):
        read_pain002(path)


# --------------------------------------------------------------------------- camt.054


def test_fffs_camt054_02_sample_books_credits_and_debits_and_returns_two() -> None:
    answer = read_camt054(FFFS)

    _check_shape(answer)
    assert (answer.kind, answer.message_id, answer.created, answer.account_iban) == (
        "camt.054",
        "BANKFILEID219073",
        "2009-10-30T21:01:45+02:00",
        "FI7433010001222090",
    )
    rows = _cells(
        answer,
        "batch_id",
        "end_to_end_id",
        "status",
        "bank_status",
        "credit_debit",
        "amount_oere",
        "reason_code",
    )
    assert rows == [
        ("BANKFILEID998765", None, "booked", "BOOK", "CRDT", 190000, None),
        ("BANKFILEID998765", None, "booked", "BOOK", "CRDT", 10000, None),
        ("BANKFILEID998799", None, "booked", "BOOK", "CRDT", 40000, None),
        ("BANKFILEID998799", None, "booked", "BOOK", "CRDT", 10000, None),
        ("BANKFILEID998765", "EndToEndIdAT-41-001", "booked", "BOOK", "CRDT", 250000, None),
        ("BANKFILEID998765", "EndToEndIdAT-41-002", "booked", "BOOK", "CRDT", 50000, None),
        ("CustRefForPmtBatch9", None, "booked", "BOOK", "DBIT", 200002, None),
        ("CustRefForPmtBatch9", None, "booked", "BOOK", "DBIT", 100001, None),
        ("CustRefForPmtBatch9", None, "booked", "BOOK", "DBIT", 123002, None),
        ("BTCHIDXCBT19210219", "ISSRBKREF12345678", "booked", "BOOK", "DBIT", 50000, None),
        ("BTCHIDXCBT19210219", "ISSRBKREF12345679", "booked", "BOOK", "DBIT", 50000, None),
        ("BANKFILEID998799", None, "returned", "INFO", "CRDT", 4000, "AC01"),
        ("BANKFILEID998799", None, "returned", "INFO", "CRDT", 6000, "CUST"),
    ]
    assert set(answer.rows["level"]) == {"transfer"}
    assert set(answer.rows["currency"]) == {"EUR"}
    assert answer.rows["reason_text"].iloc[-2:].tolist() == [
        "1+TILIÄ EI LÖYDY",
        "4+MAKSAJA PERUUTTANUT",
    ]
    assert answer.rows["booked_on"].iloc[9] == pd.Timestamp("2009-10-30")


@pytest.mark.parametrize(
    ("path", "message_id", "expected"),
    [
        (
            PF_CREDIT,
            "201904245375204223076552",
            (None, None, "booked", "CRDT", 150000, None, None, "2019-04-24", 53),
        ),
        (
            PF_DEBIT,
            "20190424375204222704046",
            (
                "30003101",
                "20190424001255000100006",
                "booked",
                "DBIT",
                91300,
                None,
                None,
                "2019-04-25",
                53,
            ),
        ),
        (
            PF_RETURNS,
            "20190520375204012050698",
            (
                "PmtInfId-004-01",
                "EndToEndId-004-01-01",
                "returned",
                "CRDT",
                40000,
                "AC01",
                "Kontonummer falsch",
                "2019-05-20",
                56,
            ),
        ),
    ],
)
def test_postfinance_camt054_04_samples(path: Path, message_id: str, expected: tuple) -> None:
    answer = read_answer_file(path)

    _check_shape(answer)
    assert (answer.kind, answer.message_id) == ("camt.054", message_id)
    assert answer.account_iban == "CH2909000000250094239"
    (row,) = _cells(
        answer,
        "batch_id",
        "end_to_end_id",
        "status",
        "credit_debit",
        "amount_oere",
        "reason_code",
        "reason_text",
        "booked_on",
        "source_line",
    )
    assert row[:7] == expected[:7]
    assert row[7] == pd.Timestamp(expected[7])
    assert row[8] == expected[8]
    assert _cells(answer, "level", "bank_status", "currency") == [("transfer", "BOOK", "CHF")]


def _camt054_08(*, amount: str = "1234.50", extra_account: bool = False) -> str:
    other = "<Ntfctn><Id>N2</Id><Acct><Id><IBAN>DK1200400440116244</IBAN></Id></Acct></Ntfctn>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr>
      <MsgId>DABA-054-20261203-0001</MsgId>
      <CreDtTm>2026-12-03T06:00:00+01:00</CreDtTm>
    </GrpHdr>
    <Ntfctn>
      <Id>N1</Id>
      <Acct><Id><IBAN>{IBAN}</IBAN></Id></Acct>
      <Ntry>
        <Amt Ccy="DKK">{amount}</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-12-01</Dt></BookgDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><PmtInfId>{BATCH}</PmtInfId><EndToEndId>{E2E_1}</EndToEndId></Refs>
            <Amt Ccy="DKK">{amount}</Amt>
            <CdtDbtInd>DBIT</CdtDbtInd>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="DKK">800.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><DtTm>2026-12-03T05:12:00+01:00</DtTm></BookgDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><PmtInfId>{BATCH}</PmtInfId><EndToEndId>{E2E_2}</EndToEndId></Refs>
            <Amt Ccy="DKK">800.00</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Konto lukket</AddtlInf></RtrInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="DKK">99.95</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>PDNG</Cd></Sts>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
      </Ntry>
    </Ntfctn>{other if extra_account else ""}
  </BkToCstmrDbtCdtNtfctn>
</Document>
"""


def test_a_danish_camt054_08_books_our_debit_and_returns_a_credit(tmp_path: Path) -> None:
    answer = read_answer_file(_write(tmp_path, "notification.xml", _camt054_08()))

    _check_shape(answer)
    assert (answer.kind, answer.message_id, answer.created, answer.account_iban) == (
        "camt.054",
        "DABA-054-20261203-0001",
        "2026-12-03T06:00:00+01:00",
        IBAN,
    )
    assert _cells(
        answer,
        "level",
        "batch_id",
        "end_to_end_id",
        "status",
        "bank_status",
        "credit_debit",
        "amount_oere",
        "currency",
        "reason_code",
        "reason_text",
        "source_line",
    ) == [
        ("transfer", BATCH, E2E_1, "booked", "BOOK", "DBIT", 123450, "DKK", None, None, 18),
        (
            "transfer",
            BATCH,
            E2E_2,
            "returned",
            "BOOK",
            "CRDT",
            80000,
            "DKK",
            "AC04",
            "Konto lukket",
            32,
        ),
        ("transfer", None, None, "pending", "PDNG", "DBIT", 9995, "DKK", None, None, 40),
    ]
    assert answer.rows["booked_on"].tolist()[:2] == [
        pd.Timestamp(date(2026, 12, 1)),
        pd.Timestamp(date(2026, 12, 3)),
    ]
    assert pd.isna(answer.rows["booked_on"].iloc[2])


def test_a_camt054_amount_finer_than_oere_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "notification.xml", _camt054_08(amount="1234.505"))

    with pytest.raises(AnswerError, match=r"line 20: amount '1234.505' is not exact to the øre"):
        read_camt054(path)


def test_a_camt054_on_two_accounts_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "notification.xml", _camt054_08(extra_account=True))

    with pytest.raises(AnswerError, match="notifies 2 accounts in one message"):
        read_camt054(path)


# --------------------------------------------------------------------------- NKS


NKS_GOOD = f"""{NKS_HEADER}
NKS-20261202-0001;1;{BATCH};;;;Bundt modtaget;2026-12-02
NKS-20261202-0001;8;{BATCH};;"1.234.567,50";;;2026-12-02
NKS-20261202-0001;8;{BATCH};{E2E_3};1234.50;;;2026-12-02
NKS-20261202-0001;9;{BATCH};{E2E_1};1.234,50;;"Afvist i banken; kontoen er lukket";2026-12-02

NKS-20261202-0001;5;{BATCH};{E2E_2};800;;Stoppet af kommunen;2026-12-02
NKS-20261202-0001;7;{BATCH};{E2E_3};0,05;waiting_account;Ingen NemKonto;2026-12-02
NKS-20261202-0001;7;{BATCH};{E2E_2};;cheque;;2026-12-02
"""


def test_an_nks_answer_of_every_type(tmp_path: Path) -> None:
    answer = read_answer_file(_write(tmp_path, "nks.csv", "\ufeff" + NKS_GOOD))

    _check_shape(answer)
    assert (answer.kind, answer.message_id, answer.created, answer.account_iban) == (
        "nks",
        "NKS-20261202-0001",
        "2026-12-02",
        None,
    )
    assert _cells(
        answer,
        "level",
        "batch_id",
        "end_to_end_id",
        "status",
        "bank_status",
        "amount_oere",
        "currency",
        "nks_outcome",
        "reason_text",
        "source_line",
    ) == [
        ("file", BATCH, None, "received", "1", None, None, None, "Bundt modtaget", 2),
        ("batch", BATCH, None, "received", "8", 123456750, "DKK", None, None, 3),
        ("transfer", BATCH, E2E_3, "received", "8", 123450, "DKK", None, None, 4),
        (
            "transfer",
            BATCH,
            E2E_1,
            "rejected",
            "9",
            123450,
            "DKK",
            None,
            "Afvist i banken; kontoen er lukket",
            5,
        ),
        ("transfer", BATCH, E2E_2, "stopped", "5", 80000, "DKK", None, "Stoppet af kommunen", 7),
        (
            "transfer",
            BATCH,
            E2E_3,
            "no_nemkonto",
            "7",
            5,
            "DKK",
            "waiting_account",
            "Ingen NemKonto",
            8,
        ),
        ("transfer", BATCH, E2E_2, "no_nemkonto", "7", None, None, "cheque", None, 9),
    ]
    assert pd.isna(answer.rows["booked_on"]).all()
    assert answer.rows["reason_code"].isna().all()


def _nks(*rows: str) -> str:
    return "\n".join((NKS_HEADER, *rows)) + "\n"


GOOD_ROW = f"A1;8;{BATCH};{E2E_1};100,00;;;2026-12-02"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (_nks(GOOD_ROW, f"A1;3;{BATCH};{E2E_1};;;;2026-12-02"), 3, "answer_type '3' is not one"),
        (
            _nks(f"A1;7;{BATCH};{E2E_1};;;Ingen NemKonto;2026-12-02"),
            2,
            "answer_type 7 needs an outcome",
        ),
        (_nks(f"A1;7;{BATCH};{E2E_1};;bank;;2026-12-02"), 2, "answer_type 7 needs an outcome"),
        (
            _nks(GOOD_ROW, f"A1;9;{BATCH};{E2E_1};12,345;;;2026-12-02"),
            3,
            "has more than two decimals",
        ),
        (
            _nks(GOOD_ROW, f"A2;8;{BATCH};{E2E_2};;;;2026-12-02"),
            3,
            "answer_id 'A2' differs from 'A1'",
        ),
        (
            _nks(GOOD_ROW, f"A1;8;{BATCH};{E2E_2};;;;2026-12-03"),
            3,
            "answered_on '2026-12-03' differs",
        ),
        (_nks(f"A1;8;{BATCH};{E2E_1};1.234;;;2026-12-02"), 2, "is ambiguous"),
        (_nks(f"A1;8;{BATCH};{E2E_1};-5,00;;;2026-12-02"), 2, "is not an amount"),
        (_nks(f"A1;8;{BATCH};{E2E_1};0,00;;;2026-12-02"), 2, "must be above zero"),
        (_nks(f"A1;8;{BATCH};{E2E_1};;cheque;;2026-12-02"), 2, "outcome 'cheque' is only for"),
        (_nks(f"A1;1;{BATCH};{E2E_1};;;;2026-12-02"), 2, "leave end_to_end_id blank"),
        (_nks(f"A1;7;{BATCH};;;cheque;;2026-12-02"), 2, "needs the payment's end_to_end_id"),
        (_nks(f"A1;8;;{E2E_1};;;;2026-12-02"), 2, "bundle_id is empty"),
        (_nks(f"A1;8;{BATCH};{E2E_1};;;;2026-02-30"), 2, "is not a date YYYY-MM-DD"),
        (_nks(f"A1;8;{BATCH};{E2E_1};;;;02-12-2026"), 2, "is not a date YYYY-MM-DD"),
        (_nks(GOOD_ROW, f"A1;8;{BATCH};{E2E_1};;;2026-12-02"), 3, "has 7 fields, the header 8"),
        (NKS_HEADER.replace("amount", "beloeb") + "\n" + GOOD_ROW + "\n", 1, "the header must"),
        (_nks(GOOD_ROW, f'A1;8;{BATCH};{E2E_1};;;"open;2026-12-02'), 3, "is not readable CSV"),
    ],
)
def test_a_wrong_nks_answer_is_refused_whole_naming_file_and_line(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = _write(tmp_path, "nks.csv", text)

    with pytest.raises(AnswerError) as caught:
        read_nks(path)

    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}, line {line}: ")
    assert reason in str(caught.value)


def test_an_nks_answer_not_in_utf8_or_without_rows_is_refused(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        _nks(GOOD_ROW, f"A1;9;{BATCH};{E2E_2};;;Afvist, ugyldig modtager ø;2026-12-02").encode(
            "latin-1"
        )
    )
    with pytest.raises(AnswerError, match=r"line 3: is not UTF-8"):
        read_nks(latin1)
    with pytest.raises(AnswerError, match="holds no answer rows"):
        read_nks(_write(tmp_path, "empty.csv", NKS_HEADER + "\n"))


# --------------------------------------------------------------------------- dispatch


def test_every_sample_is_read_by_content_whatever_its_name(tmp_path: Path) -> None:
    for source, kind in [(PAIN002_03, "pain.002"), (FFFS, "camt.054"), (PF_DEBIT, "camt.054")]:
        renamed = tmp_path / "answer.dat"
        renamed.write_bytes(source.read_bytes())
        assert read_answer_file(renamed).kind == kind
    renamed.write_text(_nks(GOOD_ROW), encoding="utf-8")
    assert read_answer_file(renamed).kind == "nks"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name[:40])
def test_every_sample_has_the_common_shape_and_whole_oere(path: Path) -> None:
    answer = read_answer_file(path)

    _check_shape(answer)
    amounts = answer.rows["amount_oere"].dropna()
    assert all(isinstance(value, int) for value in amounts.tolist())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("claim_id;amount\n1;2\n", "is neither an ISO 20022 answer"),
        ("", "is neither an ISO 20022 answer"),
        ('<?xml version="1.0"?><Document xmlns="urn:example:other"/>', "unknown namespace"),
        ("<Document><CstmrPmtStsRpt>", "unknown namespace '\\(none\\)'"),
        (
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>',
            "line 1: is not well-formed XML",
        ),
        (
            PAIN002_DK.replace("pain.002.001.03", "pain.001.001.09"),
            "unknown namespace 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09'",
        ),
    ],
)
def test_anything_else_is_refused(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(AnswerError, match=reason):
        read_answer_file(_write(tmp_path, "answer.xml", text))


# --------------------------------------------------------------------------- XML safety


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Document [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
  <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
  <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>&i;</MsgId><CreDtTm>2026-12-01T07:15:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts>
      <OrgnlMsgId>X</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>ACCP</GrpSts>
    </OrgnlGrpInfAndSts>
  </CstmrPmtStsRpt>
</Document>
"""


@pytest.mark.parametrize("reader", [read_pain002, read_answer_file])
def test_entity_expansion_is_refused_unexpanded(tmp_path: Path, reader) -> None:
    path = _write(tmp_path, "laughs.xml", BILLION_LAUGHS)
    started = time.monotonic()

    with pytest.raises(AnswerError, match="declares a DOCTYPE"):
        reader(path)

    assert time.monotonic() - started < 5  # 10^9 characters were never built


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = _write(tmp_path, "secret.txt", "TOP-SECRET")
    text = PAIN002_DK.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE Document [<!ENTITY x SYSTEM "{secret.as_uri()}">]>',
    ).replace("<AddtlInf>closed account</AddtlInf>", "<AddtlInf>&x;</AddtlInf>")
    path = _write(tmp_path, "external.xml", text)

    with pytest.raises(AnswerError, match="declares a DOCTYPE") as caught:
        read_answer_file(path)

    assert "TOP-SECRET" not in str(caught.value)


def _without_the_return(text: str) -> str:
    """The Danish notification less its returned credit: every entry the fast path takes."""
    start = text.index('      <Ntry>\n        <Amt Ccy="DKK">800.00</Amt>')
    end = text.index("</Ntry>", start) + len("</Ntry>\n")
    return text[:start] + text[end:]


def test_the_fast_camt054_path_gives_the_plain_readers_rows(tmp_path: Path) -> None:
    """The C path (XSLT + Arrow) and the entry-by-entry reader give equal frames on every
    sample file (the fast path steps aside for returns and reversals, as in the FFFS and
    PostFinance returns files) and on our own files, and the fast path really reads the
    ones of the common shape."""
    from robots.core.payments.answers import camt054
    from robots.core.payments.answers.camt054_fast import fast_rows
    from robots.core.payments.answers.rows import parse_answer_xml
    from robots.demo.bank_answers import _camt054

    ours = [
        _write(tmp_path, "danish.xml", _camt054_08()),
        _write(tmp_path, "bookings.xml", _without_the_return(_camt054_08())),
        _write(
            tmp_path,
            "month.xml",
            _camt054(
                "M-1",
                IBAN,
                pd.DataFrame(
                    {
                        "end_to_end_id": [f"HT20261201-1-{n:06d}" for n in range(300)],
                        "amount_oere": [100 + 37 * n for n in range(300)],
                    }
                ),
                date(2026, 12, 1),
            ),
        ),
    ]
    for path in [*sorted(DATA.glob("*camt*054*.xml")), *ours]:
        fast = camt054.read_camt054(path)
        plain = camt054.read_camt054(path, fast=False)
        pd.testing.assert_frame_equal(fast.rows, plain.rows, obj=path.name)
    for path in ours[1:]:
        root, namespace = parse_answer_xml(path, camt054.NAMESPACES)
        assert fast_rows(root, namespace, camt054._ENTRY_STATUS, "NOTPROVIDED") is not None
