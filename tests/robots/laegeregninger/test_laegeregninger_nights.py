"""Two demo nights of doctors' invoices through the real pipeline, on both ledgers.

Every planted kind is caught on its row, no clean invoice is flagged, e-invoices with an
embedded PDF are read and paid, an invoice sent both in the CSV and as an e-invoice is paid
once, credit notes are set off against the doctor's transfer, each doctor gets one transfer
with the invoices in the remittance, and the same night again pays nothing more.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from lxml import etree

from robots.core.pipeline.nightly import run_night
from robots.demo.generator import DemoSpec, generate_night
from robots.demo.scoring import score
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
        "LR-DUP-HELD",
        "LR-CREDIT-EXCEEDS",
        "CLAIM-COPY-TONIGHT",
        "FILE-UNREADABLE",
        "FILE-ALREADY-PROCESSED",
    } <= kinds

    for run in runs:
        names = pd.Series([f.path.name for f in run.claim_files], dtype="string")
        outcomes = run.outcomes.assign(file_name=run.outcomes["file"].map(names).fillna(""))
        # E-invoices with the invoice embedded as a PDF: read (the physical line of the
        # invoice line, past the base64) and paid.
        with_pdf = [
            f.path.name
            for f in run.claim_files
            if f.stored_path is not None
            and b"EmbeddedDocumentBinaryObject" in f.stored_path.read_bytes()
        ]
        assert len(with_pdf) >= 3
        pdf_rows = outcomes[outcomes["file_name"].isin(with_pdf)]
        assert len(pdf_rows) == len(with_pdf) and (pdf_rows["outcome"] == "paid").all()
        assert (pdf_rows["line"].astype(int) > 100).all()
        # The same invoice in the CSV and as an e-invoice: the CSV row paid, the copy not.
        copies = outcomes[outcomes["rule_ids"] == "CLAIM-COPY-TONIGHT"]
        both = outcomes[outcomes["claim_id"].isin(copies["claim_id"])]
        assert len(copies) >= 3 and len(both) == 2 * len(copies)
        assert (copies["file_name"].str.endswith(".xml")).all()
        kept = both[both["outcome"] == "paid"]
        assert len(kept) == len(copies) and kept["file_name"].str.endswith(".csv").all()

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
