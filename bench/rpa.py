"""The usual RPA way, for comparison: one robocorp work item per claim.

A producer puts each claim in its own input work item; the consumer task below takes
them one at a time, looks the citizen and pension up, computes the amount with the same
rule (the Decimal version) and writes one output work item per claim. It makes the core
eligibility decisions only (citizen status, pension in force, tillaegsprocent, assets),
less than the pipeline checks, so the comparison flatters it.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from robocorp import workitems
from robocorp.tasks import task

REGISTERS = "registers.json"


def prepare_work_items(size: int, workdir: Path) -> Path:
    """The producer: demo claims and registers, as one input work item per claim."""
    import pandas as pd

    from robots.demo.generator import DemoSpec, generate_night

    generate_night(
        workdir,
        DemoSpec(
            night=date(2026, 11, 23),
            seed=1,
            pensioners=max(2_000, size // 2),
            claims=size,
            formats="csv",
            flex_jobs=0,
        ),
    )
    inbox = workdir / "inbox"

    def read(dataset: str) -> pd.DataFrame:
        return pd.concat(
            [
                pd.read_csv(p, dtype=str, keep_default_na=False, on_bad_lines="skip")
                for p in sorted((inbox / dataset).glob("*.csv"))
            ]
        )

    citizens = read("citizens")
    pensioners = read("pensioners")
    claims = read("health_claims").head(size)
    registers = {
        "citizens": {
            r.cpr.replace("-", ""): [r.status, r.status_date] for r in citizens.itertuples()
        },
        "pensioners": {},
    }
    for r in pensioners.itertuples():
        registers["pensioners"].setdefault(r.cpr.replace("-", ""), []).append(
            [r.supplement_percent, r.liquid_assets, r.valid_from, r.valid_to]
        )
    (workdir / REGISTERS).write_text(json.dumps(registers), encoding="utf-8")
    items = [{"payload": row, "files": {}} for row in claims.to_dict("records")]
    path = workdir / "input-items.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def _iso(text: str) -> str:
    return text if len(text) == 10 and text[4] == "-" else f"{text[6:]}-{text[3:5]}-{text[:2]}"


def decide(claim: dict[str, str], registers: dict) -> dict[str, str]:
    """One claim, the per-row way."""
    from robots.helbredstillaeg.amounts import helbredstillaeg

    cpr = claim["cpr"].replace("-", "")
    service = _iso(claim["service_date"])
    citizen = registers["citizens"].get(cpr)
    if citizen is None:
        return {"claim_id": claim["claim_id"], "decision": "data_error"}
    if citizen[0] in ("dead", "emigrated") and citizen[1] and _iso(citizen[1]) <= service:
        return {"claim_id": claim["claim_id"], "decision": "reject"}
    for percent, assets, valid_from, valid_to in registers["pensioners"].get(cpr, []):
        if _iso(valid_from) <= service and (not valid_to or _iso(valid_to) >= service):
            if int(percent) == 0 or Decimal(assets.replace(",", ".")) > Decimal(108000):
                return {"claim_id": claim["claim_id"], "decision": "reject"}
            share = Decimal(
                claim["citizen_share"].replace(".", "").replace(",", ".")
                if "," in claim["citizen_share"]
                else claim["citizen_share"]
            )
            amount = helbredstillaeg(share, int(percent), Decimal(85))
            return {"claim_id": claim["claim_id"], "decision": "pay", "amount": str(amount)}
    return {"claim_id": claim["claim_id"], "decision": "reject"}


@task
def one_item_per_claim() -> None:
    """Consume every input work item, one claim each."""
    registers = json.loads((Path.cwd() / REGISTERS).read_text(encoding="utf-8"))
    for item in workitems.inputs:
        with item:
            try:
                outcome = decide(item.payload, registers)
            except (ValueError, ArithmeticError):
                outcome = {"claim_id": str(item.payload.get("claim_id")), "decision": "data_error"}
            workitems.outputs.create(payload=outcome)
