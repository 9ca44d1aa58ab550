"""The control group's workbench: server-rendered pages over the ledger (`robots review`).

Flask, because the pages are forms and tables that must work without client code (WCAG
2.1 AA: labels, keyboard, contrast) and share the ledger's SQLAlchemy engine; Flask-Login
for sessions, Flask-WTF for CSRF on every form, Flask-Limiter for the log-in form, argon2
for passwords (robots.core.ledger.staff). Every change a page makes goes through the
ledger's case functions (robots.core.ledger.cases, case_decisions): the pages add no second
way to change a claim, and the role checks there fail closed whatever a page forgets.
"""
