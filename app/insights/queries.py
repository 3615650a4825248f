"""Read side of insights: gathers history with a fixed number of aggregate queries, then applies the pure rules.

No query runs per item or per asset: each function issues a handful of GROUP BY queries whose cost depends on the
window asked for (the last N days of movements, the open documents), not on the size of the whole ledger.
Indexes that serve them: stock_movement (kind, created_at) and (item_id, created_at); cost_layer (item_id, id);
asset_event (asset_id, at); maintenance_record (asset_id, opened_at); asset (status), (warranty_end).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, Numeric, case, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from ..assets.models import Asset
from ..locations.models import Location
from ..maintenance.models import MaintenanceRecord
from ..stock.models import CountLine, CountSession, Item, PurchaseOrder, PurchaseOrderLine, StockBalance, StockMovement
from ..stock.types import MONEY_PLACES, QTY_PLACES, Money, Qty, money
from . import rules

ZERO = Decimal(0)
DEMAND_KINDS = ("pick", "consumption", "issue")
ADJUSTMENT_KINDS = ("count_adjustment", "adjustment")
ON_ORDER_STATUSES = ("draft", "open", "partial")


def qty_sum(expr):
    """SUM of a quantity expression read back as a quantity (the columns hold scaled integers, see stock.types)."""
    return type_coerce(func.sum(expr), Qty())


def money_sum(expr):
    return type_coerce(func.sum(expr), Money())


def value_sum(qty_col, cost_col):
    """SUM(quantity × unit cost) as an exact scaled integer; `as_money` turns it into an amount."""
    return type_coerce(func.sum(cast(qty_col, Numeric(38, 0)) * cast(cost_col, Numeric(38, 0))), BigInteger())


def as_money(raw) -> Decimal:
    return money(Decimal(raw or 0).scaleb(-(QTY_PLACES + MONEY_PLACES)))


def utc_day(s: Session, col):
    """The UTC calendar day of a timestamp column (PostgreSQL would otherwise use the session's time zone)."""
    if s.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", col))
    return func.date(col)  # SQLite stores UTC text


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def today_utc() -> date:
    return datetime.now(UTC).date()


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# ---------------------------------------------------------------------------------------------------------------
# Demand and reorder suggestions
# ---------------------------------------------------------------------------------------------------------------


def demand_series(s: Session, *, days: int, today: date, item_ids: list[int] | None = None) -> dict[int, list[float]]:
    """Per item, the demand of each of the last `days` days (picks, consumption, issues), oldest first."""
    start = today - timedelta(days=days - 1)
    m = StockMovement
    day = utc_day(s, m.created_at)
    q = (select(m.item_id, day, func.sum(m.quantity)).where(m.kind.in_(DEMAND_KINDS), m.created_at >= start_of(start),
                                                              m.created_at < start_of(today + timedelta(days=1)))
         .group_by(m.item_id, day))
    if item_ids is not None:
        q = q.where(m.item_id.in_(item_ids))
    out: dict[int, list[float]] = defaultdict(lambda: [0.0] * days)
    for item_id, d, qty in s.execute(q):
        idx = (_day(d) - start).days
        if 0 <= idx < days:
            out[item_id][idx] += float(abs(qty or 0))
    return out


def on_hand_by_item(s: Session, item_ids: list[int] | None = None) -> dict[int, tuple[Decimal, Decimal]]:
    q = select(StockBalance.item_id, func.sum(StockBalance.on_hand), func.sum(StockBalance.allocated)).group_by(
        StockBalance.item_id)
    if item_ids is not None:
        q = q.where(StockBalance.item_id.in_(item_ids))
    return {i: (oh or ZERO, al or ZERO) for i, oh, al in s.execute(q)}


def on_order_by_item(s: Session, item_ids: list[int] | None = None) -> dict[int, Decimal]:
    line = PurchaseOrderLine
    q = (select(line.item_id, qty_sum(line.ordered_qty - line.received_qty))
         .join(PurchaseOrder, PurchaseOrder.id == line.order_id)
         .where(PurchaseOrder.status.in_(ON_ORDER_STATUSES), line.ordered_qty > line.received_qty)
         .group_by(line.item_id))
    if item_ids is not None:
        q = q.where(line.item_id.in_(item_ids))
    return {i: qty or ZERO for i, qty in s.execute(q)}


@dataclass
class ItemInsight:
    item: Item
    on_hand: Decimal
    available: Decimal
    on_order: Decimal
    forecast: rules.Forecast
    advice: rules.ReorderAdvice
    cover_days: float | None
    series: list[float]  # demand per day over the window, oldest first


def reorder_suggestions(s: Session, *, today: date, days: int = 90, service_level: float = 0.95,
                        cover_days: int = 30, skus: list[str] | None = None, alpha: float = 0.1,
                        beta: float = 0.1) -> list[ItemInsight]:
    """Forecast and reorder advice for every active item (or the SKUs given), with four queries in all."""
    if days < 1 or days > 730:
        from ..errors import Invalid

        raise Invalid("The history window is between 1 and 730 days.", field="days")
    q = select(Item).where(Item.active.is_(True)).order_by(Item.sku)
    if skus:
        q = q.where(Item.sku.in_([x.strip().upper() for x in skus]))
    items = list(s.scalars(q))
    ids = [i.id for i in items] if skus else None
    series = demand_series(s, days=days, today=today, item_ids=ids)
    stock = on_hand_by_item(s, ids)
    ordered = on_order_by_item(s, ids)
    out = []
    for item in items:
        on_hand, allocated = stock.get(item.id, (ZERO, ZERO))
        f = rules.tsb(series.get(item.id, []), alpha=alpha, beta=beta)  # no demand movement in the window
        advice = rules.reorder(daily_demand=f.per_period, daily_sigma=f.sigma, lead_time_days=item.lead_time_days,
                               service_level=service_level, available=on_hand - allocated,
                               on_order=ordered.get(item.id, ZERO), cover_days=cover_days, sku=item.sku)
        out.append(ItemInsight(item, on_hand, on_hand - allocated, ordered.get(item.id, ZERO), f, advice,
                               rules.days_of_cover(on_hand, f.per_period), series.get(item.id, [0.0] * days)))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Adjustments, count variances and shrinkage
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class AdjustmentRow:
    movement_id: int
    sku: str
    location: str
    quantity: Decimal
    value: Decimal
    at: datetime
    reason: str


def adjustment_anomalies(s: Session, *, today: date, days: int = 90) -> tuple[rules.Anomalies, list[AdjustmentRow]]:
    """Count adjustments of the window scored by the modified z-score of their signed quantity."""
    m = StockMovement
    rows = s.execute(
        select(m.id, Item.sku, Location.code, m.quantity, m.total_cost, m.created_at, m.reason)
        # `+ 0`: SQLite's planner, seeing few distinct kinds, would rather walk every item and probe the movements'
        # (item_id, created_at) index — 23 ms at 50,000 items for a handful of adjustments. With the join column
        # made an expression it reads the (kind, created_at) window and looks each item up by its key.
        .join(Item, Item.id == m.item_id + 0).join(Location, Location.id == m.to_location_id, isouter=True)
        .where(m.kind.in_(ADJUSTMENT_KINDS), m.created_at >= start_of(today - timedelta(days=days - 1)))).all()
    # Sorted here, not in SQL: ORDER BY id made SQLite walk the whole ledger in id order instead of using the
    # (kind, created_at) index — 60 ms at a million movements for a handful of adjustments.
    rows.sort(key=lambda r: r[0])
    adj = [AdjustmentRow(i, sku, loc or "", q, (c or ZERO) * (1 if q > 0 else -1), at, reason or "")
           for i, sku, loc, q, c, at, reason in rows]
    return rules.modified_z([(a.movement_id, a.quantity) for a in adj]), adj


@dataclass
class VarianceRow:
    line_id: int
    count_number: str
    status: str
    sku: str
    location: str
    expected: Decimal
    counted: Decimal
    variance: Decimal


def count_variances(s: Session, *, statuses=("submitted", "approved"), since: date | None = None,
                    until: date | None = None, limit: int | None = None) -> list[VarianceRow]:
    line = CountLine
    q = (select(line.id, CountSession.number, CountSession.status, Item.sku, Location.code, line.expected,
                line.counted)
         .join(CountSession, CountSession.id == line.session_id).join(Item, Item.id == line.item_id)
         .join(Location, Location.id == line.location_id)
         .where(CountSession.status.in_(statuses), line.counted.is_not(None), line.expected.is_not(None),
                line.counted != line.expected)
         .order_by(CountSession.id.desc(), line.id))
    if since:
        q = q.where(line.counted_at >= start_of(since))
    if until:
        q = q.where(line.counted_at < start_of(until + timedelta(days=1)))
    if limit:
        q = q.limit(limit)
    return [VarianceRow(i, n, st, sku, loc, e, c, c - e) for i, n, st, sku, loc, e, c in s.execute(q)]


def variance_anomalies(s: Session) -> tuple[rules.Anomalies, list[VarianceRow]]:
    rows = count_variances(s)
    return rules.modified_z([(r.line_id, r.variance) for r in rows]), rows


@dataclass
class Shrinkage:
    sku: str
    location: str
    lost_qty: Decimal
    lost_value: Decimal
    found_qty: Decimal


def shrinkage(s: Session, *, today: date, days: int = 365) -> list[Shrinkage]:
    """Count adjustments summed per item and place: what was lost (negative) and found (positive)."""
    m = StockMovement
    q = (select(Item.sku, Location.code,
                qty_sum(case((m.quantity < 0, -m.quantity), else_=0)),
                money_sum(case((m.quantity < 0, m.total_cost), else_=0)),
                qty_sum(case((m.quantity > 0, m.quantity), else_=0)))
         .join(Item, Item.id == m.item_id).join(Location, Location.id == m.to_location_id)
         .where(m.kind.in_(ADJUSTMENT_KINDS), m.created_at >= start_of(today - timedelta(days=days - 1)))
         .group_by(Item.sku, Location.code))
    out = [Shrinkage(sku, loc, lq or ZERO, lv or ZERO, fq or ZERO) for sku, loc, lq, lv, fq in s.execute(q)]
    return sorted(out, key=lambda r: (-r.lost_value, -r.lost_qty, r.sku))


# ---------------------------------------------------------------------------------------------------------------
# Assets: idle, reliability, compliance
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class IdleAsset:
    asset: Asset
    last_activity: datetime | None
    idle_days: int


def _idle_where(today: date, days: int):
    """In stock or deployed, registered before the cutoff, and no activity since: read from the asset row's
    last-activity projection (kept by assets.services.append_event), so the cost follows the number of assets and
    never reads their events."""
    cutoff = start_of(today - timedelta(days=days))
    return (Asset.status.in_(("in_stock", "deployed")), Asset.created_at < cutoff,
            or_(Asset.last_activity_at.is_(None), Asset.last_activity_at < cutoff))


def idle_assets(s: Session, *, today: date, days: int = 60, limit: int | None = None) -> list[IdleAsset]:
    """Assets in stock or deployed with no check-out, return, transfer or deployment in the last `days` days,
    idlest first."""
    q = (select(Asset).where(*_idle_where(today, days))
         .order_by(func.coalesce(Asset.last_activity_at, Asset.created_at), Asset.tag))
    if limit:
        q = q.limit(limit)
    out = []
    for asset in s.scalars(q):
        when = asset.last_activity_at or asset.created_at
        out.append(IdleAsset(asset, when, rules.days_since(when, today) or 0))
    return out


def idle_count(s: Session, *, today: date, days: int = 60) -> int:
    return s.scalar(select(func.count()).select_from(Asset).where(*_idle_where(today, days))) or 0


@dataclass
class AssetReliability:
    asset: Asset
    reliability: rules.Reliability


def reliability(s: Session, *, today: date) -> list[AssetReliability]:
    """MTBF and next expected failure of every asset with corrective maintenance, soonest failure first."""
    failures: dict[int, list[date]] = defaultdict(list)
    for asset_id, opened in s.execute(select(MaintenanceRecord.asset_id, MaintenanceRecord.opened_at)
                                      .where(MaintenanceRecord.kind == "corrective")):
        failures[asset_id].append(opened.date())
    if not failures:
        return []
    assets = s.scalars(select(Asset).where(Asset.id.in_(list(failures))))
    out = []
    for a in assets:
        start = a.purchase_date or a.created_at.date()
        out.append(AssetReliability(a, rules.mtbf(in_service=start, failures=failures[a.id], today=today)))
    return sorted(out, key=lambda r: (r.reliability.next_failure or date.max, r.asset.tag))


@dataclass
class ComplianceRisk:
    asset: Asset
    risk: str
    detail: str


def compliance_risks(s: Session, *, today: date, audit_days: int = 180) -> list[ComplianceRisk]:
    """Assets past warranty still deployed or lent out, and live assets not seen in an audit for `audit_days`.
    Licence risks are in `licence_risks`."""
    out = []
    for a in s.scalars(select(Asset).where(Asset.warranty_end < today,
                                           Asset.status.in_(("deployed", "checked_out"))).order_by(Asset.warranty_end)):
        out.append(ComplianceRisk(a, "warranty", f"Warranty ended {a.warranty_end.isoformat()}, still "
                                                 f"{a.status_label.lower()}."))
    cutoff = start_of(today - timedelta(days=audit_days))
    for a in s.scalars(select(Asset).where(Asset.status.not_in(("disposed", "retired", "planned")),
                                           or_(Asset.last_seen_at.is_(None), Asset.last_seen_at < cutoff))
                       .order_by(Asset.tag)):
        seen = a.last_seen_at.date().isoformat() if a.last_seen_at else "never"
        out.append(ComplianceRisk(a, "audit", f"Not seen in an audit for {audit_days} days (last seen: {seen})."))
    return out


@dataclass
class LicenceRisk:
    licence_id: int
    name: str
    risk: str  # "expired" (seats still given out) or "over_assigned"
    detail: str


def licence_risks(s: Session, *, today: date) -> list[LicenceRisk]:
    """Licences past their end with seats still given out, and licences with more seats given out than bought
    (possible when a renewal bought fewer seats). One grouped query."""
    from ..assets.models import Licence, LicenceSeat

    used = (
        select(LicenceSeat.licence_id, func.count().label("used"))
        .where(LicenceSeat.released_at.is_(None))
        .group_by(LicenceSeat.licence_id)
        .subquery()
    )
    out = []
    for lic, in_use in s.execute(
        select(Licence, used.c.used).join(used, used.c.licence_id == Licence.id).order_by(Licence.name)
    ):
        if lic.expires_on is not None and lic.expires_on < today:
            out.append(LicenceRisk(lic.id, lic.name, "expired",
                                   f"Expired {lic.expires_on.isoformat()} with {in_use} seat(s) still given out."))
        if in_use > lic.seats:
            out.append(LicenceRisk(lic.id, lic.name, "over_assigned",
                                   f"{in_use} seats given out, {lic.seats} bought."))
    return out
