"""Stored XSS: a corpus of payloads saved in every text field people can fill, then every page rendered in real
headless Chromium — nothing may execute. The context bypasses our CSP on purpose, so this checks the escaping
itself (the CSP is the second wall, tested in tests/web/test_security.py): a payload that ran would set
window.__xss, open a dialog, or leave an element with an event handler behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.uow import UnitOfWork
from tests.asset_helpers import a_model, sid
from tests.conftest import PASSWORD

from .conftest import PHONE, sign_in_page

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=2">',
    "'><svg onload=window.__xss=3>",
    "</textarea><script>window.__xss=4</script>",
    "javascript:window.__xss=5//",
    '<iframe srcdoc="<script>parent.__xss=6</script>"></iframe>',
    '<div hx-get="/logout" hx-trigger="load" id="xss-hx">x</div>',
    "{{7*7}}<b id=xss-b>bold</b>",
    '"onmouseover="window.__xss=7" autofocus onfocus="window.__xss=8',
]
INJECTED = ("img[src=x], svg[onload], iframe[srcdoc], #xss-hx, #xss-b, script:not([src]), [onerror], [onload], "
            "[onmouseover], [onfocus], a[href^='javascript:']")


def _p(i: int) -> str:
    return PAYLOADS[i % len(PAYLOADS)]


def seed(make_user) -> tuple[dict, list[str]]:
    """Payloads into every text field we can reach through the services; returns URL parameters and what failed."""
    from app.assets import services as assets
    from app.locations.services import create_location
    from app.maintenance.services import log_maintenance
    from app.stock.orders import create_order
    from app.stock.purchasing import create_po
    from app.stock.services import create_item

    admin = make_user("admin", name=_p(0))
    for k in range(1, 4):
        make_user(["staff", "technician", "manager"][k - 1], name=_p(k))
    failed: list[str] = []

    def attempt(what, fn):
        try:
            return fn()
        except Exception as err:  # noqa: BLE001 - reported, not hidden
            db.session.rollback()
            failed.append(f"{what}: {err}")
            return None

    create_location(code="XSITE", name=_p(1), kind="site", uow=UnitOfWork())
    create_location(code="XBIN", name=_p(2), kind="bin", parent_code="XSITE", uow=UnitOfWork())
    create_item(sku="XSS-1", name=_p(3)[:120], description=_p(4), uow=UnitOfWork())
    create_item(sku="XSS-2", name=_p(5)[:120], description=_p(6), uow=UnitOfWork())
    po = attempt("purchase order supplier", lambda: create_po(supplier=_p(7)[:120], lines=[("XSS-1", 5, "1.00")],
                                                              actor_id=admin.id, uow=UnitOfWork()))
    order = attempt("order customer / ship-to", lambda: create_order(customer=_p(8)[:120], ship_to=_p(0),
                                                                      lines=[("XSS-2", 1)], actor_id=admin.id,
                                                                      uow=UnitOfWork()))
    model = a_model(manufacturer=_p(1)[:80], name=_p(2)[:120], category=_p(3)[:60])
    fields = assets.AssetFields(model_id=model.id, serial="SN-X1", department=_p(4)[:80], supplier=_p(5)[:120],
                                po_ref="PO-X", pool="loaner", notes=_p(6), location_code="XSITE")
    asset = assets.register_asset(tag="XS-0001", fields=fields, actor_id=admin.id, uow=UnitOfWork())
    now = datetime.now(UTC)
    attempt("reservation note", lambda: assets.reserve(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2),
                                                       actor_id=admin.id, tag="XS-0001", holder_id=admin.id, note=_p(7),
                                                       uow=UnitOfWork()))
    attempt("maintenance findings", lambda: log_maintenance(tag="XS-0001", kind="inspection", actor_id=admin.id,
                                                            scan_id=sid(), findings=_p(8), uow=UnitOfWork()))
    args = {"sku": "XSS-1", "tag": asset.tag, "code": "XBIN", "number": po.number if po else "X",
            "order_number": order.number if order else "X", "user_id": admin.id, "model_id": model.id}
    return {"admin": admin, **args}, failed


def _pages(app, args: dict) -> list[str]:
    """Every GET page of the app (not the API, not static files), parameters filled with the seeded things."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "auth.logout") or rule.rule.startswith("/api/"):
            continue
        if rule.rule.endswith((".csv", "/sample")) or "export" in rule.endpoint:
            continue  # downloads (CSV), not pages: their escaping is the CSV writer's, tested in test_csv_*
        values = {}
        for name in rule.arguments:
            if name in args:
                values[name] = args[name]
            elif "id" in name:
                values[name] = 1
            else:
                values[name] = args.get("sku")
        try:
            urls.append(rule.build(values, append_unknown=False)[1])
        except Exception:  # noqa: BLE001, S112 - a rule we cannot fill is not a page we can visit
            continue
    return sorted(set(urls))


def test_stored_payloads_in_every_text_field_never_execute_on_any_page(app, browser, live_server, make_user):
    seeded, failed = seed(make_user)
    if failed:
        print("\nfields not seeded (service refused the value):", *failed, sep="\n  ")
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in_page(page, seeded["admin"].email, PASSWORD)
    visited, executed, injected, shown = [], [], [], 0
    for url in _pages(app, seeded):
        resp = page.goto(url)
        if resp is None or resp.status >= 400 and resp.status != 404:
            continue
        page.wait_for_timeout(50)
        visited.append(url)
        if page.evaluate("() => window.__xss") is not None:
            executed.append(url)
        found = page.evaluate(f"() => Array.from(document.querySelectorAll({INJECTED!r})).map(e => e.outerHTML.slice(0, 120))")
        found = [f for f in found if "xss" in f.lower() or "src=\"x\"" in f]
        if found:
            injected.append((url, found))
        shown += page.evaluate("() => document.body.innerText.includes('window.__xss')")
    context.close()
    print(f"\nXSS corpus: {len(PAYLOADS)} payloads, {len(visited)} pages visited, payload text shown on {shown}")
    assert not executed, f"a payload executed on {executed}"
    assert not dialogs, f"a dialog opened: {dialogs}"
    assert not injected, f"markup from a payload reached the DOM: {injected}"
    assert shown >= 5, "the payloads were not rendered on the pages that should show them (as text)"
