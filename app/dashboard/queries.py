"""What each dashboard tile shows. Reads only; a fixed number of aggregate queries per tile.

Every figure comes with a sentence saying how it was made (`why`), so the page can explain each number. Nothing here
loops over the ledger: movements are read through (kind, created_at) / (created_at) windows and LIMITs, stock through
the totals each item keeps of its balances and cost layers, assets through their status and dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from ..assets import rules as asset_rules
from ..assets.models import RESERVATION_OPEN, Asset, AssetModel, Loan, Reservation
from ..assets.queries import CategoryTotal
from ..assets.services import settings as asset_settings
from ..insights import queries as iq
from ..insights import rules
from ..locations.models import Location
from ..maintenance import rules as maintenance_rules
from ..maintenance.models import MaintenanceRecord, MaintenanceSchedule
from ..maintenance.queries import DueItem, current_hours
from ..scanning.models import ScanConflict
from ..stock.models import CountLine, CountSession, Item, Order, PurchaseOrder, StockMovement
from ..stock.types import Value, money

ZERO = Decimal(0)


@dataclass
class Figure:
    label: str
    value: object
    why: str
    href: str | None = None
    tone: str = ""  # "", "warn", "bad"
    rows: list = field(default_factory=list)


def _value_sum(col):
    return type_coerce(func.sum(col), Value())


def stock_value(s: Session) -> dict:
    """Value on hand by valuation method: the value each item keeps of its open cost layers, summed per method."""
    rows = s.execute(
        select(Item.valuation_method, _value_sum(Item.stock_value), func.count())
        .where(Item.stock_value != 0).group_by(Item.valuation_method).order_by(Item.valuation_method)).all()
    by_method = [(m.upper(), money(raw or 0), n) for m, raw, n in rows]
    total = sum((v for _, v, _ in by_method), ZERO)
    return {"by_method": by_method, "total": total, "chart": [(m, v) for m, v, _ in by_method],
            "why": "Σ remaining quantity × unit cost over the cost layers still holding stock: the oldest costs for "
                   "FIFO items, the newest for LIFO, the running average for weighted-average items."}


def replenishment(s: Session, *, limit: int = 8) -> dict:
    """Items at or below their reorder point, and items with nothing on hand: both counts in one pass over the
    items' on-hand totals (kept with every movement), and the first few below."""
    below = (Item.on_hand_total <= Item.reorder_point) & (Item.reorder_point > 0)
    active = Item.active.is_(True)
    below_n, out_n = s.execute(select(
        func.coalesce(func.sum(case((below, 1), else_=0)), 0),
        func.coalesce(func.sum(case((Item.on_hand_total <= 0, 1), else_=0)), 0),
    ).where(active)).one()
    rows = s.execute(select(Item.sku, Item.name, Item.reorder_point, Item.on_hand_total)
                     .where(active, below).order_by(Item.sku).limit(limit)).all()
    return {"below_n": below_n, "out_n": out_n, "below": rows,
            "why_below": "Active items whose on-hand total over all places is at or below the reorder point set on "
                         "the item (items without a reorder point are left out).",
            "why_out": "Active items with nothing on hand anywhere (no balance, or balances summing to 0 or less)."}


def turns(s: Session, *, today: date, days: int = 90) -> dict:
    """Annualised stock turns and days of cover from the window's cost of goods and demand (two aggregates)."""
    start = iq.start_of(today - timedelta(days=days - 1))
    m = StockMovement
    cogs, demand = s.execute(select(iq.money_sum(m.total_cost), iq.qty_sum(m.quantity))
                             .where(m.kind.in_(iq.DEMAND_KINDS), m.created_at >= start)).one()
    raw_value, on_hand = s.execute(select(_value_sum(Item.stock_value), iq.qty_sum(Item.on_hand_total))).one()
    value, on_hand = money(raw_value or 0), on_hand or ZERO
    t, how = rules.stock_turns(cost_of_goods=cogs or ZERO, days=days, inventory_value=value)
    daily = float(demand or 0) / days
    cover = rules.days_of_cover(on_hand, daily)
    return {"turns": t, "how": how, "cover": cover, "cogs": cogs or ZERO, "demand": demand or ZERO, "days": days,
            "on_hand": on_hand, "value": value,
            "why_cover": f"On hand {on_hand} ÷ average daily demand {daily:.2f} "
                         f"(picks, issues and consumption over {days} days: {demand or 0})."}


def movements(s: Session, *, today: date, limit: int = 8, days: int = 14) -> dict:
    """The latest movements, and how many there were each of the last `days` days (for the sparkline)."""
    m = StockMovement
    src, dst = aliased(Location), aliased(Location)
    latest = s.execute(
        select(m.id, m.kind, m.quantity, m.created_at, Item.sku, src.code, dst.code)
        .join(Item, Item.id == m.item_id).join(src, src.id == m.from_location_id, isouter=True)
        .join(dst, dst.id == m.to_location_id, isouter=True)
        .order_by(m.created_at.desc(), m.id.desc()).limit(limit)).all()
    start = today - timedelta(days=days - 1)
    day = iq.utc_day(s, m.created_at)
    per_day = dict.fromkeys(range(days), 0)
    for d, n in s.execute(select(day, func.count()).where(m.created_at >= iq.start_of(start)).group_by(day)):
        idx = (iq._day(d) - start).days
        if 0 <= idx < days:
            per_day[idx] += n
    series = [(start + timedelta(days=i), per_day[i]) for i in range(days)]
    return {"latest": latest, "series": series, "counts": [n for _, n in series],
            "labels": [d.isoformat() for d, _ in series], "total": sum(per_day.values()), "days": days,
            "why": f"Ledger movements of every kind per day over the last {days} days (UTC days)."}


