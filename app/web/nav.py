"""Bottom navigation by role. Features add their entries to the Tasks and More pages, not to the bar."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for

from ..auth.roles import MANAGERS


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    icon: str


def bottom_nav(user) -> list[NavItem]:
    items = [NavItem("Scan", "scanning.hub", "scan"), NavItem("Tasks", "web.tasks", "tasks")]
    if user.role in MANAGERS and "dashboard.index" in current_app.view_functions:
        items.append(NavItem("Dashboard", "dashboard.index", "chart"))
    items.append(NavItem("More", "web.more", "more"))
    return [i for i in items if i.endpoint in current_app.view_functions]


def nav_url(item: NavItem) -> str:
    return url_for(item.endpoint)
