"""Read the bank's camt.054 debit/credit notifications on the paying account.

A pain.002 says the bank took a transfer; only the account says the money left, and
whether it came back. A booked debit is our transfer leaving the account; a credit with
return information (RtrInf) or an entry marked as a reversal (RvslInd) is a transfer
coming back, with the bank's reason (AC04 closed account, ...). Each entry's
transaction details (TxDtls) carry our references: EndToEndId and PmtInfId (our batch).

Statuses: "returned" for a credit with RtrInf or a reversal entry, whatever its entry
status (bank_status keeps BOOK, PDNG or INFO); otherwise BOOK is "booked" (a credit
too: `credit_debit` tells it from our debit), and PDNG, FUTR and INFO are "pending":
nothing is on the account yet, and INFO, by definition, never will be from this entry.
A proprietary or unknown entry status refuses the file.

Amounts: a transaction's own amount (TxDtls/Amt, or AmtDtls/TxAmt/Amt in .02); the
entry's amount only when the entry has at most one transaction, since an entry that
books a whole batch would otherwise give each transfer the batch's total.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pandas as pd
from lxml import etree

from robots.core.payments.answers.camt054_fast import fast_rows
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
    "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02": "camt.054.001.02.xsd",
    "urn:iso:std:iso:20022:tech:xsd:camt.054.001.04": "camt.054.001.04.xsd",
    "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08": "camt.054.001.08.xsd",
}
"""The camt.054 versions read, by namespace, with their XSD."""

NOT_PROVIDED = "NOTPROVIDED"
"""ISO's placeholder where an EndToEndId was not given: no id, not an id."""

_ENTRY_STATUS = {"BOOK": "booked", "PDNG": "pending", "FUTR": "pending", "INFO": "pending"}


def read_camt054(path: Path, *, fast: bool = True) -> AnswerFile:
    """Read one camt.054.001.02, .04 or .08 notification into answer rows.

    Args:
        path: The file.
        fast: Read through the C path where the file allows it (False: entry by entry,
            the plain twin the tests compare it with).

    Returns:
        The answer: a "transfer" row per TxDtls of each entry, or per entry without
        any; `account_iban` is the notified account's IBAN.

    Raises:
        AnswerError: An unknown namespace, a file the XSD refuses (its first error), a
            DOCTYPE, an unknown entry status, an amount finer than hundredths, or
            notifications on more than one account.
    """
    path = Path(path)
    root, namespace = parse_answer_xml(path, NAMESPACES)
    ns = {"c": namespace}
    message = root.find("c:BkToCstmrDbtCdtNtfctn", ns)
    if message is None:  # the XSD makes this the only child; kept for a clear message
        raise AnswerError(path, "has no BkToCstmrDbtCdtNtfctn: not a debit/credit notification")
    notifications = message.findall("c:Ntfctn", ns)
    accounts = {n.findtext("c:Acct/c:Id/c:IBAN", None, ns) for n in notifications}
    if len(accounts) > 1:
        raise AnswerError(
            path,
            f"notifies {len(accounts)} accounts in one message; each answer is matched to "
            "one paying account, so ask the bank for one file per account",
            line=notifications[1].sourceline,
        )
    frame = fast_rows(root, namespace, _ENTRY_STATUS, NOT_PROVIDED) if fast else None
    if frame is None:
        frame = _rows_plain(path, notifications, ns)
    answer = AnswerFile(
        kind="camt.054",
        message_id=message.findtext("c:GrpHdr/c:MsgId", "", ns),
        created=message.findtext("c:GrpHdr/c:CreDtTm", "", ns),
        account_iban=next(iter(accounts), None),
        rows=frame,
    )
    logger.info("Read camt.054 %s: %d transaction row(s)", path.name, len(frame))
    return answer


