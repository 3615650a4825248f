"""The one lookup from a scanned code to the thing it names, and what each kind of thing offers to do.

Features register a describer for their kind ("item", "asset", …) when they are registered; the scan hub asks the
describer for the title, facts and the actions valid for that thing and for the person scanning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, Invalid
from .models import ScanCode
from .rules import BADGE_PREFIX, ParsedCode


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    primary: bool = False


@dataclass
class Resolution:
    kind: str  # item, location, asset, document, unknown
    code: str
    title: str
    subtitle: str = ""
    target_id: int | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parsed: ParsedCode | None = None
    pack_qty: int = 1


Describer = Callable[[Session, ScanCode, ParsedCode, object], Resolution]


def register_kind(app: Flask, kind: str, describe: Describer) -> None:
    app.extensions.setdefault("storekeeper_scan_kinds", {})[kind] = describe


def register_unknown_offer(app: Flask, offer: Callable[[ParsedCode, object], Action | None]) -> None:
    """Something a person can do with a code nobody knows (register it, attach it to an item …)."""
    app.extensions.setdefault("storekeeper_unknown_offers", []).append(offer)


def register_code(
    session: Session, code: str, *, kind: str, target_id: int, pack_qty: int = 1, label: str | None = None
) -> ScanCode:
    if kind != "person" and code.upper().startswith(BADGE_PREFIX):
        raise Invalid(f"Codes that start with {BADGE_PREFIX} are people's badges; choose another code than {code}.",
                      field="code")
    existing = session.get(ScanCode, code)
    if existing is not None:
        raise Conflict(f"The code {label or code} already belongs to another {existing.kind}.", field="code")
    row = ScanCode(code=code, kind=kind, target_id=target_id, pack_qty=pack_qty, label=label or code)
    session.add(row)
    return row


def lookup(session: Session, key: str) -> ScanCode | None:
    return session.get(ScanCode, key)


def codes_of(session: Session, kind: str, target_id: int) -> list[ScanCode]:
    return list(session.scalars(select(ScanCode).where(ScanCode.kind == kind, ScanCode.target_id == target_id)))
