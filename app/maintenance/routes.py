"""HTTP adapter of maintenance: the due list, logging work by scan, schedules and meter readings."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from ..assets import queries as asset_queries
from ..assets.routes import _scan_action
from ..assets.services import parse_date, parse_int, parse_money
from ..auth.roles import FIELD, MANAGERS
from ..errors import DomainError
from ..extensions import db
from ..uow import UnitOfWork
from ..web import menu
from ..web.guards import roles
from ..web.htmx import hx_trigger, render_panel
from . import queries, services
from .models import KINDS

bp = Blueprint("maintenance", __name__, url_prefix="/maintenance")


def add_menu(app) -> None:
    menu.add(app, menu.MenuEntry("tasks", "Maintenance due", "maintenance.index", FIELD,
                                 "Due and overdue service, open repairs", 46))
    menu.add(app, menu.MenuEntry("tasks", "Log maintenance", "maintenance.log", FIELD,
                                 "Scan the asset, record the work and parts", 47))


def _today():
    return datetime.now(UTC).date()


@bp.get("/")
@roles(FIELD)
def index():
    from sqlalchemy import select

    from .models import MaintenanceRecord

    s = db.session
    open_records = list(s.scalars(select(MaintenanceRecord).where(MaintenanceRecord.state == "open")
                                  .order_by(MaintenanceRecord.opened_at)))
    return render_panel("maintenance/index.html", "maintenance/_index.html", items=queries.due_list(s, today=_today()),
                        open_records=open_records, manager=current_user.role in MANAGERS)


def _log_ctx():
    tag = (request.values.get("tag") or "").strip().upper()
    asset = asset_queries.by_tag(db.session, tag) if tag else None
    due = queries.due_list(db.session, today=_today(), asset_id=asset.id, include_ok=True) if asset else []
    van = None
    if current_user.role == "technician":
        from sqlalchemy import select

        from ..locations.models import Location

        van = db.session.scalar(select(Location.code).where(Location.holder_id == current_user.id))
    return {"kinds": KINDS, "asset": asset, "due": due, "van": van}


@bp.route("/log", methods=["GET", "POST"])
@roles(FIELD)
def log():
    ctx = _log_ctx()
    if request.method == "GET":
        return render_panel("maintenance/log.html", "maintenance/_log.html", form=request.args, **ctx)

    def run(scan):
        f = request.form
        return services.log_maintenance(
            tag=f.get("tag", ""), kind=f.get("kind") or "corrective", findings=f.get("findings"),
            labour_minutes=parse_int(f.get("labour_minutes"), "labour_minutes") or 0,
            cost=parse_money(f.get("cost"), "cost") or parse_money("0", "cost"),
            downtime_minutes=parse_int(f.get("downtime_minutes"), "downtime_minutes") or 0,
            schedule_id=parse_int(f.get("schedule_id"), "schedule_id", minimum=1),
            meter_hours=parse_int(f.get("meter_hours"), "meter_hours"),
            parts=services.parse_parts(f.get("parts"), f.get("parts_from") or ctx["van"]),
            actor_id=current_user.id, scan_id=scan.scan_id, source=scan.source, device_time=scan.device_time,
            uow=UnitOfWork())

    def message(r):
        text = f"Logged maintenance on {r.tag}"
        text += " and closed the repair; it is back in stock." if r.closed_open_record else "."
        if r.parts:
            text += f" {r.parts} part line(s) consumed."
        return text

    return _scan_action("maintenance/log.html", "maintenance/_log.html", run, "maintenance-logged", message,
                        url_for("maintenance.log"), ctx_fn=_log_ctx)


@bp.post("/open")
@roles(FIELD)
def open_record():
    return _scan_action(
        "maintenance/log.html", "maintenance/_log.html",
        lambda scan: services.open_maintenance(
            tag=request.form.get("tag", ""), kind=request.form.get("kind") or "corrective",
            findings=request.form.get("findings"), actor_id=current_user.id, scan_id=scan.scan_id,
            device_time=scan.device_time, uow=UnitOfWork()),
        "maintenance-opened", lambda r: "Sent to maintenance.", url_for("maintenance.index"), ctx_fn=_log_ctx)


@bp.post("/schedules")
@roles(MANAGERS)
def add_schedule():
    f = request.form
    tag = f.get("tag", "")
    try:
        services.add_schedule(tag=tag, title=f.get("title", ""), kind=f.get("kind") or "preventive",
                              every_days=parse_int(f.get("every_days"), "every_days", minimum=1),
                              every_hours=parse_int(f.get("every_hours"), "every_hours", minimum=1),
                              starts_on=parse_date(f.get("starts_on"), "starts_on"), uow=UnitOfWork())
    except DomainError:
        db.session.rollback()
        raise
    flash("Schedule added.")
    return hx_trigger(redirect(url_for("assets.show", tag=tag.strip().upper()), 303), "maintenance-scheduled")


@bp.post("/meter")
@roles(FIELD)
def meter():
    tag = request.form.get("tag", "")
    services.record_meter(tag=tag, hours=parse_int(request.form.get("hours"), "hours", required=True),
                          actor_id=current_user.id, uow=UnitOfWork())
    flash("Meter reading saved.")
    return hx_trigger(redirect(url_for("assets.show", tag=tag.strip().upper()), 303), "meter-read")
