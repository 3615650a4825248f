"""The scan hub: one field that hardware scanners type into, the camera fills, and people can type in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from ..auth.roles import ANYONE, MANAGERS
from ..errors import DomainError
from ..extensions import db
from ..locations.models import Location
from ..uow import UnitOfWork
from ..web import menu
from ..web.guards import roles
from ..web.htmx import hx_trigger, render_panel
from . import conflicts as conflict_service
from . import services
from .registry import Action, Resolution, register_kind

bp = Blueprint("scanning", __name__, url_prefix="/scan")


def register_kinds(app) -> None:
    register_kind(app, "location", _describe_location)


def add_menu(app) -> None:
    menu.add(app, menu.MenuEntry("more", "Scan conflicts", "scanning.conflicts", ANYONE,
                                 "Offline scans that could not be applied", 20))
    menu.add(app, menu.MenuEntry("more", "Camera check", "scanning.check", ANYONE,
                                 "Secure connection, permission, cameras and a test scan", 80))


def _describe_location(session: Session, row, parsed, user) -> Resolution:
    loc = session.get(Location, row.target_id)
    res = Resolution(kind="location", code=row.code, title=f"{loc.name}", subtitle=f"{loc.kind.title()} {loc.path()}")
    res.target_id = loc.id
    if not loc.active:
        res.warnings.append("This location is deactivated.")
    if "locations.show" in _views():
        res.actions.append(Action("Open location", url_for("locations.show", code=loc.code), primary=True))
    return res


def _views():
    from flask import current_app

    return current_app.view_functions


@bp.get("/")
@roles(ANYONE)
def hub():
    return render_template("scanning/hub.html")


@bp.get("/resolve")
@roles(ANYONE)
def resolve():
    code = request.args.get("code", "")
    try:
        result = services.resolve(db.session, code, user=current_user, symbology=request.args.get("format") or None)
    except DomainError as err:
        resp = render_panel("scanning/hub.html", "scanning/_result.html", status=err.status, error=err, code=code)
        return hx_trigger(resp, {"scan-failed": {"message": err.message}})
    status = 404 if result.kind == "unknown" else 200
    resp = render_panel("scanning/hub.html", "scanning/_result.html", status=status, result=result, code=code)
    event = "scan-failed" if result.kind == "unknown" else "scan-succeeded"
    return hx_trigger(resp, {event: {"kind": result.kind, "code": result.code}})


@bp.get("/check")
@roles(ANYONE)
def check():
    """Camera check: secure context, permission, cameras, decoder in use and a live test decode (filled by JS)."""
    return render_template("scanning/check.html")


@bp.get("/conflicts")
@roles(ANYONE)
def conflicts():
    """Offline scans that could not be applied: each person sees their own, managers everyone's."""
    return _conflicts_panel()


@bp.post("/conflicts/<int:conflict_id>/dismiss")
@roles(ANYONE)
def dismiss_conflict(conflict_id: int):
    try:
        conflict_service.dismiss(
            conflict_id=conflict_id, note=request.form.get("note", ""), user=current_user, uow=UnitOfWork()
        )
    except DomainError as err:
        return _conflicts_panel(status=err.status, error=err, failed_id=conflict_id)
    if not request.headers.get("HX-Request"):
        flash("Conflict dismissed.")
        return redirect(url_for("scanning.conflicts"), 303)
    return hx_trigger(_conflicts_panel(message="Conflict dismissed."), "conflict-resolved")


def _conflicts_panel(status: int = 200, **extra):
    open_rows = conflict_service.list_for(db.session, current_user, status="open")
    closed_rows = conflict_service.list_for(db.session, current_user, status="closed", limit=30)
    return render_panel(
        "scanning/conflicts.html",
        "scanning/_conflicts.html",
        status=status,
        open_conflicts=open_rows,
        closed_conflicts=closed_rows,
        everyone=current_user.role in MANAGERS,
        may_retry=lambda row: conflict_service.may_retry(row, current_user),
        **extra,
    )
