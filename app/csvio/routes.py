"""CSV pages: sample files, exports, and the upload with its dry run and all-or-nothing import.

Managers import and export items, locations, assets, opening stock and orders; only administrators do users (separate
endpoints, so each declares its own audience for the route matrix). Uploads are read in memory, never stored.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from ..auth.roles import ADMINS, MANAGERS
from ..extensions import db
from ..uow import UnitOfWork
from ..web import menu
from ..web.guards import roles
from ..web.htmx import hx_trigger, render_panel
from . import services
from .kinds import KINDS, Kind, export_header
from .reader import MAX_ROWS
from .writer import csv_response

bp = Blueprint("csvio", __name__, url_prefix="/csv")


def add_menu(app) -> None:
    menu.add(app, menu.MenuEntry("more", "Import and export (CSV)", "csvio.index", MANAGERS,
                                 "Spreadsheets in and out: items, locations, assets, opening stock, orders, accounts", 36))


def _kind(key: str, *, admins: bool) -> Kind:
    kind = KINDS.get(key)
    if kind is None or kind.admins_only != admins:
        abort(404)
    return kind


@bp.get("/")
@roles(MANAGERS)
def index():
    visible = [k for k in KINDS.values() if not k.admins_only or current_user.role in ADMINS]
    return render_template("csvio/index.html", kinds=visible, max_rows=MAX_ROWS)


# --- the work, shared by the managers' and the administrators' endpoints ---------------------------------------------


def _template(kind: Kind):
    return csv_response(f"{kind.key}-template.csv", kind.names, kind.samples())


def _export(kind: Kind):
    return csv_response(f"{kind.key}.csv", export_header(kind), kind.export(db.session))


def _page(kind: Kind):
    return render_template("csvio/import.html", kind=kind, report=None, max_rows=MAX_ROWS, **_urls(kind))


def _import(kind: Kind):
    upload = request.files.get("file")
    dry_run = request.form.get("mode", "check") != "apply"
    if upload is None or not upload.filename:
        report = services.Report(kind=kind, dry_run=dry_run)
        report.problems.append(services.Problem(0, "", "Choose a CSV file to upload."))
    else:
        report = services.run_import(kind, upload.read(), actor_id=current_user.id, dry_run=dry_run,
                                     uow=UnitOfWork(), hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    status = 200 if report.ok else 422
    resp = render_panel("csvio/import.html", "csvio/_report.html", status=status, kind=kind, report=report,
                        max_rows=MAX_ROWS, **_urls(kind))
    if report.applied:
        resp = hx_trigger(resp, f"{kind.key}-imported")
    return resp


def _urls(kind: Kind) -> dict:
    from flask import url_for

    if kind.admins_only:
        return {"import_url": url_for("csvio.users_import"), "template_url": url_for("csvio.users_template"),
                "export_url": url_for("csvio.users_export")}
    return {"import_url": url_for("csvio.import_file", kind=kind.key),
            "template_url": url_for("csvio.template", kind=kind.key),
            "export_url": url_for("csvio.export", kind=kind.key)}


# --- managers: items, locations, assets, opening stock ---------------------------------------------------------------


@bp.get("/<kind>/template.csv")
@roles(MANAGERS)
def template(kind: str):
    return _template(_kind(kind, admins=False))


@bp.get("/<kind>/export.csv")
@roles(MANAGERS)
def export(kind: str):
    return _export(_kind(kind, admins=False))


@bp.get("/<kind>/import")
@roles(MANAGERS)
def import_page(kind: str):
    return _page(_kind(kind, admins=False))


@bp.post("/<kind>/import")
@roles(MANAGERS)
def import_file(kind: str):
    return _import(_kind(kind, admins=False))


# --- administrators: users -------------------------------------------------------------------------------------------


@bp.get("/users/template.csv")
@roles(ADMINS)
def users_template():
    return _template(_kind("users", admins=True))


@bp.get("/users/export.csv")
@roles(ADMINS)
def users_export():
    return _export(_kind("users", admins=True))


@bp.get("/users/import")
@roles(ADMINS)
def users_page():
    return _page(_kind("users", admins=True))


@bp.post("/users/import")
@roles(ADMINS)
def users_import():
    return _import(_kind("users", admins=True))
