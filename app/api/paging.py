"""Keyset paging of the API's lists (items, locations, stock, assets).

A page is at most `limit` rows in a fixed order; its `next` is a cursor naming the last row's sort key, and passing
it back as `after` gives the rows that follow. A row added or removed between two pages shifts nothing (no offset
to drift), and `next` is null on the last page, so a client can tell a whole list from a cut one.
"""

from __future__ import annotations

import base64
import binascii
import json

from sqlalchemy import tuple_

from ..errors import Invalid

CURSOR = r"^[A-Za-z0-9_\-]{1,400}$"  # base64url of the sort key, no padding


def encode(*key) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(after: str, types: tuple[type, ...]) -> tuple:
    try:
        key = json.loads(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)))
    except (ValueError, binascii.Error):
        key = None
    if (not isinstance(key, list) or len(key) != len(types)
            or not all(type(v) is t for v, t in zip(key, types, strict=True))):
        raise Invalid("The cursor is malformed; pass the `next` value of the previous page.", field="after")
    return tuple(key)


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
