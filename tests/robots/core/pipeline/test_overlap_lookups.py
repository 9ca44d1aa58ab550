"""A robot's overlap question (`OverlapLookup`), on SQLite and PostgreSQL: which earlier
claim under the same key covers some of a claim's days.

Why these tests matter: the same hours claimed twice under one agreement, in two claims
whose periods differ, is paid twice unless the ledger can say which days a claim already
covers. A day at either edge is a shared day; the day after is not; only claims that
still stand (paid, approved or held, not superseded) count, and never the claim itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from robots.core.ledger import bulk, claim_records
from robots.core.ledger.database import open_ledger
from robots.core.pipeline import recording
from robots.core.pipeline.ingest import FILE
from robots.core.pipeline.ledger_questions import earliest_overlaps, with_ledger_lookups
from robots.core.pipeline.reading import LINE
from robots.core.robot import OverlapLookup
from robots.helbredstillaeg.robot import ROBOT as SOME_ROBOT

LOOKUP = OverlapLookup(
    frame_key="agreement_id",
    ledger_key="document_key",
    start="period_start",
    end="period_end",
    prefix="overlap",
)
ROBOT = replace(SOME_ROBOT, overlap_lookups=(LOOKUP,))

Earlier = tuple[str, str, str, str | None, str]
"""An earlier claim: claim id, key, first day, last day (None: none), decision."""

EARLIER: list[Earlier] = [
    ("E-EDGE", "A-EDGE", "2026-01-01", "2026-01-31", "pay"),
    ("E-NEXT", "A-NEXT", "2026-02-01", "2026-02-28", "pay"),
    ("E-BIG", "A-INSIDE", "2026-01-01", "2026-01-31", "pay"),
    ("E-SELF", "A-SELF", "2026-01-01", "2026-01-31", "pay"),
    ("E-OTHER", "A-OTHER", "2026-01-01", "2026-01-31", "pay"),
    ("E-REJ", "A-REJ", "2026-01-01", "2026-01-31", "reject"),
    ("E-HELD", "A-HELD", "2026-01-01", "2026-01-31", "hold"),
    ("E-DAY", "A-DAY", "2026-01-15", None, "pay"),
    ("E-3", "A-MANY", "2026-01-01", "2026-01-31", "pay"),
    ("E-2", "A-MANY", "2026-02-01", "2026-02-28", "pay"),
    ("E-1", "A-MANY", "2026-01-01", "2026-01-20", "pay"),
    ("E-OLD", "A-SUPERSEDED", "2026-01-01", "2026-01-31", "pay"),
]

Row = tuple[str, str | None, str, str]
"""Tonight's claim: claim id, key, first day, last day."""

