"""A toy night paid, and the bank's and NemKonto's answers to it written and taken in
(shared by the bank-answer and reconciliation tests)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from robots.core.ledger import bank_answer_records
from robots.core.payments.feedback import AnswerTaken, take_in_answers
from tests.robots.toy.test_claim_life import Nights

DEBTOR_IBAN = "DK5000400440116243"  # config/settings.toml's demo account
OLGA = "oekonomi.olga"


class Bank:
    """A toy night paid, and answers written into the bank inbox and taken in."""

    def __init__(self, nights: Nights, data: Path) -> None:
        self.nights, self.inbox = nights, data / "inbox" / "bank_answers"
        self.data = data
        self.inbox.mkdir(parents=True, exist_ok=True)

    def transfer(self, claim_id: str) -> tuple[str, str, int]:
        """(batch id, EndToEndId, øre) of the transfer that paid the claim last."""
        with self.nights.engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT t.batch_id, t.end_to_end_id, t.amount_oere FROM payment_items i "
                    "JOIN payment_transfers t ON t.id = i.transfer_id JOIN claims c ON "
                    "c.id = i.claim_pk WHERE c.claim_id = :c ORDER BY i.attempt DESC"
                ),
                {"c": claim_id},
            ).first()
        assert row is not None
        return str(row[0]), str(row[1]), int(row[2])

    def answer(self, name: str, body: str) -> list[AnswerTaken]:
        (self.inbox / name).write_text(body, encoding="utf-8")
        return take_in_answers(
            engine=self.nights.engine,
            inbox=self.inbox,
            archive=self.data / "archive" / "bank_answers",
            quarantine=self.data / "quarantine" / "bank_answers",
            debtor_iban=DEBTOR_IBAN,
            postings=self.data / "outputs" / "postings" / "returns",
        )

    def unmatched(self) -> list[str]:
        with self.nights.engine.connect() as connection:
            frame = bank_answer_records.unmatched_lines(connection=connection)
        return list(frame["problem"])


def pain002(
    message_id: str, batch_id: str, transfers: list[tuple[str, str, str]], group: str = ""
) -> str:
    """A Danish bank's status report: per transfer (EndToEndId, status, reason code)."""
    txs = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>" if reason else "")
        + "</TxInfAndSts>"
        for e2e, status, reason in transfers
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-11-24T08:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{batch_id}</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>"
        + (f"<GrpSts>{group}</GrpSts>" if group else "")
        + "</OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{batch_id}</OrgnlPmtInfId>{txs}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>\n"
    )


def camt054(message_id: str, iban: str, e2e: str, oere: int) -> str:
    """A booked debit of one transfer on the account `iban`."""
    amount = f"{oere // 100}.{oere % 100:02d}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>'
        f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-11-25T06:00:00</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>N1</Id><CreDtTm>2026-11-25T06:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id></Acct>"
        f'<Ntry><Amt Ccy="DKK">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        "<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-25</Dt></BookgDt>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly>"
        "</Domn></BkTxCd><NtryDtls><TxDtls><Refs>"
        f"<EndToEndId>{e2e}</EndToEndId></Refs>"
        f'<Amt Ccy="DKK">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd></TxDtls></NtryDtls>'
        "</Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n"
    )
