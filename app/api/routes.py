"""JSON API under /api/v1 and the profile page where people make and revoke their API tokens."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from ..auth.roles import ANYONE, MANAGERS
from ..extensions import db
from ..locations import services as location_services
from ..locations.models import Location
from ..scanning import services as scanning_services
from ..uow import UnitOfWork
from ..web import menu
from ..web.guards import roles
from . import paging, schemas
from . import services as token_services
from .openapi import build_spec, operation, write_uow

bp = Blueprint("api", __name__, url_prefix="/api/v1")
profile_bp = Blueprint("profile", __name__, url_prefix="/profile")


def add_menu(app) -> None:
    menu.add(app, menu.MenuEntry("more", "Profile and API tokens", "profile.index", ANYONE, "Tokens for integrations", 95))


@bp.get("/openapi.json")
@roles(ANYONE)
def openapi():
    return jsonify(build_spec(server_url=request.host_url.rstrip("/")))


@operation(bp, "/me", "GET", summary="Who the token belongs to", roles=ANYONE, tag="auth", response=schemas.Me)
def me():
    return schemas.Me(id=current_user.id, email=current_user.email, name=current_user.name, role=current_user.role)


@operation(bp, "/scan", "POST", summary="What a scanned code is", roles=ANYONE, tag="scanning",
           body=schemas.ScanIn, response=schemas.ScanOut, errors=(404,))
def scan(body: schemas.ScanIn):
    if request.headers.get("Idempotency-Key"):
        # Only a read, but a key promises what it promises on every POST: the same answer again for the same body,
        # 422 for another body. So the key is recorded (with this answer) like a write's.
        with write_uow("scan") as uow:
            res = scanning_services.resolve(uow.session, body.code, user=current_user, symbology=body.format)
            uow.commit()
    else:
        res = scanning_services.resolve(db.session, body.code, user=current_user, symbology=body.format)
    return schemas.ScanOut(
        kind=res.kind, code=res.code, title=res.title, target_id=res.target_id, pack_quantity=res.pack_qty,
        gs1=schemas.Gs1Fields(**(res.parsed.fields() if res.parsed else {})),
        facts=dict(res.facts), warnings=res.warnings,
    )


def _location_out(loc: Location) -> schemas.LocationOut:
    return schemas.LocationOut(code=loc.code, name=loc.name, kind=loc.kind, walk_order=loc.walk_order,
                               active=loc.active, parent=loc.parent.code if loc.parent else None)


@operation(bp, "/locations", "GET", summary="List locations", roles=ANYONE, tag="locations",
           query=schemas.LocationQuery, response=schemas.LocationList)
def list_locations(query: schemas.LocationQuery):
    stmt = select(Location).where(Location.active)
    if query.kind:
        stmt = stmt.where(Location.kind == query.kind)
    if query.q:
        like = f"%{query.q.upper()}%"
        stmt = stmt.where(or_(Location.code.like(like), Location.name.ilike(f"%{query.q}%")))
    stmt = paging.after(stmt, (Location.walk_order, Location.code), query.after, (int, str))
    found, next_cursor = paging.cut(list(db.session.scalars(stmt.limit(query.limit + 1))), query.limit,
                                    lambda loc: (loc.walk_order, loc.code))
    return schemas.LocationList(items=[_location_out(loc) for loc in found], next=next_cursor)


@operation(bp, "/locations", "POST", summary="Create a location", roles=MANAGERS, tag="locations",
           body=schemas.LocationIn, response=schemas.LocationOut, status=201, errors=(404, 409))
def create_location(body: schemas.LocationIn):
    loc = location_services.create_location(
        code=body.code, name=body.name, kind=body.kind, parent_code=body.parent, walk_order=body.walk_order,
        uow=write_uow("locations.create"),
    )
    return _location_out(loc)


@profile_bp.get("/")
@roles(ANYONE)
def index():
    return render_template("api/profile.html", tokens=token_services.tokens_of(db.session, current_user.id))


@profile_bp.post("/tokens")
@roles(ANYONE)
def create_token():
    issued = token_services.create_token(user_id=current_user.id, name=request.form.get("name", ""), uow=UnitOfWork())
    # Shown once, on this response only; it is not stored anywhere we could show it again.
    return render_template("api/profile.html", issued=issued,
                           tokens=token_services.tokens_of(db.session, current_user.id))


@profile_bp.post("/tokens/<int:token_id>/revoke")
@roles(ANYONE)
def revoke_token(token_id: int):
    token_services.revoke_token(token_id=token_id, user_id=current_user.id, uow=UnitOfWork())
    return redirect(url_for("profile.index"), 303)


# The operations live in their own modules; importing them registers them on `bp` (and in the OpenAPI document).
from . import equipment, inventory  # noqa: E402, F401
