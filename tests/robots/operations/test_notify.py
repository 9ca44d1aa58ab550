"""The morning email: composed from plain data, sent through a real SMTP server (aiosmtpd
on 127.0.0.1), always kept as a file, never a crash when the relay fails, no CPR in clear."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from robots.core.dates import COPENHAGEN
from robots.core.settings import NotifySettings, Settings, clear_settings_cache
from robots.operations.night_summary import RunLine, Waiting, alert_text, summary_text
from robots.operations.notify import send_alert, send_summary

MORNING = datetime(2026, 11, 24, 6, 15, 3, tzinfo=COPENHAGEN)
CPRS_IN_CLEAR = ("0101401234", "010140-1234")
PASSWORD_VARIABLE = "ROBOTS_TEST_SMTP_PASSWORD"

# The log-in relay runs without TLS on purpose (a test has no certificate); aiosmtpd warns.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    login: bytes | None

    @property
    def message(self) -> EmailMessage:
        return cast(EmailMessage, message_from_bytes(self.raw, policy=policy.default))

    @property
    def subject(self) -> str:
        # A long subject is folded onto its own line; `email` keeps the fold's leading
        # space when it reads the header back, a mail program does not.
        return str(self.message["Subject"]).strip()

    @property
    def text(self) -> str:
        return str(self.message.get_content()).replace("\r\n", "\n")  # as sent: CRLF


@dataclass
class Collecting:
    """An aiosmtpd handler that keeps what it is given and refuses some recipients."""

    refuse: frozenset[str] = frozenset()
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login if session.auth_data else None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login)
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Relay:
    port: int
    handler: Collecting


def _start(handler: Collecting, **smtp: Any) -> tuple[Controller, Relay]:
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp)
    controller.start()
    return controller, Relay(port, handler)


@pytest.fixture
def relay() -> Iterator[Relay]:
    """A relay that takes anyone's mail, without log-in, and offers no STARTTLS."""
    controller, running = _start(Collecting(refuse=frozenset({"nobody@kommune.invalid"})))
    yield running
    controller.stop()


def _accept_only(login: bytes, password: bytes) -> Any:
    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (login, password)
        return AuthResult(success=ok, auth_data=data if ok else None, handled=False)

    return authenticate


@pytest.fixture
def relay_with_login() -> Iterator[Relay]:
    """A relay that wants a log-in (over plain SMTP: a test has no certificate)."""
    controller, running = _start(
        Collecting(),
        auth_require_tls=False,
        auth_required=True,
        authenticator=_accept_only(b"robotter", b"s3cret"),
    )
    yield running
    controller.stop()


def _settings(tmp_path: Path, **notify: Any) -> Settings:
    clear_settings_cache()
    values: dict[str, Any] = {
        "sender": "robotter@kommune.invalid",
        "summary_to": ("okonomi@kommune.invalid", "leder@kommune.invalid"),
        "alert_to": ("drift@kommune.invalid",),
        "timeout_seconds": 5,
        "password_variable": PASSWORD_VARIABLE,
        **notify,
    }
    return Settings(  # type: ignore[call-arg]  # [bank] comes from config/settings.toml
        data_dir=tmp_path / "data",
        logs_dir=tmp_path / "logs",
        notify=NotifySettings(**values),
    )


def _through(relay: Relay, tmp_path: Path, **notify: Any) -> Settings:
    return _settings(tmp_path, smtp_host="127.0.0.1", smtp_port=relay.port, **notify)


RUNS = [
    RunLine(
        "helbredstillaeg",
        "2026-11-23",
        "HT-20261123T221503-rab12",
        "finished",
        paid=120,
        held=3,
        rejected=1,
        data_errors=2,
        paid_oere=123450,
    ),
    RunLine(
        "laegeregninger",
        "2026-11-23",
        "LR-20261123T223000-r0c1d",
        "failed",
        paid=0,
        held=0,
        rejected=0,
        data_errors=0,
        paid_oere=0,
    ),
]
WAITING = Waiting(open_cases=14, open_cases_oere=2345600, bank_rejections=2)


