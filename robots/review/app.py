"""The workbench's Flask app: sessions, CSRF, log-in limits, headers, and the pages.

The secret that signs sessions is made once per data folder (`state/review_secret`, 0600),
so a restart keeps people logged in and two folders never share one.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, render_template
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import Engine

from robots.core import dates
from robots.core.cpr import mask_text
from robots.core.ledger import staff
from robots.core.ledger.database import open_ledger
from robots.core.money import format_kroner
from robots.core.settings import Settings
from robots.review import (
    auth,
    case_pages,
    effect_pages,
    finance_pages,
    queue_pages,
    staff_pages,
)
from robots.review.guard import OPEN_ENDPOINTS
from robots.review.limits import limiter
from robots.review.people import SignedIn


def create_app(settings: Settings, *, engine: Engine | None = None, testing: bool = False) -> Flask:
    """The workbench over the settings' ledger (migrated on open)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret(settings.data_dir),
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_NAME="ydelsesrobotter_session",
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.review.session_minutes),
        WTF_CSRF_TIME_LIMIT=settings.review.session_minutes * 60,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        TESTING=testing,
    )
    app.extensions["ledger"] = engine or open_ledger(settings.ledger_url)
    app.extensions["robots_settings"] = settings
    CSRFProtect(app)
    limiter.init_app(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.session_protection = "strong"

    @login.user_loader
    def _load(user_id: str) -> SignedIn | None:
        engine_ = app.extensions["ledger"]
        with engine_.connect() as connection:
            member = staff.staff_by_id(connection=connection, staff_id=int(user_id))
        return None if member is None or member.locked else SignedIn(member)

    for blueprint in (
        auth.pages,
        queue_pages.pages,
        case_pages.pages,
        effect_pages.pages,
        finance_pages.pages,
        staff_pages.pages,
    ):
        app.register_blueprint(blueprint)
    app.jinja_env.filters["kr"] = lambda oere: format_kroner(int(oere or 0))
    app.jinja_env.filters["masked"] = lambda value: mask_text(str(value or ""))
    app.jinja_env.filters["local"] = _local_time
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_refused)
    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, _error_page)
    _check_every_view_is_guarded(app)
    logging.getLogger("werkzeug").addFilter(_MaskRequestLines())
    return app


def _local_time(value: Any) -> str:
    """A ledger timestamp as Copenhagen's clock shows it, to the minute."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime | str):
        return str(value)
    return f"{dates.as_utc(value).astimezone(dates.COPENHAGEN):%Y-%m-%d %H:%M}"


def _secret(data_dir: Path) -> str:
    path = data_dir / "state" / "review_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32), encoding="ascii")
    return path.read_text(encoding="ascii").strip()


def _headers(response: Response) -> Response:
    """No framing, no sniffing, no foreign scripts, nothing cached that shows a person."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    return render_template("error.html", code=400, reason=f"form refused: {error.description}"), 400


def _error_page(error: Any) -> tuple[str, int]:
    code = int(getattr(error, "code", 500) or 500)
    reason = {
        400: "the request was not understood",
        403: "your role does not give access to this page",
        404: "there is no such page",
        405: "that is not how this page is used",
        413: "the upload is too large",
        429: "too many attempts; wait a minute",
    }.get(code, "something went wrong")
    return render_template("error.html", code=code, reason=reason), code


def _check_every_view_is_guarded(app: Flask) -> None:
    """Refuse to start with a page that names no access rule (a new page cannot skip it)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        if not getattr(view, "is_guarded", False):
            raise RuntimeError(f"{rule.rule} ({rule.endpoint}) has no access rule (guard.needs)")


class _MaskRequestLines(logging.Filter):
    """The request log never shows a CPR number typed into a filter or a form."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(str(record.msg))
        if record.args:
            record.args = tuple(mask_text(a) if isinstance(a, str) else a for a in record.args)
        return True
