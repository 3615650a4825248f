"""Orders on the phone: the manager enters and allocates them; the floor picks bin by bin, packs and ships."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.roles import FLOOR, MANAGERS
from ..errors import AlreadyRecorded, DomainError, Incomplete, Invalid
from ..extensions import db
from ..scanning.registry import Action, Resolution
from ..uow import UnitOfWork
from ..web.guards import roles
from ..web.htmx import render_panel, wants_partial
from ..web.scan_actions import already_recorded, failed, replayed, succeeded
from . import orders, queries
from .models import Order
from .routes import PAGE, bp, parse_lines
from .scan_routes import scan_actor
from .services import Actor

WORKING = ("allocated", "picking", "picked", "packed")


@bp.get("/orders", endpoint="orders")
@roles(FLOOR)
def order_list():
    show = request.args.get("show", "work")
    stmt = select(Order).options(selectinload(Order.backorder_of)).order_by(Order.id.desc()).limit(PAGE)
    if show == "work":
        stmt = stmt.where(Order.status.in_(("open",) + WORKING if current_user.role in MANAGERS else WORKING))
    return render_template("stock/orders.html", orders=db.session.scalars(stmt).all(), show=show,
                           manager=current_user.role in MANAGERS)


@bp.route("/orders/new", methods=["GET", "POST"])
@roles(MANAGERS)
def order_new():
    if request.method == "GET":
        return render_template("stock/order_form.html", form={})
    f = request.form
    try:
        order = orders.create_order(customer=f.get("customer", ""), ship_to=f.get("ship_to", ""),
                                    lines=parse_lines(f.get("lines", ""), with_cost=False), actor_id=current_user.id,
                                    number=f.get("number") or None, site_code=f.get("site") or None, uow=UnitOfWork())
        if f.get("allocate") == "1":
            orders.allocate(number=order.number, uow=UnitOfWork())
    except DomainError as err:
        return render_panel("stock/order_form.html", "stock/_order_form.html", status=err.status, form=f, error=err)
    flash(f"Order {order.number} created{' and allocated' if f.get('allocate') == '1' else ''}.")
    return redirect(url_for("stock.order", number=order.number), 303)


@bp.get("/orders/<number>")
@roles(FLOOR)
def order(number: str):
    found = orders.get_order(db.session, number)
    return _render_order(found)


def _render_order(found: Order, status: int = 200, **extra):
    return render_template("stock/order.html", order=found, tasks=orders.pick_list(db.session, found.number),
                           manager=current_user.role in MANAGERS, reasons=orders.SHORT_REASONS,
                           not_in_stock=orders.NOT_IN_STOCK, why=orders.backorder_reasons(found),
                           closable=orders.CLOSABLE, **extra), status


@bp.post("/orders/<number>/allocate")
@roles(MANAGERS)
def order_allocate(number: str):
    found = orders.allocate(number=number, uow=UnitOfWork())
    short = [line.item.sku for line in found.lines if line.open_qty > 0]
    flash(f"Allocated {found.number}." + (f" Not enough available for {', '.join(short)}." if short else ""))
    return redirect(url_for("stock.order", number=found.number), 303)


@bp.post("/orders/<number>/close-short")
@roles(MANAGERS)
def order_close_short(number: str):
    try:
        found = orders.close_short(number=number, reason=request.form.get("reason", ""), actor_id=current_user.id,
                                   uow=UnitOfWork())
    except DomainError as err:
        db.session.rollback()
        return _render_order(orders.get_order(db.session, number), status=err.status, error=err)
    if found.status == "backordered":
        flash(f"Order {found.number} closed short; everything is on backorder {found.backorders[-1].number}.")
    else:
        flash(f"Order {found.number} closed short: pack and ship what is picked; the rest goes on a backorder.")
    return redirect(url_for("stock.order", number=found.number), 303)


@bp.post("/orders/<number>/cancel")
@roles(MANAGERS)
def order_cancel(number: str):
    back = (request.form.get("put_back_to") or "").strip() or None
    found = orders.cancel_order(number=number, put_back_to=back, who=Actor(current_user.id), uow=UnitOfWork())
    flash(f"Order {found.number} cancelled; its reservations are released"
          + (f" and its picked goods are back in {back.upper()}." if back else "."))
    return redirect(url_for("stock.order", number=found.number), 303)


def describe_order(session, row, parsed, user) -> Resolution:
    """What an order's scanned number offers: its pick list while there is something to pick."""
    found = session.get(Order, row.target_id)
    res = Resolution(kind="order", code=row.code, title=f"Order {found.number}",
                     subtitle=f"{found.customer} · {found.status}", target_id=found.id)
    for line in found.lines[:10]:
        res.facts.append((line.item.sku, f"{line.picked_qty} of {line.ordered_qty} picked"))
    role = getattr(user, "role", None)
    if role in FLOOR:
        if found.status in ("allocated", "picking"):
            res.actions.append(Action("Pick", url_for("stock.order_pick", number=found.number), primary=True))
        if found.status in ("picking", "picked", "packed"):
            res.actions.append(Action("Pack & ship", url_for("stock.order_pack", number=found.number),
                                      primary=found.status != "picking"))
        res.actions.append(Action("Open order", url_for("stock.order", number=found.number)))
    if found.status == "open":
        res.warnings.append("Nothing is reserved for this order yet, so there is nothing to pick.")
    elif found.status in ("shipped", "cancelled", "backordered"):
        res.warnings.append(f"This order is {found.status}; there is nothing to pick.")
    return res


# --- picking ---------------------------------------------------------------------------------------------------------