EXPECTED: list[tuple[Row, tuple[str, str, str] | None]] = [
    # Touching at the earlier claim's last day: Jan 31 is claimed twice.
    (("T-LAST-DAY", "A-EDGE", "2026-01-31", "2026-02-28"), ("E-EDGE", "2026-01-01", "2026-01-31")),
    # Touching at its first day: Feb 1 is claimed twice.
    (("T-FIRST-DAY", "A-NEXT", "2026-01-01", "2026-02-01"), ("E-NEXT", "2026-02-01", "2026-02-28")),
    # The day after: no day shared.
    (("T-DAY-AFTER", "A-EDGE", "2026-02-01", "2026-02-28"), None),
    (("T-DAY-BEFORE", "A-NEXT", "2026-01-01", "2026-01-31"), None),
    # Inside the earlier claim, and around it.
    (("T-INSIDE", "A-INSIDE", "2026-01-10", "2026-01-12"), ("E-BIG", "2026-01-01", "2026-01-31")),
    (("T-AROUND", "A-NEXT", "2025-12-01", "2026-03-31"), ("E-NEXT", "2026-02-01", "2026-02-28")),
    # The claim itself (a new version of it) is no earlier claim.
    (("E-SELF", "A-SELF", "2026-01-01", "2026-01-31"), None),
    # Another key's days are another agreement's.
    (("T-OTHER-KEY", "A-NOT-OTHER", "2026-01-01", "2026-01-31"), None),
    (("T-NO-KEY", None, "2026-01-01", "2026-01-31"), None),
    # A rejected claim pays nothing; a held one is paid once released.
    (("T-REJ", "A-REJ", "2026-01-01", "2026-01-31"), None),
    (("T-HELD", "A-HELD", "2026-01-05", "2026-01-06"), ("E-HELD", "2026-01-01", "2026-01-31")),
    # A claim with no last day covers its first day alone.
    (("T-DAY-ON", "A-DAY", "2026-01-01", "2026-01-15"), ("E-DAY", "2026-01-15", "2026-01-15")),
    (("T-DAY-BESIDE", "A-DAY", "2026-01-16", "2026-01-31"), None),
    # Several share days: the earliest first day, then the lowest claim id.
    (("T-MANY", "A-MANY", "2026-01-15", "2026-02-15"), ("E-1", "2026-01-01", "2026-01-20")),
    (("T-MANY-LATE", "A-MANY", "2026-01-25", "2026-02-15"), ("E-3", "2026-01-01", "2026-01-31")),
    # A superseded version covers nothing: its newer version's days stand.
    (("T-SUPERSEDED", "A-SUPERSEDED", "2026-01-01", "2026-01-31"), None),
]


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Engine]:
    """A ledger holding EARLIER (E-OLD superseded), as a night's bulk insert writes claims."""
    engine = open_ledger(ledger_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, robot, night, mode, status, started_at) VALUES "
                "('R1', :robot, '2026-11-23', 'demo', 'completed', '2026-11-23 22:00:00+00')"
            ),
            {"robot": ROBOT.name},
        )
        connection.execute(
            text(
                "INSERT INTO source_files (id, sha256, dataset, file_name, stored_path, run_id, "
                "status, rows_read, rows_rejected) VALUES (1, 'h', 'health_claims', 'f', 'p', "
                "'R1', 'processed', 1, 0)"
            )
        )
        bulk.bulk_insert(connection=connection, table="claims", frame=_claims(EARLIER))
        connection.execute(
            text(
                "INSERT INTO claim_events (claim_pk, seq, kind, at, actor, reason) "
                "SELECT id, 1, 'superseded', '2026-11-24 08:00:00+00', 'robot:R2', 'x' "
                "FROM claims WHERE claim_id = 'E-OLD'"
            )
        )
    yield engine
    engine.dispose()


def _days(values: list[str | None]) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[s]")


def _claims(earlier: list[Earlier]) -> pd.DataFrame:
    """Claims rows as the night writes them (service_end a datetime64 column, NaT: NULL)."""
    ids, keys, starts, ends, decisions = (list(c) for c in zip(*earlier, strict=True))
    count = len(ids)
    return pd.DataFrame(
        {
            "idempotency_key": pd.Series([f"{ROBOT.name}:{i}" for i in ids], dtype="string"),
            "robot": ROBOT.name,
            "claim_id": pd.Series(ids, dtype="string"),
            "run_id": "R1",
            "source_file_id": np.ones(count, dtype=np.int64),
            "source_line": np.arange(2, 2 + count, dtype=np.int64),
            "payee_kind": "cvr",
            "payee_id": "29189846",
            "category": "loentilskud",
            "service_date": _days(starts),
            "service_end": _days(ends),
            "basis_oere": np.full(count, 1000, dtype=np.int64),
            "amount_oere": np.full(count, 1000, dtype=np.int64),
            "rate_year": 2026,
            "rate_provisional": False,
            "rule_basis": "x",
            "fingerprint": pd.Series(ids, dtype="string"),
            "decision": decisions,
            "rule_ids": "",
            "document_key": pd.Series(keys, dtype="string"),
        }
    )


