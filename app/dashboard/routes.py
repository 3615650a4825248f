"""The manager's dashboard: one page of tiles, each its own partial refreshed by htmx on the events that change it,
and the insight pages behind them (reorder suggestions → draft purchase orders, anomalies, asset reliability)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.roles import MANAGERS
from ..db_setup import read_one_snapshot
from ..errors import DomainError, Invalid
from ..extensions import db
from ..insights import queries as iq
from ..insights import rules
from ..insights import services as insight_services
from ..uow import UnitOfWork
from ..web import menu
from ..web.guards import roles
from ..web.htmx import hx_trigger, render_panel, wants_partial
from . import cache as tile_cache
from . import queries

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

STOCK_EVENTS = ("stock-changed",)
ASSET_EVENTS = ("asset-checked-out", "asset-checked-in", "asset-reserved", "reservation-cancelled", "asset-changed",
                "asset-registered", "asset-disposed", "asset-replaced", "asset-transferred", "asset-audited",
                "maintenance-logged")


@dataclass(frozen=True)
class Tile:
    name: str
    title: str
    events: tuple[str, ...]
    load: object  # callable(session, today) → context
    keep: bool = False  # an aggregate over all items or assets: kept until the data may have changed (cache.py)


TILES: tuple[Tile, ...] = (
    Tile("stock-value", "Stock value", STOCK_EVENTS, lambda s, t: queries.stock_value(s), keep=True),
    Tile("replenish", "Reorder and out of stock", (*STOCK_EVENTS, "purchase-order-drafted"),
         lambda s, t: queries.replenishment(s), keep=True),
    Tile("turns", "Stock turns and cover", STOCK_EVENTS, lambda s, t: queries.turns(s, today=t), keep=True),
    Tile("movements", "Recent movements", STOCK_EVENTS, lambda s, t: queries.movements(s, today=t)),
    Tile("counts", "Counts awaiting approval", STOCK_EVENTS, lambda s, t: queries.counts_awaiting(s)),
    Tile("work", "To receive and to pick", (*STOCK_EVENTS, "purchase-order-drafted"), lambda s, t: queries.work(s)),
    Tile("assets", "Assets out and in the workshop", ASSET_EVENTS, lambda s, t: queries.assets(s, today=t)),
    Tile("maintenance", "Maintenance due", ("maintenance-logged", "maintenance-scheduled", "meter-read"),
         lambda s, t: queries.maintenance(s, today=t)),
    Tile("warranties", "Warranties ending", ASSET_EVENTS, lambda s, t: queries.warranties(s, today=t), keep=True),
    Tile("book-value", "Book value by category", ASSET_EVENTS, lambda s, t: queries.book_values(s, today=t),
         keep=True),
    Tile("idle", "Idle assets", ASSET_EVENTS, lambda s, t: queries.idle(s, today=t), keep=True),
    Tile("alerts", "Alerts", (*STOCK_EVENTS, *ASSET_EVENTS, "notifications-read"),
         lambda s, t: queries.alerts(s, today=t, user_id=current_user.id)),
    Tile("conflicts", "Offline scan conflicts", ("conflict-resolved", "scan-failed"),
         lambda s, t: queries.conflicts(s)),
)
BY_NAME = {t.name: t for t in TILES}


@bp.context_processor
def _helpers():
    from flask import current_app

    from .charts import bar_chart, columns

    return {"view_names": current_app.view_functions, "bar_chart": bar_chart, "columns": columns}


def add_menu(app) -> None:
    menu.add(app, menu.MenuEntry("more", "Dashboard", "dashboard.index", MANAGERS, "Stock, assets and alerts", 5))
    menu.add(app, menu.MenuEntry("more", "Reorder suggestions", "dashboard.reorder", MANAGERS,
                                 "Forecasts, reorder points, draft purchase orders", 6))
    menu.add(app, menu.MenuEntry("more", "Anomalies and shrinkage", "dashboard.anomalies", MANAGERS,
                                 "Unusual adjustments and count variances", 7))
    menu.add(app, menu.MenuEntry("more", "Asset insights", "dashboard.asset_insights", MANAGERS,
                                 "Idle assets, failures, compliance", 8))


@bp.get("/")
@roles(MANAGERS)
def index():
    return render_panel("dashboard/page.html", "dashboard/_grid.html", tiles=TILES, loaded={})


@bp.get("/tile/<name>")
@roles(MANAGERS)
def tile(name: str):
    t = BY_NAME.get(name)
    if t is None:
        abort(404)
    today = iq.today_utc()
    if wants_partial() and t.keep:
        html = tile_cache.rendered(db.session, t.name, current_user.role, today, lambda: render_template(
            "dashboard/_tile.html", tile=t, data=t.load(db.session, today), is_loaded=True))
        resp = make_response(html)
        resp.vary.add("HX-Request")
        return resp
    ctx = t.load(db.session, today)
    if wants_partial():
        return render_panel("dashboard/page.html", "dashboard/_tile.html", tile=t, data=ctx, is_loaded=True)
    return render_panel("dashboard/page.html", "dashboard/_grid.html", tiles=(t,), loaded={t.name: ctx})


# ---------------------------------------------------------------------------------------------------------------
# Insight pages
# ---------------------------------------------------------------------------------------------------------------


def _number(raw, default, cast, lo, hi, field):
    if raw in (None, ""):
        return default
    try:
        value = cast(raw)
    except ValueError:
        raise Invalid(f"{field.replace('_', ' ').capitalize()} must be a number.", field=field) from None
    if not lo <= value <= hi:
        raise Invalid(f"{field.replace('_', ' ').capitalize()} is between {lo} and {hi}.", field=field)
    return value


def _reorder_params(values):
    return {"days": _number(values.get("days"), 90, int, 1, 730, "days"),
            "service_level": _number(values.get("service_level"), 0.95, float, 0.5, 0.999, "service_level"),
            "cover_days": _number(values.get("cover_days"), 30, int, 0, 365, "cover_days")}


@bp.get("/insights/reorder")
@roles(MANAGERS)
def reorder():
    try:
        params = _reorder_params(request.args)
    except DomainError as err:
        return render_panel("dashboard/reorder.html", "dashboard/_reorder.html", status=err.status, error=err,
                            rows=[], params=request.args, show_all=False)
    read_one_snapshot(db.session)  # on hand and on order as of one moment: a receipt is counted once, not 0 or 2×
    rows = iq.reorder_suggestions(db.session, today=iq.today_utc(), **params)
    show_all = request.args.get("all") == "1"
    if not show_all:
        rows = [r for r in rows if r.advice.suggested_qty > 0 or not r.advice.ok]
    query = {**params, **({"all": 1} if show_all else {})}
    return render_panel("dashboard/reorder.html", "dashboard/_reorder.html", rows=rows, params=params,
                        show_all=show_all, refresh_url=url_for("dashboard.reorder", **query))


@bp.post("/insights/reorder/draft")
@roles(MANAGERS)
def draft_orders():
    skus = request.form.getlist("sku")
    lines = [(sku, request.form.get(f"qty-{sku}", "0")) for sku in skus]
    try:
        done = insight_services.draft_purchase_orders(lines=lines, supplier=request.form.get("supplier", ""),
                                                      actor_id=current_user.id, uow=UnitOfWork())
    except DomainError as err:
        db.session.rollback()
        return render_panel("dashboard/reorder.html", "dashboard/_reorder.html", status=err.status, error=err,
                            rows=[], params=_safe_params(), show_all=False)
    numbers = ", ".join(po.number for po in done.orders)
    flash(f"Draft purchase order {numbers} made with {done.lines} line(s); release it to the supplier when checked.")
    return hx_trigger(redirect(url_for("dashboard.reorder"), 303), "purchase-order-drafted")


def _safe_params():
    try:
        return _reorder_params(request.form)
    except DomainError:
        return {"days": 90, "service_level": 0.95, "cover_days": 30}


@bp.get("/insights/anomalies")
@roles(MANAGERS)
def anomalies():
    today = iq.today_utc()
    try:
        days = _number(request.args.get("days"), 90, int, 1, 730, "days")
    except DomainError as err:
        return render_panel("dashboard/anomalies.html", "dashboard/_anomalies.html", status=err.status, error=err,
                            days=request.args.get("days"))
    adj, adj_rows = iq.adjustment_anomalies(db.session, today=today, days=days)
    var, var_rows = iq.variance_anomalies(db.session)
    return render_panel("dashboard/anomalies.html", "dashboard/_anomalies.html", days=days, adj=adj,
                        adj_rows={r.movement_id: r for r in adj_rows}, var=var,
                        var_rows={r.line_id: r for r in var_rows},
                        shrinkage=iq.shrinkage(db.session, today=today, days=days),
                        shrink_how=rules.shrinkage_derivation(days))


@bp.get("/insights/assets")
@roles(MANAGERS)
def asset_insights():
    today = iq.today_utc()
    try:
        idle_days = _number(request.args.get("idle_days"), 60, int, 1, 3650, "idle_days")
        audit_days = _number(request.args.get("audit_days"), 180, int, 1, 3650, "audit_days")
    except DomainError as err:
        return render_panel("dashboard/assets.html", "dashboard/_assets.html", status=err.status, error=err,
                            idle_days=request.args.get("idle_days"), audit_days=request.args.get("audit_days"))
    idle = iq.idle_assets(db.session, today=today, days=idle_days)
    risks = iq.compliance_risks(db.session, today=today, audit_days=audit_days)
    licence_risks = iq.licence_risks(db.session, today=today)
    return render_panel("dashboard/assets.html", "dashboard/_assets.html", idle_days=idle_days,
                        audit_days=audit_days, idle=idle, reliability=iq.reliability(db.session, today=today),
                        risks=risks, licence_risks=licence_risks, idle_how=rules.idle_derivation(idle_days, len(idle)),
                        risk_how=rules.compliance_derivation(audit_days, sum(r.risk == "warranty" for r in risks),
                                                             sum(r.risk == "audit" for r in risks),
                                                             len(licence_risks)))
