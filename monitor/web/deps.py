"""Dependencies shared by the routes: the store, the settings and the clock of the app."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request

from monitor.config import Settings
from monitor.store.base import Store


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def settings_of_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def now(request: Request) -> datetime:
    """The one place handlers read the clock (the app's, so tests can pin it)."""
    moment: datetime = request.app.state.clock()
    return moment
