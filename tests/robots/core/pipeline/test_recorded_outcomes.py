"""What the ledger holds of a night equals what the night reported of itself: the rows a
later run reports for a run that was killed before its report are the rows that run would
have reported (recorded_outcomes against the night's own outcomes)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from nightdata import CLAIMS_HEADER, NIGHT_CLAIMS, PROVIDER, write_inbox

from robots.core.ledger.database import open_ledger
from robots.core.pipeline.nightly import NightRun, run_night
from robots.core.pipeline.recorded_outcomes import recorded_outcomes
from robots.helbredstillaeg.robot import ROBOT

COMPARED = ["claim_id", "outcome", "basis_oere", "amount_oere", "rule_ids", "file_name", "line"]


def _as_reported(result: NightRun) -> pd.DataFrame:
    names = [f.path.name for f in result.claim_files]
    own = result.outcomes.assign(
        file_name=[names[int(i)] if pd.notna(i) else None for i in result.outcomes["file"]]
    )
    return _comparable(own)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[COMPARED].copy()
    for column in ("basis_oere", "amount_oere", "line"):
        out[column] = pd.to_numeric(out[column]).astype("Int64")
    for column in ("claim_id", "outcome", "rule_ids", "file_name"):
        out[column] = out[column].astype("string").fillna("")
    return out.sort_values(["file_name", "line", "claim_id"]).reset_index(drop=True)


def test_the_ledger_gives_back_every_row_a_night_reported(ledger_url: str, settings_for) -> None:
    settings = settings_for(ledger_url)
    write_inbox(settings.data_dir)
    first = run_night(ROBOT, settings=settings, night=date(2026, 11, 22))
    # Night 2: a re-delivery (same and changed), a copy in two files, and a claim whose
    # provider's register never came (it waits).
    again = NIGHT_CLAIMS.replace("33.00", "34.00")
    write_inbox(settings.data_dir, claims=again, name="again.csv", registers=False)
    copy = CLAIMS_HEADER + f"N1,0303403457,medicin,{PROVIDER},2026-11-01,45.00,2026-11-02,\n"
    write_inbox(settings.data_dir, claims=copy, name="n1.csv", registers=False)
    write_inbox(settings.data_dir, claims=copy, name="n1_copy.csv", registers=False)
    waits = CLAIMS_HEADER + "W1,0303403457,medicin,25313763,2026-11-01,45.00,2026-11-02,\n"
    write_inbox(settings.data_dir, claims=waits, name="w1.csv", registers=False)
    # A companies extract that lost half the register: refused, companies in doubt.
    shrunk = settings.data_dir / "inbox" / "companies" / "companies.csv"
    shrunk.parent.mkdir(parents=True, exist_ok=True)
    shrunk.write_text(f"cvr,name,status,status_date,sector\n{PROVIDER},Apotek,active,,private\n")
    second = run_night(ROBOT, settings=settings, night=date(2026, 11, 23))

    engine = open_ledger(settings.ledger_url)
    try:
        for result in (first, second):
            with engine.connect() as connection:
                recorded = recorded_outcomes(connection, result.run_id, ROBOT)
            pd.testing.assert_frame_equal(_comparable(recorded), _as_reported(result))
            assert set(recorded["run_id"]) == {result.run_id}
    finally:
        engine.dispose()
    outcomes = set(second.outcomes["outcome"])
    assert {"already_processed", "held", "paid", "waiting"} <= outcomes
