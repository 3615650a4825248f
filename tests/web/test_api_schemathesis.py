"""Schemathesis drives every documented API operation with generated input, in-process: no 5xx, and every
response matches the OpenAPI document (status, content type, body schema).

Its pytest plugin does not run under pytest 9 here, so each operation's Schemathesis strategy is driven by
Hypothesis directly — the same generation and the same checks. Two things make the run reach past "404 unknown":
a small stockroom is seeded first (items with stock, a lot-tracked item, bins, an allocated order, loaners, a
technician), and two in three generated requests have their SKUs, location codes, tags, emails, quantities and
dates swapped for seeded ones, so receipts, picks, check-outs and bookings really happen. Each operation runs as an
administrator and again as the least privileged role it admits. Generation is derandomized: the same examples on
every run, so the run cannot be flaky; it takes about 15 s on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import contextvars
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.api.openapi import OPERATIONS
from app.api.services import create_token
from app.assets import services as assets
from app.stock import orders
from app.uow import UnitOfWork
from tests.asset_helpers import a_model, an_asset, sid

LEAST_FIRST = ("staff", "technician", "manager")  # the non-admin role an operation is also run as


def _headers(user) -> dict:
    return {"Authorization": f"Bearer {create_token(user_id=user.id, name='fuzz', uow=UnitOfWork()).token}"}


@pytest.fixture
def seeded(warehouse, make_item, put_stock, make_user):
    """A small stockroom, and the names in it the generated requests are steered towards."""
    for sku in ("FZ-BOLT", "FZ-NUT"):
        item = make_item(sku)
        put_stock(item, "A-01", 50, cost="0.40")
        put_stock(item, "WH-DOCK", 20, cost="0.50")
    lot_item = make_item("FZ-LOT", tracking="lot")
    put_stock(lot_item, "A-02", 30, lot="L1")
    orders.create_order(customer="Fuzz Ltd", lines=[("FZ-BOLT", 10), ("FZ-LOT", 5)], number="SO-FZ1",
                        actor_id=warehouse.manager_id, uow=UnitOfWork())
    orders.allocate(number="SO-FZ1", uow=UnitOfWork())
    model = a_model()
    for tag in ("FZ-0001", "FZ-0002"):
        an_asset(tag, model=model, pool="loaner")
    an_asset("FZ-DEMO", model=model, pool="demo")
    tech = make_user("technician")
    assets.check_out(tags=["FZ-0002"], due_on=date.today() + timedelta(days=7), borrower_id=tech.id,
                     actor_id=tech.id, scan_id=sid(), uow=UnitOfWork())  # so that a check-in can succeed
    users = {role: make_user(role) for role in ("staff", "technician", "manager", "admin")}
    return {
        "users": users,
        "sku": ["FZ-BOLT", "FZ-NUT", "FZ-LOT"],
        "location": ["A-01", "A-02", "WH-DOCK", "A-03"],
        "tag": ["FZ-0001", "FZ-0002", "FZ-DEMO"],
        "email": [tech.email, users["technician"].email],
        "order": ["SO-FZ1"],
        "parent": ["WH", "WH-A"],
        "model_id": [model.id],
    }


_fresh_keys = itertools.count(1)


def _steer(case, names: dict, data) -> None:
    """Swap generated values for seeded names, keeping the request as valid as it was (the schema's keys, the same
    types), and give a write a key of its own (generated keys repeat, and a repeat is only a replay or a 422)."""
    def pick(values):
        return data.draw(st.sampled_from(values))

    for key in ("sku", "tag"):
        if key in (case.path_parameters or {}):
            case.path_parameters[key] = pick(names[key])
    if case.method.upper() != "GET" and case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = f"fuzz-key-{next(_fresh_keys):06d}"
    for params in (case.query, case.body):
        if not isinstance(params, dict):
            continue
        for key in list(params):
            if key in ("tag", "order", "model_id"):
                params[key] = pick(names[key])
            elif key == "sku":
                params[key] = pick(names[key])
                # The lot-tracked item needs its lot, the others must not be given one.
                if params[key] == "FZ-LOT":
                    params["lot"] = "L1"
                elif "lot" in params and case.path.startswith("/api/v1/stock/"):
                    del params["lot"]
            elif key in ("location", "from_location", "to_location"):
                params[key] = pick(names["location"])
            elif key == "parent":
                params[key] = pick(names["parent"])
            elif key in ("assignee", "holder"):
                params[key] = pick(names["email"] + ["Fuzz Ltd"]) if key == "assignee" else pick(names["email"])
            elif key in ("quantity", "counted") and not isinstance(params[key], list):
                params[key] = pick([1, 2, 5])
            elif key == "due":
                params[key] = (date.today() + timedelta(days=pick([0, 3, 30]))).isoformat()
            elif key == "starts_at":
                start = datetime.now(UTC) + timedelta(days=pick([1, 2, 10]))
                params["starts_at"] = start.isoformat()
                params["ends_at"] = (start + timedelta(hours=pick([2, 30]))).isoformat()
            elif key == "parts" and isinstance(params[key], list):
                params[key] = [{"sku": pick(names["sku"][:2]), "location": "A-01", "quantity": 1}
                               for _ in params[key][:2]]


def _roles_of(method: str, path: str) -> frozenset:
    return next(op.roles for op in OPERATIONS if op.method == method.lower() and op.path == path)


def _fuzz(operation, headers: dict, examples: int, names: dict) -> None:
    @given(case=operation.as_strategy(), steer=st.sampled_from([True, True, False]), data=st.data())
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)
    def exercise(case, steer, data):
        if steer:
            _steer(case, names, data)
        # Every check but "schema-valid data must be accepted": our business rules (a bin needs a parent, a code
        # must be free, stock must be there) refuse some schema-valid requests with a documented 404/409/422.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    # A fresh context per run, as on a server: Flask would otherwise reuse the test's app context (and the user
    # Flask-Login cached on g) for these in-process calls.
    contextvars.Context().run(exercise)


def test_api_operations_never_fail_with_5xx_and_always_match_the_document(app, seeded):
    tokens = {role: _headers(user) for role, user in seeded["users"].items()}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=tokens["admin"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        roles = _roles_of(operation.method, operation.path)
        _fuzz(operation, tokens["admin"], 25, seeded)
        least = next((role for role in LEAST_FIRST if role in roles), None)
        if least is not None:
            _fuzz(operation, tokens[least], 10, seeded)
