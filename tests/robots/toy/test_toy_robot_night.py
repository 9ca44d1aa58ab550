"""A robot is one package: a toy robot declared in one module (cykeltilskud.py beside this
test) runs a whole night through the shared pipeline, with nothing in robots/core, checks/
or config/ changed. Its account key is added to a copy of the config, as a municipality
adding a benefit would add it to its own config."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lxml import etree

from robots.core.pipeline.nightly import run_night
from robots.core.settings import Settings
from tests.robots.toy.cykeltilskud import ROBOT

ANNA = "0101501233"
BO = "0202452345"
NIGHT = date(2026, 11, 23)
CITIZENS = (
    "cpr;name;status;status_date;municipality_code;civil_status\n"
    f"{ANNA};Anna Ærø;active;;173;single\n"
    f"{BO};Bo Dahl;dead;01-03-2026;173;married\n"
)
CLAIMS = (
    "claim_id,cpr,bought_date,price\n"
    f"B1,{ANNA},2026-11-01,1200.00\n"
    f"B2,{BO},2026-11-01,900.00\n"
    f"B3,{ANNA},2026-11-02,2400.50\n"
    "B4,0101501234x,2026-11-02,10.00\n"
)


def test_a_robot_declared_in_one_folder_runs_a_night(tmp_path: Path, toy_config: Path) -> None:
    data = tmp_path / "data"
    for folder, name, text in (
        ("citizens", "citizens.csv", CITIZENS),
        ("bike_claims", "bikes.csv", CLAIMS),
    ):
        (data / "inbox" / folder).mkdir(parents=True)
        (data / "inbox" / folder / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=data, mode="demo", logs_dir=tmp_path / "logs")

    result = run_night(ROBOT, settings=settings, night=NIGHT)

    outcomes = result.outcomes.set_index("claim_id")["outcome"].to_dict()
    assert outcomes == {"B1": "paid", "B2": "rejected", "B3": "held", "B4": "data_error"}
    amounts = result.outcomes.set_index("claim_id")["amount_oere"]
    assert amounts["B1"] == 120_000
    assert amounts["B3"] == 150_000  # held at what could be paid: the ceiling, not 2.400,50
    (batch,) = result.batches
    assert (batch.claims, batch.transfers, batch.total_oere) == (1, 1, 120_000)
    xml = etree.parse(str(batch.payment_file))
    amounts_sent = xml.xpath("//*[local-name()='InstdAmt']/text()")
    assert amounts_sent == ["1200.00"]
    assert result.not_read == []

    again = run_night(ROBOT, settings=settings, night=NIGHT)
    assert again.batches == []