def _tonight(rows: list[Row]) -> pd.DataFrame:
    ids, keys, starts, ends = (list(c) for c in zip(*rows, strict=True))
    frame = pd.DataFrame(
        {
            "claim_id": pd.Series(ids, dtype="string"),
            "agreement_id": pd.Series(keys, dtype="string"),
            "period_start": _days(starts),
            "period_end": _days(ends),
        }
    )
    # Not 0..n-1: the answers follow the frame's own index.
    return frame.set_axis(pd.RangeIndex(100, 100 + len(rows)))


def test_each_claim_is_told_the_earliest_earlier_claim_sharing_a_day(ledger: Engine) -> None:
    frame = _tonight([row for row, _ in EXPECTED])
    with ledger.connect() as connection:
        out = with_ledger_lookups(connection, ROBOT, frame)
    assert list(out.columns) == [*frame.columns, *LOOKUP.columns]
    assert out.index.equals(frame.index)
    assert out["overlap_start"].dtype == out["overlap_end"].dtype == "datetime64[s]"
    found = {
        row[0]: None if pd.isna(claim) else (claim, f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}")
        for row, claim, start, end in zip(
            [row for row, _ in EXPECTED],
            out["overlap_claim_id"],
            out["overlap_start"],
            out["overlap_end"],
            strict=True,
        )
    }
    assert found == {row[0]: answer for row, answer in EXPECTED}


def test_a_ledger_without_standing_claims_answers_none(ledger_url: str) -> None:
    """A first night: no claim to share days with, the columns are there all the same."""
    engine = open_ledger(ledger_url)
    frame = _tonight([("T1", "A-EDGE", "2026-01-01", "2026-01-31")])
    with engine.connect() as connection:
        out = with_ledger_lookups(connection, ROBOT, frame)
    engine.dispose()
    assert out[LOOKUP.columns].isna().all().all()
    assert out["overlap_start"].dtype == "datetime64[s]"


def test_the_ledger_gives_every_standing_claim_of_a_key_with_its_days(ledger: Engine) -> None:
    with ledger.connect() as connection:
        periods = claim_records.standing_periods_by_key(
            connection=connection,
            robot=ROBOT.name,
            column="document_key",
            keys=["A-MANY", "A-DAY", "A-REJ", "A-SUPERSEDED", "A-NONE"],
        )
    periods = periods.sort_values("claim_id", ignore_index=True)
    assert list(periods.columns) == claim_records.PERIOD_COLUMNS
    assert periods["claim_id"].tolist() == ["E-1", "E-2", "E-3", "E-DAY"]
    assert periods["idempotency_key"].tolist() == [
        f"{ROBOT.name}:{i}" for i in ("E-1", "E-2", "E-3", "E-DAY")
    ]
    assert (
        periods["service_date"].tolist()
        == _days(["2026-01-01", "2026-02-01", "2026-01-01", "2026-01-15"]).tolist()
    )
    assert (
        periods["service_end"].iloc[:3].tolist()
        == _days(["2026-01-20", "2026-02-28", "2026-01-31"]).tolist()
    )
    assert pd.isna(periods["service_end"].iloc[3])


def test_only_claims_ending_on_or_after_tonights_first_day_are_read(ledger: Engine) -> None:
    """E-1 ends 20 January, E-DAY has no end and covers 15 January: from 21 January on
    neither can share a day with any claim, so the ledger does not send them."""
    with ledger.connect() as connection:
        periods = claim_records.standing_periods_by_key(
            connection=connection,
            robot=ROBOT.name,
            column="document_key",
            keys=["A-MANY", "A-DAY"],
            ending_from=date(2026, 1, 21),
        )
    assert sorted(periods["claim_id"]) == ["E-2", "E-3"]


def test_claims_cannot_be_looked_up_by_any_column(ledger: Engine) -> None:
    with ledger.connect() as connection, pytest.raises(ValueError, match="looked up by"):
        claim_records.standing_periods_by_key(
            connection=connection, robot=ROBOT.name, column="cpr; DROP", keys=["x"]
        )