# The texts -------------------------------------------------------------------------------


def test_the_summary_tells_each_run_its_kroner_and_what_waits() -> None:
    subject, body = summary_text(date(2026, 11, 23), RUNS, WAITING)

    assert subject == (
        "Robots, night 2026-11-23: 2 runs, 1 failed; 14 cases wait, 2 bank rejections"
    )
    assert "helbredstillaeg, period 2026-11-23: FINISHED (run HT-20261123T221503-rab12)" in body
    assert "paid 120 (1.234,50 kr.), held 3, rejected 1, data errors 2" in body
    assert "laegeregninger, period 2026-11-23: FAILED (run LR-20261123T223000-r0c1d)" in body
    assert "Paid in all: 1.234,50 kr." in body
    assert "open cases: 14 (23.456,00 kr.)" in body
    assert "bank rejections: 2" in body


def test_a_quiet_night_says_all_finished_and_a_night_without_runs_says_so() -> None:
    nothing_waits = Waiting(open_cases=0, open_cases_oere=0, bank_rejections=0)

    subject, _ = summary_text(date(2026, 11, 23), RUNS[:1], nothing_waits)
    assert subject == "Robots, night 2026-11-23: 1 run, all finished"

    only_the_bank = Waiting(open_cases=0, open_cases_oere=0, bank_rejections=1)
    subject, _ = summary_text(date(2026, 11, 23), RUNS[:1], only_the_bank)
    assert subject == "Robots, night 2026-11-23: 1 run, all finished; 1 bank rejection"

    subject, body = summary_text(date(2026, 11, 23), [], nothing_waits)
    assert subject == "Robots, night 2026-11-23: no runs"
    assert "No robot ran this night" in body


def test_an_alert_says_whether_a_person_must_act() -> None:
    retry = datetime(2026, 11, 24, 1, 30, tzinfo=COPENHAGEN)
    args = ("helbredstillaeg", "2026-11-23", "HT-20261123T221503-rab12")

    subject, body = alert_text(*args, "technical", "database unreachable", retry_at=retry)
    assert subject.endswith("failed (technical failure, will be retried)")
    assert "retried at 2026-11-24 01:30" in body
    assert "  database unreachable" in body

    subject, body = alert_text(*args, "technical", "disk full")
    assert subject.endswith("failed (technical failure, retries used up)")
    assert "a person must find the cause" in body

    subject, body = alert_text(*args, "business", "citizens.csv: column cpr missing")
    assert subject == (
        "Robots ALERT: helbredstillaeg 2026-11-23 failed (business failure, not retried)"
    )
    assert "HT-20261123T221503-rab12" in body

    with pytest.raises(ValueError, match="not retried"):
        alert_text(*args, "business", "bad data", retry_at=retry)


# Sending ---------------------------------------------------------------------------------


def test_the_summary_reaches_its_recipients_and_is_kept_as_a_file(
    relay: Relay, tmp_path: Path
) -> None:
    settings = _through(relay, tmp_path)
    subject, body = summary_text(date(2026, 11, 23), RUNS, WAITING)

    delivery = send_summary(settings, subject, body, now=MORNING)

    assert delivery.sent and delivery.problem is None
    [received] = relay.handler.received
    assert received.mail_from == "robotter@kommune.invalid"
    assert received.rcpt_tos == ["okonomi@kommune.invalid", "leder@kommune.invalid"]
    assert received.login is None
    assert received.subject == subject
    assert received.text == body
    assert delivery.path == tmp_path / "logs" / "notifications" / "2026-11-24T061503-summary.txt"
    kept = delivery.path.read_text(encoding="utf-8")
    assert f"Subject: {subject}" in kept
    assert "To: okonomi@kommune.invalid, leder@kommune.invalid" in kept
    assert kept.endswith(body)


