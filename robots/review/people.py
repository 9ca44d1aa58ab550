"""The member of staff signed in, as Flask-Login needs them."""

from __future__ import annotations

from flask_login import UserMixin

from robots.core.ledger.staff import Action, StaffMember, may


class SignedIn(UserMixin):
    """A signed-in member of staff (the session keeps only the id)."""

    def __init__(self, member: StaffMember) -> None:
        self.member = member
        self.id = str(member.id)
        self.name = member.name
        self.role = str(member.role)

    def may(self, action: str) -> bool:
        return may(self.role, Action(action))
