from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..errors import DomainError
from ..extensions import db
from ..uow import UnitOfWork
from ..web import menu
from ..web.guards import public, roles
from ..web.htmx import render_panel
from ..web.security import safe_next
from . import services
from .models import User
from .roles import ADMINS, ANYONE, ROLE_LABELS, ROLES
from .rules import Throttle

bp = Blueprint("auth", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def add_menu(app) -> None:
    menu.add(app, menu.MenuEntry("more", "Users", "admin.users", ADMINS, "Add, deactivate and change users", 90))


def _throttle() -> Throttle:
    c = current_app.config
    return Throttle(c["LOGIN_WINDOW_SECONDS"], c["LOGIN_MAX_FAILURES_PER_ACCOUNT"], c["LOGIN_MAX_FAILURES_PER_CLIENT"])


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    next_url = safe_next(request.values.get("next"), url_for("web.home"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(next_url)
        return render_template("auth/login.html", next=next_url, email="")
    email = request.form.get("email", "")
    try:
        user = services.authenticate(
            email=email,
            password=request.form.get("password", ""),
            client=request.remote_addr or "unknown",
            throttle=_throttle(),
            uow=UnitOfWork(),
        )
    except DomainError as err:
        resp = render_template("auth/login.html", next=next_url, email=email, error=err.message), err.status
        if err.code == "throttled":
            return resp[0], resp[1], {"Retry-After": str(err.details.get("retry_after", 60))}
        return resp
    # A new session at sign-in: nothing an attacker planted in the old cookie survives (session fixation).
    session.clear()
    login_user(user)
    session.permanent = True
    return redirect(next_url, 303)


@bp.post("/logout")
@roles(ANYONE)
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"), 303)


@admin_bp.get("/users")
@roles(ADMINS)
def users():
    people = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render_template("admin/users.html", people=people, roles=ROLES, role_labels=ROLE_LABELS)


@admin_bp.post("/users")
@roles(ADMINS)
def create_user():
    f = request.form
    try:
        user = services.create_user(
            email=f.get("email", ""),
            name=f.get("name", ""),
            role=f.get("role", ""),
            password=f.get("password", ""),
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            uow=UnitOfWork(),
        )
    except DomainError as err:
        people = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
        return render_panel(
            "admin/users.html", "admin/_users.html", status=err.status,
            people=people, roles=ROLES, role_labels=ROLE_LABELS, error=err, form=f,
        )
    flash(f"Added {user.name} ({user.role_label}).")
    return redirect(url_for("admin.users"), 303)


@admin_bp.post("/users/<int:user_id>/active")
@roles(ADMINS)
def set_active(user_id: int):
    active = request.form.get("active") == "1"
    user = services.set_active(user_id=user_id, active=active, actor_id=current_user.id, uow=UnitOfWork())
    flash(f"{user.name} is now {'active' if user.active else 'deactivated'}.")
    return redirect(url_for("admin.users"), 303)


@admin_bp.post("/users/<int:user_id>/role")
@roles(ADMINS)
def change_role(user_id: int):
    user = services.change_role(
        user_id=user_id, role=request.form.get("role", ""), actor_id=current_user.id, uow=UnitOfWork()
    )
    flash(f"{user.name} is now {user.role_label}.")
    return redirect(url_for("admin.users"), 303)


@admin_bp.post("/users/<int:user_id>/password")
@roles(ADMINS)
def set_password(user_id: int):
    user = services.set_password(
        user_id=user_id,
        password=request.form.get("password", ""),
        hash_method=current_app.config["PASSWORD_HASH_METHOD"],
        uow=UnitOfWork(),
    )
    flash(f"New password set for {user.name}; their other sessions were signed out.")
    return redirect(url_for("admin.users"), 303)