def test_an_alert_goes_to_the_alert_recipients_with_danish_letters_intact(
    relay: Relay, tmp_path: Path
) -> None:
    settings = _through(relay, tmp_path)
    subject, body = alert_text(
        "fleksloentilskud",
        "2026-10",
        "FL-20261123T221503-r0a1b",
        "business",
        "Løntilskud for Åse: indkomst mangler i eIndkomst",
    )

    delivery = send_alert(settings, subject, body, now=MORNING)

    assert delivery.sent
    [received] = relay.handler.received
    assert received.rcpt_tos == ["drift@kommune.invalid"]
    assert received.subject == subject
    assert "Løntilskud for Åse" in received.text
    assert delivery.path.name == "2026-11-24T061503-alert.txt"
    assert "Løntilskud for Åse" in delivery.path.read_text(encoding="utf-8")


@pytest.mark.parametrize("cpr", CPRS_IN_CLEAR)
def test_no_cpr_number_leaves_in_clear(relay: Relay, tmp_path: Path, cpr: str) -> None:
    settings = _through(relay, tmp_path)
    _, body = alert_text(
        "helbredstillaeg",
        "2026-11-23",
        "HT-20261123T221503-rab12",
        "business",
        f"claim 17 for {cpr}: no pension in the register",
    )
    assert cpr in body  # the text as composed holds it: the masking is what is tested

    delivery = send_alert(settings, f"about {cpr}", body, now=MORNING)

    [received] = relay.handler.received
    kept = delivery.path.read_text(encoding="utf-8")
    wire = received.raw.decode("ascii").replace("=\r\n", "")  # quoted-printable, unfolded
    for text in (received.text, received.subject, wire, kept):
        assert cpr not in text
        assert "0101401234" not in text
    assert "claim 17 for 010140-****: no pension" in received.text
    assert received.subject == "about 010140-****"
    assert "claim 17 for 010140-****" in kept


def test_a_relay_that_is_down_is_a_result_not_a_crash_and_the_file_stays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, smtp_host="127.0.0.1", smtp_port=_free_port())

    with caplog.at_level(logging.WARNING, logger="robots.operations.notify"):
        delivery = send_alert(settings, "ALERT", "the database is down", now=MORNING)

    assert not delivery.sent
    assert delivery.problem is not None
    assert "ConnectionRefusedError" in delivery.problem
    assert "127.0.0.1" in delivery.problem
    assert delivery.path.read_text(encoding="utf-8").endswith("the database is down\n")
    assert any("ConnectionRefusedError" in r.getMessage() for r in caplog.records)


def test_refused_recipients_are_a_problem_not_a_crash(relay: Relay, tmp_path: Path) -> None:
    everyone_refused = _through(relay, tmp_path, alert_to=("nobody@kommune.invalid",))
    delivery = send_alert(everyone_refused, "ALERT", "body", now=MORNING)
    assert not delivery.sent
    assert delivery.problem is not None and "SMTPRecipientsRefused" in delivery.problem
    assert relay.handler.received == []
    assert delivery.path.exists()

    one_refused = _through(
        relay, tmp_path, alert_to=("nobody@kommune.invalid", "drift@kommune.invalid")
    )
    delivery = send_alert(one_refused, "ALERT", "body", now=MORNING)
    assert delivery.sent
    assert delivery.problem == "refused by the relay: nobody@kommune.invalid"
    assert [r.rcpt_tos for r in relay.handler.received] == [["drift@kommune.invalid"]]


def test_without_a_relay_the_message_is_only_a_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)  # smtp_host is empty by default
    assert settings.notify.smtp_host == ""

    delivery = send_summary(settings, "Robots, night 2026-11-23", "all well", now=MORNING)

    assert (delivery.sent, delivery.problem) == (False, None)
    kept = delivery.path.read_text(encoding="utf-8")
    assert kept.startswith("From: robotter@kommune.invalid\nTo: okonomi@kommune.invalid, ")
    assert kept.endswith("\n\nall well\n")


