"""Shared extension objects, bound to an app in create_app."""

from __future__ import annotations

from flask_htmx import HTMX
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, String, event, inspect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Session as OrmSession

from .errors import Invalid

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


@event.listens_for(OrmSession, "before_flush")
def _refuse_text_longer_than_its_column(session, _flush_context, _instances) -> None:
    """Text longer than its column is refused with the limit before the database sees it: PostgreSQL fails the whole
    write with an error (a bare 500), SQLite keeps the text whole, so the same input behaved differently on each.
    Services check the fields people fill in where they can say more; this is the net under every ORM write (found
    by tests/web/test_hostile_forms.py: an asset's serial, supplier or PO reference, a contract's reference, a
    licence's vendor, a purchase order's number, a configuration line). Only values the session holds are looked
    at: nothing is loaded for it."""
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for key, name, limit in _text_limits(type(obj)):
            value = state.dict.get(key)
            if not isinstance(value, str) or len(value) <= limit:
                continue
            # A changed row is judged on what changes: text kept long from before (SQLite keeps it) does not stop
            # an edit of something else.
            if state.pending or state.transient or state.attrs[key].history.has_changes():
                raise Invalid(f"The {name.replace('_', ' ')} is at most {limit} characters ({len(value)} given).",
                              field=name)


_LIMITS: dict[type, tuple[tuple[str, str, int], ...]] = {}


def _text_limits(cls: type) -> tuple[tuple[str, str, int], ...]:
    """(attribute, column name, length) of each length-limited text column of a mapped class, worked out once."""
    limits = _LIMITS.get(cls)
    if limits is None:
        limits = _LIMITS[cls] = tuple(
            (attr.key, column.name, column.type.length)
            for attr in inspect(cls).column_attrs for column in attr.columns[:1]
            if isinstance(column.type, String) and column.type.length)
    return limits


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
