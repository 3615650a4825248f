"""Fixtures shared by every test layer.

The database is SQLite (a temporary file, WAL) unless TEST_DATABASE_URL names another — CI runs the whole suite
a second time on PostgreSQL that way. The schema is built once per run; after each test every table is emptied,
so tests may commit freely (services commit, and concurrency tests need real commits).
"""

from __future__ import annotations

import contextvars
import os
import re
import threading
from collections.abc import Callable

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.dashboard import cache as tile_cache
from app.extensions import db
from app.uow import UnitOfWork

# Stock fixtures (warehouse, make_item, put_stock, who) for every layer that needs items with stock.
pytest_plugins = ["tests.stock_fixtures"]

ROLES = ("staff", "technician", "manager", "admin")
PASSWORD = "correct-horse-battery"  # noqa: S105 - test fixture


class Client(FlaskClient):
    """A test client that behaves like the browser: it carries the CSRF token the page gave it."""

    _token: str | None = None

    def csrf_token(self) -> str:
        if self._token is None:
            page = super().get("/login", follow_redirects=True)
            match = re.search(rb'name="csrf-token" content="([^"]+)"', page.data)
            assert match, "no CSRF token on the login page"
            self._token = match.group(1).decode()
        return self._token

    def forget_csrf(self) -> None:
        self._token = None

    def open(self, *args, **kwargs):
        # Each request gets its own app context, g and database session, as on a real server — not the one the
        # test holds open (Flask would otherwise reuse it and share g and the session between requests).
        resp = contextvars.Context().run(super().open, *args, **kwargs)
        # The test's own session may hold a read snapshot from before the request (SQLite WAL keeps it until the
        # transaction ends); end it so what the test reads next includes what the request wrote.
        if has_app_context():
            db.session.rollback()
        return resp

    def post(self, *args, csrf: bool = True, htmx: bool = False, **kwargs):
        return self._send("post", args, csrf, htmx, kwargs)

    def put(self, *args, csrf: bool = True, htmx: bool = False, **kwargs):
        return self._send("put", args, csrf, htmx, kwargs)

    def patch(self, *args, csrf: bool = True, htmx: bool = False, **kwargs):
        return self._send("patch", args, csrf, htmx, kwargs)

    def delete(self, *args, csrf: bool = True, htmx: bool = False, **kwargs):
        return self._send("delete", args, csrf, htmx, kwargs)

    def hx_get(self, *args, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        headers.setdefault("HX-Request", "true")
        return super().get(*args, headers=headers, **kwargs)

    def _send(self, method, args, csrf, htmx, kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        if csrf:
            headers.setdefault("X-CSRFToken", self.csrf_token())
        if htmx:
            headers.setdefault("HX-Request", "true")
        return getattr(super(), method)(*args, headers=headers, **kwargs)


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app({"STOREKEEPER_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    app.test_client_class = Client
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def empty_all_tables() -> None:
    """Empty every table between tests, the append-only ledger and asset history included (app/append_only.py)."""
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        dialect = conn.dialect.name
        triggers = []
        if dialect == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # no triggers: the test database's owner
        else:  # SQLite cannot switch triggers off: they are dropped and made again as they were
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _ in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        # DELETE, children first: a test leaves a few rows, and TRUNCATE of 42 tables cost PostgreSQL 64 ms a
        # test against 4 ms (a minute of every PostgreSQL run).
        for t in tables:
            conn.execute(text(f'DELETE FROM "{t}"'))  # noqa: S608 - table names come from our metadata
        if dialect == "postgresql":
            # Ids start at 1 again in every test, as SQLite's do once its tables are empty.
            conn.execute(text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))
        for _, sql in triggers:
            conn.execute(text(sql))


@pytest.fixture(autouse=True)
def _clean_database(request, app):
    ctx = app.app_context()
    ctx.push()
    yield
    empty_all_tables()
    tile_cache.clear()  # a process-wide cache of rendered tiles (app/dashboard/cache.py) must not outlive a test
    ctx.pop()


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def uow() -> UnitOfWork:
    return UnitOfWork()


@pytest.fixture
def make_user(app) -> Callable:
    """make_user(role, email=None, password=PASSWORD) → User, created through the service as an admin would."""
    from app.auth.services import create_user

    counter = {"n": 0}

    def make(role: str = "staff", email: str | None = None, password: str = PASSWORD, name: str | None = None):
        counter["n"] += 1
        email = email or f"{role}{counter['n']}@example.test"
        return create_user(
            email=email,
            name=name or f"{role.title()} {counter['n']}",
            role=role,
            password=password,
            hash_method=app.config["PASSWORD_HASH_METHOD"],
            uow=UnitOfWork(),
        )

    return make


def sign_in(client: Client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password}, follow_redirects=False)


@pytest.fixture
def login(app, make_user) -> Callable[[str], Client]:
    """login(role) → a fresh client signed in as a new user of that role (the user is client.user)."""

    def do(role: str) -> Client:
        user = make_user(role)
        c = app.test_client()
        resp = sign_in(c, user.email)
        assert resp.status_code == 303, resp.data
        c.forget_csrf()  # the session was renewed at sign-in; so was the token
        c.user = user
        return c

    return do


@pytest.fixture
def staff(login) -> Client:
    """A client signed in as floor staff."""
    return login("staff")


@pytest.fixture
def manager(login) -> Client:
    """A client signed in as a manager (a test may define its own `manager`, e.g. an API token)."""
    return login("manager")


@pytest.fixture(params=ROLES)
def any_role_client(request, login) -> Client:
    return login(request.param)


def run_concurrently(app, n: int, work: Callable[[int], object]) -> list:
    """Run work(i) for i in range(n) on n threads at once, each with its own app context and session.

    Returns each call's result or the exception it raised, in order.
    """
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def runner(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = work(i)
            except Exception as err:  # noqa: BLE001 - the caller inspects what each worker met
                results[i] = err
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.fixture
def concurrently(app):
    return lambda n, work: run_concurrently(app, n, work)


@pytest.fixture
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def token_for(make_user):
    """token_for(role) → the Authorization header of a new API token of a new user of that role (or of `user`)."""
    from app.api.services import create_token

    def make(role: str, user=None) -> dict:
        user = user or make_user(role)
        return {"Authorization": f"Bearer {create_token(user_id=user.id, name='t', uow=UnitOfWork()).token}"}

    return make
