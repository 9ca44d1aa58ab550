"""Two demo nights of doctors' invoices through the real pipeline, on both ledgers.

Every planted kind is caught on its row, no clean invoice is flagged, credit notes are set
off against the doctor's transfer, each doctor gets one transfer with the invoices in the
remittance, and the same night again pays nothing more.
"""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from robots.core.demo.generator import DemoSpec, generate_night
from robots.core.demo.scoring import score
from robots.core.pipeline.nightly import run_night
from robots.laegeregninger.robot import ROBOT

FIRST = DemoSpec(night=date(2026, 11, 22), seed=5, pensioners=800, claims=100, invoices=400)
SECOND = DemoSpec(night=date(2026, 11, 23), seed=5, pensioners=800, claims=100, invoices=400)
PAIN = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}"


@pytest.mark.parametrize("ledger_url", ["sqlite", "postgres"], indirect=True)
def test_two_nights_of_invoices(settings_for, ledger_url: str) -> None:
    settings = settings_for(ledger_url, mode="demo")
    runs, scores = [], []
    for spec, previous in ((FIRST, None), (SECOND, FIRST)):
        made = generate_night(settings.data_dir, spec, previous_night=previous)
        run = run_night(ROBOT, settings=settings, night=spec.night)
        runs.append(run)
        scores.append(score(made.ground_truth, run, settings.data_dir))

    for result in scores:
        assert result.missed.empty, result.missed.to_string()
        assert result.false_alarms.empty, result.false_alarms.to_string()
    kinds = set(scores[0].per_rule["rule_id"]) | set(scores[1].per_rule["rule_id"])
    assert {
        "LR-NO-REQUEST",
        "LR-REQUEST-PAID",
        "LR-REQUEST-TWICE",
        "LR-FEE-MISMATCH",
        "LR-CODE-DIFFERS",
        "LR-DOCTOR-DIFFERS",
        "LR-BEFORE-REQUEST",
        "LR-CITIZEN-DEAD",
        "LR-SELLER-INACTIVE",
        "LR-NOT-MUNICIPAL",
        "LR-DUP-PAID",
        "LR-CREDIT-EXCEEDS",
        "FILE-UNREADABLE",
        "FILE-ALREADY-PROCESSED",
    } <= kinds

    second = runs[1]
    credits = second.outcomes[second.outcomes["claim_id"].str.contains("-CN-", na=False)]
    set_off = credits[credits["outcome"] == "paid"]
    assert len(set_off) > 0 and (set_off["amount_oere"].astype(int) < 0).all()

    batch = second.batches[0]
    tree = etree.parse(str(batch.payment_file))
    payees = [e.text for e in tree.iter(f"{PAIN}Othr") for e in e.iter(f"{PAIN}Id")]
    transfers = tree.findall(f".//{PAIN}CdtTrfTxInf")
    assert len(transfers) == batch.transfers
    assert len(payees) >= len(transfers)  # one CVR per transfer (plus the debtor's)
    remittance = [t.findtext(f".//{PAIN}Ustrd") for t in transfers]
    assert all(r and "Laegeattester" in r for r in remittance)
    paid = second.outcomes.loc[second.outcomes["outcome"] == "paid", "amount_oere"].astype(int)
    assert batch.total_oere == paid.sum()

    again = run_night(ROBOT, settings=settings, night=SECOND.night)
    assert again.batches == []
    assert (again.outcomes["outcome"] != "paid").all()
