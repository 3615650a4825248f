"""Every form route of the web app, posted with hostile values in every field a page can send: never a 5xx — a bad
input gets a 4xx with its reason — and nothing half-written (the ledger and the balances still reconcile). The
routes come from app.url_map and the field names from the templates, so a new form is covered without a word here.

The API has its own generated-input proof (test_api_schemathesis.py); signing in and out are tested in test_auth.py.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from app.extensions import db
from app.stock import queries
from app.stock.orders import create_order
from app.stock.purchasing import create_po
from app.uow import UnitOfWork
from tests.asset_helpers import a_model, an_asset
from tests.conftest import PASSWORD, sign_in
from tests.support.pages import every_page

HOSTILE = [
    "", "   ", "0", "-1", "-0.001", "1e309", "NaN", "Infinity", "99999999999999999999999999", "١٢٣",
    "2026-02-30", "0000-00-00", "9999-12-31T25:61:00", "x" * 5000, "<script>alert(1)</script>", "' OR '1'='1",
    "\u202eevil", "🙂" * 50, "null", "[1, 2]", "a\r\nb", "%00", "../../etc/passwd", "\x1d0104006381333931",
]
# One hostile value of each kind, for the pass that spoils one field of a real form at a time.
SPOILERS = ["", "-1", "1e309", "99999999999999999999999999", "2026-02-30", "x" * 5000, "<script>alert(1)</script>",
            "١٢٣"]
SKIP = {"auth.login", "auth.logout", "static"}  # signing in and out: test_auth.py and test_security*.py


def _field_names(app) -> list[str]:
    names: set[str] = set()
    for path in Path(app.root_path, "..", "templates").resolve().rglob("*.html"):
        names |= set(re.findall(r'\bname="([A-Za-z_][A-Za-z0-9_]*)"', path.read_text()))
    return sorted(names - {"csrf_token"})


def _stockroom(make_item, put_stock, warehouse) -> dict[str, list]:
    """One of everything a form route can name in its URL, so the hostile fields reach the code behind it."""
    item = make_item("FZ-1", case=6)
    put_stock(item, "A-01", 40, cost="2.00")
    lotted = make_item("FZ-LOT", tracking="lot")
    put_stock(lotted, "A-02", 10, cost="1.00", lot="L-1")
    po = create_po(supplier="Fuzz Supplies", lines=[("FZ-1", 5, "2.00")], actor_id=warehouse.manager_id,
                   uow=UnitOfWork())
    order = create_order(customer="Fuzz Customer", lines=[("FZ-1", 2)], actor_id=warehouse.manager_id,
                         uow=UnitOfWork())
    from app.stock import counting

    count = counting.create_count(location_code="A-01", assigned_to=warehouse.staff_id,
                                  actor_id=warehouse.manager_id, uow=UnitOfWork())
    asset = an_asset("FZ-0001", model=a_model(), pool="demo")  # a demo unit: it goes out to customers too
    return {"sku": ["FZ-1"], "code": ["A-01", item.ean], "tag": ["FZ-0001"], "kind": ["items", "assets"],
            "number": [po.number, order.number, count.number], "model_id": [asset.model_id]}


def _urls(rule, things: dict[str, list]) -> list[str]:
    values: dict[str, object] = {}
    for name in rule.arguments:
        if name.endswith("_id"):
            values[name] = 1
        elif name == "number":  # the document the route's prefix says it is
            prefix = {"/stock/purchase-orders": "PO", "/stock/orders": "SO", "/stock/counts": "CNT"}
            values[name] = next((n for n in things["number"] for p, start in prefix.items()
                                 if rule.rule.startswith(p) and n.startswith(start)), things["number"][0])
        else:
            assert name in things, f"{rule.rule}: say which thing its <{name}> names"
            values[name] = things[name][0]
    urls = [rule.build(values, append_unknown=False)[1]]
    if any(name.endswith("_id") for name in rule.arguments):
        urls.append(rule.build({**values, **{n: 2**31 - 1 for n in rule.arguments if n.endswith("_id")}},
                               append_unknown=False)[1])
    return urls


def test_every_form_route_answers_hostile_input_with_a_4xx_never_a_5xx(app, make_user, make_item, put_stock,
                                                                         warehouse):
    things = _stockroom(make_item, put_stock, warehouse)
    fields = _field_names(app)
    assert len(fields) > 50, "the templates' field names were not found"
    rules = sorted((r for r in app.url_map.iter_rules() if {"POST", "PUT", "PATCH", "DELETE"} & r.methods
                    and not r.rule.startswith("/api/") and r.endpoint not in SKIP), key=lambda r: r.rule)
    assert len(rules) > 60
    broken, answered = [], 0
    for rule in rules:
        # A client of its own per route: a hostile password change or deactivation may end its session.
        admin = make_user("admin")
        c = app.test_client()
        assert sign_in(c, admin.email).status_code == 303
        c.forget_csrf()
        method = sorted({"POST", "PUT", "PATCH", "DELETE"} & rule.methods)[0].lower()
        for url in _urls(rule, things):
            for k, value in enumerate(HOSTILE):
                data = dict.fromkeys(fields, value)
                data["scan_id"] = uuid.uuid4().hex if k % 2 else value
                try:
                    resp = getattr(c, method)(url, data=data, htmx=bool(k % 3))
                except Exception as err:  # noqa: BLE001 - a raised error is a 500 to the person; listed below
                    broken.append((url, value[:20], repr(err)[:200]))
                    continue
                answered += 1
                body = resp.get_data(as_text=True)
                if resp.status_code >= 500:
                    broken.append((url, value[:20], resp.status_code, body[-200:]))
                elif resp.status_code == 401 or "/login" in resp.headers.get("Location", "") or (
                        resp.status_code == 400 and "security token" in body):
                    broken.append((url, value[:20], resp.status_code, "refused before the form was read"))
    print(f"\nhostile forms: {len(rules)} routes, {answered} requests, {len(fields)} field names each")
    assert not broken, "\n".join(f"{b[0]} {b[1]}: {b[2:]}"[:300] for b in broken)
    db.session.rollback()
    assert queries.verify(db.session) == []


class _Forms(HTMLParser):
    """The forms of a page that post: where to (hx-post or action) and their fields with the values the page put in
    (a search form, method GET, changes nothing)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._fields: dict[str, str] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("hx-post") or (a.get("method") or "").lower() == "post"):
            self._fields = {}
            self.forms.append((a.get("hx-post") or a.get("action"), self._fields))
        if self._fields is None or not a.get("name"):
            if tag == "option" and self._select and self._fields is not None:
                if "selected" in a or self._select not in self._fields:
                    self._fields[self._select] = a.get("value") or ""
            return
        name = a["name"]
        if tag == "input" and a.get("type") in ("checkbox", "radio") and "checked" not in a:
            return
        if tag == "button":  # the button pressed sends its name and value
            self._fields.setdefault(name, a.get("value") or "")
            return
        if tag == "input":
            self._fields[name] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self._fields[name] = ""
        elif tag == "select":
            self._select = name

    def handle_data(self, data):
        if self._textarea and self._fields is not None:
            self._fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def _valid(things: dict[str, list]) -> dict[str, str]:
    """What a person would type into the fields a page leaves empty, so a form gets past its first question."""
    soon = (date.today() + timedelta(days=7)).isoformat()
    return {
        "sku": "FZ-1", "scan": things["code"][1], "src": "A-01", "dst": "A-02", "location": "A-01",
        "location_code": "A-01", "bin": "A-01", "qty": "1", "quantity": "1", "counted": "1", "tag": "FZ-0001",
        "tags": "FZ-0001", "name": "Fuzz", "email": "fuzz@example.test", "password": "a long passphrase 4 fuzz",
        "new_password": "a long passphrase 4 fuzz", "current_password": PASSWORD, "due_on": soon, "starts_on": soon,
        "ends_on": soon, "starts_at": f"{soon}T09:00", "ends_at": f"{soon}T17:00", "expires_on": soon, "on": soon,
        "unit_cost": "1.00", "cost": "1.00", "standard_cost": "1.00", "proceeds": "0", "lines": "FZ-1 1",
        "customer": "Fuzz", "supplier": "Fuzz", "carrier": "Post", "tracking_number": "TRK1", "reference": "JOB-1",
        "findings": "ok", "note": "fuzz", "reason": "other", "kind": "inspection", "seats": "1", "hours": "10",
        "meter_hours": "10", "every_days": "30", "useful_life_months": "36", "title": "Check",
        "new_password2": "a long passphrase 4 fuzz", "password2": "a long passphrase 4 fuzz", "manufacturer": "Fuzz",
        "category": "Fuzz", "model_id": str(things["model_id"][0]), "new_tag": "FZ-0002", "salvage_value": "0",
    }


