"""Small helpers for htmx responses on top of flask-htmx (which gives request.htmx).

A page template includes its partial; htmx requests that are not boosted get the partial alone. Responses vary on
HX-Request so caches never mix the two.
"""

from __future__ import annotations

import json

from flask import make_response, render_template
from flask_htmx import HTMX  # noqa: F401 - request.htmx comes from the extension

from ..extensions import htmx


def wants_partial() -> bool:
    return bool(htmx) and not htmx.boosted


def render_panel(page: str, partial: str, status: int = 200, **context):
    """Render the full page, or only the partial for an htmx request."""
    body = render_template(partial if wants_partial() else page, **context)
    resp = make_response(body, status)
    resp.vary.add("HX-Request")
    return resp


def hx_trigger(resp, *events: str | dict):
    """Announce what happened (past-tense facts) so other widgets refresh themselves."""
    merged: dict = {}
    existing = resp.headers.get("HX-Trigger")
    if existing:
        try:
            merged.update(json.loads(existing))
        except ValueError:
            merged.update({name.strip(): None for name in existing.split(",")})
    for event in events:
        if isinstance(event, dict):
            merged.update(event)
        else:
            merged[event] = None
    resp.headers["HX-Trigger"] = json.dumps(merged)
    return resp
