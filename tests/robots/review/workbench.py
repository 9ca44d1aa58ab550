"""A workbench over a toy robot's ledger, for the page tests: one night (B1 paid, B3 held
by BIKE-OVER-CEILING), a member of staff of every role, and log-in through the real form
(CSRF token and all)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from robots.core.ledger import staff
from robots.core.settings import Settings
from robots.review.app import create_app
from robots.review.limits import limiter
from tests.robots.toy.test_claim_life import CITIZENS, NIGHT_ONE, Nights

PASSWORD = "et langt kodeord"
MEMBERS = {
    "control_group": "kontrol.kirsten",
    "caseworker": "sag.sofie",
    "finance": "oekonomi.olga",
    "admin": "admin.adam",
}
SECOND = "kontrol.karl"


@dataclass
class Workbench:
    app: Flask
    nights: Nights

    def client(self, role: str | None = None, name: str | None = None) -> FlaskClient:
        """A browser-like client, logged in as the role's member (None: anonymous)."""
        client = self.app.test_client()
        if role or name:
            response = log_in(client, name or MEMBERS[str(role)], PASSWORD)
            assert response.status_code == 302, response.text
        return client


def make_workbench(tmp_path: Path, ledger_url: str) -> Workbench:
    data = tmp_path / "data"
    (data / "inbox" / "citizens").mkdir(parents=True)
    (data / "inbox" / "citizens" / "citizens.csv").write_text(CITIZENS, encoding="utf-8")
    nights = Nights(data, ledger_url, tmp_path / "logs")
    nights.run(NIGHT_ONE)
    with nights.engine.begin() as connection:
        for role, name in [*MEMBERS.items(), ("control_group", SECOND)]:
            staff.add_staff(connection=connection, name=name, role=role, password=PASSWORD, by="t")
    settings = Settings(
        data_dir=data,
        mode="demo",
        database_url=ledger_url,
        logs_dir=tmp_path,
        review={"four_eyes_above_kroner": 1000},  # B3 (1.500 kr.) needs four eyes
    )
    app = create_app(settings, engine=nights.engine, testing=True)
    limiter.reset()  # the log-in limit counts per process: each test starts with none used
    return Workbench(app, nights)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path, follow_redirects=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def log_in(client: FlaskClient, name: str, password: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})
