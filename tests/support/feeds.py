"""The late-commit race every API feed must survive: writer A gets the lower id but commits after writer B."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.extensions import db
from app.uow import UnitOfWork


def follow_a_late_commit(app, client, path: str, headers: dict, *, write_a: Callable, write_b: Callable) -> list[int]:
    """Run the race and return the ids a reader polling `path` saw after its cursor at the start.

    write_a(session) writes inside a unit of work that stays open (flushed, not committed) until the reader has
    polled; write_b() makes and commits its own change. On PostgreSQL B commits while A is open and the reader must
    hand out nothing yet (B's row held back behind A's lower id); on SQLite B would wait for A's write lock, so it
    runs after A. Threads get plain values, never ORM objects of the test's session."""
    cursor = client.get(path, headers=headers).json["next"]
    a_inserted, release_a = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def writer_a():
        try:
            with app.app_context():
                with UnitOfWork() as uow:
                    write_a(uow.session)
                    uow.session.flush()
                    a_inserted.set()
                    release_a.wait(10)
                    uow.commit()
                db.session.remove()
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)
            a_inserted.set()

    def writer_b():
        with app.app_context():
            write_b()
            db.session.remove()

    thread = threading.Thread(target=writer_a)
    thread.start()
    assert a_inserted.wait(10)
    seen: list[int] = []
    b = None
    if db.engine.dialect.name == "postgresql":
        b = threading.Thread(target=writer_b)
        b.start()
        b.join(10)
        assert not b.is_alive(), "writer B should not wait for writer A"
        page = client.get(f"{path}?after={cursor}", headers=headers).json
        assert page["items"] == []  # A's lower id is still open: B's row is held back, not handed out first
        cursor = page["next"]
    release_a.set()
    thread.join(10)
    if b is None:
        writer_b()
    assert errors == []
    deadline = time.monotonic() + 20
    while len(seen) < 2 and time.monotonic() < deadline:
        page = client.get(f"{path}?after={cursor}", headers=headers).json
        seen += [r["id"] for r in page["items"]]
        cursor = page["next"]
    return seen