def _fresh(path: str, n: int) -> dict[str, str]:
    """Fields that must name something new on a form that creates it (a code, a SKU, a barcode)."""
    from tests.stock_fixtures import new_ean

    if path.endswith("/barcodes"):
        return {"code": new_ean()}
    if path.endswith("/new") or path in ("/assets/kits", "/assets/models", "/admin/users"):
        return {"code": f"FZ-N{n}", "sku": f"FZ-N{n}", "tag": f"FZ-N{n:04d}", "barcode": new_ean(),
                "email": f"fuzz{n}@example.test", "name": f"Fuzz {n}"}
    return {}


# Forms that end or take away what the others act on run last, in this order (a count is submitted before it is
# approved, an asset's tag replaced before it is disposed of): a disposed asset, a cancelled order or count, a
# detached barcode would otherwise turn every form after them into the same refusal.
ENDINGS = ("/password", "/revoke", "/release", "/recount", "/submit", "/approve", "/status", "/replace", "/dispose",
           "/close-short", "/close", "/cancel", "/delete", "/active")


def _last_if_ending(item) -> tuple[int, str]:
    path = item[0]
    ending = next((k for k, end in enumerate(ENDINGS) if path.endswith(end)), -1)
    return ending, path


# POST endpoints no page renders a form for with the things seeded here (a seat, a reservation, a maintenance
# record, a notification, a token, a conflict, a shipped or short order): the first test posts hostile values to each.
NOT_RENDERED = {
    "assets.assign_seat", "assets.release_seat", "assets.cancel", "assets.fulfil", "maintenance.open_record",
    "notifications.read", "notifications.read_all", "profile.revoke_token", "scanning.dismiss_conflict",
    "stock.attach", "stock.count_recount", "stock.count_spot", "stock.order_seal", "stock.order_ship",
    "stock.order_short", "auth.login",
}


