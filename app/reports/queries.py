"""Reports for managers and the accounting system. Each report is a title, columns and rows (plain values), built
from the feature queries; the routes show them as a table or stream them as CSV. Reads only."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from ..assets import rules as asset_rules
from ..assets.models import Asset, AssetModel, Loan
from ..assets.services import settings as asset_settings
from ..auth.models import User
from ..errors import Invalid, NotFound
from ..insights import queries as iq
from ..locations.models import Location
from ..stock.models import Item, StockMovement
from ..stock.queries import valuation
from ..stock.types import money

ZERO = Decimal(0)


@dataclass
class Filters:
    start: date | None = None
    end: date | None = None
    item: str = ""
    location: str = ""
    person: str = ""


@dataclass
class Report:
    name: str
    title: str
    columns: list[str]
    rows: Iterator[list]
    note: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    filters: tuple[str, ...]  # which of start, end, item, location, person apply
    build: object
    needs_period: bool = False


def stock_valuation(s: Session, f: Filters) -> Report:
    def rows():
        for iv in valuation(s).items:
            for lv in iv.locations:
                yield [iv.item.sku, iv.item.name, iv.item.valuation_method, lv.location.code, lv.on_hand, lv.value]
    return Report("stock-valuation", "Stock valuation", ["SKU", "Name", "Method", "Location", "On hand", "Value"],
                  rows(), "Value per item from its cost layers, shared between places by quantity.")


def movements(s: Session, f: Filters) -> Report:
    m = StockMovement
    src, dst = aliased(Location), aliased(Location)
    q = (select(m.created_at, m.kind, Item.sku, m.quantity, src.code, dst.code, m.unit_cost, m.total_cost, m.lot,
                m.reference, m.reason, User.email, m.source)
         .join(Item, Item.id == m.item_id).join(src, src.id == m.from_location_id, isouter=True)
         .join(dst, dst.id == m.to_location_id, isouter=True).join(User, User.id == m.actor_id, isouter=True)
         .order_by(m.created_at, m.id))
    if f.start:
        q = q.where(m.created_at >= iq.start_of(f.start))
    if f.end:
        q = q.where(m.created_at < iq.start_of(f.end + timedelta(days=1)))
    if f.item:
        q = q.where(Item.sku == f.item.strip().upper())
    if f.location:
        code = f.location.strip().upper()
        q = q.where(or_(src.code == code, dst.code == code))
    if f.person:
        q = q.where(User.email == f.person.strip().lower())

    def rows():
        for at, *rest in s.execute(q.execution_options(yield_per=500)):
            yield [at.strftime("%Y-%m-%d %H:%M:%S"), *rest]
    return Report("movements", "Movement history", ["Time (UTC)", "Kind", "SKU", "Quantity", "From", "To", "Unit cost",
                                                    "Total cost", "Lot", "Reference", "Reason", "Person", "Source"],
                  rows())


def count_variances(s: Session, f: Filters) -> Report:
    rows = iq.count_variances(s, since=f.start, until=f.end)
    return Report("count-variances", "Count variances",
                  ["Count", "Status", "SKU", "Location", "Expected", "Counted", "Variance"],
                  iter([[r.count_number, r.status, r.sku, r.location, r.expected, r.counted, r.variance]
                        for r in rows]))


def _assets(s: Session):
    return s.scalars(select(Asset).join(AssetModel, AssetModel.id == Asset.model_id).order_by(Asset.tag))


def asset_register(s: Session, f: Filters) -> Report:
    at = f.end or iq.today_utc()
    conv = asset_settings(s).month_convention

    def rows():
        for a in _assets(s):
            dep = a.depreciable(conv)
            bv = money(a.cost or 0) if dep is None else asset_rules.book_value(dep, at)
            yield [a.tag, a.model.manufacturer, a.model.name, a.model.category, a.status, a.serial,
                   a.location.code if a.location else "", a.purchase_date, a.cost, bv, a.warranty_end, a.pool or ""]
    return Report("asset-register", "Asset register", ["Tag", "Make", "Model", "Category", "Status", "Serial",
                                                       "Location", "Purchased", "Cost", f"Book value {at}",
                                                       "Warranty end", "Pool"], rows())


def depreciation(s: Session, f: Filters) -> Report:
    conv = asset_settings(s).month_convention

    def rows():
        for a in _assets(s):
            dep = a.depreciable(conv)
            if dep is None:
                continue
            for r in asset_rules.schedule(dep):
                if (f.start and r.year < f.start.year) or (f.end and r.year > f.end.year):
                    continue
                yield [a.tag, a.model.category, dep.method, r.year, r.opening, r.charge, r.closing, r.accumulated]
    return Report("depreciation", "Depreciation schedule", ["Tag", "Category", "Method", "Year", "Opening",
                                                            "Depreciation", "Closing", "Accumulated"], rows())


def loans(s: Session, f: Filters) -> Report:
    borrower = aliased(User)
    q = (select(Loan, Asset.tag, borrower.email).join(Asset, Asset.id == Loan.asset_id)
         .join(borrower, borrower.id == Loan.borrower_id, isouter=True).order_by(Loan.out_at, Loan.id))
    if f.start:
        q = q.where(Loan.out_at >= iq.start_of(f.start))
    if f.end:
        q = q.where(Loan.out_at < iq.start_of(f.end + timedelta(days=1)))
    if f.person:
        q = q.where(borrower.email == f.person.strip().lower())

    def rows():
        for loan, tag, email in s.execute(q):
            yield [tag, email or "", loan.customer or "", loan.out_at.strftime("%Y-%m-%d %H:%M"), loan.due_on,
                   loan.returned_at.strftime("%Y-%m-%d %H:%M") if loan.returned_at else "", loan.condition_out,
                   loan.condition_in or "", loan.damage or ""]
    return Report("loans", "Loan history", ["Tag", "Borrower", "Customer", "Out (UTC)", "Due", "Returned (UTC)",
                                            "Condition out", "Condition in", "Damage"], rows())


ACCOUNTS = {
    "cogs": "5000 Cost of goods sold",
    "consumption": "5100 Maintenance parts expense",
    "inventory": "1300 Inventory",
    "adjustment": "5200 Inventory adjustments",
    "depreciation": "6100 Depreciation expense",
    "accumulated": "1590 Accumulated depreciation",
}


def journal(s: Session, f: Filters) -> Report:
    """The period's cost of goods (picks and issues), parts consumed, inventory adjustments (count gains and losses)
    and depreciation as balanced journal lines (debit, credit) dated the last day of the period."""
    if not (f.start and f.end):
        raise Invalid("A journal needs a period: give both a start and an end date.", field="start")
    m = StockMovement
    lo, hi = iq.start_of(f.start), iq.start_of(f.end + timedelta(days=1))
    sums = dict.fromkeys(("pick", "issue", "consumption", "gain", "loss"), ZERO)
    for kind, qty, cost in s.execute(select(m.kind, m.quantity, m.total_cost).where(
            m.kind.in_(("pick", "issue", "consumption", *iq.ADJUSTMENT_KINDS)), m.created_at >= lo,
            m.created_at < hi, m.total_cost.is_not(None)).execution_options(yield_per=1000)):
        if kind in iq.ADJUSTMENT_KINDS:
            sums["gain" if qty > 0 else "loss"] += abs(cost)
        else:
            sums[kind] += cost
    conv = asset_settings(s).month_convention
    dep_total = ZERO
    for a in s.scalars(select(Asset).where(Asset.purchase_date.is_not(None), Asset.purchase_date <= f.end)):
        dep = a.depreciable(conv)
        if dep is None:
            continue
        running = dataclasses.replace(dep, disposed_on=None)
        last = f.end if a.disposed_on is None else min(f.end, a.disposed_on)
        if last < f.start:
            continue
        # Carried at the start of the period; one bought during it is carried at its cost from the day it came.
        opening = (asset_rules.book_value(running, f.start - timedelta(days=1)) if dep.in_service < f.start
                   else money(dep.cost))
        dep_total += opening - asset_rules.book_value(running, last)
    day = f.end.isoformat()
    period = f"{f.start.isoformat()}–{f.end.isoformat()}"
    lines = []

    def pair(debit, credit, amount, memo):
        amount = money(amount)
        if amount:
            lines.append([day, ACCOUNTS[debit], amount, "", memo])
            lines.append([day, ACCOUNTS[credit], "", amount, memo])

    pair("cogs", "inventory", sums["pick"] + sums["issue"], f"Cost of goods picked and issued {period}")
    pair("consumption", "inventory", sums["consumption"], f"Spare parts consumed by maintenance {period}")
    pair("adjustment", "inventory", sums["loss"], f"Inventory count losses {period}")
    pair("inventory", "adjustment", sums["gain"], f"Inventory count gains {period}")
    pair("depreciation", "accumulated", dep_total, f"Depreciation of assets {period}")
    return Report("journal", "Journal lines", ["Date", "Account", "Debit", "Credit", "Memo"], iter(lines),
                  "Costs from the stock ledger (cost layers drawn at the time), depreciation from each asset's "
                  "schedule between the day before the start and the end (or its disposal).")


KINDS: tuple[Kind, ...] = (
    Kind("stock-valuation", "Stock valuation", (), stock_valuation),
    Kind("movements", "Movement history", ("start", "end", "item", "location", "person"), movements),
    Kind("count-variances", "Count variances", ("start", "end"), count_variances),
    Kind("asset-register", "Asset register with book values", ("end",), asset_register),
    Kind("depreciation", "Depreciation schedule", ("start", "end"), depreciation),
    Kind("loans", "Loan history", ("start", "end", "person"), loans),
    Kind("journal", "Journal lines for accounting", ("start", "end"), journal, needs_period=True),
)
BY_NAME = {k.name: k for k in KINDS}


def build(s: Session, name: str, f: Filters) -> Report:
    kind = BY_NAME.get(name)
    if kind is None:
        raise NotFound(f"No report called {name}.", field="name")
    return kind.build(s, f)
