"""What the pages do reaches the money: a held claim released on the case page is paid by
the next run, one stopped is never paid, a false alarm does not hold its facts again; the
queue's filters narrow it; the effect report counts what was decided (page and XLSX)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from robots.core.ledger import cases
from robots.core.ledger.history import State
from tests.robots.review.workbench import Workbench, csrf_token
from tests.robots.toy.test_claim_life import CARL, HEADER


def _decide(workbench: Workbench, decision: str, **extra: str) -> str:
    client = workbench.client("control_group")
    with workbench.nights.engine.connect() as connection:
        case_id = cases.queue_page(connection=connection, queue_filter=cases.QueueFilter()).rows[0][
            "case_id"
        ]
    path = f"/cases/{case_id}"
    token = csrf_token(client, path)
    client.post(f"{path}/take", data={"csrf_token": token})
    done = client.post(
        f"{path}/decide",
        data={"decision": decision, "comment": "seen the receipt", "csrf_token": token, **extra},
        follow_redirects=True,
    )
    assert "decided" in done.text, done.text
    return path


def test_released_in_the_pages_is_paid_by_the_next_run(workbench: Workbench) -> None:
    _decide(workbench, "release")
    second = workbench.nights.run()
    assert [b.total_oere for b in second.batches] == [150_000]
    assert workbench.nights.life("B3").state is State.PAID


def test_stopped_in_the_pages_is_never_paid(workbench: Workbench) -> None:
    _decide(workbench, "stop")
    assert workbench.nights.run().batches == []
    assert workbench.nights.run().batches == []
    assert workbench.nights.life("B3").state is State.STOPPED


def test_a_false_alarm_in_the_pages_does_not_come_back_until_its_facts_change(
    workbench: Workbench,
) -> None:
    _decide(workbench, "false_alarm")
    nights = workbench.nights
    nights.run(HEADER + f"B9,{CARL},2026-11-20,2400.50\n", name="b9.csv")
    assert nights.life("B9").state is State.PAID
    nights.run(HEADER + f"B10,{CARL},2026-11-21,2450.00\n", name="b10.csv")
    assert nights.life("B10").state is State.HELD
    client = workbench.client("control_group")
    queue = client.get("/queue").text
    assert "B10" in queue and "B9" not in queue


def test_the_queue_filters_narrow_and_say_what_they_did_not_understand(
    workbench: Workbench,
) -> None:
    client = workbench.client("caseworker")
    assert "<strong>1</strong> cases" in client.get("/queue").text
    assert "<strong>0</strong> cases" in client.get("/queue?min_kr=2000").text
    assert "<strong>1</strong> cases" in client.get("/queue?max_kr=1.500,00").text
    assert "<strong>0</strong> cases" in client.get("/queue?min_days=3").text
    assert "<strong>0</strong> cases" in client.get("/queue?status=decided").text
    assert "<strong>1</strong> cases" in client.get("/queue?kind=suspected_error").text
    assert "<strong>0</strong> cases" in client.get("/queue?kind=not_eligible").text
    odd = client.get("/queue?min_kr=lots&min_days=-1").text
    assert "least amount: not an amount in kroner" in odd
    assert "days waiting: not a whole number" in odd


def test_the_effect_report_counts_what_was_decided(workbench: Workbench) -> None:
    _decide(workbench, "stop")
    client = workbench.client("finance")
    page = client.get("/effect?from=2020-01-01&to=2030-12-31").text
    assert "1.500,00 kr. stopped before payment" in page
    book = client.get("/effect.xlsx?from=2020-01-01&to=2030-12-31")
    assert book.status_code == 200
    workbook = load_workbook(BytesIO(book.data))
    sheet = workbook["Sager"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["Fremadrettet besparelse (kr.)"] == 1500
    assert row["Politianmeldt"] == "nej" and row["Status"] == "afgjort (stopped)"
    assert sheet.cell(row=3, column=6).value == "=SUM(F2:F2)"
    assert workbook["Pr. regel"]["A2"].value == "BIKE-OVER-CEILING"
    assert client.get("/effect?from=someday").status_code == 200
    assert "not a date" in client.get("/effect?from=someday").text


def test_decisions_made_offline_in_the_queues_workbook_reach_the_money(
    workbench: Workbench,
) -> None:
    from tests.robots.review.test_queue_workbook import _fill

    client = workbench.client("control_group")
    exported = client.get("/queue.xlsx")
    assert exported.status_code == 200
    assert "0303403457" not in str(load_workbook(BytesIO(exported.data))["Sager"]["F2"].value)
    token = csrf_token(client, "/queue/import")
    wrong = _fill(exported.data, {"B3": ("release", None, None, "")})
    refused = client.post(
        "/queue/import",
        data={"workbook": (BytesIO(wrong), "sager.xlsx"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert "Nothing was applied" in refused.text
    right = _fill(exported.data, {"B3": ("release", None, None, "the receipt is real")})
    done = client.post(
        "/queue/import",
        data={"workbook": (BytesIO(right), "sager.xlsx"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert "Applied 1 decision" in done.text, done.text
    assert [b.total_oere for b in workbench.nights.run().batches] == [150_000]
    assert workbench.nights.life("B3").state is State.PAID


def test_finance_downloads_the_months_reconciliation(workbench: Workbench) -> None:
    client = workbench.client("finance")
    assert "Reconciliation" in client.get("/finance?month=2026-11").text
    book = client.get("/finance/reconciliation.xlsx?month=2026-11")
    assert book.status_code == 200
    workbook = load_workbook(BytesIO(book.data))
    assert workbook.sheetnames[0] == "Forside" and "Kontrol" in workbook.sheetnames
    assert workbook["Bundter"]["F2"].value == 1200  # B1's 1.200 kr., the night's one batch
    assert "not a month" in client.get("/finance?month=someday").text


def test_an_amount_typed_on_the_case_page_is_read_exactly(workbench: Workbench) -> None:
    """12.50 is twelve kroner and fifty øre (not 1.250 kroner), as 1.234,50 is Danish."""
    with workbench.nights.engine.begin() as connection:
        case_id = cases.open_case_by_hand(
            connection=connection,
            claim_key="cykeltilskud:B1",
            kanal="tip",
            note="paid twice?",
            by="kontrol.kirsten",
        )
    client = workbench.client("control_group")
    path = f"/cases/{case_id}"
    token = csrf_token(client, path)
    client.post(f"{path}/take", data={"csrf_token": token})
    done = client.post(
        f"{path}/decide",
        data={"decision": "recover", "amount_kr": "12.50", "comment": "x", "csrf_token": token},
        follow_redirects=True,
    )
    assert "decided" in done.text, done.text
    assert workbench.nights.life("B1").to_recover_oere == 1250