def _rows_plain(
    path: Path, notifications: list[etree._Element], ns: dict[str, str]
) -> pd.DataFrame:
    """The rows, entry by entry in Python: the plain twin of `camt054_fast.fast_rows`, and
    the reader of every file the fast path steps aside for (returns, reversals, anything it
    cannot read exactly), which names the line of what is wrong."""
    rows: list[Row] = []
    for notification in notifications:
        for entry in notification.iterfind("c:Ntry", ns):
            details = entry.findall("c:NtryDtls/c:TxDtls", ns)
            for transaction in details or [None]:
                rows.append(_row(path, entry, transaction, len(details), ns))
    return rows_frame(rows)


def _row(
    path: Path,
    entry: etree._Element,
    transaction: etree._Element | None,
    transactions: int,
    ns: dict[str, str],
) -> Row:
    """One row for a transaction of an entry (or for the entry, when it lists none)."""
    code = _entry_status(path, entry, ns)
    credit_debit = entry.findtext("c:CdtDbtInd", None, ns)
    reversal = entry.findtext("c:RvslInd", "", ns).strip() in ("true", "1")
    refs = batch = None
    return_info = None
    amount = entry.find("c:Amt", ns) if transactions <= 1 else None
    if transaction is not None:
        refs = transaction.find("c:Refs", ns)
        batch = transaction.getparent().find("c:Btch", ns)  # the NtryDtls holding it
        return_info = transaction.find("c:RtrInf", ns)
        credit_debit = transaction.findtext("c:CdtDbtInd", credit_debit, ns)
        own = transaction.find("c:Amt", ns)
        if own is None:
            own = transaction.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
        amount = own if own is not None else amount
    returned = reversal or (credit_debit == "CRDT" and return_info is not None)
    oere, currency = amount_of(amount, path)
    end_to_end_id = _first(refs, ("c:EndToEndId",), ns)
    reason = None if return_info is None else return_info.find("c:Rsn", ns)
    return Row(
        level="transfer",
        status="returned" if returned else _ENTRY_STATUS[code],
        bank_status=code,
        source_line=(transaction if transaction is not None else entry).sourceline,
        batch_id=_first(refs, ("c:PmtInfId", "c:MsgId"), ns)
        or _first(batch, ("c:PmtInfId", "c:MsgId"), ns),
        end_to_end_id=None if end_to_end_id == NOT_PROVIDED else end_to_end_id,
        reason_code=None if reason is None else (reason.findtext("c:*", None, ns) or None),
        reason_text=None
        if return_info is None
        else (" ".join(texts(return_info, "c:AddtlInf/text()", ns)) or None),
        amount_oere=oere,
        currency=currency,
        credit_debit=credit_debit,
        booked_on=_booking_date(entry, ns),
    )


def _entry_status(path: Path, entry: etree._Element, ns: dict[str, str]) -> str:
    """The entry status code: the text of Sts (.02, .04) or of Sts/Cd (.08)."""
    status = entry.find("c:Sts", ns)
    code = None
    if status is not None:
        code = status.findtext("c:Cd", None, ns) if len(status) else status.text
    if code is None or code not in _ENTRY_STATUS:
        raise AnswerError(
            path,
            f"entry status {code!r} is not one the robots know ({', '.join(_ENTRY_STATUS)}); "
            "find out from the bank what it means before the notification is read",
            line=entry.sourceline,
        )
    return code


def _first(
    element: etree._Element | None, paths: tuple[str, ...], ns: dict[str, str]
) -> str | None:
    """The first non-empty text of `paths` under `element`, or None."""
    if element is None:
        return None
    for xpath in paths:
        text = (element.findtext(xpath, "", ns) or "").strip()
        if text:
            return text
    return None


def _booking_date(entry: etree._Element, ns: dict[str, str]) -> date | None:
    """BookgDt/Dt, or the date part of BookgDt/DtTm as written (the bank's own day)."""
    text = _first(entry, ("c:BookgDt/c:Dt", "c:BookgDt/c:DtTm"), ns)
    return None if text is None else date.fromisoformat(text[:10])
