"""The app as the benchmark serves it: the production app, plus one bench-only endpoint that is the database
floor — a bare single-transaction write through the same server, so the floor and the operations share HTTP
parsing, the WSGI stack, the workers and the database connection set-up.

    POST /api/_bench/write  →  one INSERT into bench_floor and COMMIT, in the app's own unit of work (on SQLite:
                            the writer lock and BEGIN IMMEDIATE, like every scan), 204. Under /api/ because a
                            request without a session cookie there has nothing to forge (no CSRF token needed).

It exists only in this module, which only `make bench` starts (gunicorn bench.serve:app); the shipped app
(wsgi:app) has no such route. bench/floor.py creates the table before the server starts.
"""

from __future__ import annotations

import uuid

from flask import Blueprint
from sqlalchemy import text

from app.uow import UnitOfWork
from app.web.guards import public
from wsgi import app

bp = Blueprint("bench_floor", __name__)


@bp.post("/api/_bench/write")
@public
def write():
    with UnitOfWork() as uow:
        uow.session.execute(text("INSERT INTO bench_floor (k, at) VALUES (:k, CURRENT_TIMESTAMP)"),
                            {"k": uuid.uuid4().hex})
        uow.commit()
    return "", 204


app.register_blueprint(bp)
