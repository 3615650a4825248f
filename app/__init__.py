"""Storekeeper: create_app wires the extensions, blueprints and hooks. Nothing happens at import time."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, request
from sqlalchemy import inspect
from werkzeug.middleware.proxy_fix import ProxyFix
from whitenoise import WhiteNoise

from .config import ROOT, Config, instance_dir, load
from .extensions import csrf, db, htmx, login_manager

YEAR = 365 * 24 * 3600


def create_app(config: str | Config | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(instance_dir()),
    )
    overrides = {}
    if isinstance(config, dict):
        overrides = config
        config = overrides.pop("STOREKEEPER_ENV", None)
    cfg = config if isinstance(config, Config) else load(config)
    app.config.from_object(cfg)
    app.config.update(overrides)

    db.init_app(app)
    _init_migrations(app)
    csrf.init_app(app)
    htmx.init_app(app)
    _init_login(app)

    from .db_setup import configure_engine

    with app.app_context():
        configure_engine(db.engine)

    _register_features(app)
    _register_hooks(app)

    from .cli import register as register_cli

    register_cli(app)

    _wrap_wsgi(app)
    return app


def _init_migrations(app: Flask) -> None:
    """Flask-Migrate for the `flask db` commands and the tests. A serving process (gunicorn) never migrates, and
    importing Flask-Migrate brings in Alembic: 11 MB in every worker."""
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true" and not app.testing:
        return
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True)


def _register_features(app: Flask) -> None:
    # Importing the models of every feature here makes the metadata complete for migrations and create_all.
    from . import features

    features.register_all(app)


def _init_login(app: Flask) -> None:
    from flask import jsonify, redirect, url_for

    from .auth.models import User

    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.login_view = "auth.login"

    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import make_transient_to_detached

    from .types import MAX_ROW_ID

    users = User.__table__
    signed_in = select(*users.c).where(users.c.id == bindparam("user_id"))

    @login_manager.user_loader
    def load_user(token: str):
        try:
            user_id, version = (int(part) for part in token.split(":", 1))
        except ValueError:
            return None
        if not 0 < user_id <= MAX_ROW_ID:
            return None
        # A plain row, made into a detached User: this runs on every request, and loading through the session's
        # identity map cost a third more (0.3 against 0.2 ms on PostgreSQL).
        row = db.session.connection().execute(signed_in, {"user_id": user_id}).first()
        if row is None or not row.active or row.session_version != version:
            return None  # deactivated, or signed out everywhere by a role/password change
        user = User(**row._mapping)
        make_transient_to_detached(user)  # as if loaded: nothing of it is pending for any session
        return user

    @login_manager.request_loader
    def load_user_from_token(_request):
        from .api.services import user_for_token
        from .web.security import bearer_token

        token = bearer_token()
        user = user_for_token(db.session, token) if token else None
        return _detached(user) if user is not None else None

    @login_manager.unauthorized_handler
    def unauthorized():
        from .web.errors import wants_json
        from .web.security import safe_next

        if wants_json():
            resp = jsonify(type="about:blank", title="Sign in needed", status=401, detail="Sign in or send a token.")
            resp.status_code = 401
            resp.mimetype = "application/problem+json"
            return resp
        target = url_for("auth.login", next=safe_next(request.full_path.rstrip("?"), "/"))
        if request.headers.get("HX-Request"):
            resp = app.response_class(status=401)
            resp.headers["HX-Redirect"] = target
            return resp
        return redirect(target)


def _detached(user):
    """The signed-in person, loaded once per request and kept out of the session: every unit of work ends the
    request's transaction (and expires what it loaded), and the page rendered after a scan would otherwise load the
    person again just to show their name and role. The User model has no relationships to load lazily; services
    take `user.id` / `user.role`, and load a User themselves where they change one."""
    if inspect(user).session is not None:
        db.session.expunge(user)
    return user


def _register_hooks(app: Flask) -> None:
    from flask_login import current_user

    from .web import menu
    from .web.assets import static_url
    from .web.guards import enforce_audience
    from .web.nav import bottom_nav, nav_url
    from .web.scan_actions import new_scan_id
    from .web.security import apply_headers, check_csrf, csrf_token, refuse_nul_bytes

    app.before_request(refuse_nul_bytes)
    app.before_request(check_csrf)
    app.before_request(enforce_audience)

    @app.after_request
    def _headers(resp):
        return apply_headers(resp, secure=app.config.get("SESSION_COOKIE_SECURE", False))

    @app.teardown_request
    def _forget(_exc):
        g.pop("scan_source", None)

    @app.teardown_appcontext
    def _release_session(_exc):
        # Runs before Flask-SQLAlchemy's own teardown (registered earlier). When the database went away mid-request
        # (a restart), the rollback on close raises after the answer was made; that must not turn the answer (or the
        # 503 already chosen) into a bare 500. The broken connection is invalidated and the session dropped.
        try:
            db.session.remove()
        except Exception:  # noqa: BLE001 - the connection is gone; nothing was committed by this close
            app.logger.warning("closing the database session failed; connection discarded", exc_info=True)
            try:
                db.session.registry().invalidate()  # never hand a half-closed connection back to the pool
            except Exception:  # noqa: BLE001
                app.logger.warning("invalidating the connection failed", exc_info=True)
            db.session.registry.clear()

    @app.context_processor
    def _globals():
        user = current_user if current_user.is_authenticated else None
        return {
            "static_url": static_url,
            # Flask-WTF's csrf_token signs a token for every page; this one reuses it a while (web/security.py).
            "csrf_token": csrf_token,
            "new_scan_id": new_scan_id,
            "bottom_nav": bottom_nav(user) if user else [],
            "nav_url": nav_url,
            "menu_entries": (lambda section: menu.entries(app, section, user.role)) if user else (lambda s: []),
            "app_env": app.config.get("ENV_NAME"),
        }

    from .web import errors

    errors.register(app)


def _wrap_wsgi(app: Flask) -> None:
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    def static_headers(headers, path, url):
        headers["X-Content-Type-Options"] = "nosniff"
        if url.endswith("/sw.js"):
            headers["Cache-Control"] = "no-cache"

    from .web.assets import refresh_compressed

    refresh_compressed(Path(app.static_folder))
    # WhiteNoise serves /static with far-future caching (every URL carries ?v=<hash>) and pre-compressed .gz files.
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(Path(app.static_folder)),
        prefix="static/",
        max_age=YEAR,
        add_headers_function=static_headers,
    )