def counts_awaiting(s: Session, *, limit: int = 6) -> dict:
    line = CountLine
    q = (select(CountSession.number, func.count(line.id), iq.qty_sum(func.abs(line.counted - line.expected)))
         .join(line, line.session_id == CountSession.id)
         .where(CountSession.status == "submitted", line.counted.is_not(None), line.expected.is_not(None),
                line.counted != line.expected)
         .group_by(CountSession.id, CountSession.number).order_by(CountSession.number))
    sessions = s.scalar(select(func.count()).where(CountSession.status == "submitted"))
    return {"sessions": sessions, "rows": s.execute(q.limit(limit)).all(),
            "why": "Count sessions submitted and not yet approved; per session, the lines whose count differs from "
                   "what the balance held when counted, and the sum of the absolute differences."}


def work(s: Session) -> dict:
    po = dict(s.execute(select(PurchaseOrder.status, func.count()).where(
        PurchaseOrder.status.in_(("draft", "open", "partial"))).group_by(PurchaseOrder.status)).all())
    orders = dict(s.execute(select(Order.status, func.count()).where(
        Order.status.in_(("open", "allocated", "picking"))).group_by(Order.status)).all())
    return {"po": po, "orders": orders, "to_receive": po.get("open", 0) + po.get("partial", 0),
            "to_pick": orders.get("allocated", 0) + orders.get("picking", 0),
            "why_po": "Purchase orders open or partly received (drafts are shown apart: not sent yet).",
            "why_orders": "Orders allocated or being picked (open orders still wait for allocation)."}


def assets(s: Session, *, today: date) -> dict:
    status = dict(s.execute(select(Asset.status, func.count()).group_by(Asset.status)).all())
    overdue = s.scalar(select(func.count()).select_from(Loan).where(Loan.returned_at.is_(None), Loan.due_on < today))
    start, end = iq.start_of(today), iq.start_of(today + timedelta(days=1))
    reserved_today = s.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.state.in_(RESERVATION_OPEN), Reservation.starts_at < end, Reservation.ends_at > start))
    return {"status": status, "checked_out": status.get("checked_out", 0), "overdue": overdue,
            "reserved_today": reserved_today, "in_maintenance": status.get("in_maintenance", 0),
            "why_out": "Assets whose status is checked out (derived from their check-out and check-in events).",
            "why_overdue": "Loans not returned whose due date is before today.",
            "why_reserved": "Open reservations (booked or set aside) whose window overlaps today (UTC).",
            "why_maint": "Assets whose status is in maintenance (an open maintenance record)."}


def due_schedules(s: Session, *, today: date) -> list[DueItem]:
    """Due and overdue schedules with their assets in one query (plus one for meter hours), worst first."""
    rows = s.execute(select(MaintenanceSchedule, Asset).join(Asset, Asset.id == MaintenanceSchedule.asset_id)
                     .where(MaintenanceSchedule.active.is_(True), Asset.status.not_in(("disposed", "retired")))).all()
    hours = current_hours(s, {sched.asset_id for sched, _ in rows}) if rows else {}
    out = []
    for sched, asset in rows:
        d = maintenance_rules.due(every_days=sched.every_days, every_hours=sched.every_hours,
                                  last_done_on=sched.last_done_on, last_done_hours=sched.last_done_hours,
                                  current_hours=hours.get(sched.asset_id), today=today)
        if d.state != "ok":
            out.append(DueItem(sched, asset, d))
    order = {"overdue": 0, "due": 1}
    return sorted(out, key=lambda i: (order[i.due.state], i.due.due_on or today, i.asset.tag))


def maintenance(s: Session, *, today: date, limit: int = 6) -> dict:
    items = due_schedules(s, today=today)
    open_n = s.scalar(select(func.count()).select_from(MaintenanceRecord).where(MaintenanceRecord.state == "open"))
    return {"overdue": sum(1 for i in items if i.due.state == "overdue"),
            "due": sum(1 for i in items if i.due.state == "due"), "due_items": items[:limit], "open": open_n,
            "why": "Active schedules of assets not retired or disposed: due or overdue by days since last done, or by "
                   "hours of use since last done (latest meter reading)."}


