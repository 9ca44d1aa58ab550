"""Register extracts into snapshots (robots/core/pipeline/ingest.py, ingest_registers).

The pensioners' suite looks each CPR number up in the citizens register: tonight's
citizens extract if one came, else the snapshot of an earlier night. CPR numbers are
made up (real dates, 10 digits); CVR 29189846 has a valid check digit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, text

from robots.core import dates
from robots.core.ledger import run_records
from robots.core.ledger.database import open_ledger
from robots.core.pipeline import references as snapshots
from robots.core.pipeline.inbox import DataFolders
from robots.core.pipeline.ingest import ingest_registers
from robots.core.settings import Settings
from robots.helbredstillaeg.robot import ROBOT as HELBREDSTILLAEG
from robots.laegeregninger.quality import CERTIFICATE_REQUESTS_REGISTER

ANNA, BO, CARL = "0101501233", "0202452345", "0303403457"
NIGHT = date(2026, 11, 23)
REGISTERS = (*HELBREDSTILLAEG.registers, CERTIFICATE_REQUESTS_REGISTER)

CITIZENS = (
    "cpr;name;status;status_date;municipality_code;civil_status\n"
    f"{ANNA};Anna;active;;173;single\n"
    f"{BO};Bo;active;;173;married\n"
)
PENSIONERS = (
    "cpr;pension_type;supplement_percent;liquid_assets;valid_from;valid_to\n"
    f"{ANNA};folkepension;75;50.000,00;2015-01-01;\n"
    f"{CARL};folkepension;100;1.000,00;2010-01-01;\n"
)
COMPANIES = "cvr;name;status;status_date;sector\n29189846;Apotek;active;;private\n"


def night(settings: Settings, files: dict[str, str], run: str) -> tuple[DataFolders, Engine]:
    """Put `files` (dataset -> content) in the inbox and ingest the registers as run `run`."""
    folders = DataFolders(settings.data_dir)
    folders.create()
    for dataset, content in files.items():
        path = folders.inbox / dataset / f"{dataset}_{run}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    engine = open_ledger(settings.ledger_url)
    with engine.begin() as connection:
        run_records.start_run(
            connection=connection,
            run_id=run,
            robot="helbredstillaeg",
            night=NIGHT,
            mode=settings.mode,
            at=dates.now(),
        )
    ingest_registers(engine=engine, folders=folders, run_id=run, night=NIGHT, registers=REGISTERS)
    ENGINES.append(engine)
    return folders, engine


def rules(engine: Engine) -> list[tuple[str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT rule_id, source_line FROM exceptions ORDER BY rule_id, source_line")
        )
        return [(r.rule_id, r.source_line) for r in rows]


ENGINES: list[Engine] = []


@pytest.fixture
def settings(ledger_url: str, settings_for: Callable[..., Settings]) -> Iterator[Settings]:
    yield settings_for(ledger_url)
    while ENGINES:
        ENGINES.pop().dispose()


def test_pensioners_are_looked_up_in_the_citizens_extract_of_the_same_night(
    settings: Settings,
) -> None:
    folders, engine = night(settings, {"citizens": CITIZENS, "pensioners": PENSIONERS}, "R1")

    assert rules(engine) == [("DQ-PEN-CPR-KNOWN", 3)]
    assert snapshots.load_snapshot(folders, "pensioners")["cpr"].tolist() == [ANNA]


def test_pensioners_are_looked_up_in_an_earlier_nights_citizens_snapshot(
    settings: Settings,
) -> None:
    night(settings, {"citizens": CITIZENS}, "R1")
    folders, engine = night(settings, {"pensioners": PENSIONERS}, "R2")

    assert rules(engine) == [("DQ-PEN-CPR-KNOWN", 3)]
    assert snapshots.load_snapshot(folders, "pensioners")["cpr"].tolist() == [ANNA]


def test_companies_are_read_before_any_citizens_extract_has_come(settings: Settings) -> None:
    # The companies' suite looks nothing up in the citizens register, so none is needed.
    folders, engine = night(settings, {"companies": COMPANIES}, "R1")

    assert rules(engine) == []
    assert snapshots.load_snapshot(folders, "companies")["cvr"].tolist() == ["29189846"]


def test_snapshot_columns_can_be_read_alone(settings: Settings) -> None:
    folders, _ = night(settings, {"citizens": CITIZENS}, "R1")

    cprs = snapshots.load_snapshot(folders, "citizens", columns=["cpr"])

    assert list(cprs.columns) == ["cpr"]
    assert cprs["cpr"].tolist() == [ANNA, BO]
