"""Staff who log in to the workbench: one role each, argon2 password hashes, lock-out.

Part of the ledger's API (see robots/core/ledger/__init__.py). What each role may do is
said once here (`may`), and every way in (pages, Excel import, command line) asks it; the
ledger's own decision functions ask it again, so a page that forgot cannot decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Connection, exc, insert, select, update

from robots.core import dates
from robots.core.errors import BusinessError, ReasonCode
from robots.core.ledger.audit_trail import audit
from robots.core.ledger.schema import User
from robots.core.ledger.transactions import savepoint


class Role(StrEnum):
    """The four roles of the workbench."""

    CONTROL_GROUP = "control_group"
    """Reviews and decides cases, sees CPR numbers in clear (each view logged)."""
    CASEWORKER = "caseworker"
    """Reads the queue and cases (CPR masked) and opens cases from tips."""
    FINANCE = "finance"
    """Reads the effect report and the queue's sums (CPR masked)."""
    ADMIN = "admin"
    """Manages staff accounts; decides nothing and sees no case."""


class Action(StrEnum):
    """What a person can do in the workbench."""

    SEE_QUEUE = "see_queue"
    SEE_CASE = "see_case"
    SEE_CPR = "see_cpr"
    OPEN_CASE = "open_case"
    DECIDE = "decide"
    DECIDE_RETURNS = "decide_returns"
    """Decide a transfer the bank or NemKonto sent back: pay it again, or stop it."""
    APPROVE = "approve"
    SEE_EFFECT = "see_effect"
    RECONCILE = "reconcile"
    """Download the reconciliation workbook of a period."""
    MANAGE_STAFF = "manage_staff"


_MAY: dict[Role, frozenset[Action]] = {
    Role.CONTROL_GROUP: frozenset(
        {
            Action.SEE_QUEUE,
            Action.SEE_CASE,
            Action.SEE_CPR,
            Action.OPEN_CASE,
            Action.DECIDE,
            Action.DECIDE_RETURNS,
            Action.APPROVE,
            Action.SEE_EFFECT,
        }
    ),
    Role.CASEWORKER: frozenset({Action.SEE_QUEUE, Action.SEE_CASE, Action.OPEN_CASE}),
    Role.FINANCE: frozenset(
        {Action.SEE_QUEUE, Action.SEE_EFFECT, Action.DECIDE_RETURNS, Action.RECONCILE}
    ),
    Role.ADMIN: frozenset({Action.MANAGE_STAFF}),
}


def may(role: str, action: Action) -> bool:
    """Whether the role may do the action (an unknown role may do nothing)."""
    try:
        return action in _MAY[Role(role)]
    except ValueError:
        return False


@dataclass(frozen=True)
class StaffMember:
    """A member of staff as the workbench sees them (never the hash)."""

    id: int
    name: str
    role: Role
    locked: bool


class StaffError(BusinessError):
    """A staff account that cannot be made or changed as asked (said in one line)."""

    def __init__(self, message: str) -> None:
        super().__init__(ReasonCode.STAFF_REFUSED, message)


_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


def add_staff(
    *, connection: Connection, name: str, role: str, password: str, by: str
) -> StaffMember:
    """A new account, its password kept as an argon2 hash only."""
    name = name.strip()
    if not name or len(name) > 64 or not name.replace(".", "").replace("-", "").isalnum():
        raise StaffError(f"{name!r}: a name is 1-64 letters, digits, '.' or '-'")
    try:
        role = Role(role)
    except ValueError:
        raise StaffError(
            f"{role!r} is not a role; choose one of {', '.join(r.value for r in Role)}"
        ) from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    at = dates.now()
    try:
        with savepoint(connection):
            staff_id = connection.execute(
                insert(User)
                .values(
                    name=name,
                    role=str(role),
                    password_hash=_HASHER.hash(password),
                    failed_logins=0,
                    created_at=at,
                )
                .returning(User.id)
            ).scalar_one()
    except exc.IntegrityError:
        raise StaffError(f"{name}: there is already a member of staff by that name") from None
    audit(
        connection=connection,
        at=at,
        actor=by,
        action="staff_added",
        entity="user",
        entity_id=name,
        detail=f"role {role}",
    )
    return StaffMember(int(staff_id), name, role, False)


