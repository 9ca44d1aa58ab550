"""Log-in and log-out. One answer for a wrong name, a wrong password and a locked account,
so the form does not tell which names exist; the limit per address slows guessing and the
lock-out (robots.core.ledger.staff) stops it."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from robots.core.ledger import staff
from robots.review import ledger_access
from robots.review.guard import needs
from robots.review.limits import limiter
from robots.review.people import SignedIn

pages = Blueprint("auth", __name__)


def _login_limit() -> str:
    return f"{ledger_access.settings().review.login_attempts_per_minute} per minute"


@pages.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return render_template("login.html", failed=False, next=_safe_next())
    name = request.form.get("name", "").strip()[:64]
    password = request.form.get("password", "")
    with ledger_access.engine().begin() as connection:
        member = staff.log_in(
            connection=connection,
            name=name,
            password=password,
            lock_after=ledger_access.settings().review.lock_after_failed_logins,
            where=f"from {request.remote_addr}",
        )
    if member is None:
        return render_template("login.html", failed=True, next=_safe_next()), 401
    session.clear()
    session.permanent = True
    login_user(SignedIn(member))
    return redirect(_safe_next() or url_for("queue.start"))


def _safe_next() -> str:
    """Where to go after log-in: a path on this site only (never another host)."""
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target


@pages.route("/logout", methods=["POST"])
@needs()
def logout() -> Response:
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
