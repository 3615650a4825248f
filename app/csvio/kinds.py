"""The things Storekeeper imports and exports as CSV: their columns, how one row is applied (through the owning
feature's services, inside the import's single transaction) and what an export holds.

A row is applied step by step; each step that fails adds a Problem for its own column, so one line can report a
bad date and a bad cost at once. The row's changes are undone when any step failed (the caller runs every row in a
savepoint), and the whole import is one transaction that only commits when no row failed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..assets import rules as asset_rules
from ..assets import services as assets
from ..assets.models import Asset
from ..auth import rules as auth_rules
from ..auth import services as auth
from ..auth.models import User
from ..errors import DomainError, Invalid
from ..locations import services as locations
from ..locations.models import KINDS as LOCATION_KINDS
from ..locations.models import Location
from ..locations.rules import normalise_code
from ..scanning.rules import parse as parse_code
from ..stock import orders
from ..stock import rules as stock_rules
from ..stock import services as stock
from ..stock.models import Item, Order, OrderLine, StockBalance, StockLot
from .reader import Problem


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    help: str = ""
    example: str = ""


@dataclass
class Context:
    session: Session
    actor_id: int | None
    hash_method: str
    dry_run: bool
    # What earlier rows of this import made, per kind: an order's later lines go onto the order its first line made.
    made: dict[str, set] = field(default_factory=dict)


@dataclass
class Row:
    """One line being applied: collects its problems per column."""

    line: int
    values: dict[str, str]
    problems: list[Problem] = field(default_factory=list)

    def get(self, name: str) -> str:
        return (self.values.get(name) or "").strip()

    def fail(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.line, column, message))

    def check(self, column: str | Callable[[DomainError], str] | _ByField, fn: Callable, *args, **kwargs):
        """Run fn; a domain error becomes a problem of `column` (or of the column named by a mapping of the
        error's field). Returns fn's result, or None when it failed."""
        try:
            return fn(*args, **kwargs)
        except DomainError as err:
            if isinstance(column, _ByField):
                column = column.column(err, self.values)
            self.fail(column(err) if callable(column) else column, err.message)
            return None


TRUE = {"yes", "y", "true", "1", "x"}
FALSE = {"no", "n", "false", "0", ""}


def boolean(raw: str, field: str) -> bool:
    value = (raw or "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise Invalid(f"{raw!r} is not yes or no.", field=field)


@dataclass(frozen=True)
class _ByField:
    mapping: dict[str, str]
    default: str

    def column(self, err: DomainError, present) -> str:
        field = err.field or ""
        if field in self.mapping:
            return self.mapping[field]
        if field in self.mapping.values() or field in present:
            return field
        return self.default


def by_field(mapping: dict[str, str], default: str) -> _ByField:
    """The column a service's error is about: its field as mapped, else the field itself when the file has that
    column (a serial too long for its field is the serial's problem, not the tag's), else `default`."""
    return _ByField(mapping, default)


class Kind:
    key: str
    title: str
    columns: list[Column]
    admins_only = False

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def samples(self) -> list[list[str]]:
        """The example rows of the sample file."""
        return [[c.example for c in self.columns]]

    def order(self, rows: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
        return rows

    def apply(self, row: Row, ctx: Context) -> None:  # pragma: no cover - each kind has its own
        raise NotImplementedError

    def export(self, s: Session) -> Iterator[list]:  # pragma: no cover
        raise NotImplementedError


# --- items ------------------------------------------------------------------------------------------------------------


class Items(Kind):
    key, title = "items", "Items"
    columns = [
        Column("sku", True, "1–40 letters, digits, - . _", "BOLT-M6"),
        Column("name", True, "", "Hex bolt M6 × 30"),
        Column("description"),
        Column("uom", help="ea, pair, box, pack, roll, set, kg, m, l (default ea)", example="ea"),
        Column("tracking", help="none, lot or serial (default none)", example="none"),
        Column("expiry_required", help="yes or no", example="no"),
        Column("reorder_point", example="50"),
        Column("safety_stock", example="20"),
        Column("lead_time_days", example="7"),
        Column("standard_cost", example="0.12"),
        Column("valuation_method", help="fifo, lifo or average (default: the house setting)", example="fifo"),
        Column("each_barcode", help="EAN-13, UPC-A, EAN-8 or GTIN-14 of one unit; several separated by spaces",
               example="4006381333931"),
        Column("inner_barcode", help="barcode of an inner pack", example=""),
        Column("inner_qty", help="units in the inner pack", example=""),
        Column("case_barcode", help="barcode of a case", example="14006381333938"),
        Column("case_qty", help="units in a case", example="100"),
    ]
    FIELDS = ("description", "uom", "tracking", "reorder_point", "safety_stock", "lead_time_days", "standard_cost",
              "valuation_method")

    def precheck(self, row: Row) -> None:
        """The checks of single cells, each on its own column, so a line shows all its problems at once (the
        service stops at the first)."""
        row.check("sku", stock_rules.normalise_sku, row.get("sku"))
        if not row.get("name"):
            row.fail("name", "Give the item a name.")
        uom = row.check("uom", stock_rules.check_uom, row.get("uom") or "ea") or "ea"
        for name, choices in (("tracking", stock_rules.TRACKING), ("valuation_method", stock_rules.VALUATION)):
            if row.get(name):
                row.check(name, stock_rules.check_choice, row.get(name), choices, name.replace("_", " "), name)
        for name in ("reorder_point", "safety_stock"):
            if row.get(name):
                row.check(name, stock_rules.parse_quantity, row.get(name), uom=uom, field=name, allow_zero=True)
        if row.get("standard_cost"):
            row.check("standard_cost", stock_rules.parse_cost, row.get("standard_cost"), field="standard_cost")

    def apply(self, row: Row, ctx: Context) -> None:
        s = ctx.session
        self.precheck(row)
        values = {name: row.get(name) for name in self.FIELDS if row.get(name)}
        if row.get("expiry_required"):
            flag = row.check("expiry_required", boolean, row.get("expiry_required"), "expiry_required")
            if flag is not None:
                values["expiry_required"] = flag
        barcodes = []
        for code in row.get("each_barcode").split():
            if row.check("each_barcode", parse_gtin, code) is not None:
                barcodes.append(("each_barcode", code, "each", 1))
        for level in ("inner", "case"):
            code, qty = row.get(f"{level}_barcode"), row.get(f"{level}_qty")
            if code and row.check(f"{level}_barcode", parse_gtin, code) is not None:
                if not qty:
                    row.fail(f"{level}_qty", f"Give the number of units in the {level} ({level}_qty).")
                else:
                    barcodes.append((f"{level}_qty", code, level, qty))
            elif qty and not code:
                row.fail(f"{level}_barcode", f"{level}_qty is given but {level}_barcode is empty.")
        if row.problems:
            return
        columns = {"sku": "sku", "name": "name", **{n: n for n in self.FIELDS}, "expiry_required": "expiry_required"}
        item = row.check(by_field(columns, "sku"), stock.create_item_within, s, sku=row.get("sku"),
                         name=row.get("name"), **values)
        if item is None:
            return
        for column, code, level, qty in barcodes:
            target = f"{level}_barcode" if level != "each" else "each_barcode"
            row.check(lambda err, t=target, c=column: c if err.field == "pack_qty" else t,
                      stock.attach_barcode_within, s, item=item, code=code, level=level, pack_qty=qty)

    def export(self, s: Session) -> Iterator[list]:
        for item in s.scalars(select(Item).order_by(Item.sku)):
            each = [b.label for b in item.barcodes if b.level == "each"]
            packs = {b.level: b for b in item.barcodes if b.level != "each"}
            inner, case = packs.get("inner"), packs.get("case")
            yield [item.sku, item.name, item.description, item.uom, item.tracking, item.expiry_required,
                   item.reorder_point, item.safety_stock, item.lead_time_days, item.standard_cost,
                   item.valuation_method, " ".join(each), inner.label if inner else "",
                   inner.pack_qty if inner else "", case.label if case else "", case.pack_qty if case else ""]


def parse_gtin(code: str) -> str:
    parsed = parse_code(code)
    if parsed.kind != "gtin":
        raise Invalid(f"{code!r} is not an EAN-13, UPC-A, EAN-8 or GTIN-14 (digits only).", field="code")
    return parsed.key


# --- locations -------------------------------------------------------------------------------------------------------


class Locations(Kind):
    key, title = "locations", "Locations"
    columns = [
        Column("code", True, "1–40 capital letters, digits, - or .", "A-01-03"),
        Column("name", example="Aisle A, bay 1, shelf 3"),
        Column("kind", True, "site, zone, bin, dock or van", "bin"),
        Column("parent", help="code of the site or zone it is in (may be defined on another line)", example="WH-A"),
        Column("walk_order", help="position on the walking route (whole number)", example="103"),
    ]

    def samples(self) -> list[list[str]]:
        return [["WH", "Main warehouse", "site", "", "0"], ["WH-A", "Aisle A", "zone", "WH", "100"],
                ["A-01-03", "Aisle A, bay 1, shelf 3", "bin", "WH-A", "103"]]

    def order(self, rows):
        """Parents defined in the same file are created before their children, whatever the line order."""
        codes = {(r.get("code") or "").strip().upper(): r for _, r in rows}

        def depth(r, seen=()):
            parent = (r.get("parent") or "").strip().upper()
            if not parent or parent not in codes or parent in seen:
                return 0
            return 1 + depth(codes[parent], (*seen, parent))

        return sorted(rows, key=lambda lr: (depth(lr[1]), lr[0]))

    def apply(self, row: Row, ctx: Context) -> None:
        row.check("code", normalise_code, row.get("code"))
        if row.get("kind") not in LOCATION_KINDS:
            row.fail("kind", f"Unknown location kind {row.get('kind')!r}; choose one of {', '.join(LOCATION_KINDS)}.")
        parent = row.get("parent")
        if parent:
            row.check("parent", normalise_code, parent)
        walk = 0
        if row.get("walk_order"):
            try:
                walk = int(row.get("walk_order"))
            except ValueError:
                row.fail("walk_order", f"{row.get('walk_order')!r} is not a whole number.")
        if row.problems:
            return
        row.check(by_field({"code": "code", "kind": "kind", "parent": "parent"}, "code"),
                  locations.create_location_within, ctx.session, code=row.get("code"), name=row.get("name"),
                  kind=row.get("kind"), parent_code=parent or None, walk_order=walk)

    def export(self, s: Session) -> Iterator[list]:
        for loc in s.scalars(select(Location).order_by(Location.walk_order, Location.code)):
            yield [loc.code, loc.name, loc.kind, loc.parent.code if loc.parent else "", loc.walk_order]


# --- assets ----------------------------------------------------------------------------------------------------------


class Assets(Kind):
    key, title = "assets", "Assets"
    columns = [
        Column("tag", True, "2–40 capital letters, digits, - or .", "LN-0042"),
        Column("manufacturer", True, example="Fluke"),
        Column("model", True, example="87V Multimeter"),
        Column("category", True, example="Test equipment"),
        Column("serial", example="SN123456"),
        Column("status", help="planned, in_stock or deployed (default in_stock)", example="in_stock"),
        Column("location", help="location code", example="WH"),
        Column("department", example="Field service"),
        Column("assignee_email", help="email of an active user", example=""),
        Column("purchase_date", help="YYYY-MM-DD", example="2025-03-01"),
        Column("cost", example="1200.00"),
        Column("supplier", example="Acme Tools"),
        Column("po_ref", example="PO-1001"),
        Column("warranty_end", help="YYYY-MM-DD", example="2028-03-01"),
        Column("useful_life_months", example="60"),
        Column("salvage_value", example="200.00"),
        Column("depreciation_method", help="straight_line, declining_balance or none", example="straight_line"),
        Column("pool", help="loaner, demo or rental; empty when it is not lent out", example="loaner"),
        Column("notes"),
    ]

    def apply(self, row: Row, ctx: Context) -> None:
        s = ctx.session
        problems_before = len(row.problems)
        tag = row.check("tag", assets.normalise_tag, row.get("tag"))
        status = row.get("status") or "in_stock"
        if status not in asset_rules.INITIAL:
            row.fail("status", f"Unknown status {status!r}; choose one of {', '.join(asset_rules.INITIAL)}.")
        method = row.get("depreciation_method") or "straight_line"
        if method not in asset_rules.METHODS:
            row.fail("depreciation_method",
                     f"Unknown depreciation method {method!r}; choose one of {', '.join(asset_rules.METHODS)}.")
        pool = row.get("pool") or None
        if pool is not None and pool not in asset_rules.POOLS:
            row.fail("pool", f"Unknown pool {pool!r}; choose loaner, demo or rental, or leave it empty.")
        purchase = row.check("purchase_date", assets.parse_date, row.get("purchase_date"), "purchase_date")
        warranty = row.check("warranty_end", assets.parse_date, row.get("warranty_end"), "warranty_end")
        cost = row.check("cost", assets.parse_money, row.get("cost"), "cost")
        salvage = row.check("salvage_value", assets.parse_money, row.get("salvage_value"), "salvage_value")
        life = row.check("useful_life_months", assets.parse_int, row.get("useful_life_months"), "useful_life_months",
                         minimum=1)
        assignee_id = None
        if row.get("assignee_email"):
            email = row.get("assignee_email").lower()
            assignee_id = s.scalar(select(User.id).where(User.email == email, User.active))
            if assignee_id is None:
                row.fail("assignee_email", f"No active user has the email {email}.")
        location = row.get("location").upper() or None
        if location and s.scalar(select(Location.id).where(Location.code == location)) is None:
            row.fail("location", f"No location has the code {location}.")
        model = row.check("model", assets.ensure_model_within, s, manufacturer=row.get("manufacturer"),
                          name=row.get("model"), category=row.get("category"))
        if len(row.problems) > problems_before or tag is None or model is None:
            return
        fields = assets.AssetFields(
            model_id=model.id, serial=row.get("serial") or None, location_code=location,
            department=row.get("department") or None, assignee_id=assignee_id, purchase_date=purchase,
            cost=cost or Decimal("0.00"), supplier=row.get("supplier") or None, po_ref=row.get("po_ref") or None,
            warranty_end=warranty, useful_life_months=life, salvage_value=salvage or Decimal("0.00"),
            depreciation_method=method, pool=pool, notes=row.get("notes") or None)
        columns = {"tag": "tag", "salvage_value": "salvage_value", "useful_life_months": "useful_life_months",
                   "location_code": "location", "assignee_id": "assignee_email", "model_id": "model"}
        row.check(by_field(columns, "tag"), assets.register_asset_within, s, tag=tag, fields=fields, status=status,
                  actor_id=ctx.actor_id)

    def export(self, s: Session) -> Iterator[list]:
        for a in s.scalars(select(Asset).order_by(Asset.tag)):
            yield [a.tag, a.model.manufacturer, a.model.name, a.model.category, a.serial, a.status,
                   a.location.code if a.location else "", a.department, a.assignee.email if a.assignee else "",
                   a.purchase_date, a.cost, a.supplier, a.po_ref, a.warranty_end, a.useful_life_months,
                   a.salvage_value, a.depreciation_method, a.pool, a.notes]


# --- opening stock -----------------------------------------------------------------------------------------------------


class OpeningStock(Kind):
    key, title = "stock", "Opening stock"
    columns = [
        Column("sku", True, example="BOLT-M6"),
        Column("location", True, "bin or other location code", "A-01-03"),
        Column("quantity", True, "in the item's unit; more than zero", "500"),
        Column("unit_cost", help="default: the item's standard cost", example="0.11"),
        Column("lot", help="lot or serial number, for tracked items", example=""),
        Column("expiry", help="YYYY-MM-DD, for lots with an expiry date", example=""),
    ]
    REFERENCE = "opening stock (CSV import)"

    def apply(self, row: Row, ctx: Context) -> None:
        s = ctx.session
        item = row.check("sku", stock.find_item, s, sku=row.get("sku") or " ")
        row.check("location", stock.find_location, s, row.get("location"))
        uom = item.item.uom if item else "kg"  # unknown item: still catch negative, absurd or non-numbers
        row.check("quantity", stock_rules.parse_quantity, row.get("quantity"), uom=uom, field="quantity")
        row.check("unit_cost", stock_rules.parse_cost, row.get("unit_cost"))
        expiry = row.check("expiry", assets.parse_date, row.get("expiry"), "expiry")
        if row.problems:
            return
        columns = {"sku": "sku", "code": "sku", "location": "location", "quantity": "quantity",
                   "unit_cost": "unit_cost", "lot": "lot", "expiry": "expiry"}
        who = stock.Actor(actor_id=ctx.actor_id, source="typed")
        row.check(by_field(columns, "quantity"), stock.receive_within, ctx.session, sku=row.get("sku"),
                  location_code=row.get("location"), quantity=row.get("quantity"), who=who,
                  lot=row.get("lot") or None, expiry=expiry, unit_cost=row.get("unit_cost") or None,
                  reference=self.REFERENCE)

    def export(self, s: Session) -> Iterator[list]:
        """The balances now, in the import's columns (plus the item's name), so a count sheet can start from it."""
        rows = s.execute(
            select(Item.sku, Location.code, StockBalance.on_hand, StockBalance.lot, StockLot.expiry, Item.name)
            .join(StockBalance, StockBalance.item_id == Item.id)
            .join(Location, Location.id == StockBalance.location_id)
            .outerjoin(StockLot, (StockLot.item_id == Item.id) & (StockLot.code == StockBalance.lot))
            .where(StockBalance.on_hand != 0)
            .order_by(Item.sku, Location.walk_order, Location.code, StockBalance.lot))
        for sku, code, on_hand, lot, expiry, name in rows:
            yield [sku, code, on_hand, "", lot, expiry, name]

    export_header = ["sku", "location", "quantity", "unit_cost", "lot", "expiry", "name"]


# --- orders ----------------------------------------------------------------------------------------------------------


class Orders(Kind):
    key, title = "orders", "Orders"
    columns = [
        Column("order", True, "order number; every line of one order gives the same number", "SO-2001"),
        Column("customer", True, "who the order is for (the same on every line of the order)", "Harbour Café"),
        Column("sku", True, example="BOLT-M6"),
        Column("quantity", True, "in the item's unit; more than zero", "50"),
        Column("ship_to", help="delivery address (on the order's first line)", example="Harbour Café, Main Street 1"),
        Column("site", help="code of the site to pick from (default: any)", example=""),
    ]
    COLUMNS = {"number": "order", "customer": "customer", "sku": "sku", "code": "sku", "lines": "sku",
               "quantity": "quantity", "location": "site"}

    def samples(self) -> list[list[str]]:
        return [["SO-2001", "Harbour Café", "BOLT-M6", "50", "Harbour Café, Main Street 1", ""],
                ["SO-2001", "Harbour Café", "NUT-M6", "50", "", ""]]

    def apply(self, row: Row, ctx: Context) -> None:
        s = ctx.session
        number = row.check("order", orders.check_number, row.get("order")) if row.get("order") else None
        if not row.get("order"):
            row.fail("order", "Give the order number; the lines of one order share it.")
        if not row.get("customer"):
            row.fail("customer", "Who is the order for?")
        item = row.check("sku", stock.find_item, s, sku=row.get("sku") or " ")
        uom = item.item.uom if item else "kg"  # unknown item: still catch negative, absurd or non-numbers
        row.check("quantity", stock_rules.parse_quantity, row.get("quantity"), uom=uom, field="quantity")
        if row.get("site"):
            row.check("site", stock.find_location, s, row.get("site"))
        if row.problems:
            return
        made = ctx.made.setdefault(self.key, set())
        order = s.scalar(select(Order).where(Order.number == number)) if number in made else None
        if order is None:  # its first line (or the first that was fine): the order is made here
            created = row.check(by_field(self.COLUMNS, "order"), orders.add_order, s, customer=row.get("customer"),
                                lines=[(row.get("sku"), row.get("quantity"))], actor_id=ctx.actor_id, number=number,
                                ship_to=row.get("ship_to"), site_code=row.get("site") or None)
            if created is not None:
                made.add(created.number)
            return
        if row.get("customer")[:120] != order.customer:
            row.fail("customer", f"Order {number} is for {order.customer} on an earlier line; an order has one "
                                 "customer.")
        if row.get("ship_to") and row.get("ship_to")[:2000] != order.ship_to:
            row.fail("ship_to", f"Order {number} has another delivery address on an earlier line.")
        site = stock.find_location(s, row.get("site")).id if row.get("site") else None
        if site is not None and site != order.site_id:
            row.fail("site", f"Order {number} is picked from another site on an earlier line.")
        if not row.problems:
            row.check(by_field(self.COLUMNS, "sku"), orders.add_line, s, order, row.get("sku"), row.get("quantity"))

    def export(self, s: Session) -> Iterator[list]:
        """Every order line, in the import's columns plus the order's status."""
        rows = s.execute(
            select(Order.number, Order.customer, Item.sku, OrderLine.ordered_qty, Order.ship_to, Location.code,
                   Order.status)
            .join(OrderLine, OrderLine.order_id == Order.id).join(Item, Item.id == OrderLine.item_id)
            .outerjoin(Location, Location.id == Order.site_id)
            .order_by(Order.id, OrderLine.id))
        for number, customer, sku, qty, ship_to, site, status in rows:
            yield [number, customer, sku, qty, ship_to, site or "", status]

    export_header = ["order", "customer", "sku", "quantity", "ship_to", "site", "status"]


# --- users -----------------------------------------------------------------------------------------------------------


class Users(Kind):
    key, title = "users", "Users"
    admins_only = True
    columns = [
        Column("email", True, example="sam@example.com"),
        Column("name", example="Sam Jones"),
        Column("role", True, "staff, technician, manager or admin", "staff"),
        Column("password", help="at least 10 characters; empty: none that works (set one on the Users page)",
               example=""),
    ]

    def apply(self, row: Row, ctx: Context) -> None:
        row.check("email", auth_rules.normalise_email, row.get("email"))
        row.check("role", auth_rules.check_role, row.get("role"))
        if row.get("password"):
            row.check("password", auth_rules.check_password, row.get("password"))
        if row.problems:
            return
        password = row.get("password") or secrets.token_urlsafe(32)
        # A dry run rolls back: it need not pay for a slow password hash per row.
        method = "pbkdf2:sha256:1" if ctx.dry_run else ctx.hash_method
        row.check(by_field({"email": "email", "role": "role", "password": "password"}, "email"),
                  auth.create_user_within, ctx.session, email=row.get("email"), name=row.get("name"),
                  role=row.get("role"), password=password, hash_method=method)

    def export(self, s: Session) -> Iterator[list]:
        """Never a password hash."""
        for u in s.scalars(select(User).order_by(User.email)):
            yield [u.email, u.name, u.role, "", u.active, u.created_at, u.last_login_at]

    export_header = ["email", "name", "role", "password", "active", "created_at", "last_login_at"]


KINDS: dict[str, Kind] = {k.key: k for k in (Items(), Locations(), Assets(), OpeningStock(), Orders(), Users())}


def export_header(kind: Kind) -> list[str]:
    return getattr(kind, "export_header", None) or kind.names
