"""Rendered dashboard tiles, kept per worker process until the data they show may have changed.

The stock and asset tiles aggregate over every item and asset (value, reorder status, book value, idle time); at
50,000 items that is tens of milliseconds per tile, paid again on every refresh although nothing changed. A tile is
served from here while its *stamp* is unchanged:

- PostgreSQL: the current snapshot (pg_current_snapshot()). Any write transaction that commits anywhere changes it,
  so after any commit the tile is recomputed — exact, whatever table the write touched.
- SQLite: the newest ledger movement and asset event, the newest change to an item or asset (their updated_at),
  and the database and WAL files' size and modification time (every commit writes the WAL), which covers the
  tables without a stamp of their own (asset models and categories).

Plus the day (book values and due dates move with it) and the viewer's role. A process-local dict: each gunicorn
worker warms its own, and nothing outlives a restart.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..assets.models import Asset, AssetEvent
from ..stock.models import Item, StockMovement

_tiles: dict[tuple[str, str], tuple[tuple, str]] = {}
_lock = threading.Lock()


def stamp(s: Session, today: date) -> tuple:
    bind = s.get_bind()
    if bind.dialect.name == "postgresql":
        return (today, s.scalar(text("SELECT pg_current_snapshot()::text")))
    newest = s.execute(select(
        select(func.max(StockMovement.id)).scalar_subquery(),
        select(func.max(Item.updated_at)).scalar_subquery(),
        select(func.max(AssetEvent.id)).scalar_subquery(),
        select(func.max(Asset.updated_at)).scalar_subquery(),
    )).one()
    return (today, *newest, *_files(bind.url.database))


def _files(database: str | None) -> tuple:
    out = []
    for path in (database, f"{database}-wal") if database and database != ":memory:" else ():
        try:
            st = os.stat(path)
            out += [st.st_size, st.st_mtime_ns, st.st_ino]
        except OSError:
            out.append(None)
    return tuple(out)


def rendered(s: Session, name: str, role: str, today: date, render: Callable[[], str]) -> str:
    """The tile's HTML: the kept copy while the stamp is unchanged, else render() — kept for next time."""
    current = stamp(s, today)
    kept = _tiles.get((name, role))
    if kept is not None and kept[0] == current:
        return kept[1]
    html = render()
    with _lock:
        _tiles[(name, role)] = (current, html)
    return html


def clear() -> None:
    with _lock:
        _tiles.clear()
