"""The demo's bank: answers to the payment files the demo nights sent, as a Danish bank and
NemKonto would send them back, with the things finance must see planted:

- a camt.054 per batch booking its transfers (a debit each, with our EndToEndId);
- a pain.002 per batch rejecting a few transfers (AC04 closed account, AC01 wrong
  account), which the camt.054 then does not book;
- an NKS answer paying one transfer by cheque (no NemKonto: paid, and says so);
- one booking the ledger never sent (a stray EndToEndId), for finance's unmatched list.

Deterministic for a seed, so two demos give the same answers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

REJECT_SHARE = 0.01
"""About one transfer in a hundred comes back rejected (at least one per batch)."""


@dataclass(frozen=True)
class DemoAnswers:
    files: list[Path]
    rejected: list[str]
    """EndToEndIds rejected by the bank."""
    cheque: str | None
    stray: str


def write_demo_answers(
    inbox: Path, transfers: pd.DataFrame, debtor_iban: str, booked_on: date, seed: int
) -> DemoAnswers:
    """Answer files for `transfers` (batch_id, end_to_end_id, amount_oere) in `inbox`."""
    rng = random.Random(seed)
    inbox.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    rejected: list[str] = []
    cheque = None
    for n, (batch_id, of_batch) in enumerate(transfers.groupby("batch_id", sort=True)):
        ids = list(of_batch["end_to_end_id"])
        count = max(1, round(len(ids) * REJECT_SHARE)) if len(ids) > 2 else 0
        refused = rng.sample(ids, count) if count else []
        rejected += refused
        if refused:
            path = inbox / f"pain002_{batch_id}.xml"
            path.write_text(_pain002(f"DEMO-STS-{n}", str(batch_id), refused), encoding="utf-8")
            files.append(path)
        rest = of_batch[~of_batch["end_to_end_id"].isin(refused)]
        if cheque is None and len(rest) > 1:
            cheque = str(rest["end_to_end_id"].iloc[-1])
            path = inbox / f"nks_{batch_id}.csv"
            path.write_text(_nks(f"DEMO-NKS-{n}", str(batch_id), rest.iloc[-1], booked_on))
            files.append(path)
            rest = rest.iloc[:-1]
        path = inbox / f"camt054_{batch_id}.xml"
        path.write_text(_camt054(f"DEMO-CAMT-{n}", debtor_iban, rest, booked_on), encoding="utf-8")
        files.append(path)
    stray = f"DEMO-STRAY-{seed}"
    path = inbox / "camt054_stray.xml"
    path.write_text(
        _camt054(
            "DEMO-CAMT-STRAY",
            debtor_iban,
            pd.DataFrame({"end_to_end_id": [stray], "amount_oere": [12_345]}),
            booked_on,
        ),
        encoding="utf-8",
    )
    files.append(path)
    return DemoAnswers(files, rejected, cheque, stray)


def _pain002(message_id: str, batch_id: str, refused: list[str]) -> str:
    reasons = ("AC04", "AC01")
    txs = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
        f"<StsRsnInf><Rsn><Cd>{reasons[i % 2]}</Cd></Rsn></StsRsnInf></TxInfAndSts>"
        for i, e2e in enumerate(refused)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-01-01T08:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{batch_id}</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>PART</GrpSts>"
        "</OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{batch_id}</OrgnlPmtInfId>{txs}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>\n"
    )


def _camt054(message_id: str, iban: str, rows: pd.DataFrame, booked_on: date) -> str:
    entries = "".join(
        f'<Ntry><Amt Ccy="DKK">{_kroner(oere)}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{booked_on.isoformat()}</Dt></BookgDt>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly>"
        f"</Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>"
        f'<Amt Ccy="DKK">{_kroner(oere)}</Amt><CdtDbtInd>DBIT</CdtDbtInd></TxDtls></NtryDtls>'
        "</Ntry>"
        for e2e, oere in zip(rows["end_to_end_id"], rows["amount_oere"], strict=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
        "<BkToCstmrDbtCdtNtfctn>"
        f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-01-01T06:00:00</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>{message_id}</Id><CreDtTm>2026-01-01T06:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id></Acct>{entries}</Ntfctn>"
        "</BkToCstmrDbtCdtNtfctn></Document>\n"
    )


def _nks(answer_id: str, batch_id: str, transfer: pd.Series, booked_on: date) -> str:
    return (
        "answer_id;answer_type;bundle_id;end_to_end_id;amount;outcome;reason;answered_on\n"
        f"{answer_id};7;{batch_id};{transfer['end_to_end_id']};"
        f"{_kroner(int(transfer['amount_oere']))};cheque;ingen NemKonto;{booked_on.isoformat()}\n"
    )


def _kroner(oere: int) -> str:
    return f"{int(oere) // 100}.{int(oere) % 100:02d}"
