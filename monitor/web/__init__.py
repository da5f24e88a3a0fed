"""The review web UI and JSON API (FastAPI + Jinja2, server-rendered, no front-end build).

    create_app(settings, store_factory)   app.py: routes, security middleware, static files
    routes_*.py                           one module per page or area; thin shells over the store
    security.py                           login, sessions, CSRF, API tokens, headers and CSP
    views.py                              templates and the helpers that render feed text safely
    charts.py · metrics.py                pygal SVG charts · Prometheus collector
"""

from __future__ import annotations

from monitor.web.app import create_app, serve

__all__ = ["create_app", "serve"]
