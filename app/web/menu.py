"""Entries of the Tasks and More pages. Each feature adds its own when it is registered."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class MenuEntry:
    section: str  # "tasks" or "more"
    label: str
    endpoint: str
    roles: frozenset
    hint: str = ""
    order: int = 100


def add(app: Flask, entry: MenuEntry) -> None:
    app.extensions.setdefault("storekeeper_menu", []).append(entry)


def entries(app: Flask, section: str, role: str) -> list[MenuEntry]:
    found = [e for e in app.extensions.get("storekeeper_menu", []) if e.section == section and role in e.roles]
    return sorted(found, key=lambda e: (e.order, e.label))
