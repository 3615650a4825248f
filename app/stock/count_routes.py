"""Counts on the phone: the manager sets one up and approves it; the assigned person scans bin, then items."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from ..auth.models import User
from ..auth.roles import FLOOR, MANAGERS
from ..errors import AlreadyRecorded, DomainError, Incomplete, Invalid
from ..extensions import db
from ..uow import UnitOfWork
from ..web.guards import roles
from ..web.htmx import render_panel, wants_partial
from ..web.scan_actions import already_recorded, failed, replayed, succeeded
from . import counting, queries, services
from .models import CountSession
from .routes import PAGE, bp
from .scan_routes import _date as parse_expiry
from .scan_routes import scan_actor


@bp.get("/counts")
@roles(FLOOR)
def counts():
    manager = current_user.role in MANAGERS
    stmt = select(CountSession).order_by(CountSession.id.desc()).limit(PAGE)
    if not manager:
        stmt = stmt.where(CountSession.status == "open",
                          or_(CountSession.assigned_to == current_user.id, CountSession.assigned_to.is_(None)))
    elif request.args.get("show") != "all":
        stmt = stmt.where(CountSession.status.in_(("open", "submitted")))
    return render_template("stock/counts.html", counts=db.session.scalars(stmt).all(), manager=manager)


def _people():
    return db.session.scalars(select(User).where(User.active, User.role.in_(FLOOR)).order_by(User.name)).all()


@bp.route("/counts/new", methods=["GET", "POST"])
@roles(MANAGERS)
def count_new():
    if request.method == "GET":
        return render_template("stock/count_form.html", form=request.args, people=_people())
    f = request.form
    try:
        assigned = int(f["assigned_to"]) if f.get("assigned_to") else None
        cs = counting.create_count(location_code=f.get("location") or None, sku=f.get("sku") or None,
                                   blind=f.get("blind") == "1", assigned_to=assigned, actor_id=current_user.id,
                                   uow=UnitOfWork())
    except (DomainError, ValueError) as err:
        err = err if isinstance(err, DomainError) else Invalid("Choose who counts from the list.", field="assigned_to")
        return render_panel("stock/count_form.html", "stock/_count_form.html", status=err.status, form=f,
                            people=_people(), error=err)
    flash(f"Count {cs.number} created.")
    return redirect(url_for("stock.count", number=cs.number), 303)


@bp.route("/counts/spot", methods=["GET", "POST"])
@roles(FLOOR)
def count_spot():
    """Count one item where it is (the Count action of the scan hub): a count of that item, assigned to you."""
    sku = (request.values.get("sku") or "").strip()
    found = queries.item_by_sku(db.session, sku) if sku else None
    if request.method == "GET":
        if found is None:
            raise Invalid("Scan the item to count first.", field="sku")
        return render_template("stock/count_spot.html", item=found,
                               places=queries.on_hand_by_location(db.session, found.id))
    cs = counting.create_count(sku=sku, location_code=request.form.get("location") or None, blind=True,
                               assigned_to=current_user.id, actor_id=current_user.id, uow=UnitOfWork())
    return redirect(url_for("stock.count", number=cs.number), 303)


def _render_count(number: str, bin_code: str, status: int = 200, **extra):
    cs = counting.get_count(db.session, number)
    lines = sorted((x for x in cs.lines if x.counted is not None),
                   key=lambda x: (x.location.walk_order, x.location.code, x.item.sku))
    recount = [x for x in cs.lines if x.recount and x.counted is None]
    # A non-blind count shows what should be in the bin held, so the counter sees what to look for.
    expected = counting.expected_in(db.session, number, bin_code) if bin_code and not cs.blind else []
    return render_panel("stock/count.html", "stock/_count.html", status=status, cs=cs, bin=bin_code, lines=lines,
                        recount=recount, expected=expected, manager=current_user.role in MANAGERS, **extra)


@bp.route("/counts/<number>", methods=["GET", "POST"])
@roles(FLOOR)
def count(number: str):
    if request.method == "GET":
        return _render_count(number, request.args.get("bin", ""))
    bin_code = (request.form.get("bin") or "").strip().upper()
    raw = request.form.get("scan", "")
    lot = (request.form.get("lot") or "").strip()
    expiry = (request.form.get("expiry") or "").strip()
    try:
        if not raw.strip():
            raise Invalid("Scan a bin, then the items in it.", field="scan")
        scanned = queries.classify(db.session, raw)
        if scanned.kind == "location":
            # A phone that knew the code for a bin kept the scan with that bin held (static/js/steps.js): it is the
            # visit, applied now. Held with another bin, the phone took it for an item counted in the bin before.
            if replayed() and bin_code != scanned.location.code:
                code = counting.check_bin(db.session, number, scanned.location.code).code
                raise Incomplete(f"Bin {code} was scanned offline for count {number}; that only chooses the bin, "
                                 "nothing was counted. Items scanned after it on that phone may have been counted "
                                 "in the bin held before it: check them.", field="scan")
            code = counting.visit_bin(number=number, location_code=scanned.location.code, who=scan_actor(),
                                      uow=UnitOfWork())
            return succeeded(_render_count(number, code, note=f"Counting {code}", lot=lot, expiry=expiry),
                             message=f"Bin {code}")
        if scanned.kind != "item":
            raise Invalid("Scan a bin or an item here.", field="scan")
        if not bin_code:
            if replayed():
                raise Incomplete(f"{scanned.label} was counted offline for count {number}, but no bin was held, so "
                                 "nothing was counted. Count it again in its bin.", field="scan")
            raise Invalid("Scan the bin first, then the items in it.", field="scan")
        result = counting.count_scan(number=number, location_code=bin_code, code=raw, lot=lot or None,
                                     expiry=parse_expiry(expiry), quantity=request.form.get("qty") or None,
                                     who=scan_actor(), uow=UnitOfWork())
    except AlreadyRecorded as err:
        return already_recorded(_render_count(number, bin_code, result=err.outcome, already=True), err)
    except DomainError as err:  # what was typed stays, to be put right
        return failed(_render_count(number, bin_code, status=err.status, error=err, lot=lot, expiry=expiry), err)
    message = f"{result.sku}: {result.counted} counted in {result.location}"
    if not wants_partial():
        flash(message)
        return redirect(url_for("stock.count", number=number, bin=bin_code), 303)
    return succeeded(_render_count(number, bin_code, result=result.as_outcome()), "count-changed", message=message)


@bp.post("/counts/<number>/submit")
@roles(FLOOR)
def count_submit(number: str):
    cs = counting.submit_count(number=number, who=services.Actor(current_user.id), uow=UnitOfWork())
    flash(f"Count {cs.number} submitted for approval.")
    if current_user.role in MANAGERS:
        return redirect(url_for("stock.count_review", number=cs.number), 303)
    return redirect(url_for("stock.counts"), 303)


@bp.get("/counts/<number>/review")
@roles(MANAGERS)
def count_review(number: str):
    return render_template("stock/count_review.html", report=counting.report(db.session, number),
                           reasons=counting.REASONS)


@bp.post("/counts/<number>/recount")
@roles(MANAGERS)
def count_recount(number: str):
    ids = [int(x) for x in request.form.getlist("line") if x.isdigit()]
    cs = counting.request_recount(number=number, line_ids=ids, uow=UnitOfWork())
    flash(f"{len(ids)} line(s) of {cs.number} sent back for a recount.")
    return redirect(url_for("stock.count_review", number=cs.number), 303)


@bp.post("/counts/<number>/approve")
@roles(MANAGERS)
def count_approve(number: str):
    f = request.form
    reasons = {int(k.split("-", 1)[1]): v for k, v in f.items() if k.startswith("reason-") and k[7:].isdigit()}
    try:
        cs = counting.approve_count(number=number, reasons=reasons, default_reason=f.get("default_reason") or "miscount",
                                    who=scan_actor(), uow=UnitOfWork())
    except AlreadyRecorded:
        cs = counting.get_count(db.session, number)
    adjusted = sum(1 for x in cs.lines if x.movement_id)
    empty = [b.code for b in counting.report(db.session, cs.number).bins_empty if b.zeroed]
    flash(f"Count {cs.number} approved: {adjusted} adjustment(s) booked."
          + (f" Found empty, counted 0: {', '.join(empty)}." if empty else ""))
    return redirect(url_for("stock.count_review", number=cs.number), 303)


@bp.post("/counts/<number>/cancel")
@roles(MANAGERS)
def count_cancel(number: str):
    cs = counting.cancel_count(number=number, uow=UnitOfWork())
    flash(f"Count {cs.number} cancelled.")
    return redirect(url_for("stock.counts"), 303)
