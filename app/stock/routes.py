"""Stock pages: items (managers), purchase orders, reports; and what stock adds to the scan hub and menus.

The floor's scan flows live in scan_routes.py, orders in order_routes.py, counts in count_routes.py — all on this
blueprint.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..auth.roles import ANYONE, FLOOR, MANAGERS
from ..db_setup import read_one_snapshot
from ..demo import add_step as add_seed_step
from ..errors import DomainError, Invalid
from ..extensions import db
from ..scanning.registry import Action, Resolution, register_kind, register_unknown_offer
from ..uow import UnitOfWork
from ..web import menu
from ..web.guards import roles
from ..web.htmx import render_panel
from . import demo, purchasing, queries, services
from .models import Item, PurchaseOrder, StockMovement
from .rules import PACK_LEVELS, TRACKING, UOMS, VALUATION, VALUATION_LABELS

bp = Blueprint("stock", __name__, url_prefix="/stock")
PAGE = 50


def register(app) -> None:
    from . import count_routes, order_routes, scan_routes  # noqa: F401 - their routes join the blueprint

    app.register_blueprint(bp)
    add_seed_step(app, "stock: items, opening stock, purchase orders, orders, a count", demo.seed)
    register_kind(app, "item", describe_item)
    register_kind(app, "purchase_order", describe_po)
    register_kind(app, "order", order_routes.describe_order)
    register_unknown_offer(app, offer_register_item)
    register_unknown_offer(app, offer_attach_barcode)
    app.extensions.setdefault("storekeeper_location_panels", []).append(location_panel)
    app.extensions.setdefault("storekeeper_location_blockers", []).append(queries.stock_left_at)
    for entry in (
        menu.MenuEntry("tasks", "Receive", "stock.receive", FLOOR, "Goods in, against a purchase order or not", 10),
        menu.MenuEntry("tasks", "Put away", "stock.put_away", FLOOR, "From the dock into bins", 20),
        menu.MenuEntry("tasks", "Pick orders", "stock.orders", FLOOR, "Pick lists in walking order, pack and ship", 30),
        menu.MenuEntry("tasks", "Move", "stock.move", FLOOR, "From one bin to another", 40),
        menu.MenuEntry("tasks", "Count", "stock.counts", FLOOR, "Counts assigned to you", 50),
        menu.MenuEntry("tasks", "Pick without an order", "stock.pick", FLOOR, "Take stock out of a bin", 60),
        menu.MenuEntry("tasks", "Issue to a job", "stock.issue", FLOOR, "Stock for a job or cost centre", 70),
        menu.MenuEntry("tasks", "Return", "stock.return_stock", FLOOR, "Stock coming back into a bin", 75),
        menu.MenuEntry("more", "Items", "stock.items", MANAGERS, "Create, edit, barcodes, deactivate", 10),
        menu.MenuEntry("more", "Purchase orders", "stock.pos", MANAGERS, "Expected goods and what arrived", 20),
        menu.MenuEntry("more", "Stock value", "stock.valuation", MANAGERS, "On-hand value by item and location", 40),
        menu.MenuEntry("more", "Reorder", "stock.replenishment", MANAGERS, "Below reorder point or out of stock", 45),
    ):
        menu.add(app, entry)


# --- the scan hub -------------------------------------------------------------------------------------------------------


def _floor(user) -> bool:
    return getattr(user, "role", None) in FLOOR


def describe_item(session: Session, row, parsed, user) -> Resolution:
    item = session.get(Item, row.target_id)
    res = Resolution(kind="item", code=row.code, title=item.name, subtitle=f"{item.sku} · {UOMS[item.uom][0]}",
                     target_id=item.id)
    if row.pack_qty > 1:
        res.facts.append(("Pack", f"{_level(session, row.code)} of {row.pack_qty}"))
    places = queries.on_hand_by_location(session, item.id)
    total = sum((qty for _loc, _lot, qty, _alloc in places), Decimal(0))
    res.facts.append(("On hand", f"{total} {item.uom}"))
    for loc, lot, qty, allocated in places[:8]:
        extra = f" ({allocated} promised)" if allocated else ""
        res.facts.append((loc.code + (f" · {lot}" if lot else ""), f"{qty}{extra}"))
    if len(places) > 8:
        res.facts.append(("…", f"{len(places) - 8} more places"))
    res.facts += other_facts(session, item)
    if not item.active:
        res.warnings.append("This item is deactivated.")
    if parsed is not None and parsed.expiry is not None:
        from datetime import date

        if parsed.expiry < date.today():
            res.warnings.append(f"This lot expired on {parsed.expiry.isoformat()}.")
    if _floor(user):
        carry = {"item": row.code}
        lot = (parsed.serial if item.tracking == "serial" else parsed.lot) if parsed else None
        if lot:
            carry["lot"] = lot
        if parsed is not None and (parsed.expiry or parsed.best_before):
            carry["expiry"] = (parsed.expiry or parsed.best_before).isoformat()
        res.actions += [
            Action("Receive", url_for("stock.receive", **carry), primary=True),
            Action("Put away", url_for("stock.put_away", **carry)),
            Action("Move", url_for("stock.move", **carry)),
            Action("Pick", url_for("stock.pick", **carry)),
            Action("Return", url_for("stock.return_stock", **carry)),
            Action("Count", url_for("stock.count_spot", sku=item.sku)),
        ]
    if getattr(user, "role", None) in MANAGERS:
        res.actions.append(Action("Open item", url_for("stock.item", sku=item.sku)))
    elif user is not None:
        res.actions.append(Action("Item details", url_for("stock.item", sku=item.sku)))
    return res


def other_facts(session: Session, item: Item) -> list[tuple[str, str]]:
    """What other features know of the item (app.extensions["storekeeper_item_facts"]: callables (session, item) →
    [(label, value)]), e.g. how many of its rental units are available; stock needs to know none of them."""
    return [fact for facts in current_app.extensions.get("storekeeper_item_facts", []) for fact in facts(session, item)]


def _level(session: Session, code: str) -> str:
    from .models import ItemBarcode

    row = session.get(ItemBarcode, code)
    return (row.level if row else "pack").title()


def describe_po(session: Session, row, parsed, user) -> Resolution:
    po = session.get(PurchaseOrder, row.target_id)
    res = Resolution(kind="purchase order", code=row.code, title=f"Purchase order {po.number}",
                     subtitle=f"{po.supplier} · {po.status}", target_id=po.id)
    for line in po.lines[:10]:
        res.facts.append((line.item.sku, f"{line.received_qty} of {line.ordered_qty} received"))
    if _floor(user) and po.accepts_receipts:
        res.actions.append(Action("Receive against it", url_for("stock.receive", po=po.number), primary=True))
    if getattr(user, "role", None) in MANAGERS:
        res.actions.append(Action("Open purchase order", url_for("stock.po", number=po.number)))
    if not po.accepts_receipts:
        res.warnings.append(f"This purchase order is {po.status}; nothing more can be received against it.")
    return res


def offer_register_item(parsed, user):
    if getattr(user, "role", None) in MANAGERS and parsed.gtin:
        return Action("Register a new item with this barcode", url_for("stock.item_new", code=_printed(parsed)),
                      primary=True)
    return None


def offer_attach_barcode(parsed, user):
    if getattr(user, "role", None) in MANAGERS and parsed.gtin:
        return Action("Attach this barcode to an existing item", url_for("stock.attach", code=_printed(parsed)))
    return None


def _printed(parsed) -> str:
    """The barcode as printed: a GTIN-14 with leading zeros is an EAN-13 or UPC-A on the pack."""
    gtin = parsed.gtin
    return gtin[1:] if gtin.startswith("0") else gtin


def location_panel(location, user):
    """Stock in a location, for the location page."""
    rows = queries.stock_in_location(db.session, location.id)
    return render_template("stock/_location_stock.html", location=location, rows=rows, floor=_floor(user))


# --- items --------------------------------------------------------------------------------------------------------------


def _search_items(q: str, show: str):
    stmt = select(Item)
    if show != "all":
        stmt = stmt.where(Item.active.is_(show != "inactive"))
    if q:
        like = f"%{q.strip()}%"
        key = q.strip().upper()
        from ..scanning.models import ScanCode
        from ..scanning.rules import parse

        ids = []
        try:
            row = db.session.get(ScanCode, parse(q).key)
            if row is not None and row.kind == "item":
                ids.append(row.target_id)
        except DomainError:
            pass
        stmt = stmt.where(or_(Item.sku.like(f"%{key}%"), Item.name.ilike(like), Item.description.ilike(like),
                              Item.id.in_(ids)))
    return db.session.scalars(stmt.order_by(Item.sku).limit(PAGE)).all()


@bp.get("/items")
@roles(MANAGERS)
def items():
    q, show = request.args.get("q", ""), request.args.get("show", "active")
    totals = {}
    found = _search_items(q, show)
    if found:
        totals = queries.totals_on_hand(db.session, [i.id for i in found])
    return render_panel("stock/items.html", "stock/_items.html", items=found, q=q, show=show, totals=totals,
                        limit=PAGE)


def _item_form_values(f) -> dict:
    return {
        "name": f.get("name", ""), "description": f.get("description", ""), "uom": f.get("uom", "ea"),
        "tracking": f.get("tracking", "none"), "expiry_required": f.get("expiry_required") == "1",
        "reorder_point": f.get("reorder_point", ""), "safety_stock": f.get("safety_stock", ""),
        "lead_time_days": f.get("lead_time_days", ""), "standard_cost": f.get("standard_cost", ""),
        "valuation_method": f.get("valuation_method", ""),
    }


def _form_context(**extra) -> dict:
    return {"uoms": UOMS, "tracking": TRACKING, "valuation": VALUATION, "valuation_labels": VALUATION_LABELS,
            "levels": PACK_LEVELS, **extra}


@bp.route("/items/new", methods=["GET", "POST"])
@roles(MANAGERS)
def item_new():
    if request.method == "GET":
        form = {"barcode": request.args.get("code", ""), "uom": "ea", "tracking": "none",
                "valuation_method": services.stock_settings.current().default_valuation}
        return render_template("stock/item_form.html", **_form_context(form=form, item=None))
    f = request.form
    barcodes = []
    if f.get("barcode", "").strip():
        barcodes.append((f["barcode"], "each", 1))
    if f.get("case_barcode", "").strip():
        barcodes.append((f["case_barcode"], f.get("case_level") or "case", f.get("case_qty") or "0"))
    try:
        item = services.create_item(sku=f.get("sku", ""), barcodes=barcodes, uow=UnitOfWork(),
                                    **_item_form_values(f))
    except DomainError as err:
        return render_panel("stock/item_form.html", "stock/_item_form.html", status=err.status,
                            **_form_context(form=f, item=None, error=err))
    flash(f"Item {item.sku} created.")
    return redirect(url_for("stock.item", sku=item.sku), 303)


def _item_or_404(sku: str) -> Item:
    item = queries.item_by_sku(db.session, sku)
    if item is None:
        abort(404, f"No item with SKU {sku.upper()}.")
    return item


@bp.get("/items/<sku>")
@roles(ANYONE)
def item(sku: str):
    found = _item_or_404(sku)
    movements = db.session.scalars(select(StockMovement).where(StockMovement.item_id == found.id)
                                   .order_by(StockMovement.id.desc()).limit(20)).all()
    return render_panel("stock/item.html", "stock/_item_stock.html", item=found,
                        places=queries.on_hand_by_location(db.session, found.id), movements=movements,
                        facts=other_facts(db.session, found),
                        manager=current_user.role in MANAGERS, **_form_context())


@bp.route("/items/<sku>/edit", methods=["GET", "POST"])
@roles(MANAGERS)
def item_edit(sku: str):
    found = _item_or_404(sku)
    if request.method == "GET":
        form = {k: getattr(found, k) for k in ("name", "description", "uom", "tracking", "expiry_required",
                                                "reorder_point", "safety_stock", "lead_time_days",
                                                "standard_cost", "valuation_method")}
        return render_template("stock/item_form.html", **_form_context(form=form, item=found))
    try:
        services.update_item(sku=found.sku, uow=UnitOfWork(), **_item_form_values(request.form))
    except DomainError as err:
        return render_panel("stock/item_form.html", "stock/_item_form.html", status=err.status,
                            **_form_context(form=request.form, item=found, error=err))
    flash(f"Item {found.sku} saved.")
    return redirect(url_for("stock.item", sku=found.sku), 303)


@bp.post("/items/<sku>/active")
@roles(MANAGERS)
def item_active(sku: str):
    found = _item_or_404(sku)
    active = request.form.get("active") == "1"
    services.set_item_active(sku=found.sku, active=active, uow=UnitOfWork())
    flash(f"{found.sku} is {'active again' if active else 'deactivated: it is no longer received'}.")
    return redirect(url_for("stock.item", sku=found.sku), 303)


@bp.post("/items/<sku>/barcodes")
@roles(MANAGERS)
def item_barcode_add(sku: str):
    found = _item_or_404(sku)
    f = request.form
    try:
        row = services.attach_barcode(sku=found.sku, code=f.get("code", ""), level=f.get("level", "each"),
                                      pack_qty=f.get("pack_qty") or "1", uow=UnitOfWork())
    except DomainError as err:
        flash(err.message)
        return redirect(url_for("stock.item", sku=found.sku), 303) if not request.headers.get("HX-Request") else \
            _item_error(found, err)
    flash(f"Barcode {row.code} attached to {found.sku}.")
    return redirect(url_for("stock.item", sku=found.sku), 303)


def _item_error(found: Item, err: DomainError):
    from ..web.errors import error_response

    return error_response(err.status, err.message, code=err.code, field=err.field)


@bp.post("/items/<sku>/barcodes/<code>/delete")
@roles(MANAGERS)
def item_barcode_delete(sku: str, code: str):
    found = _item_or_404(sku)
    services.detach_barcode(sku=found.sku, code=code, uow=UnitOfWork())
    flash(f"Barcode {code} removed from {found.sku}.")
    return redirect(url_for("stock.item", sku=found.sku), 303)


@bp.route("/items/attach", methods=["GET", "POST"])
@roles(MANAGERS)
def attach():
    """Attach a scanned, unknown barcode to an existing item: search, choose, confirm."""
    code = (request.values.get("code") or "").strip()
    if request.method == "POST":
        f = request.form
        try:
            services.attach_barcode(sku=f.get("sku", ""), code=code, level=f.get("level", "each"),
                                    pack_qty=f.get("pack_qty") or "1", uow=UnitOfWork())
        except DomainError as err:
            found = _search_items(request.form.get("q", ""), "active")
            return render_panel("stock/attach.html", "stock/_attach.html", status=err.status, code=code,
                                items=found, q=request.form.get("q", ""), error=err, levels=PACK_LEVELS)
        flash(f"Barcode {code} now belongs to {f.get('sku', '').upper()}.")
        return redirect(url_for("stock.item", sku=f.get("sku", "")), 303)
    if not code:
        raise Invalid("Scan the barcode to attach first.", field="code")
    q = request.args.get("q", "")
    return render_panel("stock/attach.html", "stock/_attach.html", code=code, q=q,
                        items=_search_items(q, "active") if q else [], levels=PACK_LEVELS)


# --- purchase orders -------------------------------------------------------------------------------------------------


@bp.get("/purchase-orders")
@roles(MANAGERS)
def pos():
    status = request.args.get("status", "open")
    stmt = select(PurchaseOrder).order_by(PurchaseOrder.id.desc()).limit(PAGE)
    if status == "open":
        stmt = stmt.where(PurchaseOrder.status.in_(("open", "partial", "received")))
    return render_template("stock/pos.html", pos=db.session.scalars(stmt).all(), status=status)


def parse_lines(text: str, *, with_cost: bool) -> list[tuple]:
    """Lines typed one per row: "SKU quantity [unit cost]"."""
    lines = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.replace(",", " ").replace(";", " ").split()
        if not parts:
            continue
        if len(parts) < 2 or len(parts) > (3 if with_cost else 2):
            shape = "SKU quantity [unit cost]" if with_cost else "SKU quantity"
            raise Invalid(f"Line {n} should read “{shape}”: {raw.strip()[:60]}", field="lines")
        lines.append(tuple(parts) if not with_cost else (parts[0], parts[1], parts[2] if len(parts) > 2 else None))
    return lines


@bp.route("/purchase-orders/new", methods=["GET", "POST"])
@roles(MANAGERS)
def po_new():
    if request.method == "GET":
        return render_template("stock/po_form.html", form={})
    f = request.form
    try:
        from datetime import date

        expected = date.fromisoformat(f["expected_on"]) if f.get("expected_on") else None
        po = purchasing.create_po(number=f.get("number") or None, supplier=f.get("supplier", ""),
                                  lines=parse_lines(f.get("lines", ""), with_cost=True), actor_id=current_user.id,
                                  expected_on=expected, site_code=f.get("site") or None, uow=UnitOfWork())
    except ValueError:
        return render_panel("stock/po_form.html", "stock/_po_form.html", status=422, form=f,
                            error=Invalid("The expected date is not a date.", field="expected_on"))
    except DomainError as err:
        return render_panel("stock/po_form.html", "stock/_po_form.html", status=err.status, form=f, error=err)
    flash(f"Purchase order {po.number} created.")
    return redirect(url_for("stock.po", number=po.number), 303)


@bp.get("/purchase-orders/<number>")
@roles(MANAGERS)
def po(number: str):
    found = purchasing.get_po(db.session, number)
    receipts = db.session.scalars(select(StockMovement).where(StockMovement.reference == found.number,
                                                              StockMovement.kind == "receipt")
                                  .order_by(StockMovement.id.desc())).all()
    return render_panel("stock/po.html", "stock/_po.html", po=found, receipts=receipts)


@bp.post("/purchase-orders/<number>/close")
@roles(MANAGERS)
def po_close(number: str):
    found = purchasing.close_po(number=number, uow=UnitOfWork(), cancel=request.form.get("cancel") == "1")
    flash(f"Purchase order {found.number} is {found.status}.")
    return redirect(url_for("stock.po", number=found.number), 303)


# --- reports ------------------------------------------------------------------------------------------------------------


@bp.get("/valuation")
@roles(MANAGERS)
def valuation():
    from ..locations.queries import by_code

    site_code = request.args.get("site", "")
    site = by_code(db.session, site_code) if site_code else None
    report = queries.valuation(db.session, site_id=site.id if site else None)
    sites = queries.sites(db.session)
    return render_template("stock/valuation.html", report=report, sites=sites, site=site,
                           labels=VALUATION_LABELS)


@bp.get("/replenishment")
@roles(MANAGERS)
def replenishment():
    read_one_snapshot(db.session)  # on hand and on order as of one moment: a receipt is counted once, not 0 or 2×
    rows = queries.replenishment(db.session)
    return render_template("stock/replenishment.html", rows=rows)

