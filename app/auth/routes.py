from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..errors import DomainError, Invalid, NotFound
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
    menu.add(app, menu.MenuEntry("more", "Change my password", "auth.password", ANYONE,
                                 "Signs out your other phones and browsers", 96))


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
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
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


@bp.route("/account/password", methods=["GET", "POST"])
@roles(ANYONE)
def password():
    if request.method == "GET":
        return render_template("auth/password.html")
    f = request.form
    try:
        user = services.change_own_password(
            user_id=current_user.id,
            current=f.get("current_password", ""),
            new=f.get("new_password", ""),
            repeat=f.get("new_password2", ""),
            client=request.remote_addr or "unknown",
            throttle=_throttle(),
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            uow=UnitOfWork(),
        )
    except DomainError as err:
        headers = {"Retry-After": str(err.details.get("retry_after", 60))} if err.code == "throttled" else {}
        resp = render_panel("auth/password.html", "auth/_password.html", status=err.status, error=err)
        resp.headers.update(headers)
        return resp
    # The session version moved on, which ends every session of this person — this one too. Start a fresh
    # session for this phone only, as at sign-in.
    session.clear()
    login_user(user)
    session.permanent = True
    flash("Your password is changed. Your other sessions are signed out.")
    return redirect(url_for("profile.index") if "profile.index" in current_app.view_functions
                    else url_for("web.more"), 303)


def _users_page(status: int = 200, **context):
    people = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render_panel("admin/users.html", "admin/_users.html", status=status,
                        people=people, roles=ROLES, role_labels=ROLE_LABELS, **context)


@admin_bp.get("/users")
@roles(ADMINS)
def users():
    return _users_page()


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
        return _users_page(err.status, error=err, form=f)
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
    f = request.form
    try:
        if "password2" in f and f.get("password2", "") != f.get("password", ""):
            raise Invalid("The two passwords differ; type the same new password twice.", field="password2")
        user = services.set_password(
            user_id=user_id,
            password=f.get("password", ""),
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            uow=UnitOfWork(),
        )
    except NotFound:
        raise
    except DomainError as err:
        return _users_page(err.status, card_error=err, card_id=user_id)
    if user.id == current_user.id:
        # An admin who sets their own password here keeps this session, renewed, as on "Change my password".
        session.clear()
        login_user(user)
        session.permanent = True
        flash("Your new password is set; your other sessions were signed out.")
        return redirect(url_for("admin.users"), 303)
    flash(f"New password set for {user.name}; all their sessions were signed out.")
    return redirect(url_for("admin.users"), 303)


@admin_bp.post("/users/<int:user_id>/details")
@roles(ADMINS)
def edit_user(user_id: int):
    f = request.form
    try:
        user = services.update_details(user_id=user_id, name=f.get("name", ""), email=f.get("email", ""),
                                       uow=UnitOfWork())
    except NotFound:
        raise
    except DomainError as err:
        return _users_page(err.status, card_error=err, card_id=user_id, card_form=f)
    flash(f"Saved {user.name} ({user.email}).")
    return redirect(url_for("admin.users"), 303)
