"""Staff accounts, for the admin: who has which role, who is locked; add and unlock."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from robots.core.ledger import staff
from robots.core.ledger.staff import Action, Role, StaffError
from robots.review import ledger_access
from robots.review.guard import needs

pages = Blueprint("staff", __name__)


@pages.route("/staff")
@needs(Action.MANAGE_STAFF)
def staff_list() -> str:
    with ledger_access.engine().connect() as connection:
        members = staff.all_staff(connection=connection)
    return render_template("staff.html", members=members, roles=[r.value for r in Role])


@pages.route("/staff", methods=["POST"])
@needs(Action.MANAGE_STAFF)
def add() -> Response:
    try:
        with ledger_access.engine().begin() as connection:
            staff.add_staff(
                connection=connection,
                name=request.form.get("name", ""),
                role=request.form.get("role", ""),
                password=request.form.get("password", ""),
                by=current_user.name,
            )
        flash("Added.", "done")
    except StaffError as refused:
        flash(refused.message, "refused")
    return redirect(url_for("staff.staff_list"))


@pages.route("/staff/<name>/unlock", methods=["POST"])
@needs(Action.MANAGE_STAFF)
def unlock(name: str) -> Response:
    try:
        with ledger_access.engine().begin() as connection:
            staff.unlock(connection=connection, name=name, by=current_user.name)
        flash(f"{name} is unlocked.", "done")
    except StaffError as refused:
        flash(refused.message, "refused")
    return redirect(url_for("staff.staff_list"))
