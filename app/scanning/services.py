"""Resolve a scanned code to what it names and what the person scanning may do with it. Read-only."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from ..errors import Invalid
from .registry import Resolution, lookup
from .rules import ParsedCode, parse


def resolve(session: Session, raw: str, *, user, symbology: str | None = None) -> Resolution:
    """One parse, one indexed lookup, then the describer of the thing's kind. Raises Invalid for malformed codes."""
    parsed = parse(raw, symbology)
    row = lookup(session, parsed.key)
    if row is None:
        return _unknown(parsed, user)
    describe = current_app.extensions.get("storekeeper_scan_kinds", {}).get(row.kind)
    if describe is None:
        return Resolution(kind=row.kind, code=parsed.key, title=f"{row.kind.title()} {row.label}", parsed=parsed)
    resolution = describe(session, row, parsed, user)
    resolution.parsed = parsed
    resolution.pack_qty = row.pack_qty
    return resolution


def _unknown(parsed: ParsedCode, user) -> Resolution:
    label = parsed.gtin or parsed.key
    res = Resolution(kind="unknown", code=parsed.key, title=f"Unknown code {label}", parsed=parsed)
    res.subtitle = "Nothing in Storekeeper has this code yet."
    for offer in current_app.extensions.get("storekeeper_unknown_offers", []):
        action = offer(parsed, user)
        if action is not None:
            res.actions.append(action)
    return res


__all__ = ["resolve", "Invalid"]
