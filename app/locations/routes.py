"""Location pages: managers list, search, create, edit and deactivate; anyone opens a location from a scan.

Features add panels to a location's page (stock in it, assets there …) through
app.extensions["storekeeper_location_panels"]: callables (location, user) → HTML, so this page needs to know no
feature.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import or_, select

from ..auth.models import User
from ..auth.roles import ANYONE, MANAGERS
from ..errors import DomainError, Invalid
from ..extensions import db
from ..uow import UnitOfWork
from ..web import menu
from ..web.guards import roles
from ..web.htmx import render_panel
from . import queries, services
from .models import KINDS, Location

bp = Blueprint("locations", __name__, url_prefix="/locations")


def add_menu(app) -> None:
    menu.add(app, menu.MenuEntry("more", "Locations", "locations.index", MANAGERS, "Sites, zones, bins and vans", 30))


@bp.get("/")
@roles(MANAGERS)
def index():
    q = (request.args.get("q") or "").strip()
    show = request.args.get("show", "active")
    stmt = select(Location).order_by(Location.walk_order, Location.code).limit(200)
    if show != "all":
        stmt = stmt.where(Location.active.is_(show != "inactive"))
    if q:
        stmt = stmt.where(or_(Location.code.like(f"%{q.upper()}%"), Location.name.ilike(f"%{q}%")))
    found = db.session.scalars(stmt).all()
    return render_panel("locations/index.html", "locations/_list.html", locations=found, q=q, show=show)


@bp.route("/new", methods=["GET", "POST"])
@roles(MANAGERS)
def new():
    parents = queries.all_active(db.session)
    if request.method == "GET":
        return render_template("locations/form.html", form=request.args, kinds=KINDS, parents=parents,
                               people=_people())
    f = request.form
    try:
        loc = services.create_location(code=f.get("code", ""), name=f.get("name", ""), kind=f.get("kind", ""),
                                       parent_code=f.get("parent") or None, walk_order=_int(f.get("walk_order")),
                                       holder_id=_holder_id(f), uow=UnitOfWork())
    except DomainError as err:
        return render_panel("locations/form.html", "locations/_form.html", status=err.status, form=f, kinds=KINDS,
                            parents=parents, people=_people(), error=err)
    flash(f"Location {loc.code} created.")
    return redirect(url_for("locations.show", code=loc.code), 303)


def _people():
    return db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()


def _holder_id(f) -> int | None:
    raw = (f.get("holder_id") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid("Choose who drives the van from the list.", field="holder_id")
    return int(raw)


def _int(raw) -> int:
    text = str(raw or "").strip()
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        raise Invalid("The walking order is a whole number.", field="walk_order") from None


def _location_or_404(code: str) -> Location:
    loc = queries.by_code(db.session, code)
    if loc is None:
        abort(404, f"No location with code {code.upper()}.")
    return loc


@bp.get("/<code>")
@roles(ANYONE)
def show(code: str):
    loc = _location_or_404(code)
    children = db.session.scalars(select(Location).where(Location.parent_id == loc.id)
                                  .order_by(Location.walk_order, Location.code)).all()
    # Each panel is a rendered (autoescaped) template of its feature.
    panels = [Markup(panel(loc, current_user))  # noqa: S704
              for panel in current_app.extensions.get("storekeeper_location_panels", [])]
    return render_template("locations/show.html", loc=loc, children=children, panels=panels,
                           manager=current_user.role in MANAGERS)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@roles(MANAGERS)
def edit(code: str):
    loc = _location_or_404(code)
    if request.method == "GET":
        return render_template("locations/edit.html", loc=loc, people=_people(),
                               form={"name": loc.name, "walk_order": loc.walk_order, "holder_id": loc.holder_id})
    f = request.form
    try:
        holder = _holder_id(f) if "holder_id" in f else services.KEEP
        services.update_location(code=loc.code, name=f.get("name"), walk_order=f.get("walk_order"), holder_id=holder,
                                 uow=UnitOfWork())
    except DomainError as err:
        return render_template("locations/edit.html", loc=loc, form=f, people=_people(), error=err), err.status
    flash(f"Location {loc.code} saved.")
    return redirect(url_for("locations.show", code=loc.code), 303)


@bp.post("/<code>/active")
@roles(MANAGERS)
def set_active(code: str):
    loc = _location_or_404(code)
    active = request.form.get("active") == "1"
    services.set_location_active(code=loc.code, active=active, uow=UnitOfWork())  # refused: the 409 error page
    flash(f"{loc.code} is {'active again' if active else 'deactivated'}.")
    return redirect(url_for("locations.show", code=loc.code), 303)
