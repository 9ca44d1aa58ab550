"""Telling people: the night's summary and failure alerts, by email and as a file.

Every message is first written under `<logs_dir>/notifications/`, then sent through the
SMTP relay in `[notify]` (none configured: the file is all there is). A relay that is
down or refuses must never stop the scheduler that calls this, so a failed send is
logged and returned as a `Delivery`, and the file stays for whoever looks. Every text
passes through `mask_text` first: no CPR number leaves in clear, by mail or on disk.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Literal

from robots.core import dates
from robots.core.cpr import mask_text
from robots.core.settings import NotifySettings, Settings

logger = logging.getLogger(__name__)

Kind = Literal["summary", "alert"]
NOTIFICATIONS_FOLDER = "notifications"


@dataclass(frozen=True)
class Delivery:
    """What became of one message.

    `sent` False with no `problem`: no relay is configured, the file is the message.
    `sent` True with a `problem`: some recipients were refused, the others got it.
    """

    sent: bool
    path: Path
    problem: str | None = None


def send_summary(
    settings: Settings, subject: str, body: str, *, now: datetime | None = None
) -> Delivery:
    """The night's summary to `[notify] summary_to`."""
    return _deliver(settings, "summary", subject, body, now)


def send_alert(
    settings: Settings, subject: str, body: str, *, now: datetime | None = None
) -> Delivery:
    """A failure alert to `[notify] alert_to`."""
    return _deliver(settings, "alert", subject, body, now)


def _deliver(
    settings: Settings,
    kind: Kind,
    subject: str,
    body: str,
    now: datetime | None,
) -> Delivery:
    notify = settings.notify
    recipients = notify.summary_to if kind == "summary" else notify.alert_to
    moment = (now or dates.now()).astimezone(dates.COPENHAGEN)
    message = _message(notify, recipients, subject, body, moment)
    folder = settings.logs_dir / NOTIFICATIONS_FOLDER
    stem = f"{moment:%Y-%m-%dT%H%M%S}-{kind}"
    written_problem = None
    try:
        path = _write(folder, stem, _readable(message))
    except OSError as error:
        # A full disk is a night one most wants the email: say so and still send it.
        path = folder / f"{stem}.txt"
        written_problem = f"could not write {path}: {error}"
    if notify.smtp_host and not recipients:
        sent = _Sent(sent=False, problem=f"no recipients: [notify] {kind}_to is empty")
    else:
        sent = _send(notify, message)
    problem = "; ".join(filter(None, (sent.problem, written_problem))) or None
    if problem:
        logger.warning("notification %s: %s (file %s)", kind, problem, path)
    elif sent.sent:
        logger.info("notification %s sent to %s (file %s)", kind, ", ".join(recipients), path)
    return Delivery(sent=sent.sent, path=path, problem=problem)


@dataclass(frozen=True)
class _Sent:
    sent: bool
    problem: str | None = None


def _message(
    notify: NotifySettings,
    recipients: tuple[str, ...],
    subject: str,
    body: str,
    moment: datetime,
) -> EmailMessage:
    message = EmailMessage()
    # Each header on one line: `email` refuses a line break in a header (it would inject
    # headers), and a stray one in a reason or a config value must not stop the message.
    message["From"] = _one_line(notify.sender)
    if recipients:
        message["To"] = ", ".join(_one_line(address) for address in recipients)
    message["Subject"] = _one_line(mask_text(subject))
    message["Date"] = format_datetime(moment)
    # The sender's domain, not socket.getfqdn(): that can wait seconds on a DNS lookup.
    message["Message-ID"] = make_msgid(domain=notify.sender.rpartition("@")[2] or None)
    # quoted-printable: æ, ø and å reach a relay without 8BITMIME intact.
    message.set_content(mask_text(body), cte="quoted-printable")
    return message


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _readable(message: EmailMessage) -> str:
    """The message as a person reads it (the wire form encodes æøå)."""
    headers = [f"{name}: {message.get(name, '')}" for name in ("From", "To", "Date", "Subject")]
    return "\n".join(headers) + "\n\n" + str(message.get_content())


def _write(folder: Path, stem: str, text: str) -> Path:
    """Write to a new file: two alerts in one second must not overwrite each other."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, 1000):
        path = folder / (f"{stem}.txt" if number == 1 else f"{stem}-{number}.txt")
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{folder / stem}.txt and 998 more exist already")


def _send(notify: NotifySettings, message: EmailMessage) -> _Sent:
    if not notify.smtp_host:
        return _Sent(sent=False)
    password = ""
    if notify.username:
        password = os.environ.get(notify.password_variable, "")
        if not password:
            return _Sent(
                sent=False,
                problem=(
                    f"[notify] username is set but the environment variable "
                    f"{notify.password_variable} holding the relay password is empty or unset"
                ),
            )
    try:
        with smtplib.SMTP(
            notify.smtp_host, notify.smtp_port, timeout=notify.timeout_seconds
        ) as smtp:
            if notify.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if notify.username:
                smtp.login(notify.username, password)
            refused = smtp.send_message(message)
    except Exception as error:  # the error boundary: a relay's fault never stops a night
        where = f"{notify.smtp_host}:{notify.smtp_port}"
        return _Sent(
            sent=False,
            problem=mask_text(f"not sent through {where}: {type(error).__name__}: {error}"),
        )
    if refused:
        return _Sent(sent=True, problem=f"refused by the relay: {', '.join(sorted(refused))}")
    return _Sent(sent=True)
