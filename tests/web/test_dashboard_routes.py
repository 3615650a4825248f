"""The dashboard and insight pages over HTTP: full page and htmx tile partials, roles, bad input, query counts."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event

from app.dashboard import cache as tile_cache
from app.dashboard.routes import TILES
from app.extensions import db
from app.stock import counting
from app.stock import services as stock
from app.stock.models import PurchaseOrder
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset


def test_managers_land_on_the_dashboard_with_every_tile(manager):
    home = manager.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/dashboard/")
    page = manager.get("/dashboard/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for t in TILES:
        assert f'id="tile-{t.name}"' in html
    assert 'hx-trigger="load, stock-changed from:body' in html
    assert "<script>" not in html and "style=" not in html


def test_a_tile_partial_alone_for_htmx_and_its_page_otherwise(manager, make_item, put_stock):
    item = make_item(valuation_method="fifo")
    put_stock(item, "A-01", 4, cost="2.50")
    part = manager.hx_get("/dashboard/tile/stock-value")
    html = part.get_data(as_text=True)
    assert part.status_code == 200 and html.lstrip().startswith("<section") and "<html" not in html
    assert "10.00" in html and "FIFO" in html and "<svg" in html
    assert 'hx-trigger="stock-changed from:body' in html  # loaded: refreshes on events only, no reload loop
    assert "Σ remaining quantity × unit cost" in html  # the number explains itself
    assert "Vary" in part.headers and "HX-Request" in part.headers["Vary"]
    full = manager.get("/dashboard/tile/stock-value")
    assert "<html" in full.get_data(as_text=True) and "10.00" in full.get_data(as_text=True)


def test_every_tile_renders_with_data(manager, make_item, put_stock, who, warehouse):
    a = make_item(reorder_point="5")
    make_item()  # never received: out of stock
    put_stock(a, "A-01", 3)
    stock.take_out(sku=a.sku, location_code="A-01", quantity=1, who=who(), uow=UnitOfWork())
    counting.count_now(sku=a.sku, location_code="A-01", counted=1, who=who(actor_id=warehouse.manager_id),
                       uow=UnitOfWork())
    an_asset("LN-0001")
    for t in TILES:
        resp = manager.hx_get(f"/dashboard/tile/{t.name}")
        assert resp.status_code == 200, (t.name, resp.data[:400])
    html = manager.hx_get("/dashboard/tile/replenish").get_data(as_text=True)
    assert re.search(r'class="num">1</span>.*at or below', html, re.S)
    assert a.sku in html


def test_unknown_tile_is_404(manager):
    assert manager.hx_get("/dashboard/tile/nope").status_code == 404


@pytest.mark.parametrize("role", ["staff", "technician"])
def test_floor_and_field_roles_are_refused(login, role):
    c = login(role)
    for url in ("/dashboard/", "/dashboard/tile/stock-value", "/dashboard/insights/reorder",
                "/dashboard/insights/anomalies", "/dashboard/insights/assets"):
        assert c.get(url).status_code == 403
    assert c.post("/dashboard/insights/reorder/draft", data={}).status_code == 403


def test_reorder_page_explains_and_drafts_a_purchase_order(manager, make_item, put_stock, who):
    item = make_item(lead_time_days=7)
    no_lead = make_item()
    put_stock(item, "A-01", 10)
    put_stock(no_lead, "A-01", 10)
    for _ in range(2):
        stock.take_out(sku=item.sku, location_code="A-01", quantity=4, who=who(), uow=UnitOfWork())
        stock.take_out(sku=no_lead.sku, location_code="A-01", quantity=1, who=who(), uow=UnitOfWork())
    page = manager.get("/dashboard/insights/reorder?service_level=0.95")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and item.sku in html and "TSB" in html and "Safety stock" in html
    assert "no lead time is set" in html and "chart-spark" in html
    qty = re.search(rf'name="qty-{item.sku}" value="([0-9.]+)"', html).group(1)
    resp = manager.post("/dashboard/insights/reorder/draft", data={"sku": [item.sku], f"qty-{item.sku}": qty,
                                                                  "supplier": "ACME"}, htmx=True)
    assert resp.status_code == 303 and "purchase-order-drafted" in resp.headers["HX-Trigger"]
    [po] = db.session.query(PurchaseOrder).all()
    assert po.status == "draft" and po.supplier == "ACME" and str(po.lines[0].ordered_qty) == qty


def test_reorder_with_nothing_ticked_is_a_clear_422(manager):
    resp = manager.post("/dashboard/insights/reorder/draft", data={"supplier": "ACME"}, htmx=True)
    assert resp.status_code == 422 and "at least one" in resp.get_data(as_text=True)


@pytest.mark.parametrize("query", ["days=0", "days=abc", "service_level=1.5", "service_level=x"])
def test_reorder_bad_parameters_are_422(manager, query):
    resp = manager.get(f"/dashboard/insights/reorder?{query}")
    assert resp.status_code == 422 and 'role="alert"' in resp.get_data(as_text=True)


def test_anomaly_and_asset_pages(manager, make_item, put_stock, who, warehouse):
    items = [make_item() for _ in range(5)]
    for it, counted in zip(items, [99, 101, 99, 101, 30], strict=True):
        put_stock(it, "A-01", 100, cost="1.00")
        counting.count_now(sku=it.sku, location_code="A-01", counted=counted, who=who(actor_id=warehouse.manager_id),
                           uow=UnitOfWork())
    html = manager.get("/dashboard/insights/anomalies").get_data(as_text=True)
    assert items[4].sku in html and "modified z" in html and "Median" in html
    an_asset("LN-0001")
    resp = manager.hx_get("/dashboard/insights/assets?audit_days=1&idle_days=1")
    assert resp.status_code == 200 and "LN-0001" not in resp.get_data(as_text=True).split("Compliance")[0]
    assert manager.get("/dashboard/insights/assets?idle_days=-1").status_code == 422
    assert manager.get("/dashboard/insights/anomalies?days=x").status_code == 422


@contextmanager
def counting_statements():
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _render_dashboard(client) -> int:
    from app.dashboard import queries as dq

    dq._BOOK_CACHE.clear()  # measure the uncached path each time  # noqa: SLF001
    tile_cache.clear()
    with counting_statements() as seen:
        assert client.get("/dashboard/").status_code == 200
        for t in TILES:
            assert client.hx_get(f"/dashboard/tile/{t.name}").status_code == 200
    return len(seen)


def test_dashboard_statement_count_does_not_grow_with_the_ledger(manager, make_item, put_stock, who):
    items = [make_item(reorder_point="3") for _ in range(3)]
    for it in items:
        put_stock(it, "A-01", 1000)
    an_asset("LN-0001")

    def movements(n):
        for i in range(n):
            stock.take_out(sku=items[i % 3].sku, location_code="A-01", quantity=1, who=who(), uow=UnitOfWork())

    movements(10 - 3)  # 3 receipts + 7 picks = 10 movements
    small = _render_dashboard(manager)
    movements(190)  # 200 movements
    large = _render_dashboard(manager)
    assert small == large, f"{small} statements with 10 movements, {large} with 200"


def test_book_value_tile_groups_assets_and_matches_the_asset_register(manager):
    from datetime import date

    from app.assets.queries import totals_by_category
    from app.dashboard import queries as dq

    an_asset("LN-0001")
    an_asset("LN-0002")  # same terms: valued once, counted twice
    an_asset("LN-0003", cost="900.00", purchase_date=date(2025, 1, 10), life=36, salvage="0.00")
    today = date.today()
    tile = dq.book_values(db.session, today=today)
    [expected] = totals_by_category(db.session, today)
    [got] = tile["totals"]
    assert (got.count, got.cost, got.book_value) == (expected.count, expected.cost, expected.book_value)
    an_asset("LN-0004")  # the register changed: the cached figure is not reused
    assert dq.book_values(db.session, today=today)["totals"][0].count == 4


def test_dashboard_statement_count_does_not_grow_with_assets_schedules_or_loans(manager, make_user):
    from datetime import date, timedelta

    from app.assets import services as assets
    from app.maintenance import services as maintenance
    from tests.asset_helpers import a_model, sid

    tech = make_user("technician")
    model = a_model()

    def add(n, start):
        for i in range(start, start + n):
            tag = f"LN-{i:04d}"
            an_asset(tag, model=model)
            maintenance.add_schedule(tag=tag, title="Check", every_days=30,
                                     starts_on=date.today() - timedelta(days=40), uow=UnitOfWork())
            if i % 2:
                assets.check_out(tags=[tag], borrower_id=tech.id, due_on=date.today(), actor_id=tech.id,
                                 scan_id=sid(), uow=UnitOfWork(), today=date.today() - timedelta(days=3))

    add(2, 1)
    small = _render_dashboard(manager)
    add(8, 3)
    large = _render_dashboard(manager)
    assert small == large, f"{small} statements with 2 assets, {large} with 10"


@pytest.mark.parametrize(("tile", "event"), [
    ("stock-value", "stock-changed"), ("replenish", "purchase-order-drafted"), ("assets", "asset-checked-out"),
    ("assets", "asset-checked-in"), ("maintenance", "maintenance-logged"), ("warranties", "asset-changed"),
    ("idle", "asset-transferred"), ("conflicts", "conflict-resolved"),
])
def test_each_tile_listens_for_the_events_that_change_it(manager, tile, event):
    html = manager.hx_get(f"/dashboard/tile/{tile}").get_data(as_text=True)
    trigger = re.search(r'hx-trigger="([^"]*)"', html).group(1)
    assert f"{event} from:body" in trigger and "load" not in trigger


def test_alerts_tile_counts_unread_notifications_and_unusual_adjustments(manager, make_item, put_stock, who,
                                                                         warehouse):
    from app.notifications import services as notify

    items = [make_item(reorder_point="500") for _ in range(5)]
    for it, counted in zip(items, [99, 101, 99, 101, 30], strict=True):
        put_stock(it, "A-01", 100, cost="1.00")
        counting.count_now(sku=it.sku, location_code="A-01", counted=counted, who=who(actor_id=warehouse.manager_id),
                           uow=UnitOfWork())
    notify.send_digest(today=date.today(), smtp=None, uow=UnitOfWork())
    html = manager.hx_get("/dashboard/tile/alerts").get_data(as_text=True)
    def figure(label):
        return re.search(r'class="num">([^<]+)</span>(?:(?!kpi-label).)*<span class="kpi-label">' + label, html,
                         re.S).group(1)

    assert figure("unread notifications") == "1"
    assert figure("unusual adjustments") == "1"
    assert figure("out past warranty") == "0"
    assert figure("ending within 30 days") == "0"


def test_alerts_tile_warns_of_licences_and_contracts_ending_before_they_do(manager, make_user):
    from datetime import timedelta

    from app.assets import services as assets

    today = date.today()
    an_asset("IT-1", pool=None)
    assets.create_licence(name="CAD", seats=2, expires_on=today + timedelta(days=10), uow=UnitOfWork())
    assets.create_licence(name="Later", seats=2, expires_on=today + timedelta(days=90), uow=UnitOfWork())
    assets.create_licence(name="Old, unused", seats=2, expires_on=today - timedelta(days=5), uow=UnitOfWork())
    ended = assets.create_licence(name="Old, in use", seats=2, expires_on=today - timedelta(days=5), uow=UnitOfWork())
    assets.assign_seat(licence_id=ended.id, tag="IT-1", actor_id=None, uow=UnitOfWork())
    assets.create_contract(kind="service", supplier="Acme", reference="SC-9", starts_on=today - timedelta(days=300),
                           ends_on=today + timedelta(days=20), tags=["IT-1"], uow=UnitOfWork())
    html = manager.hx_get("/dashboard/tile/alerts").get_data(as_text=True)
    ending = re.search(r'class="num">([^<]+)</span>(?:(?!kpi-label).)*<span class="kpi-label">ending within 30 days',
                       html, re.S).group(1)
    assert ending == "3"  # CAD, the contract, and the ended licence whose seat is still given out
    from app.notifications import services as notify

    text = notify.build_digest(db.session, today=today).text()
    assert "Licence CAD" in text and "Contract service Acme SC-9" in text and "Old, in use" in text
    assert "Later" not in text and "Old, unused" not in text
