"""Who may open a page: every view names the action it needs, and the app refuses a view
that names none (tests enumerate the routes from the app itself)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, request, url_for
from flask_login import current_user

from robots.core.ledger.staff import Action, may

View = TypeVar("View", bound=Callable[..., Any])

OPEN_ENDPOINTS = frozenset({"auth.login", "static"})
"""The only pages an anonymous visitor may reach."""


def needs(*actions: Action) -> Callable[[View], View]:
    """The view needs a logged-in member of staff whose role may do one of `actions` (none
    given: any logged-in role, e.g. the start page). Anonymous: sent to log in; wrong role:
    403. The ledger's functions check the person again for the case at hand."""

    def wrap(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.path))
            if actions and not any(may(current_user.role, a) for a in actions):
                abort(403)
            return view(*args, **kwargs)

        guarded.needs_actions = actions  # type: ignore[attr-defined]
        guarded.is_guarded = True  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return wrap
