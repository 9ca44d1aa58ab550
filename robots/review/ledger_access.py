"""The ledger's engine and the settings, as the pages reach them."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Engine

from robots.core.settings import Settings


def engine() -> Engine:
    return current_app.extensions["ledger"]


def settings() -> Settings:
    return current_app.extensions["robots_settings"]