def warranties(s: Session, *, today: date) -> dict:
    live = Asset.status.not_in(("disposed", "retired"))
    counts = {}
    for n in (30, 60, 90):
        counts[n] = s.scalar(select(func.count()).select_from(Asset).where(
            live, Asset.warranty_end >= today, Asset.warranty_end <= today + timedelta(days=n)))
    soon = list(s.scalars(select(Asset).where(live, Asset.warranty_end >= today,
                                              Asset.warranty_end <= today + timedelta(days=90))
                          .order_by(Asset.warranty_end, Asset.tag).limit(6)))
    return {"counts": counts, "soon": soon,
            "why": "Assets not retired or disposed whose warranty ends between today and today + N days "
                   "(each count includes the shorter windows)."}


_BOOK_CACHE: dict[tuple, dict] = {}


def book_values(s: Session, *, today: date) -> dict:
    """Book value by category today. Assets that share their depreciation terms are grouped in SQL and valued once;
    the result is kept per process under a fingerprint of the register (count, highest id, Σ event count, latest
    registration, Σ cost — every edit, disposal or new asset changes it) and the day, so a refresh costs one small aggregate query."""
    conv = asset_settings(s).month_convention
    fingerprint = s.execute(select(func.count(Asset.id), func.max(Asset.id), func.sum(Asset.event_count),
                                   func.max(Asset.created_at), func.sum(Asset.cost))).one()
    key = (tuple(fingerprint), today, conv)
    if key in _BOOK_CACHE:
        return _BOOK_CACHE[key]
    groups = s.execute(
        select(AssetModel.category, Asset.cost, Asset.purchase_date, Asset.useful_life_months, Asset.salvage_value,
               Asset.depreciation_method, Asset.disposed_on, func.count())
        .join(AssetModel, AssetModel.id == Asset.model_id).where(Asset.status != "disposed")
        .group_by(AssetModel.category, Asset.cost, Asset.purchase_date, Asset.useful_life_months,
                  Asset.salvage_value, Asset.depreciation_method, Asset.disposed_on)).all()
    totals: dict[str, CategoryTotal] = {}
    for category, cost, bought, life, salvage, method, disposed, n in groups:
        t = totals.setdefault(category, CategoryTotal(category))
        cost = asset_rules.money(cost or 0)
        value = cost
        if bought is not None:
            dep = asset_rules.Depreciable(cost=cost, in_service=bought, life_months=life or 0,
                                          salvage=salvage or ZERO, method=method if life else "none",
                                          convention=conv, disposed_on=disposed)
            value = asset_rules.book_value(dep, today)
        t.count += n
        t.cost += cost * n
        t.book_value += value * n
    rows = sorted(totals.values(), key=lambda x: x.category)
    result = {"totals": rows, "total": sum((x.book_value for x in rows), ZERO),
              "chart": [(x.category, x.book_value) for x in rows], "cost": sum((x.cost for x in rows), ZERO),
              "why": "Per category, each asset not disposed of at cost less depreciation to today by its method, "
                     "useful life and salvage value (assets without a purchase date count at cost)."}
    if len(_BOOK_CACHE) > 16:
        _BOOK_CACHE.clear()
    _BOOK_CACHE[key] = result
    return result


def idle(s: Session, *, today: date, days: int = 60) -> dict:
    return {"count": iq.idle_count(s, today=today, days=days), "days": days,
            "rows": iq.idle_assets(s, today=today, days=days, limit=5),
            "why": f"Assets in stock or deployed with no check-out, return, transfer or deployment in {days} days "
                   "(their registration date when they never had one)."}


def conflicts(s: Session) -> dict:
    return {"count": s.scalar(select(func.count()).select_from(ScanConflict).where(ScanConflict.status == "open")),
            "why": "Offline scans the server could not apply when a phone replayed them, not yet retried or dismissed."}


def alerts(s: Session, *, today: date, user_id: int, anomaly_days: int = 90, audit_days: int = 180,
           failure_days: int = 30, expiry_days: int = 30) -> dict:
    """What needs a look: unread notifications, unusual count adjustments, compliance risks, failures expected soon."""
    from ..assets.queries import expiring
    from ..notifications.services import unread_count

    found, _rows = iq.adjustment_anomalies(s, today=today, days=anomaly_days)
    cutoff = iq.start_of(today - timedelta(days=audit_days))
    past_warranty = s.scalar(select(func.count()).select_from(Asset).where(
        Asset.warranty_end < today, Asset.status.in_(("deployed", "checked_out"))))
    unaudited = s.scalar(select(func.count()).select_from(Asset).where(
        Asset.status.not_in(("disposed", "retired", "planned")),
        (Asset.last_seen_at.is_(None)) | (Asset.last_seen_at < cutoff)))
    soon = [r for r in iq.reliability(s, today=today)
            if r.reliability.next_failure and r.reliability.next_failure <= today + timedelta(days=failure_days)]
    ending = expiring(s, today=today, within_days=expiry_days)
    return {"unread": unread_count(s, user_id), "anomalies": len(found.flagged), "past_warranty": past_warranty,
            "ending": len(ending), "expiry_days": expiry_days,
            "unaudited": unaudited, "failures": len(soon), "anomaly_days": anomaly_days, "audit_days": audit_days,
            "failure_days": failure_days, "anomaly_how": found.derivation}