def _forms(app, client, things) -> dict[str, dict[str, str]]:
    """Every form the GET pages render, by the path it posts to."""
    found: dict[str, dict[str, str]] = {}
    for url in every_page(app, things):
        resp = client.get(url)
        if resp.status_code != 200 or not resp.mimetype == "text/html":
            continue
        parser = _Forms()
        parser.feed(resp.get_data(as_text=True))
        for target, fields in parser.forms:
            path = urlsplit(target).path
            if fields and path not in found:
                found[path] = fields
    return found


def test_every_rendered_form_answers_one_spoiled_field_with_a_4xx_never_a_5xx(app, make_user, make_item, put_stock,
                                                                              warehouse):
    """The forms as the pages render them, filled in as a person would, then one field at a time spoiled: the
    checks behind the first question are passed, so every field's own check is reached. A form is also sent as it
    is, and one without fields (a Cancel button) is sent once."""
    things = _stockroom(make_item, put_stock, warehouse)
    admin = make_user("admin")
    reader = app.test_client()
    assert sign_in(reader, admin.email).status_code == 303
    forms = _forms(app, reader, {**things, "user_id": [admin.id]})
    posted = {r.endpoint for r in app.url_map.iter_rules()
              if {"POST", "PUT", "PATCH", "DELETE"} & r.methods and not r.rule.startswith("/api/")}
    adapter = app.url_map.bind("localhost")
    reached = {adapter.match(path, method="POST")[0] for path in forms} - {"auth.logout"}  # signing out: test_auth
    assert posted - NOT_RENDERED - {"auth.logout"} <= reached, f"forms no page renders: {sorted(posted - NOT_RENDERED - reached)}"
    assert NOT_RENDERED <= posted and not NOT_RENDERED & reached, "NOT_RENDERED names an endpoint it should not"
    valid = _valid(things)
    broken, refused_unheard, answered = [], [], 0
    client = {}

    def signed_in(path: str):
        # One client per form; a form that changes the person's own password gets a fresh one for every post,
        # since the change signs that session out.
        if path.endswith("/account/password") or path not in client:
            user = make_user("admin")
            c = app.test_client()
            assert sign_in(c, user.email).status_code == 303
            c.forget_csrf()
            client[path] = c
        return client[path]

    n = 0
    for path, rendered in sorted(forms.items(), key=_last_if_ending):
        if path in ("/login", "/logout"):
            continue
        tries = [(None, None)] + [(field, value) for field in rendered if field != "csrf_token" for value in SPOILERS]
        for field, value in tries:
            n += 1
            fresh = _fresh(path, n)  # a new code, SKU, tag or barcode for every post that creates one
            data = {name: fresh.get(name) or default or valid.get(name, "") for name, default in rendered.items()
                    if name != "csrf_token"}
            if field is not None:
                data[field] = value
            if "scan_id" in data and field != "scan_id":
                data["scan_id"] = uuid.uuid4().hex  # each try a scan of its own, not a replay of the last
            try:
                resp = signed_in(path).post(path, data=data, htmx=True)
            except Exception as err:  # noqa: BLE001 - a raised error is a 500 to the person; listed below
                broken.append((path, field, (value or "")[:20], repr(err)[:200]))
                continue
            answered += 1
            body = resp.get_data(as_text=True)
            if resp.status_code >= 500:
                broken.append((path, field, (value or "")[:20], resp.status_code, body[-200:]))
            elif resp.status_code == 401 or "/login" in resp.headers.get("Location", "") or (
                    resp.status_code == 400 and "security token" in body):
                refused_unheard.append((path, field, resp.status_code))  # never reached the form's own checks
    print(f"\nspoiled forms: {len(forms)} forms, {answered} requests")
    assert not broken, "\n".join(f"{b[0]} {b[1]}: {b[2:]}"[:300] for b in broken)
    assert not refused_unheard, refused_unheard
    db.session.rollback()
    assert queries.verify(db.session) == []
