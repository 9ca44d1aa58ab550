"""Every route of the workbench, enumerated from the app itself (a new page cannot skip
these): anonymous visitors are sent to log in, a wrong role gets 403, a form without its
CSRF token is refused, self-approval is refused, a locked account stays locked, guessing is
slowed, and script and SQL typed into filters and comments come back inert. On SQLite and
PostgreSQL."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint
from sqlalchemy import text

from robots.core.ledger import cases, staff
from robots.core.ledger.staff import Action, Role, may
from robots.core.settings import Settings
from robots.review.app import create_app
from robots.review.guard import OPEN_ENDPOINTS
from tests.robots.review.workbench import (
    MEMBERS,
    PASSWORD,
    SECOND,
    Workbench,
    csrf_token,
    log_in,
)


def _routes(workbench: Workbench) -> list[tuple[str, str, tuple[Action, ...]]]:
    """(method, path, action needed) for every route but the open ones, with real ids."""
    with workbench.nights.engine.connect() as connection:
        case_id = cases.queue_page(connection=connection, queue_filter=cases.QueueFilter()).rows[0][
            "case_id"
        ]
    values = {"case_id": case_id, "proposal_id": 1, "name": MEMBERS["caseworker"]}
    out = []
    for rule in workbench.app.url_map.iter_rules():
        if rule.endpoint in OPEN_ENDPOINTS:
            continue
        view = workbench.app.view_functions[rule.endpoint]
        path = rule.build({k: values[k] for k in rule.arguments})[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, path, view.needs_actions))
    return out


def test_the_routes_are_all_found(workbench: Workbench) -> None:
    routes = _routes(workbench)
    assert len(routes) >= 15
    assert ("POST", "/cases/1/decide", (Action.DECIDE, Action.DECIDE_RETURNS)) in routes


def test_anonymous_visitors_are_sent_to_log_in(workbench: Workbench) -> None:
    client = workbench.client()
    token = csrf_token(client)
    for method, path, _ in _routes(workbench):
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (method, path)
        assert response.location.startswith("/login"), (method, path)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_a_wrong_role_gets_403_everywhere_it_is_not_allowed(
    workbench: Workbench, role: str
) -> None:
    client = workbench.client(role)
    token = csrf_token(client, "/")
    refused = 0
    for method, path, actions in _routes(workbench):
        if not actions or any(may(role, a) for a in actions):
            continue
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (role, method, path)
        refused += 1
    assert refused > 0


def test_every_form_without_its_csrf_token_is_refused(workbench: Workbench) -> None:
    for role in ("control_group", "admin"):
        client = workbench.client(role)
        for method, path, actions in _routes(workbench):
            if method != "POST" or (actions and not any(may(role, a) for a in actions)):
                continue
            response = client.post(path, data={"decision": "release", "comment": "x"})
            assert response.status_code == 400, (role, path)
            assert "CSRF" in response.text
    anonymous = workbench.app.test_client()
    assert anonymous.post("/login", data={"name": "x", "password": "y"}).status_code == 400


def test_the_session_cookie_is_secure_httponly_and_samesite(workbench: Workbench) -> None:
    client = workbench.app.test_client()
    response = log_in(client, MEMBERS["control_group"], PASSWORD)
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    logged_out = client.post("/logout", data={"csrf_token": csrf_token(client, "/queue")})
    assert logged_out.status_code == 302
    assert client.get("/queue").status_code == 302  # logged out: sent to log in


def test_nobody_approves_their_own_case_through_the_pages(workbench: Workbench) -> None:
    client = workbench.client("control_group")
    path = _case_path(workbench)
    token = csrf_token(client, path)
    client.post(f"{path}/take", data={"csrf_token": token})
    proposed = client.post(
        f"{path}/decide",
        data={"decision": "refer", "refer_to": "police", "comment": "forged", "csrf_token": token},
        follow_redirects=True,
    )
    assert "second member" in proposed.text
    own = client.post(
        "/approvals/1", data={"answer": "approve", "csrf_token": token}, follow_redirects=True
    )
    assert "nobody approves their own case" in own.text
    assert _status(workbench, path) == "awaiting_approval"
    second = workbench.client(name=SECOND)
    token2 = csrf_token(second, "/approvals")
    done = second.post(
        "/approvals/1", data={"answer": "approve", "csrf_token": token2}, follow_redirects=True
    )
    assert "approved" in done.text
    assert _status(workbench, path) == "decided"


def test_a_locked_account_stays_locked(workbench: Workbench) -> None:
    client = workbench.app.test_client()
    name = MEMBERS["finance"]
    for _ in range(5):
        assert log_in(client, name, "wrong password!").status_code == 401
    assert log_in(client, name, PASSWORD).status_code == 401  # the right one: still locked
    unknown = log_in(client, "no.such.person", PASSWORD)
    assert unknown.status_code == 401 and unknown.text.count("Not logged in") == 1
    with workbench.nights.engine.begin() as connection:
        assert staff.locked_since(connection=connection, name=name) is not None
        staff.unlock(connection=connection, name=name, by="admin.adam")
    assert log_in(client, name, PASSWORD).status_code == 302


def test_guessing_is_slowed_per_address(workbench: Workbench) -> None:
    client = workbench.app.test_client()
    codes = [log_in(client, f"guess{n}", "x" * 12).status_code for n in range(12)]
    assert codes[:10] == [401] * 10
    assert codes[-1] == 429


def test_script_and_sql_typed_in_come_back_inert(workbench: Workbench) -> None:
    client = workbench.client("control_group")
    script = "<script>alert(1)</script>"
    sql = "'; DROP TABLE claims; --"
    queue = client.get("/queue", query_string={"rule": script, "min_kr": script, "robot": sql})
    assert queue.status_code == 200
    assert script not in queue.text and "&lt;script&gt;" in queue.text
    path = _case_path(workbench)
    token = csrf_token(client, path)
    client.post(f"{path}/take", data={"csrf_token": token})
    client.post(
        f"{path}/decide",
        data={"decision": "stop", "comment": f"{script} {sql}", "csrf_token": token},
    )
    page = client.get(path)
    assert script not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    with workbench.nights.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM claims")).scalar_one() == 2


def test_cpr_is_in_clear_for_the_control_group_only_and_each_view_is_logged(
    workbench: Workbench,
) -> None:
    path = _case_path(workbench)
    carl = "0303403457"
    assert carl in workbench.client("control_group").get(path).text
    seen = workbench.client("caseworker").get(path).text
    assert carl not in seen and "030340-****" in seen
    assert carl not in workbench.client("control_group").get("/queue").text
    with workbench.nights.engine.connect() as connection:
        views = connection.execute(
            text("SELECT actor, entity_id FROM audit_events WHERE action = 'cpr_viewed'")
        ).all()
    assert [tuple(v) for v in views] == [(MEMBERS["control_group"], path.rsplit("/", 1)[1])]


def test_a_page_without_an_access_rule_stops_the_app_from_starting(
    workbench: Workbench, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import robots.review.app as app_module

    loose = Blueprint("loose", __name__)
    loose.add_url_rule("/loose", "loose", lambda: "open to all")
    settings = Settings(data_dir=tmp_path, database_url=workbench.nights.ledger_url)
    original = app_module.staff_pages.pages
    app_module.staff_pages.pages = loose  # type: ignore[attr-defined]
    try:
        with pytest.raises(RuntimeError, match=r"/loose .* has no access rule"):
            create_app(settings, engine=workbench.nights.engine)
    finally:
        app_module.staff_pages.pages = original  # type: ignore[attr-defined]


def _case_path(workbench: Workbench) -> str:
    with workbench.nights.engine.connect() as connection:
        row = cases.queue_page(connection=connection, queue_filter=cases.QueueFilter()).rows[0]
    return f"/cases/{row['case_id']}"


def _status(workbench: Workbench, path: str) -> str | None:
    with workbench.nights.engine.connect() as connection:
        return cases.case_status(connection=connection, case_id=int(re.sub(r"\D", "", path)))
