"""The OIOUBL reader: the official samples parse, hostile XML is refused without harm."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from robots.core.pipeline.reading import LINE, UnreadableFileError
from robots.laegeregninger.oioubl import read_oioubl

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "oioubl"


def test_an_official_oioubl_2_02_invoice_gives_one_row_per_line() -> None:
    rows = read_oioubl(SAMPLES / "BASPRO_01_01_00_Invoice_v2p2.xml").frame
    assert len(rows) == 2
    assert rows["invoice_id"].unique().tolist() == ["A00095678"]
    assert rows["doctor_cvr"].unique().tolist() == ["16356706"]  # "DK" prefix dropped
    assert rows["request_id"].unique().tolist() == ["5002701"]
    assert rows["amount"].tolist() == ["5000.00", "50.00"]
    assert rows["invoice_line"].tolist() == ["1", "2"]
    assert rows["service_date"].tolist() == ["2005-11-15", "2005-11-15"]
    assert rows["document_type"].unique().tolist() == ["invoice"]
    assert rows[LINE].tolist() == [158, 193]  # the physical lines of the InvoiceLine elements


def test_an_official_oioubl_2_1_invoice_parses() -> None:
    rows = read_oioubl(SAMPLES / "OIOUBL_Invoice_v2p2.xml").frame
    assert len(rows) == 2
    assert rows["invoice_date"].unique().tolist() == ["2005-11-20"]


def test_a_four_line_invoice_keeps_every_line() -> None:
    rows = read_oioubl(SAMPLES / "COMDEL_02_02_00_Invoice_v2p2.xml").frame
    assert len(rows) == 4
    assert rows[LINE].is_monotonic_increasing


@pytest.mark.parametrize(
    "name", ["BASPRO_03_01_06_CreditNote_v2p2.xml", "OIOUBL_CreditNote_v2p2.xml"]
)
def test_an_official_credit_note_names_the_invoice_it_credits(name: str) -> None:
    rows = read_oioubl(SAMPLES / name).frame
    assert rows["document_type"].unique().tolist() == ["credit_note"]
    assert rows["credited_invoice_id"].unique().tolist() == ["A00095678"]
    # No delivery on the credit note: it is dated by its issue date.
    assert (rows["service_date"] == rows["invoice_date"]).all()


def test_a_credit_note_without_billing_reference_still_parses() -> None:
    rows = read_oioubl(SAMPLES / "OIOUBL_CreditNoteCertificate.xml").frame
    assert rows["document_type"].tolist() == ["credit_note"]
    assert rows["credited_invoice_id"].tolist() == [""]


def test_a_reminder_is_not_an_invoice() -> None:
    with pytest.raises(UnreadableFileError, match="Reminder"):
        read_oioubl(SAMPLES / "BASPRO_04_01_08_Reminder_v2p2.xml")


def _invoice(
    cpr_property: str = "CPR", currency: str = "DKK", extra: str = "", inside: str = ""
) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>{extra}
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>F-1001</cbc:ID>
 <cbc:IssueDate>2026-11-20</cbc:IssueDate>
 <cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
 <cac:OrderReference><cbc:ID>REQ-42</cbc:ID></cac:OrderReference>{inside}
 <cac:AccountingSupplierParty><cac:Party>
  <cac:PartyLegalEntity>
   <cbc:CompanyID schemeID="DK:CVR">DK12345674</cbc:CompanyID>
  </cac:PartyLegalEntity>
 </cac:Party></cac:AccountingSupplierParty>
 <cac:InvoiceLine>
  <cbc:ID>1</cbc:ID>
  <cbc:LineExtensionAmount currencyID="{currency}">1544.00</cbc:LineExtensionAmount>
  <cac:Delivery><cbc:ActualDeliveryDate>2026-11-18</cbc:ActualDeliveryDate></cac:Delivery>
  <cac:Item>
   <cbc:Name>Laegeattest til rehabiliteringsteam</cbc:Name>
   <cac:SellersItemIdentification><cbc:ID>LÆ265</cbc:ID></cac:SellersItemIdentification>
   <cac:AdditionalItemProperty><cbc:Name>{cpr_property}</cbc:Name><cbc:Value>0101501234</cbc:Value></cac:AdditionalItemProperty>
  </cac:Item>
 </cac:InvoiceLine>
</Invoice>"""


