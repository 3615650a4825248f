"""Who may reach which route.

Every view declares its audience with @public or @roles(...). A before_request hook enforces the declaration
centrally and refuses any endpoint that declares nothing, so a new route is closed until someone opens it on
purpose. The route matrix test reads the same declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import abort, current_app, request
from flask_login import current_user

PUBLIC_ENDPOINTS = {"static"}


def public(view: Callable) -> Callable:
    view._public = True  # type: ignore[attr-defined]
    return view


def roles(allowed: Iterable[str]) -> Callable[[Callable], Callable]:
    allowed = frozenset(allowed)

    def mark(view: Callable) -> Callable:
        view._roles = allowed  # type: ignore[attr-defined]
        return view

    return mark


def audience(endpoint: str | None):
    """'public', a frozenset of roles, or None when the view declared nothing."""
    if endpoint is None:
        return None
    if endpoint in PUBLIC_ENDPOINTS:
        return "public"
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    if getattr(view, "_public", False):
        return "public"
    return getattr(view, "_roles", None)


def enforce_audience():
    if request.endpoint is None:
        return None  # 404/405 are handled by the error pages
    allowed = audience(request.endpoint)
    if allowed == "public":
        return None
    if allowed is None:
        current_app.logger.error("route %s declares no audience; refusing", request.endpoint)
        abort(403)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role not in allowed:
        abort(403)
    return None
