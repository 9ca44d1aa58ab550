"""Exports as other systems write them: Excel's `sep=;` line, Excel's UTF-16 "Unicode
text", and list values in another case (`Active`, `Medicin`). Each is read as meant."""

from __future__ import annotations

import json
from pathlib import Path

from nightdata import NIGHT_CLAIMS, PAID_OERE, REGISTERS, run_robots_command, write_inbox

from robots.core.pipeline.parsing import parse
from robots.core.pipeline.reading import read_file
from robots.helbredstillaeg.datasets import HEALTH_CLAIMS


def test_an_excel_separator_line_is_read_and_lines_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("sep=,\n" + NIGHT_CLAIMS, encoding="utf-8")
    raw = read_file(path, HEALTH_CLAIMS)
    assert raw.frame["claim_id"].tolist() == ["C1", "C2", "C3", "C4"]
    assert raw.frame["_line"].tolist() == [3, 4, 5, 7]
    assert [e.line for e in raw.row_errors] == [6]


def test_utf16_unicode_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes(NIGHT_CLAIMS.encode("utf-16"))
    raw = read_file(path, HEALTH_CLAIMS)
    assert raw.encoding == "utf-16" and raw.frame["claim_id"].tolist() == ["C1", "C2", "C3", "C4"]


def test_list_values_in_another_case_are_the_same_values(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(NIGHT_CLAIMS.replace(",medicin,", ",Medicin,"), encoding="utf-8")
    parsed = parse(read_file(path, HEALTH_CLAIMS), HEALTH_CLAIMS)
    assert set(parsed.frame["expense_type"]) == {"medicin", "massage", "fysioterapi"}


def test_a_night_of_such_exports_pays_as_usual(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data, claims="sep=,\n" + NIGHT_CLAIMS.replace(",medicin,", ",MEDICIN,"))
    _, citizens = REGISTERS["citizens/citizens.csv"]
    (data / "inbox" / "citizens" / "citizens.csv").write_bytes(
        citizens.replace(";active;", ";Active;").replace(";dead;", ";Dead;").encode("utf-16")
    )
    done = run_robots_command(data, tmp_path / "logs")
    assert done.returncode == 0, done.stdout + done.stderr
    run_id = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("Run "))
    report = json.loads((data / "outputs" / "runs" / run_id / "report.json").read_text())
    assert report["batches"][0]["total_oere"] == PAID_OERE
    counts = {row["outcome"]: row["claims"] for row in report["outcomes"]}
    assert counts["rejected"] == 1 and counts["data_error"] == 2
