"""The effect of the control work, per case, as KL measures it (domain.md 8.1).

Part of the ledger's API (see robots/core/ledger/__init__.py). One row per case opened in
the period, with what its decision did to the money: tilbagebetalingskrav (the recovery
it opened), kroner stopped before payment (a held claim stopped: the money that never
left), referred to another authority or reported to the police, and the case's status.
Everything is read from the claims' events that name the case, so the report cannot say
what the history does not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, text

from robots.core import dates
from robots.core.ledger.cases import STATUS_SQL
from robots.core.ledger.schema import UTCDateTime

_ROWS = f"""
SELECT k.id AS case_id, k.robot, k.kanal, k.opened_at, c.claim_id, c.rule_ids,
       c.amount_oere, c.decision AS robot_decision,
       d.kind AS decided, d.at AS decided_at, d.actor AS decided_by, d.detail,
       CASE WHEN d.kind = 'recovery_opened' THEN d.amount_oere ELSE 0 END AS recover_oere,
       CASE WHEN d.kind = 'stopped' AND c.decision = 'hold' THEN c.amount_oere ELSE 0 END
           AS stopped_oere,
       {STATUS_SQL} AS status
FROM cases k
JOIN claims c ON c.id = k.claim_pk
LEFT JOIN claim_events d ON d.case_id = k.id
WHERE k.opened_at >= :start AND k.opened_at < :end
ORDER BY k.id
"""


def effect_rows(*, connection: Connection, first: date, last: date) -> list[dict[str, Any]]:
    """Every case opened from `first` to `last` (Copenhagen days, both included), with its
    decision and money; `referred_to` is 'police', 'authority' or ''."""
    start, end = dates.days_span(first, last)
    sql = text(_ROWS).bindparams(
        bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
    )
    out = []
    for row in connection.execute(sql, {"start": start, "end": end}).mappings():
        item = dict(row)
        item["opened_at"] = dates.as_utc(item["opened_at"])
        item["decided_at"] = dates.as_utc(item["decided_at"]) if item["decided_at"] else None
        detail = item.pop("detail") or ""
        item["referred_to"] = (
            "police"
            if item["decided"] == "referred" and '"refer_to": "police"' in detail
            else "authority"
            if item["decided"] == "referred"
            else ""
        )
        item["recover_oere"] = int(item["recover_oere"] or 0)
        item["stopped_oere"] = int(item["stopped_oere"] or 0)
        out.append(item)
    return out