def _pick_context(number: str, bin_code: str, **extra) -> dict:
    found = orders.get_order(db.session, number)
    tasks = orders.pick_list(db.session, found.number)
    here = [t for t in tasks if t.location.code == bin_code] if bin_code else []
    current = here[0] if here else (tasks[0] if tasks else None)
    return {"order": found, "tasks": tasks, "current": current, "bin": bin_code if here else "",
            "reasons": orders.SHORT_REASONS, **extra}


def _render_pick(number: str, bin_code: str, status: int = 200, **extra):
    return render_panel("stock/order_pick.html", "stock/_order_pick.html", status=status,
                        **_pick_context(number, bin_code, **extra))


@bp.route("/orders/<number>/pick", methods=["GET", "POST"])
@roles(FLOOR)
def order_pick(number: str):
    if request.method == "GET":
        return _render_pick(number, request.args.get("bin", ""))
    bin_code = (request.form.get("bin") or "").strip().upper()
    raw = request.form.get("scan", "")
    try:
        if not raw.strip():
            raise Invalid("Scan the bin, then the item.", field="scan")
        scanned = queries.classify(db.session, raw)
        if scanned.kind == "location":
            code = orders.check_bin(db.session, number, scanned.location.code).code
            if replayed():  # only chooses the bin: never a silent 200 to a phone that would drop it
                raise Incomplete(f"Bin {code} was scanned offline to pick {number}; that only chooses the bin, "
                                 "nothing was picked. Items scanned after it on that phone may have been picked "
                                 "from the bin held before it: check them.", field="scan")
            return succeeded(_render_pick(number, code, note=f"Bin {code}"), message=f"Bin {code}")
        if scanned.kind != "item":
            raise Invalid("Scan a bin or an item here.", field="scan")
        if not bin_code:
            if replayed():
                raise Incomplete(f"{scanned.label} was picked offline for {number}, but no bin was held, so nothing "
                                 "was picked. Pick it again from its bin.", field="scan")
            raise Invalid("Scan the bin first, then the item.", field="scan")
        result = orders.pick_at(number=number, bin_code=bin_code, code=raw, quantity=request.form.get("qty") or None,
                                who=scan_actor(), uow=UnitOfWork())
    except AlreadyRecorded as err:
        return already_recorded(_render_pick(number, bin_code, result=err.outcome, already=True), err)
    except DomainError as err:
        return failed(_render_pick(number, bin_code, status=err.status, error=err), err)
    message = f"Picked {result.quantity} × {result.sku} from {result.from_location}"
    if not wants_partial():
        flash(message)
        return redirect(url_for("stock.order_pick", number=number, bin=bin_code), 303)
    return succeeded(_render_pick(number, bin_code, result=result.as_outcome()), "stock-changed", message=message)


@bp.post("/orders/<number>/short")
@roles(FLOOR)
def order_short(number: str):
    f = request.form
    try:
        orders.report_short(number=number, allocation_id=f.get("allocation_id", ""),
                            quantity=f.get("short_qty") or None, reason=f.get("reason", ""), who=scan_actor(),
                            uow=UnitOfWork())
    except AlreadyRecorded as err:
        return already_recorded(_render_pick(number, f.get("bin", "")), err)
    except DomainError as err:
        return failed(_render_pick(number, f.get("bin", ""), status=err.status, error=err), err)
    message = "Reported short; the rest goes on a backorder."
    if not wants_partial():
        flash(message)
        return redirect(url_for("stock.order_pick", number=number), 303)
    return succeeded(_render_pick(number, "", note=message), "stock-changed", message=message)


# --- packing and shipping --------------------------------------------------------------------------------------------


def _render_pack(number: str, status: int = 200, **extra):
    found = orders.get_order(db.session, number)
    packed = {}
    for pkg in found.packages:
        for c in pkg.contents:
            packed[c.item_id] = packed.get(c.item_id, 0) + c.quantity
    return render_panel("stock/order_pack.html", "stock/_order_pack.html", status=status, order=found, packed=packed,
                        **extra)


@bp.route("/orders/<number>/pack", methods=["GET", "POST"])
@roles(FLOOR)
def order_pack(number: str):
    if request.method == "GET":
        return _render_pack(number)
    try:
        out = orders.pack_scan(number=number, code=request.form.get("scan", ""),
                               quantity=request.form.get("qty") or None, who=scan_actor(), uow=UnitOfWork())
    except AlreadyRecorded as err:
        return already_recorded(_render_pack(number, result=err.outcome, already=True), err)
    except DomainError as err:
        return failed(_render_pack(number, status=err.status, error=err), err)
    message = f"Packed {out['quantity']} × {out['sku']} into {out['package']}"
    if not wants_partial():
        flash(message)
        return redirect(url_for("stock.order_pack", number=number), 303)
    return succeeded(_render_pack(number, result=out), "order-packed", message=message)


@bp.post("/orders/<number>/seal")
@roles(FLOOR)
def order_seal(number: str):
    pkg = orders.seal_package(number=number, package_number=request.form.get("package", ""), uow=UnitOfWork())
    flash(f"Package {pkg.number} sealed.")
    return redirect(url_for("stock.order_pack", number=number), 303)


@bp.post("/orders/<number>/ship")
@roles(FLOOR)
def order_ship(number: str):
    f = request.form
    try:
        found = orders.ship(number=number, carrier=f.get("carrier", ""), tracking_number=f.get("tracking_number", ""),
                            actor_id=current_user.id, uow=UnitOfWork())
    except DomainError as err:
        return failed(_render_pack(number, status=err.status, error=err), err)
    flash(f"Order {found.number} shipped with {found.carrier}, tracking {found.tracking_number}.")
    return redirect(url_for("stock.order", number=found.number), 303)
