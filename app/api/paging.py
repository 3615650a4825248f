"""Keyset paging of the API's lists (items, locations, stock, assets, reservations).

A page is at most `limit` rows in a fixed order; its `next` is a cursor naming the last row's sort key, and passing
it back as `after` gives the rows that follow. A row added or removed between two pages shifts nothing (no offset
to drift), and `next` is null on the last page, so a client can tell a whole list from a cut one.

A cursor is opaque to clients but only base64 of JSON, so anyone can make one by hand: decode() accepts only what
encode() could have made from a stored row — numbers within the 32-bit columns they are compared with, strings no
longer than a column holds and free of NUL and lone surrogates (PostgreSQL refuses the first, both databases'
drivers the second), times that are real, timezone-aware moments. Anything else is "malformed", never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from sqlalchemy import tuple_

from ..errors import Invalid
from ..types import MAX_ROW_ID

CURSOR = r"^[A-Za-z0-9_\-]{1,400}$"  # base64url of the sort key, no padding
MAX_TEXT = 120  # the longest sort-key text a list orders by (a SKU, a code, a tag, a lot: all shorter)
MALFORMED = "The cursor is malformed; pass the `next` value of the previous page."


def encode(*key) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _value(v, t):
    """The cursor's value v as a sort-key value of type t, or None when no stored row could have it."""
    if t is int:
        return v if type(v) is int and -MAX_ROW_ID - 1 <= v <= MAX_ROW_ID else None
    if type(v) is not str or len(v) > MAX_TEXT or "\x00" in v:
        return None
    try:
        v.encode("utf-8")  # a lone surrogate ("\ud800") cannot be sent to either database
    except UnicodeEncodeError:
        return None
    if t is str:
        return v
    if t is datetime:
        try:
            moment = datetime.fromisoformat(v)
            # In UTC, as the database compares it; a moment near year 1 or 9999 may not exist there.
            return moment.astimezone(UTC) if moment.tzinfo is not None else None
        except (ValueError, OverflowError):
            return None
    raise TypeError(f"no cursor values of type {t}")


def decode(after: str, types: tuple[type, ...]) -> tuple:
    try:
        key = json.loads(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        key = None
    if not isinstance(key, list) or len(key) != len(types):
        raise Invalid(MALFORMED, field="after")
    values = tuple(_value(v, t) for v, t in zip(key, types, strict=True))
    if any(v is None for v in values):
        raise Invalid(MALFORMED, field="after")
    return values


def after(stmt, columns: tuple, cursor: str | None, types: tuple[type, ...]):
    """stmt ordered by columns, continued after the cursor, one row more than a page (to know if more follow)."""
    if cursor:
        stmt = stmt.where(tuple_(*columns) > tuple_(*decode(cursor, types)))
    return stmt.order_by(*columns)


def cut(rows: list, limit: int, key_of) -> tuple[list, str | None]:
    """The page (rows were fetched with limit + 1) and the cursor of what follows, or None when nothing does."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode(*key_of(rows[-1]))
