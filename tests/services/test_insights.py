"""Insights over data made through the stock and asset services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.errors import Conflict, Invalid
from app.extensions import db
from app.insights import queries, services
from app.maintenance import services as maintenance
from app.stock import counting, purchasing
from app.stock import services as stock
from app.stock.models import PurchaseOrder
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset, sid


def pick(item, loc, qty, who):
    stock.take_out(sku=item.sku, location_code=loc, quantity=qty, who=who(), uow=UnitOfWork())


def test_reorder_suggestion_from_todays_picks(make_item, put_stock, who):
    item = make_item(lead_time_days=10)
    put_stock(item, "A-01", 20)
    pick(item, "A-01", 6, who)
    pick(item, "A-01", 4, who)
    [row] = queries.reorder_suggestions(db.session, today=queries.today_utc(), days=10, skus=[item.sku])
    # one demand day of 10 in 10 days: p0 = 0.1, z0 = 10; nine zero days then the 10 → p rises, z stays 10
    assert row.forecast.nonzero == 1 and row.forecast.size == pytest.approx(10)
    assert row.on_hand == 10 and row.available == 10 and row.on_order == 0
    assert row.advice.ok and row.advice.reorder_point is not None


def test_item_without_history_or_lead_time_gets_sensible_answers(make_item):
    item = make_item()  # lead time 0, no movements
    [row] = queries.reorder_suggestions(db.session, today=queries.today_utc(), skus=[item.sku])
    assert row.forecast.per_period == 0 and "No history" in row.forecast.derivation.note
    assert not row.advice.ok and "lead time" in row.advice.message
    assert row.cover_days is None


def test_reorder_window_out_of_range_is_invalid(make_item):
    with pytest.raises(Invalid):
        queries.reorder_suggestions(db.session, today=queries.today_utc(), days=0)


def test_on_order_counts_open_and_draft_lines(make_item, warehouse):
    item = make_item(lead_time_days=5)
    purchasing.create_po(supplier="ACME", lines=[(item.sku, 7, "1.00")], actor_id=warehouse.manager_id,
                         uow=UnitOfWork())
    services.draft_purchase_orders(lines=[(item.sku, "3")], actor_id=warehouse.manager_id, uow=UnitOfWork())
    assert queries.on_order_by_item(db.session)[item.id] == 10


def test_draft_purchase_orders_made_in_one_transaction(make_item, warehouse):
    a, b = make_item(standard_cost="4.00"), make_item()
    done = services.draft_purchase_orders(lines=[(a.sku, "5"), (b.sku, "0"), (b.sku.lower(), "2")], supplier="ACME",
                                          actor_id=warehouse.manager_id, uow=UnitOfWork())
    po = db.session.get(PurchaseOrder, done.orders[0].id)
    assert po.status == "draft" and not po.accepts_receipts and po.supplier == "ACME"
    assert [(line.item.sku, line.ordered_qty, line.unit_cost) for line in po.lines] == [
        (a.sku, 5, Decimal("4.00")), (b.sku, 2, Decimal("2.50"))]
    purchasing.release_po(number=po.number, uow=UnitOfWork())
    assert db.session.get(PurchaseOrder, po.id).status == "open"
    with pytest.raises(Conflict):
        purchasing.release_po(number=po.number, uow=UnitOfWork())


def test_draft_purchase_orders_all_or_nothing(make_item, warehouse):
    a = make_item()
    with pytest.raises(Exception):  # noqa: B017 - the unknown SKU is refused (NotFound)
        services.draft_purchase_orders(lines=[(a.sku, "5"), ("NO-SUCH", "1")], actor_id=warehouse.manager_id,
                                       uow=UnitOfWork())
    assert db.session.query(PurchaseOrder).count() == 0
    with pytest.raises(Invalid):
        services.draft_purchase_orders(lines=[(a.sku, "0")], actor_id=warehouse.manager_id, uow=UnitOfWork())


def test_count_adjustment_anomaly_and_shrinkage(make_item, put_stock, who, warehouse):
    items = [make_item() for _ in range(6)]
    for it in items:
        put_stock(it, "A-01", 100, cost="2.00")
    mgr = lambda: who(actor_id=warehouse.manager_id)  # noqa: E731
    for it, counted in zip(items, [99, 101, 99, 100 - 1, 101, 40], strict=True):
        counting.count_now(sku=it.sku, location_code="A-01", counted=counted, who=mgr(), uow=UnitOfWork())
    found, rows = queries.adjustment_anomalies(db.session, today=queries.today_utc())
    assert len(rows) == 6
    flagged = {r.key for r in found.flagged}
    assert [r.sku for r in rows if r.movement_id in flagged] == [items[5].sku]
    loss = queries.shrinkage(db.session, today=queries.today_utc())
    assert loss[0].sku == items[5].sku and loss[0].lost_qty == 60 and loss[0].lost_value == Decimal("120.00")
    assert loss[0].location == "A-01"
    variances = queries.count_variances(db.session)
    assert sorted(v.variance for v in variances) == [-60, -1, -1, -1, 1, 1]


def test_idle_assets_and_compliance(make_user):
    tech = make_user("technician")
    idle = an_asset("LN-0001")
    busy = an_asset("LN-0002")
    from app.assets import services as assets

    assets.check_out(tags=[busy.tag], borrower_id=tech.id, due_on=date.today() + timedelta(days=3), actor_id=tech.id,
                     scan_id=sid(), uow=UnitOfWork())
    today = queries.today_utc()
    assert queries.idle_assets(db.session, today=today + timedelta(days=61), days=60)[0].asset.tag == idle.tag
    assert queries.idle_count(db.session, today=today + timedelta(days=61), days=60) == 1  # busy is out
    assert queries.idle_count(db.session, today=today, days=60) == 0
    risks = queries.compliance_risks(db.session, today=today, audit_days=30)
    assert {(r.asset.tag, r.risk) for r in risks} >= {(idle.tag, "audit"), (busy.tag, "audit")}


def test_mtbf_from_corrective_maintenance(make_user):
    tech = make_user("technician")
    a = an_asset("LN-0009", purchase_date=queries.today_utc() - timedelta(days=100))
    for _ in range(2):
        maintenance.log_maintenance(tag=a.tag, kind="corrective", actor_id=tech.id, scan_id=sid(), uow=UnitOfWork())
    [r] = queries.reliability(db.session, today=queries.today_utc())
    # in service 100 days ago, two failures today: intervals 100 and 0 → MTBF 50 days
    assert r.reliability.failures == 2 and r.reliability.mtbf_days == pytest.approx(50)
    assert r.reliability.next_failure == queries.today_utc() + timedelta(days=50)


def test_licences_expired_with_seats_out_or_over_assigned_are_compliance_risks(make_user):
    from app.assets import services as asset_services
    from app.assets.models import Licence
    from app.insights.queries import licence_risks
    from app.uow import UnitOfWork

    people = [make_user("technician") for _ in range(3)]
    old = asset_services.create_licence(name="CAD 2024", seats=5, expires_on=date(2025, 12, 31), uow=UnitOfWork())
    asset_services.assign_seat(licence_id=old.id, user_id=people[0].id, actor_id=None, uow=UnitOfWork())
    cad = asset_services.create_licence(name="CAD 2026", seats=3, expires_on=date(2027, 12, 31), uow=UnitOfWork())
    for p in people:
        asset_services.assign_seat(licence_id=cad.id, user_id=p.id, actor_id=None, uow=UnitOfWork())
    unused = asset_services.create_licence(name="Old viewer", seats=1, expires_on=date(2020, 1, 1), uow=UnitOfWork())
    # The renewal bought fewer seats than are given out (no service lowers seats yet; a renewal would).
    with UnitOfWork() as uow:
        uow.session.get(Licence, cad.id).seats = 2
        uow.commit()
    risks = {(r.name, r.risk) for r in licence_risks(db.session, today=date(2026, 11, 25))}
    assert risks == {("CAD 2024", "expired"), ("CAD 2026", "over_assigned")}
    assert unused.name not in {name for name, _ in risks}  # expired, but nobody holds a seat


def test_idle_assets_come_from_the_last_activity_each_event_keeps(make_user):
    """The idle list and count read the asset row's last-activity time, kept by every event: it must say exactly
    what the events say (the newest check-out, return, transfer … — a sighting in an audit is not activity), and a
    late-arriving older event must not move it back."""
    from sqlalchemy import func, select

    from app.assets import rules as asset_rules
    from app.assets import services as assets
    from app.assets.models import Asset, AssetEvent
    from tests.asset_helpers import a_location

    tech = make_user("technician")
    quiet, lent, moved, seen = (an_asset(f"LN-01{i}") for i in range(4))
    a_location("VAN-9", kind="van")
    assets.check_out(tags=[lent.tag], borrower_id=tech.id, due_on=date.today() + timedelta(days=3), actor_id=tech.id,
                     scan_id=sid(), uow=UnitOfWork())
    assets.check_in(tag=lent.tag, condition_in="good", actor_id=tech.id, scan_id=sid(), uow=UnitOfWork())
    assets.transfer(tag=moved.tag, location_code="VAN-9", actor_id=tech.id, scan_id=sid(), uow=UnitOfWork())
    assets.audit(location_code="VAN-9", tags=[seen.tag], actor_id=tech.id, scan_id=sid(), uow=UnitOfWork())
    with UnitOfWork() as uow:  # an offline transfer recorded late, dated yesterday
        asset = assets.lock_asset(uow.session, moved.tag)
        newest = asset.last_activity_at
        assets.append_event(uow.session, asset, "transferred", actor_id=tech.id, at=newest - timedelta(days=1))
        uow.commit()

    db.session.expire_all()
    newest_event = dict(db.session.execute(
        select(AssetEvent.asset_id, func.max(AssetEvent.at))
        .where(AssetEvent.kind.in_(asset_rules.ACTIVITY_KINDS)).group_by(AssetEvent.asset_id)).all())
    kept = dict(db.session.execute(select(Asset.id, Asset.last_activity_at)).all())
    assert kept == newest_event and len(kept) == 4
    seen_at = db.session.scalar(select(Asset.last_seen_at).where(Asset.tag == seen.tag))
    assert kept[seen.id] < seen_at  # the audit saw it but did not make it active

    later = queries.today_utc() + timedelta(days=61)
    idle = [row.asset.tag for row in queries.idle_assets(db.session, today=later, days=60)]
    # idlest first: registered and untouched, then by their last activity (the check-in after the transfer's day)
    by_activity = sorted(kept, key=lambda asset_id: (kept[asset_id], asset_id))
    assert idle == [db.session.get(Asset, asset_id).tag for asset_id in by_activity]
    assert queries.idle_count(db.session, today=later, days=60) == 4
    assert queries.idle_count(db.session, today=queries.today_utc(), days=60) == 0