def staff_member(*, connection: Connection, name: str) -> StaffMember | None:
    """The account by name, or None."""
    found = _members(connection, User.name == name)
    return found[0] if found else None


def staff_by_id(*, connection: Connection, staff_id: int) -> StaffMember | None:
    """The account by id (the session keeps the id), or None."""
    found = _members(connection, User.id == staff_id)
    return found[0] if found else None


def all_staff(*, connection: Connection) -> list[StaffMember]:
    """Every account, by name."""
    return _members(connection, None)


def _members(connection: Connection, where: ColumnElement[bool] | None) -> list[StaffMember]:
    query = select(User.id, User.name, User.role, User.locked_at).order_by(User.name)
    rows = connection.execute(query if where is None else query.where(where)).all()
    return [
        StaffMember(int(r.id), str(r.name), Role(r.role), r.locked_at is not None) for r in rows
    ]


def log_in(
    *, connection: Connection, name: str, password: str, lock_after: int, where: str = ""
) -> StaffMember | None:
    """The member of staff if the name and password are right and the account is not
    locked; None otherwise, with the failure counted (and the account locked at
    `lock_after` failures in a row). A locked account stays locked whatever is typed.

    The same None for an unknown name, a wrong password and a locked account: the form
    says no more than "not logged in", so it does not tell which names exist."""
    row = connection.execute(
        select(User.id, User.name, User.role, User.password_hash, User.locked_at).where(
            User.name == name
        )
    ).first()
    at = dates.now()
    if row is None:
        audit(
            connection=connection,
            at=at,
            actor="anonymous",
            action="login_failed",
            entity="user",
            entity_id=name[:64],
            detail=f"no such name {where}".strip(),
        )
        return None
    if row.locked_at is not None:
        audit(
            connection=connection,
            at=at,
            actor=str(row.name),
            action="login_refused_locked",
            entity="user",
            entity_id=str(row.name),
            detail=where or None,
        )
        return None
    if _password_matches(str(row.password_hash), password):
        connection.execute(update(User).where(User.id == row.id).values(failed_logins=0))
        audit(
            connection=connection,
            at=at,
            actor=str(row.name),
            action="login",
            entity="user",
            entity_id=str(row.name),
            detail=where or None,
        )
        return StaffMember(int(row.id), str(row.name), Role(row.role), False)
    # Counted in the database, not read-then-written: two wrong guesses at once both count.
    connection.execute(
        update(User).where(User.id == row.id).values(failed_logins=User.failed_logins + 1)
    )
    connection.execute(
        update(User)
        .where(User.id == row.id, User.failed_logins >= lock_after, User.locked_at.is_(None))
        .values(locked_at=at)
    )
    audit(
        connection=connection,
        at=at,
        actor=str(row.name),
        action="login_failed",
        entity="user",
        entity_id=str(row.name),
        detail=f"wrong password {where}".strip(),
    )
    return None


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def unlock(*, connection: Connection, name: str, by: str) -> None:
    """Unlock an account and forget its failures (an admin's act, audited)."""
    _change(connection, name, by, "staff_unlocked", locked_at=None, failed_logins=0)


def set_password(*, connection: Connection, name: str, password: str, by: str) -> None:
    """A new password for an account (audited; the old hash is replaced)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    _change(connection, name, by, "staff_password_set", password_hash=_HASHER.hash(password))


def _change(connection: Connection, name: str, by: str, action: str, **values: object) -> None:
    if not connection.execute(update(User).where(User.name == name).values(**values)).rowcount:
        raise StaffError(f"{name}: no member of staff by that name")
    audit(
        connection=connection,
        at=dates.now(),
        actor=by,
        action=action,
        entity="user",
        entity_id=name,
    )


def locked_since(*, connection: Connection, name: str) -> datetime | None:
    """When the account was locked (None: not locked, or no such account)."""
    return connection.execute(select(User.locked_at).where(User.name == name)).scalar()