def test_a_doctors_invoice_gives_every_contract_field(tmp_path: Path) -> None:
    path = tmp_path / "invoice.xml"
    path.write_text(_invoice(), encoding="utf-8")
    row = read_oioubl(path).frame.iloc[0]
    assert row["cpr"] == "0101501234"
    assert row["certificate_code"] == "LÆ265"
    assert row["service_date"] == "2026-11-18"
    assert row["request_id"] == "REQ-42"
    assert row["doctor_cvr"] == "12345674"
    assert row["amount"] == "1544.00"


def test_the_cpr_property_name_is_matched_without_regard_to_case(tmp_path: Path) -> None:
    path = tmp_path / "invoice.xml"
    path.write_text(_invoice(cpr_property="Personnummer"), encoding="utf-8")
    assert read_oioubl(path).frame.iloc[0]["cpr"] == "0101501234"


def test_an_invoice_in_another_currency_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "invoice.xml"
    path.write_text(_invoice(currency="EUR"), encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="EUR"):
        read_oioubl(path)


BILLION_LAUGHS = """<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"""


def test_entity_expansion_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "lol.xml"
    path.write_text(_invoice(extra=BILLION_LAUGHS).replace("F-1001", "&lol9;"), encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(UnreadableFileError, match="DTD or entities"):
        read_oioubl(path)
    assert time.perf_counter() - started < 5  # a harm check, not a benchmark: no expansion


def test_an_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    hostile = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    path = tmp_path / "xxe.xml"
    path.write_text(_invoice(extra=hostile).replace("F-1001", "&xxe;"), encoding="utf-8")
    with pytest.raises(UnreadableFileError) as refused:
        read_oioubl(path)
    assert "TOP-SECRET" not in str(refused.value)


def test_an_external_dtd_on_the_network_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dtd.xml"
    path.write_text(
        _invoice(extra='<!DOCTYPE Invoice SYSTEM "http://203.0.113.1/evil.dtd">'),
        encoding="utf-8",
    )
    with pytest.raises(UnreadableFileError, match="DTD"):
        read_oioubl(path)


def test_a_file_above_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"<a>" + b" " * (25 * 1024 * 1024) + b"</a>")
    with pytest.raises(UnreadableFileError, match="more than the 25 MiB"):
        read_oioubl(path)


def test_broken_xml_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_text(_invoice()[:400], encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="not well-formed"):
        read_oioubl(path)


def _pdf_reference(megabytes: float, prefix: str = "cbc") -> str:
    """An embedded PDF as real invoices carry it: base64 in lines of 76 characters."""
    import base64
    import os

    encoded = base64.encodebytes(os.urandom(int(megabytes * 1024 * 1024))).decode()
    return (
        "\n <cac:AdditionalDocumentReference><cbc:ID>Faktura.pdf</cbc:ID><cac:Attachment>"
        f'<{prefix}:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="f.pdf">'
        f"{encoded}</{prefix}:EmbeddedDocumentBinaryObject></cac:Attachment>"
        "</cac:AdditionalDocumentReference>"
    )


def test_an_invoice_with_an_embedded_pdf_is_read_and_keeps_its_line_numbers(
    tmp_path: Path,
) -> None:
    document = _invoice(inside=_pdf_reference(8))
    path = tmp_path / "with-pdf.xml"
    path.write_text(document, encoding="utf-8")
    assert path.stat().st_size > 10 * 1024 * 1024
    rows = read_oioubl(path).frame
    line = next(n for n, text in enumerate(document.splitlines(), 1) if "<cac:InvoiceLine>" in text)
    assert rows.iloc[0]["amount"] == "1544.00" and rows.iloc[0]["_line"] == line
    assert not any("JVBER" in str(v) for v in rows.iloc[0])  # nothing of the PDF is kept


def test_an_invoice_whose_attachments_pass_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge-pdf.xml"
    path.write_text(_invoice(inside=_pdf_reference(20)), encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="more than the 25 MiB"):
        read_oioubl(path)


def test_an_invoice_too_large_without_its_attachments_is_refused(tmp_path: Path) -> None:
    note = "<cbc:Note>" + "bla " * (2 * 1024 * 1024) + "</cbc:Note>"
    path = tmp_path / "long-note.xml"
    path.write_text(_invoice(inside=note), encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="without its attachments, above the 5 MiB"):
        read_oioubl(path)
