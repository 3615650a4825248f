"""Cursor feeds of stock movements and asset events that an ERP or BI tool can follow without missing or
repeating one, also while writes happen concurrently.

Ids are handed out when a row is inserted, not when its transaction commits, so "everything after id N" can skip
a row whose transaction committed late. On PostgreSQL every row carries the id of the transaction that wrote it
(commit_xid, a column default); the feed orders by (commit_xid, id) and hands out only rows of transactions older
than the reading snapshot's xmin — those have all finished, so no row can later appear before the cursor. A long
transaction therefore delays the feed; it never makes it skip. On SQLite writers are serialised (BEGIN IMMEDIATE),
so id order is commit order and the cursor is the id alone.
"""

from __future__ import annotations

from sqlalchemy import DDL, event, select, text, tuple_
from sqlalchemy.orm import Session

from ..errors import Invalid

XID_DEFAULT = "pg_current_xact_id()::text::bigint"


def install(*tables) -> None:
    """Give each table's commit_xid its PostgreSQL default when the schema is created from the models (tests);
    the migration does the same for deployed databases."""
    for table in tables:
        if getattr(table, "_feed_installed", False):
            continue
        event.listen(
            table,
            "after_create",
            DDL(f"ALTER TABLE {table.name} ALTER COLUMN commit_xid SET DEFAULT {XID_DEFAULT}").execute_if(
                dialect="postgresql"
            ),
        )
        table._feed_installed = True


def parse_cursor(after: str | None) -> tuple[int, int]:
    if not after:
        return (-1, 0)
    try:
        xid, row_id = (int(part) for part in after.split("-", 1))
    except ValueError:
        raise Invalid("The cursor is malformed; pass the `next` value of the previous page.", field="after") from None
    return (xid, row_id)


def page(session: Session, model, after: str | None, limit: int, *options):
    """Rows after the cursor, in feed order, and the cursor to continue from."""
    xid, row_id = parse_cursor(after)
    if session.get_bind().dialect.name == "postgresql":
        horizon = session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
        stmt = (
            select(model)
            .where(model.commit_xid < horizon, tuple_(model.commit_xid, model.id) > tuple_(xid, row_id))
            .order_by(model.commit_xid, model.id)
        )
    else:
        stmt = select(model).where(model.id > row_id).order_by(model.id)
    rows = list(session.scalars(stmt.options(*options).limit(limit)))
    if rows:
        last = rows[-1]
        next_cursor = f"{last.commit_xid or 0}-{last.id}"
    else:
        next_cursor = f"{max(xid, 0)}-{row_id}"
    return rows, next_cursor
