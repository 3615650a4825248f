"""A tiny scan action for tests, kept outside the app: the real stock and asset actions are built elsewhere.

It follows the contract in app/web/scan_actions.py: the service claims the scan id in its unit of work (so it
applies once), a code starting with GONE fails with a Conflict (409) like "the stock is gone", and every
application is counted per scan id. `make_action_app` builds a second app instance with this blueprint registered
before anything is served.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from app import create_app
from app.auth.roles import ANYONE
from app.errors import AlreadyRecorded, Conflict, DomainError, Invalid
from app.uow import UnitOfWork
from app.web.guards import roles
from app.web.htmx import render_panel
from app.web.scan_actions import ScanContext, already_recorded, failed, scan_context, succeeded

bp = Blueprint("test_scan", __name__, url_prefix="/test-scan", template_folder=str(Path(__file__).parent / "templates"))

APPLIED: Counter = Counter()  # scan id → number of times the service applied it
SOURCES: dict[str, str] = {}
FORMATS: dict[str, str] = {}
WORLD = {"gone_is_gone": True}  # set False to have the stock "come back" for codes starting with GONE
_lock = threading.Lock()


def reset() -> None:
    with _lock:
        APPLIED.clear()
        SOURCES.clear()
        FORMATS.clear()
        WORLD["gone_is_gone"] = True


def apply_scan(*, code: str, ctx: ScanContext, actor_id: int, uow: UnitOfWork, symbology: str = "") -> dict:
    code = (code or "").strip().upper()
    if not code:
        raise Invalid("Scan a code.", field="code")
    with uow:
        uow.claim(ctx.scan_id, scope="test.apply", actor_id=actor_id, device_time=ctx.device_time)
        if code.startswith("GONE") and WORLD["gone_is_gone"]:
            raise Conflict(f"{code} is gone: nothing left to take.")
        outcome = {"code": code}
        uow.record(outcome)
        uow.commit()
    with _lock:
        APPLIED[ctx.scan_id] += 1
        SOURCES[ctx.scan_id] = ctx.source
        FORMATS[ctx.scan_id] = symbology
    return outcome


@bp.get("/")
@roles(ANYONE)
def page():
    return render_template("test_scan/page.html")


@bp.post("/apply")
@roles(ANYONE)
def apply():
    code = request.form.get("code", "")
    try:
        outcome = apply_scan(
            code=code, ctx=scan_context(), actor_id=current_user.id, uow=UnitOfWork(),
            symbology=request.form.get("format", ""),
        )
    except AlreadyRecorded as err:
        return already_recorded(_panel(message=err.message), err)
    except DomainError as err:
        return failed(_panel(status=err.status, error=err), err)
    if not request.headers.get("HX-Request"):
        return redirect(url_for("test_scan.page"), 303)
    return succeeded(_panel(message=f"Applied {outcome['code']}"), "test-applied")


def _panel(status: int = 200, **ctx):
    return render_panel("test_scan/page.html", "test_scan/_panel.html", status=status, **ctx)


def make_action_app(database_url: str):
    from tests.conftest import Client

    app = create_app({"STOREKEEPER_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    app.register_blueprint(bp)
    app.test_client_class = Client
    return app
