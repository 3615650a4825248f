"""Cross-cutting pages: home, health check, the More menu."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from ..auth.roles import ANYONE, FIELD, FLOOR, MANAGERS
from ..extensions import db
from .guards import public, roles

bp = Blueprint("web", __name__)


@bp.get("/")
@roles(ANYONE)
def home():
    # Everyone lands where their work starts: managers on the dashboard, everyone else on the scanner.
    if current_user.role in MANAGERS and "dashboard.index" in _endpoints():
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("scanning.hub"))


@bp.get("/tasks")
@roles(ANYONE)
def tasks():
    return render_template("web/tasks.html", floor=current_user.role in FLOOR, field=current_user.role in FIELD)


@bp.get("/more")
@roles(ANYONE)
def more():
    return render_template("web/more.html")


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:  # noqa: BLE001 - any failure to reach the database means unhealthy
        db.session.remove()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


def _endpoints():
    from flask import current_app

    return current_app.view_functions