def test_200_000_claims_with_three_earlier_claims_each() -> None:
    """The pure twin at a night's scale: every row that shares a day is found, no other."""
    count = 200_000
    keys = pd.Series([f"A{n}" for n in range(count)], dtype="string")
    start = pd.Series(np.datetime64("2026-01-01", "s"), index=range(count))
    own = pd.DataFrame(
        {
            "key": keys,
            "claim_id": pd.Series([f"T{n}" for n in range(count)], dtype="string"),
            "start": start + pd.to_timedelta(np.arange(count) % 60, unit="D"),
            "end": start + pd.to_timedelta(np.arange(count) % 60 + 10, unit="D"),
        }
    )
    earlier = pd.DataFrame(
        {
            "key": pd.concat([keys] * 3, ignore_index=True),
            "claim_id": pd.Series([f"E{n}" for n in range(3 * count)], dtype="string"),
            "service_date": pd.concat(
                [start + pd.to_timedelta(days, unit="D") for days in (0, 30, 60)],
                ignore_index=True,
            ),
            "service_end": pd.Series(pd.NaT, index=range(3 * count), dtype="datetime64[s]"),
        }
    )
    first = earliest_overlaps(own, earlier)
    # Day n % 60 to n % 60 + 10 holds day 0 (n % 60 == 0), or day 30, 60 (within ten).
    shifted = np.arange(count) % 60
    hits = (shifted == 0) | ((shifted >= 20) & (shifted <= 30)) | (shifted >= 50)
    assert (first["claim_id"].notna().to_numpy() == hits).all()


def test_a_compute_frame_s_last_day_reaches_the_ledger_and_none_is_null(ledger: Engine) -> None:
    """recording writes `service_end` where compute gives one (NaT: NULL), and no column
    at all (NULL) where compute gives none."""
    with_end = _computed(["N1", "N2"]).assign(service_end=_days(["2026-03-31", None]))
    without = _computed(["N3"])
    with ledger.begin() as connection:
        for computed in (with_end, without):
            pks = bulk.reserve_claim_pks(connection=connection, count=len(computed))
            rows = recording._claim_rows(computed, pks, ROBOT, "R1", {0: 1})
            bulk.bulk_insert(connection=connection, table="claims", frame=rows)
        assert "service_end" not in rows
        kept = connection.execute(
            text(
                "SELECT claim_id, service_end FROM claims WHERE claim_id IN ('N1', 'N2', 'N3') "
                "ORDER BY claim_id"
            )
        ).all()
    assert [(claim, None if end is None else str(end)) for claim, end in kept] == [
        ("N1", "2026-03-31"),
        ("N2", None),
        ("N3", None),
    ]


def test_a_last_day_that_is_no_date_is_refused(ledger: Engine) -> None:
    computed = _computed(["N1"]).assign(service_end=["2026-03-31"])
    with pytest.raises(TypeError, match="service_end"):
        recording._claim_rows(computed, np.array([1]), ROBOT, "R1", {0: 1})


def _computed(ids: list[str]) -> pd.DataFrame:
    """A compute frame as the recording stage gets it (decided, fingerprinted)."""
    count = len(ids)
    return pd.DataFrame(
        {
            "idempotency_key": [f"{ROBOT.name}:{i}" for i in ids],
            "claim_id": ids,
            FILE: [0] * count,
            LINE: list(range(2, 2 + count)),
            "payee_kind": "cvr",
            "payee_id": "29189846",
            "category": "loentilskud",
            "counterparty": None,
            "basis_oere": np.full(count, 1000, dtype=np.int64),
            "amount_oere": np.full(count, 1000, dtype=np.int64),
            "rate_year": 2026,
            "rate_provisional": False,
            "rule_basis": "x",
            "service_date": _days(["2026-03-01"] * count),
            "fingerprint": ids,
            "decision": "pay",
            "rule_ids": "",
            "document_key": "A-NEW",
        }
    )
