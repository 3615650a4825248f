"""Shared extension objects, bound to an app in create_app."""

from __future__ import annotations

from flask_htmx import HTMX
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Session(FlaskSession):
    """The app's session. On SQLite its reads run outside a transaction (see db_setup): it connects through a view
    of the engine that asks for no BEGIN, and a unit of work begins BEGIN IMMEDIATE itself. Anything else that uses
    the engine (migrations, scripts, tests) gets a real transaction as before."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None:
            engines = self._db.engines
            if len(engines) == 1 and None in engines:  # one database and no binds: every model is in it
                return _reading(engines[None])
        return _reading(super().get_bind(mapper, clause, bind, **kwargs))


@event.listens_for(Session, "before_flush")
def _refuse_changes_outside_a_unit_of_work(session, _flush_context, _instances) -> None:
    """Every change goes through a service's unit of work (app/uow.py). One flushed outside it would be committed on
    the spot on SQLite (the session reads without a transaction there) and silently dropped on PostgreSQL: refused
    on both instead."""
    if (session.new or session.dirty or session.deleted) and not session.info.get("writing"):
        raise RuntimeError("A change outside a unit of work: write through a service (app/uow.py).")


def _reading(bind):
    """The engine's view without BEGIN, made once and kept on the engine itself (it lives as long as the engine)."""
    if getattr(bind, "dialect", None) is None or bind.dialect.name != "sqlite" or not hasattr(bind, "url"):
        return bind  # PostgreSQL, or a Connection a test bound the session to
    view = bind.__dict__.get("_storekeeper_reading")
    if view is None:  # two threads at a worker's first request: both get the view that was stored first
        view = bind.__dict__.setdefault("_storekeeper_reading", bind.execution_options(sqlite_begin=None))
    return view


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