def test_two_messages_in_one_second_keep_two_files(tmp_path: Path) -> None:
    settings = _settings(tmp_path)

    first = send_alert(settings, "ALERT", "helbredstillaeg failed", now=MORNING)
    second = send_alert(settings, "ALERT", "laegeregninger failed", now=MORNING)

    assert first.path.name == "2026-11-24T061503-alert.txt"
    assert second.path.name == "2026-11-24T061503-alert-2.txt"
    assert "helbredstillaeg failed" in first.path.read_text(encoding="utf-8")
    assert "laegeregninger failed" in second.path.read_text(encoding="utf-8")


def test_a_full_disk_still_sends_and_says_the_file_is_missing(relay: Relay, tmp_path: Path) -> None:
    settings = _through(relay, tmp_path)
    (tmp_path / "logs").write_text("a file where the logs folder should be", encoding="utf-8")

    delivery = send_alert(settings, "ALERT", "disk full", now=MORNING)

    assert delivery.sent
    assert delivery.problem is not None and delivery.problem.startswith("could not write")
    assert [r.text for r in relay.handler.received] == ["disk full\n"]


def test_no_recipients_configured_is_a_problem_named_by_its_setting(
    relay: Relay, tmp_path: Path
) -> None:
    settings = _through(relay, tmp_path, summary_to=())

    delivery = send_summary(settings, "Robots", "body", now=MORNING)

    assert not delivery.sent
    assert delivery.problem == "no recipients: [notify] summary_to is empty"
    assert relay.handler.received == []


def test_starttls_is_off_by_default_and_asked_for_when_set(relay: Relay, tmp_path: Path) -> None:
    # This relay offers no STARTTLS: a client that tried it would fail, so a sent
    # message shows the default did not try, and a refused one shows `starttls` is used.
    assert NotifySettings().starttls is False
    assert send_summary(_through(relay, tmp_path), "S", "b", now=MORNING).sent

    delivery = send_summary(_through(relay, tmp_path, starttls=True), "S", "b", now=MORNING)

    assert not delivery.sent
    assert delivery.problem is not None and "STARTTLS" in delivery.problem
    assert len(relay.handler.received) == 1


def test_the_relay_log_in_uses_the_password_from_the_environment(
    relay_with_login: Relay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, "s3cret")
    settings = _through(relay_with_login, tmp_path, username="robotter")

    delivery = send_summary(settings, "S", "body", now=MORNING)

    assert delivery.sent and delivery.problem is None
    [received] = relay_with_login.handler.received
    assert received.login == b"robotter"
    assert "s3cret" not in delivery.path.read_text(encoding="utf-8")


def test_a_wrong_password_is_refused_as_a_problem(
    relay_with_login: Relay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, "wrong")
    settings = _through(relay_with_login, tmp_path, username="robotter")

    delivery = send_summary(settings, "S", "body", now=MORNING)

    assert not delivery.sent
    assert delivery.problem is not None and "SMTPAuthenticationError" in delivery.problem
    assert relay_with_login.handler.received == []


def test_a_relay_wanting_a_log_in_refuses_one_without(
    relay_with_login: Relay, tmp_path: Path
) -> None:
    delivery = send_summary(_through(relay_with_login, tmp_path), "S", "body", now=MORNING)

    assert not delivery.sent
    assert delivery.problem is not None and re.search(r"\b530\b", delivery.problem)
    assert relay_with_login.handler.received == []


def test_a_missing_password_variable_is_a_clear_problem(
    relay_with_login: Relay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    settings = _through(relay_with_login, tmp_path, username="robotter")

    delivery = send_summary(settings, "S", "body", now=MORNING)

    assert not delivery.sent
    assert delivery.problem is not None
    assert f"environment variable {PASSWORD_VARIABLE}" in delivery.problem
    assert delivery.path.exists()
    assert relay_with_login.handler.received == []
