"""Read the bank's pain.002 status reports on our pain.001 files.

The bank answers at three levels (domain.md 7.4): the whole file (OrgnlMsgId, GrpSts),
a debit entry (OrgnlPmtInfId, PmtInfSts) and one transfer (OrgnlEndToEndId, TxSts with
a reason code such as AC04 "closed account"). Our MsgId is also our only PmtInfId, so
a file and a batch answer both name the batch.

Status codes are normalised by one table per level; a code not in it refuses the file
rather than being guessed at, since "accepted" is what lets a payment count as on its
way. The table holds every code pain.002.001.03 allows, and of .10's open code list:

* accepted: ACCP, ACSC, ACSP, ACTC, ACWC, ACCC (accepted at some stage, with or
  without settlement; ACWC with a change the bank made).
* rejected: RJCT.
* pending: PDNG, ACWP (waits for the bank or for a person), RCVD (received, not yet
  checked), and the verification-of-payee results RCVC, RVMC, RVNM, RVNA (the bank
  compared the payee's name with the account and waits for the payer to go ahead).
* PART, at file or batch level only: some transfers are accepted and others not (yet);
  it says nothing about which, so it is "pending" with bank_status PART and the
  transfer rows (or a later report) say which.

A transfer without a TxSts takes its batch's status, else the file's: the report then
gives the status once for all of them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lxml import etree

from robots.core.payments.answers.rows import (
    AnswerError,
    AnswerFile,
    Row,
    amount_of,
    parse_answer_xml,
    rows_frame,
    texts,
)

logger = logging.getLogger(__name__)

NAMESPACES = {
    "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03": "pain.002.001.03.xsd",
    "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10": "pain.002.001.10.xsd",
}
"""The pain.002 versions read, by namespace, with their XSD."""

NOT_PROVIDED = "NOTPROVIDED"
"""ISO's placeholder where an EndToEndId was not given: no id, not an id."""

_TRANSFER_STATUS = {
    **dict.fromkeys(("ACCP", "ACSC", "ACSP", "ACTC", "ACWC", "ACCC"), "accepted"),
    "RJCT": "rejected",
    **dict.fromkeys(("PDNG", "ACWP", "RCVD", "RCVC", "RVMC", "RVNM", "RVNA"), "pending"),
}
_GROUP_STATUS = {**_TRANSFER_STATUS, "PART": "pending"}


def read_pain002(path: Path) -> AnswerFile:
    """Read one pain.002.001.03 or .10 status report into answer rows.

    Args:
        path: The file.

    Returns:
        The answer: a "file" row for GrpSts, a "batch" row per PmtInfSts, a "transfer"
        row per TxInfAndSts (amount from OrgnlTxRef/Amt/InstdAmt when given).

    Raises:
        AnswerError: An unknown namespace, a file the XSD refuses (its first error), a
            DOCTYPE, or a status code the table above does not hold.
    """
    path = Path(path)
    root, namespace = parse_answer_xml(path, NAMESPACES)
    ns = {"p": namespace}
    report = root.find("p:CstmrPmtStsRpt", ns)
    if report is None:  # the XSD makes this the only child; kept for a clear message
        raise AnswerError(path, "has no CstmrPmtStsRpt: not a payment status report")
    rows: list[Row] = []
    group = report.find("p:OrgnlGrpInfAndSts", ns)
    group_status = None
    if group is not None:
        group_status = group.findtext("p:GrpSts", namespaces=ns)
        if group_status:
            rows.append(
                _row(path, group, "file", group_status, group.findtext("p:OrgnlMsgId", None, ns))
            )
    for batch in report.iterfind("p:OrgnlPmtInfAndSts", ns):
        batch_id = batch.findtext("p:OrgnlPmtInfId", namespaces=ns)
        batch_status = batch.findtext("p:PmtInfSts", namespaces=ns)
        if batch_status:
            rows.append(_row(path, batch, "batch", batch_status, batch_id))
        for transfer in batch.iterfind("p:TxInfAndSts", ns):
            status = transfer.findtext("p:TxSts", namespaces=ns) or batch_status or group_status
            if not status:
                raise AnswerError(
                    path,
                    "a transfer has no status (TxSts), and neither has its batch nor the "
                    "file: the report says nothing about it",
                    line=transfer.sourceline,
                )
            rows.append(_row(path, transfer, "transfer", status, batch_id))
    answer = AnswerFile(
        kind="pain.002",
        message_id=report.findtext("p:GrpHdr/p:MsgId", "", ns),
        created=report.findtext("p:GrpHdr/p:CreDtTm", "", ns),
        account_iban=None,
        rows=rows_frame(rows),
    )
    logger.info("Read pain.002 %s: %d status row(s)", path.name, len(rows))
    return answer


def _row(path: Path, element: etree._Element, level: str, code: str, batch_id: str | None) -> Row:
    """One status row of a report element (OrgnlGrpInfAndSts, -PmtInfAndSts, TxInfAndSts)."""
    ns = {"p": etree.QName(element).namespace or ""}
    table = _TRANSFER_STATUS if level == "transfer" else _GROUP_STATUS
    status = table.get(code)
    if status is None:
        raise AnswerError(
            path,
            f"status {code!r} at {level} level is not one the robots know ("
            + ", ".join(sorted(table))
            + "); find out from the bank what it means before the report is read",
            line=element.sourceline,
        )
    reason = element.find("p:StsRsnInf/p:Rsn", ns)
    end_to_end_id = element.findtext("p:OrgnlEndToEndId", namespaces=ns)
    oere, currency = amount_of(element.find("p:OrgnlTxRef/p:Amt/p:InstdAmt", ns), path)
    return Row(
        level=level,
        status=status,
        bank_status=code,
        source_line=element.sourceline,
        batch_id=batch_id,
        end_to_end_id=None if end_to_end_id in (None, NOT_PROVIDED) else end_to_end_id,
        reason_code=None if reason is None else (reason.findtext("p:*", None, ns) or None),
        reason_text=" ".join(texts(element, "p:StsRsnInf/p:AddtlInf/text()", ns)) or None,
        amount_oere=oere,
        currency=currency,
    )
