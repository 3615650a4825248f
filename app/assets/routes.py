"""HTTP adapter of the asset register and lending. Routes parse, services decide (see app/web/scan_actions.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from ..auth.models import User
from ..auth.roles import ADMINS, ANYONE, FIELD, MANAGERS
from ..auth.rules import BADGE_PREFIX
from ..errors import AlreadyRecorded, DomainError, Incomplete, Invalid
from ..extensions import db
from ..scanning.registry import Action, Resolution, lookup
from ..types import utcnow
from ..uow import UnitOfWork
from ..web import menu
from ..web.guards import roles
from ..web.htmx import hx_trigger, render_panel, wants_partial
from ..web.scan_actions import already_recorded, failed, replayed, scan_context, succeeded
from . import queries, rules, services
from .models import Asset, Kit

bp = Blueprint("assets", __name__, url_prefix="/assets")
SPLIT = re.compile(r"[\s,;]+")


def add_menu(app) -> None:
    add = lambda *a: menu.add(app, menu.MenuEntry(*a))  # noqa: E731
    add("tasks", "Check out equipment", "assets.checkout", FIELD, "Lend loaners and demo units by scanning", 40)
    add("tasks", "Check in equipment", "assets.checkin", FIELD, "Take equipment back, note its condition", 41)
    add("tasks", "Equipment out and overdue", "assets.loans", FIELD, "Who has what, and what is late", 42)
    add("tasks", "Reservations", "assets.reservations", FIELD, "Book a unit for later; set one aside", 43)
    add("tasks", "Transfer an asset", "assets.transfer", FIELD, "Move to a place, department or person", 44)
    add("tasks", "Audit a room, shelf or van", "assets.audit", FIELD, "Scan what is there: found, missing, unexpected", 45)
    add("more", "Asset register", "assets.index", MANAGERS, "Register, edit and search assets", 40)
    add("more", "Kits", "assets.kits", MANAGERS, "Sets of assets that go out and come back together", 40)
    add("more", "Depreciation", "assets.depreciation", MANAGERS, "Book values and totals per category", 41)
    add("more", "Licences", "assets.licences", MANAGERS, "Seats, who or what holds them, expiry", 44)
    add("more", "Contracts", "assets.contracts", MANAGERS, "Service contracts and warranty extensions", 45)
    add("more", "Inventory or asset?", "assets.classify", MANAGERS, "The classification rule, applied", 42)
    add("more", "Asset settings", "assets.settings_page", ADMINS, "Capitalization threshold, month convention", 43)


def register_cli(app) -> None:
    import click

    @app.cli.command("expire-reservations")
    def expire_reservations() -> None:
        """Close reservations whose window passed uncollected (run hourly from cron or a timer)."""
        click.echo(f"Expired {services.expire_reservations(uow=UnitOfWork())} reservation(s).")


def _today() -> date:
    return datetime.now(UTC).date()


def _tags(raw: str | None) -> list[str]:
    return [t for t in SPLIT.split(raw or "") if t]


def _scan_action(page: str, partial: str, run: Callable, event: str, message: Callable, redirect_to: str,
                 ctx_fn: Callable[[], dict] | None = None, **ctx):
    """The scan action contract in one place: run the service, answer success, repeat or failure.

    `ctx_fn` builds context that depends on the outcome (lists that the action changed); it runs afterwards.
    """
    form = request.form

    def context() -> dict:
        return {**ctx, **(ctx_fn() if ctx_fn else {})}

    try:
        scan = scan_context()
        result = run(scan)
    except AlreadyRecorded as err:
        resp = render_panel(page, partial, done_message=err.message, form={}, **context())
        return already_recorded(resp, err)
    except DomainError as err:
        db.session.rollback()
        resp = render_panel(page, partial, status=err.status, error=err, form=form, **context())
        return failed(resp, err)
    text = message(result)
    if not wants_partial():
        flash(text)
        return redirect(redirect_to, 303)
    resp = render_panel(page, partial, done_message=text, form={}, **context())
    return succeeded(resp, event, message=text)


# ---------------------------------------------------------------------------------------------------------------
# Register
# ---------------------------------------------------------------------------------------------------------------


@bp.get("/")
@roles(MANAGERS)
def index():
    q, status, pool = request.args.get("q", ""), request.args.get("status", ""), request.args.get("pool", "")
    return render_panel("assets/index.html", "assets/_list.html", assets=queries.search(
        db.session, q=q, status=status, pool=pool), q=q, status_filter=status, pool=pool, statuses=rules.STATUS_LABELS)


def _form_ctx(**extra):
    s = db.session
    return {"models": queries.models(s), "people": queries.people(s), "pools": rules.POOLS,
            "methods": rules.METHOD_LABELS, "statuses": rules.INITIAL, **extra}


@bp.route("/new", methods=["GET", "POST"])
@roles(MANAGERS)
def new():
    if request.method == "GET":
        return render_panel("assets/edit.html", "assets/_edit.html", form=request.args, asset=None, **_form_ctx())
    try:
        fields = services.AssetFields.parse(request.form)
        asset = services.register_asset(tag=request.form.get("tag", ""), fields=fields,
                                        status=request.form.get("status") or "in_stock", actor_id=current_user.id,
                                        uow=UnitOfWork())
    except DomainError as err:
        db.session.rollback()
        return render_panel("assets/edit.html", "assets/_edit.html", status=err.status, error=err, form=request.form,
                            asset=None, **_form_ctx())
    flash(f"Registered {asset.tag}.")
    resp = redirect(url_for("assets.show", tag=asset.tag), 303)
    if wants_partial():
        resp = hx_trigger(_hx_redirect(url_for("assets.show", tag=asset.tag)), "asset-registered")
    return resp


def _hx_redirect(url: str):
    from flask import make_response

    resp = make_response("", 200)
    resp.headers["HX-Location"] = url
    return resp


@bp.post("/models")
@roles(MANAGERS)
def add_model():
    try:
        model = services.ensure_model(manufacturer=request.form.get("manufacturer", ""),
                                      name=request.form.get("name", ""), category=request.form.get("category", ""),
                                      uow=UnitOfWork())
    except DomainError as err:
        db.session.rollback()
        return render_panel("assets/edit.html", "assets/_edit.html", status=err.status, error=err, form={},
                            asset=None, **_form_ctx())
    flash(f"Model {model.label} is ready to use.")
    return redirect(url_for("assets.new", model_id=model.id), 303)


def _asset_or_404(tag: str) -> Asset:
    asset = queries.by_tag(db.session, tag)
    if asset is None:
        abort(404, f"No asset has the tag {tag.upper()}.")
    return asset


@bp.get("/<tag>")
@roles(ANYONE)
def show(tag: str):
    asset = _asset_or_404(tag)
    from ..maintenance import queries as mq

    s = db.session
    today = _today()
    try:
        at = services.parse_date(request.args.get("at"), "at") or today
    except DomainError:
        at = today
    return render_panel(
        "assets/show.html", "assets/_show.html", asset=asset, events=queries.timeline(s, asset.id),
        loan=queries.open_loan(s, asset.id), book_value=queries.book_value(s, asset, at), at=at,
        schedule=queries.schedule(s, asset), reservations=queries.reservations(s, since=utcnow(), asset_id=asset.id),
        due=mq.due_list(s, today=today, asset_id=asset.id, include_ok=True), records=mq.records_of(s, asset.id),
        today=today, manager=current_user.role in MANAGERS, field=current_user.role in FIELD,
        contracts=queries.contracts(s, asset_id=asset.id), seats=queries.open_seats(s, asset_id=asset.id),
        config=queries.config_of(s, asset.id), stock_item=queries.stock_item_of(s, asset.id),
    )


@bp.route("/<tag>/edit", methods=["GET", "POST"])
@roles(MANAGERS)
def edit(tag: str):
    asset = _asset_or_404(tag)
    if request.method == "GET":
        form = {c: getattr(asset, c) for c in ("model_id", "serial", "department", "assignee_id", "purchase_date",
                                               "cost", "supplier", "po_ref", "warranty_end", "useful_life_months",
                                               "salvage_value", "depreciation_method", "pool", "notes")}
        form["location_code"] = asset.location.code if asset.location else ""
        linked = queries.stock_item_of(db.session, asset.id)
        form["stock_sku"] = linked.sku if linked is not None else ""
        return render_panel("assets/edit.html", "assets/_edit.html", form=form, asset=asset, **_form_ctx())
    try:
        fields = services.AssetFields.parse(request.form)
        services.edit_asset(asset_id=asset.id, fields=fields, actor_id=current_user.id, uow=UnitOfWork())
    except DomainError as err:
        db.session.rollback()
        return render_panel("assets/edit.html", "assets/_edit.html", status=err.status, error=err, form=request.form,
                            asset=asset, **_form_ctx())
    flash(f"Saved {asset.tag}.")
    return redirect(url_for("assets.show", tag=asset.tag), 303)


@bp.post("/<tag>/status")
@roles(MANAGERS)
def change_status(tag: str):
    kind = request.form.get("kind", "")
    services.change_status(tag=tag, kind=kind, actor_id=current_user.id, note=request.form.get("note"),
                           uow=UnitOfWork())
    flash(f"{tag.upper()}: {rules.EVENT_LABELS.get(kind, kind).lower()}.")
    return hx_trigger(redirect(url_for("assets.show", tag=tag.upper()), 303), "asset-changed")


@bp.route("/<tag>/dispose", methods=["GET", "POST"])
@roles(MANAGERS)
def dispose(tag: str):
    asset = _asset_or_404(tag)
    ctx = {"asset": asset, "today": _today()}
    if request.method == "GET":
        return render_panel("assets/dispose.html", "assets/_dispose.html", form={}, **ctx)
    try:
        on = services.parse_date(request.form.get("on"), "on", required=True)
        proceeds = services.parse_money(request.form.get("proceeds"), "proceeds") or rules.money(0)
        result = services.dispose_asset(tag=tag, on=on, how=request.form.get("how", ""), proceeds=proceeds,
                                        actor_id=current_user.id, uow=UnitOfWork())
    except DomainError as err:
        db.session.rollback()
        return render_panel("assets/dispose.html", "assets/_dispose.html", status=err.status, error=err,
                            form=request.form, **ctx)
    word = "gain" if result.gain >= 0 else "loss"
    flash(f"Disposed of {asset.tag}: book value {result.book_value}, proceeds {result.proceeds}, "
          f"{word} {abs(result.gain)}.")
    return hx_trigger(redirect(url_for("assets.show", tag=asset.tag), 303), "asset-disposed")


@bp.post("/<tag>/replace")
@roles(MANAGERS)
def replace(tag: str):
    new = services.replace_asset(old_tag=tag, new_tag=request.form.get("new_tag", ""), actor_id=current_user.id,
                                 note=request.form.get("note"), uow=UnitOfWork())
    flash(f"{new.tag} replaces {tag.upper()}; the link is kept in both timelines.")
    return hx_trigger(redirect(url_for("assets.show", tag=new.tag), 303), "asset-replaced")


@bp.post("/<tag>/config")
@roles(FIELD)
def config(tag: str):
    f = request.form
    services.set_config(tag=tag, name=f.get("name", ""), version=f.get("version"), note=f.get("note"),
                        remove=f.get("remove") == "1", actor_id=current_user.id, uow=UnitOfWork())
    flash("Configuration saved.")
    return hx_trigger(redirect(url_for("assets.show", tag=tag.strip().upper()), 303), "asset-configured")


@bp.route("/kits", methods=["GET", "POST"])
@roles(MANAGERS)
def kits():
    from sqlalchemy import select

    def ctx():
        rows = list(db.session.scalars(select(Kit).order_by(Kit.code)))
        return {"kits": [(k, services.kit_tags(db.session, k.code)[1]) for k in rows]}

    if request.method == "GET":
        return render_panel("assets/kits.html", "assets/_kits.html", form={}, **ctx())
    try:
        kit = services.create_kit(code=request.form.get("code", ""), name=request.form.get("name", ""),
                                  tags=_tags(request.form.get("tags")), uow=UnitOfWork())
    except DomainError as err:
        db.session.rollback()
        return render_panel("assets/kits.html", "assets/_kits.html", status=err.status, error=err, form=request.form,
                            **ctx())
    flash(f"Kit {kit.code} created; scan its code to check all its pieces out at once.")
    return redirect(url_for("assets.kits"), 303)


# ---------------------------------------------------------------------------------------------------------------
# Check-out, check-in, loans
# ---------------------------------------------------------------------------------------------------------------


def _expand_kits(s: Session, tags: list[str]) -> tuple[list[str], int | None]:
    out, kit_id = [], None
    for t in tags:
        from sqlalchemy import select

        kit = s.scalar(select(Kit).where(Kit.code == t.upper()))
        if kit is None:
            out.append(t)
        else:
            kit_id = kit.id
            out.extend(services.kit_tags(s, kit.code)[1])
    return out, kit_id


def _split_badges(s: Session, codes: list[str]) -> tuple[list[str], User | None]:
    """Scanned codes into asset and kit tags, and the person whose badge was among them (the last one wins): at
    check-out a technician scans the borrower's badge as readily as the assets."""
    tags, person = [], None
    for code in codes:
        row = lookup(s, code.strip().upper()) if code.strip().upper().startswith(BADGE_PREFIX) else None
        if row is None or row.kind != "person":
            tags.append(code)
            continue
        person = s.get(User, row.target_id)
        if person is None or not person.active:
            raise Invalid(f"The badge {row.code} belongs to a deactivated account; choose someone else.",
                          field="tags")
    return tags, person


def _checkout_ctx():
    return {"people": queries.people(db.session), "conditions": services.CONDITIONS,
            "default_due": (_today() + timedelta(days=7)).isoformat(), "today": _today().isoformat()}


@bp.route("/checkout", methods=["GET", "POST"])
@roles(FIELD)
def checkout():
    if request.method == "GET":
        return render_panel("assets/checkout.html", "assets/_checkout.html", form=request.args, batch=[],
                            **_checkout_ctx())
    f = request.form
    batch = [t.upper() for t in f.getlist("batch") if t.strip()]
    if f.get("collect"):
        return _collect(batch)
    try:
        # A badge may also sit in the batch: offline, the phone collects every scan into it (static/js/steps.js).
        batch, batch_person = _split_badges(db.session, batch)
        scanned, person = _split_badges(db.session, _tags(f.get("tags")))
        person = person or batch_person
    except DomainError as err:
        return failed(render_panel("assets/checkout.html", "assets/_checkout.html", status=err.status,
                                   form=_kept(f), batch=batch, error=err, **_checkout_ctx()), err)
    if person is not None and not scanned and not batch:
        return _badge_only(person, batch)

    def run(scan):
        tags, kit_id = _expand_kits(db.session, [*batch, *scanned])
        customer = (f.get("customer") or "").strip() or None
        borrower = services.parse_int(f.get("borrower_id"), "borrower_id", minimum=1)
        if person is not None:
            borrower, customer = person.id, None
        if borrower is None and customer is None and current_user.role not in MANAGERS:
            borrower = current_user.id  # a technician takes it for themselves unless told otherwise
        return services.check_out(
            tags=tags, due_on=services.parse_date(f.get("due_on"), "due_on", required=True), borrower_id=borrower,
            customer=customer, condition_out=f.get("condition_out") or "good", kit_id=kit_id,
            actor_id=current_user.id, scan_id=scan.scan_id, source=scan.source, device_time=scan.device_time,
            uow=UnitOfWork())

    return _scan_action(
        "assets/checkout.html", "assets/_checkout.html", run, "asset-checked-out",
        lambda r: f"Checked out {', '.join(r.tags)} to {r.holder}, due {r.due_on:%a %d %b}.",
        url_for("assets.checkout"), batch=[], **_checkout_ctx())


def _kept(f) -> dict:
    return {k: f.get(k) for k in ("borrower_id", "customer", "due_on", "condition_out")}


def _badge_only(person: User, batch: list[str]):
    """Only a badge was scanned: the form now checks out to that person; nothing is written yet."""
    keep = {**_kept(request.form), "borrower_id": str(person.id), "customer": ""}
    if replayed():
        err = Incomplete(f"{person.name}'s badge was scanned offline without any asset, so nothing was checked out.",
                         field="tags")
        return failed(render_panel("assets/checkout.html", "assets/_checkout.html", status=err.status, form=keep,
                                   batch=batch, error=err, **_checkout_ctx()), err)
    return render_panel("assets/checkout.html", "assets/_checkout.html", form=keep, batch=batch,
                        done_message=f"Checking out to {person.name}: scan the assets.", **_checkout_ctx())


def _collect(batch: list[str]):
    """Batch mode: add the scanned tag to the list on the page (nothing is written until 'Check out all')."""
    f = request.form
    keep = _kept(f)
    if replayed():
        # Offline the phone collects the batch itself and keeps only "Check out all"; an older phone may still
        # have kept this step, which checks nothing out. Say so rather than answer a 200 the phone would drop.
        tags = ", ".join(t.upper() for t in _tags(f.get("tags"))) or "Nothing"
        err = Incomplete(f"{tags} was added to a check-out batch offline; adding to a batch checks nothing out. "
                         "Check whether it went out with the batch, and check it out again if not.", field="tags")
        return failed(render_panel("assets/checkout.html", "assets/_checkout.html", status=err.status, form=keep,
                                   batch=batch, error=err, **_checkout_ctx()), err)
    error, person = None, None
    try:
        scanned, person = _split_badges(db.session, _tags(f.get("tags")))
        if person is not None:
            keep.update(borrower_id=str(person.id), customer="")
            if not scanned:
                return _batch_panel(keep, batch, None, f"To {person.name}: {len(batch)} in the batch; scan the next "
                                    "or check out all.")
        tags, _ = _expand_kits(db.session, scanned)
        if not tags:
            raise Invalid("Scan a tag to add it to the batch.", field="tags")
        for tag in tags:
            asset = queries.by_tag(db.session, services.normalise_tag(tag))
            if asset is None:
                raise services.NotFound(f"No asset has the tag {tag.upper()}.", field="tags")
            if asset.status == "checked_out":
                raise services.AlreadyCheckedOut(f"{asset.tag} is already checked out.", field="tags")
            if asset.pool is None:
                raise services.NotLoanable(f"{asset.tag} is not in a loan pool.", field="tags")
            rules.transition(asset.status, "checked_out")
            if asset.tag not in batch:
                batch.append(asset.tag)
    except DomainError as err:
        error = err
    to = f"To {person.name}: " if person is not None else ""
    return _batch_panel(keep, batch, error, f"{to}{len(batch)} in the batch; scan the next or check out all.")


def _batch_panel(keep: dict, batch: list[str], error: DomainError | None, message: str):
    resp = render_panel("assets/checkout.html", "assets/_checkout.html", status=error.status if error else 200,
                        form=keep, batch=batch, error=error, done_message=None if error else message,
                        **_checkout_ctx())
    return hx_trigger(resp, {"scan-failed": {"message": error.message}}) if error else resp


@bp.route("/checkin", methods=["GET", "POST"])
@roles(FIELD)
def checkin():
    ctx = {"conditions": services.CONDITIONS}
    if request.method == "GET":
        return render_panel("assets/checkin.html", "assets/_checkin.html", form=request.args, **ctx)

    def run(scan):
        f = request.form
        return services.check_in(tag=f.get("tag", ""), condition_in=f.get("condition_in") or "good",
                                 damage=f.get("damage"), location_code=f.get("location_code") or None,
                                 pieces=_tags(f.get("pieces")),
                                 actor_id=current_user.id, scan_id=scan.scan_id, source=scan.source,
                                 device_time=scan.device_time, uow=UnitOfWork())

    def message(r):
        what = r.tag if list(r.tags) == [r.tag] else f"{', '.join(r.tags)} (kit {r.tag})"
        text = f"Checked in {what} from {r.holder} ({r.condition})."
        if r.maintenance_opened:
            text += " Sent to maintenance for the damage."
        if r.missing:
            text += f" Missing kit pieces, still out with {r.holder}: {', '.join(r.missing)}."
        return text

    return _scan_action("assets/checkin.html", "assets/_checkin.html", run, "asset-checked-in", message,
                        url_for("assets.checkin"), **ctx)


@bp.get("/loans")
@roles(FIELD)
def loans():
    today = _today()
    mine = request.args.get("mine") == "1"
    loans = queries.loans_out(db.session, borrower_id=current_user.id if mine else None)
    return render_panel("assets/loans.html", "assets/_loans.html", loans=loans, mine=mine,
                        overdue_ids={loan.id for loan in queries.overdue(db.session, today)}, today=today)


# ---------------------------------------------------------------------------------------------------------------
# Reservations
# ---------------------------------------------------------------------------------------------------------------


def _parse_when(raw: str | None, field: str) -> datetime | None:
    if not raw or not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
        # In UTC, as it is stored: 0001-01-01T00:00+14:00 is before year 1 there (OverflowError, was a 500).
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid(f"{raw!r} is not a date and time within the calendar.", field=field) from None


def _reservations_ctx():
    s = db.session
    return {"reservations": queries.reservations(s, since=utcnow()), "models": queries.models(s),
            "people": queries.people(s)}


@bp.route("/reservations", methods=["GET", "POST"])
@roles(FIELD)
def reservations():
    if request.method == "GET":
        return render_panel("assets/reservations.html", "assets/_reservations.html", form=request.args,
                            **_reservations_ctx())
    f = request.form

    def run(scan):
        customer = (f.get("customer") or "").strip() or None
        holder = services.parse_int(f.get("holder_id"), "holder_id", minimum=1)
        if holder is None and customer is None:
            holder = current_user.id
        return services.reserve(
            tag=(f.get("tag") or "").strip() or None,
            model_id=services.parse_int(f.get("model_id"), "model_id", minimum=1), holder_id=holder,
            customer=customer, starts_at=_parse_when(f.get("starts_at"), "starts_at"),
            ends_at=_parse_when(f.get("ends_at"), "ends_at"), note=f.get("note"), actor_id=current_user.id,
            scan_id=scan.scan_id, device_time=scan.device_time, uow=UnitOfWork())

    def message(res):
        what = res.asset.tag if res.asset else f"any {res.model.label}"
        return f"Reserved {what} for {res.holder_label}, {res.starts_at:%d %b %H:%M} – {res.ends_at:%d %b %H:%M} UTC."

    return _scan_action("assets/reservations.html", "assets/_reservations.html", run, "asset-reserved", message,
                        url_for("assets.reservations"), ctx_fn=_reservations_ctx)


@bp.post("/reservations/<int:reservation_id>/fulfil")
@roles(FIELD)
def fulfil(reservation_id: int):
    return _scan_action(
        "assets/reservations.html", "assets/_reservations.html",
        lambda scan: services.fulfil_reservation(
            reservation_id=reservation_id, tag=request.form.get("tag", ""), actor_id=current_user.id,
            scan_id=scan.scan_id, source=scan.source, device_time=scan.device_time, uow=UnitOfWork()),
        "asset-reserved", lambda r: f"{r.asset.tag} is set aside for {r.holder_label}.",
        url_for("assets.reservations"), ctx_fn=_reservations_ctx)


@bp.post("/reservations/<int:reservation_id>/cancel")
@roles(FIELD)
def cancel(reservation_id: int):
    res = services.cancel_reservation(reservation_id=reservation_id, actor_id=current_user.id,
                                      may_cancel_others=current_user.role in MANAGERS, uow=UnitOfWork())
    flash(f"Cancelled the reservation for {res.holder_label}.")
    return hx_trigger(redirect(url_for("assets.reservations"), 303), "reservation-cancelled")


# ---------------------------------------------------------------------------------------------------------------
# Transfers and audits
# ---------------------------------------------------------------------------------------------------------------


@bp.route("/transfer", methods=["GET", "POST"])
@roles(FIELD)
def transfer():
    ctx = {"people": queries.people(db.session)}
    if request.method == "GET":
        return render_panel("assets/transfer.html", "assets/_transfer.html", form=request.args, **ctx)

    def run(scan):
        f = request.form
        where = (f.get("location_code") or "").strip() or None
        assignee = services.parse_int(f.get("assignee_id"), "assignee_id", minimum=1)
        if where:  # a person's badge scanned where the place goes: the asset goes to that person
            _, person = _split_badges(db.session, [where])
            if person is not None:
                where, assignee = None, person.id
        return services.transfer(
            tag=f.get("tag", ""), location_code=where, department=f.get("department"), assignee_id=assignee,
            actor_id=current_user.id, scan_id=scan.scan_id, source=scan.source, device_time=scan.device_time,
            uow=UnitOfWork())

    return _scan_action("assets/transfer.html", "assets/_transfer.html", run, "asset-transferred",
                        lambda a: f"Transferred {a.tag}.", url_for("assets.transfer"), **ctx)


@bp.route("/audit", methods=["GET", "POST"])
@roles(FIELD)
def audit():
    if request.method == "GET":
        return render_panel("assets/audit.html", "assets/_audit.html", form=request.args, result=None)
    form = request.form
    try:
        scan = scan_context()
        result = services.audit(
            location_code=form.get("location_code", ""), tags=_tags(form.get("tags")), actor_id=current_user.id,
            scan_id=scan.scan_id, source=scan.source, device_time=scan.device_time, uow=UnitOfWork())
    except AlreadyRecorded as err:
        return already_recorded(render_panel("assets/audit.html", "assets/_audit.html", form={}, result=None,
                                             done_message=err.message), err)
    except DomainError as err:
        db.session.rollback()
        return failed(render_panel("assets/audit.html", "assets/_audit.html", status=err.status, error=err,
                                   form=form, result=None), err)
    text = (f"Audit of {result.location}: {len(result.found)} found, {len(result.missing)} missing, "
            f"{len(result.unexpected)} unexpected"
            + (f", {len(result.on_loan)} out on loan yet here" if result.on_loan else "")
            + (f", {len(result.recovered)} lost and now found" if result.recovered else "") + ".")
    resp = render_panel("assets/audit.html", "assets/_audit.html", form={}, result=result, done_message=text)
    return succeeded(resp, "asset-audited", message=text)


# ---------------------------------------------------------------------------------------------------------------
# Money: depreciation, classification, settings
# ---------------------------------------------------------------------------------------------------------------


@bp.get("/depreciation")
@roles(MANAGERS)
def depreciation():
    try:
        at = services.parse_date(request.args.get("at"), "at") or _today()
    except DomainError:
        at = _today()
    return render_panel("assets/depreciation.html", "assets/_depreciation.html", at=at,
                        totals=queries.totals_by_category(db.session, at),
                        convention=rules.CONVENTION_LABELS[services.settings(db.session).month_convention])


@bp.route("/classify", methods=["GET", "POST"])
@roles(MANAGERS)
def classify():
    policy = services.settings(db.session).policy()
    verdict, error = None, None
    form = request.values
    if form.get("unit_cost"):
        try:
            verdict = rules.classify(
                policy, unit_cost=services.parse_money(form.get("unit_cost"), "unit_cost", required=True),
                useful_life_months=services.parse_int(form.get("useful_life_months"), "useful_life_months",
                                                      required=True),
                serialized=bool(form.get("serialized")), rental=bool(form.get("rental")))
        except DomainError as err:
            error = err
    return render_panel("assets/classify.html", "assets/_classify.html", status=error.status if error else 200,
                        policy=policy, verdict=verdict, error=error, form=form)


@bp.get("/classify/verdict")
@roles(MANAGERS)
def verdict():
    """The classification of what is being registered, shown beside the cost and useful-life fields."""
    policy = services.settings(db.session).policy()
    result, error = None, None
    try:
        # The asset form sends "cost"; the new stock item form its "standard_cost": the same rule for both.
        cost = services.parse_money(request.args.get("cost", request.args.get("standard_cost")), "cost")
        life = services.parse_int(request.args.get("useful_life_months"), "useful_life_months")
        if cost is not None and life is not None:
            result = rules.classify(policy, unit_cost=cost, useful_life_months=life)
    except DomainError as err:
        error = err
    return render_panel("assets/_verdict.html", "assets/_verdict.html", verdict=result, error=error,
                        for_item=request.args.get("for") == "item")


@bp.route("/settings", methods=["GET", "POST"])
@roles(ADMINS)
def settings_page():
    row = services.settings(db.session)
    if request.method == "GET":
        return render_panel("assets/settings.html", "assets/_settings.html", row=row, form={},
                            conventions=rules.CONVENTION_LABELS)
    try:
        services.update_settings(
            capitalization_threshold=services.parse_money(request.form.get("capitalization_threshold"),
                                                          "capitalization_threshold", required=True),
            min_useful_life_months=services.parse_int(request.form.get("min_useful_life_months"),
                                                      "min_useful_life_months", required=True),
            month_convention=request.form.get("month_convention", ""), uow=UnitOfWork())
    except DomainError as err:
        db.session.rollback()
        return render_panel("assets/settings.html", "assets/_settings.html", status=err.status, error=err, row=row,
                            form=request.form, conventions=rules.CONVENTION_LABELS)
    flash("Asset settings saved.")
    return redirect(url_for("assets.settings_page"), 303)


# ---------------------------------------------------------------------------------------------------------------
# Licences and contracts
# ---------------------------------------------------------------------------------------------------------------


def _licences_ctx():
    s = db.session
    return {"licences": [(lic, used, queries.open_seats(s, licence_id=lic.id)) for lic, used in queries.licences(s)],
            "people": queries.people(s), "expiring": queries.expiring(s, today=_today(), within_days=60)}


@bp.route("/licences", methods=["GET", "POST"])
@roles(MANAGERS)
def licences():
    if request.method == "GET":
        return render_panel("assets/licences.html", "assets/_licences.html", form={}, **_licences_ctx())
    f = request.form
    try:
        services.create_licence(name=f.get("name", ""), vendor=f.get("vendor"),
                                seats=services.parse_int(f.get("seats"), "seats", required=True, minimum=1),
                                expires_on=services.parse_date(f.get("expires_on"), "expires_on"),
                                notes=f.get("notes"), uow=UnitOfWork())
    except DomainError as err:
        db.session.rollback()
        return render_panel("assets/licences.html", "assets/_licences.html", status=err.status, error=err, form=f,
                            **_licences_ctx())
    flash("Licence added.")
    return redirect(url_for("assets.licences"), 303)


@bp.post("/licences/<int:licence_id>/seats")
@roles(MANAGERS)
def assign_seat(licence_id: int):
    f = request.form
    services.assign_seat(licence_id=licence_id, tag=(f.get("tag") or "").strip() or None,
                         user_id=services.parse_int(f.get("user_id"), "user_id", minimum=1), actor_id=current_user.id,
                         uow=UnitOfWork())
    flash("Seat assigned.")
    return hx_trigger(redirect(url_for("assets.licences"), 303), "licence-seat-assigned")


@bp.post("/seats/<int:seat_id>/release")
@roles(MANAGERS)
def release_seat(seat_id: int):
    services.release_seat(seat_id=seat_id, actor_id=current_user.id, uow=UnitOfWork())
    flash("Seat released.")
    return hx_trigger(redirect(url_for("assets.licences"), 303), "licence-seat-released")


@bp.route("/contracts", methods=["GET", "POST"])
@roles(MANAGERS)
def contracts():
    def ctx():
        return {"contracts": queries.contracts(db.session),
                "expiring": queries.expiring(db.session, today=_today(), within_days=60)}

    if request.method == "GET":
        return render_panel("assets/contracts.html", "assets/_contracts.html", form={}, **ctx())
    f = request.form
    try:
        services.create_contract(
            kind=f.get("kind", ""), supplier=f.get("supplier", ""), reference=f.get("reference"),
            starts_on=services.parse_date(f.get("starts_on"), "starts_on", required=True),
            ends_on=services.parse_date(f.get("ends_on"), "ends_on", required=True),
            cost=services.parse_money(f.get("cost"), "cost"), tags=_tags(f.get("tags")), notes=f.get("notes"),
            actor_id=current_user.id, uow=UnitOfWork())
    except DomainError as err:
        db.session.rollback()
        return render_panel("assets/contracts.html", "assets/_contracts.html", status=err.status, error=err, form=f,
                            **ctx())
    flash("Contract added.")
    return redirect(url_for("assets.contracts"), 303)


# ---------------------------------------------------------------------------------------------------------------
# The scan hub: what a scanned asset or kit tag is and what can be done with it now
# ---------------------------------------------------------------------------------------------------------------


def describe_asset(session: Session, row, parsed, user) -> Resolution:
    from ..maintenance import queries as mq

    asset = session.get(Asset, row.target_id)
    res = Resolution(kind="asset", code=row.code, title=f"{asset.tag} · {asset.model.label}",
                     subtitle=f"{asset.model.category}{' · serial ' + asset.serial if asset.serial else ''}",
                     target_id=asset.id)
    res.facts.append(("Status", asset.status_label))
    if asset.pool:
        res.facts.append(("Pool", asset.pool))
    if asset.location:
        res.facts.append(("Location", asset.location.code))
    today = _today()
    loan = queries.open_loan(session, asset.id)
    if loan is not None:
        res.facts.append(("Holder", loan.holder))
        res.facts.append(("Due", loan.due_on.isoformat()))
        if loan.due_on < today:
            res.warnings.append(f"Overdue by {(today - loan.due_on).days} day(s).")
    elif asset.assignee is not None:
        res.facts.append(("Assigned to", asset.assignee.name))
    nxt = queries.next_reservation(session, asset, utcnow())
    if nxt is not None:
        res.facts.append(("Reserved", f"{nxt.holder_label}, {nxt.starts_at:%d %b %H:%M} – {nxt.ends_at:%d %b %H:%M}"))
    for item in mq.due_list(session, today=today, asset_id=asset.id):
        label = "Maintenance overdue" if item.due.state == "overdue" else "Maintenance due"
        res.facts.append((label, f"{item.schedule.title}: {item.due.reason}"))
        if item.due.state == "overdue":
            res.warnings.append(f"{item.schedule.title} is overdue ({item.due.reason}).")
    if asset.warranty_end:
        res.facts.append(("Warranty", f"until {asset.warranty_end.isoformat()}"))
    for contract in queries.contracts(session, asset_id=asset.id):
        if contract.kind == "service" and contract.starts_on <= today <= contract.ends_on:
            res.facts.append(("Service contract", f"{contract.supplier} until {contract.ends_on.isoformat()}"))
    role = getattr(user, "role", None)
    field, manager = role in FIELD, role in MANAGERS
    if field and asset.status in ("in_stock", "reserved") and asset.pool:
        res.actions.append(Action("Check out", url_for("assets.checkout", tags=asset.tag), primary=True))
    if field and asset.status == "checked_out":
        res.actions.append(Action("Check in", url_for("assets.checkin", tag=asset.tag), primary=True))
    if field and asset.status not in ("disposed", "retired"):
        res.actions.append(Action("Log maintenance", url_for("maintenance.log", tag=asset.tag),
                                  primary=asset.status == "in_maintenance"))
        res.actions.append(Action("Transfer", url_for("assets.transfer", tag=asset.tag)))
    if field and asset.pool and asset.status not in ("disposed", "retired", "lost"):
        res.actions.append(Action("Reserve", url_for("assets.reservations", tag=asset.tag)))
    res.actions.append(Action("History", url_for("assets.show", tag=asset.tag)))
    if manager:
        res.actions.append(Action("Edit", url_for("assets.edit", tag=asset.tag)))
        if asset.status != "checked_out" and asset.status != "disposed":
            res.actions.append(Action("Dispose", url_for("assets.dispose", tag=asset.tag)))
    return res


def location_panel(loc, user) -> str:
    """The assets registered at a location, on the location's page, with an audit shortcut."""
    from flask import render_template
    from sqlalchemy import select

    assets = list(db.session.scalars(select(Asset).where(Asset.location_id == loc.id, Asset.status != "disposed")
                                     .order_by(Asset.tag).limit(100)))
    return render_template("assets/_location_panel.html", loc=loc, assets=assets,
                           field=getattr(user, "role", None) in FIELD)


def offer_registration(parsed, user) -> Action | None:
    """A manager who scans a code nobody knows may register it as an asset tag."""
    if getattr(user, "role", None) in MANAGERS and parsed.kind == "code" and services.TAG.match(parsed.key):
        return Action("Register as an asset", url_for("assets.new", tag=parsed.key))
    return None


def rental_stock_facts(session: Session, item) -> list[tuple[str, str]]:
    """What the stock pages say of an item whose units are rental assets (registered with the stock item)."""
    units = queries.rental_stock(session, item.id)
    if units is None:
        return []
    return [("Rental units", f"{units.available} available of {units.units} ({units.out} out)")]


def describe_person(session: Session, row, parsed, user) -> Resolution:
    """A person's badge: who it is, what they have out, and check-out to them."""
    person = session.get(User, row.target_id)
    res = Resolution(kind="person", code=row.code, title=person.name if person else row.label or row.code,
                     subtitle=person.role_label if person else "", target_id=row.target_id)
    if person is None or not person.active:
        res.warnings.append("This badge belongs to a deactivated account.")
        return res
    loans = queries.loans_of(session, person.id)
    res.facts.append(("Has out", ", ".join(loan.asset.tag for loan in loans[:8]) + (" …" if len(loans) > 8 else "")
                      if loans else "nothing"))
    if getattr(user, "role", None) in FIELD:
        res.actions.append(Action(f"Check out to {person.name}", url_for("assets.checkout", borrower_id=person.id),
                                  primary=True))
    return res


def describe_kit(session: Session, row, parsed, user) -> Resolution:
    kit = session.get(Kit, row.target_id)
    _, tags = services.kit_tags(session, kit.code)
    res = Resolution(kind="kit", code=row.code, title=f"Kit {kit.code} · {kit.name}", target_id=kit.id)
    res.facts.append(("Pieces", ", ".join(tags) or "none"))
    out = [t for t in tags if (a := queries.by_tag(session, t)) is not None and a.status == "checked_out"]
    if out:
        res.facts.append(("Out", ", ".join(out)))
    if getattr(user, "role", None) in FIELD:
        if out:
            res.actions.append(Action("Check in the kit", url_for("assets.checkin", tag=kit.code), primary=True))
        else:
            res.actions.append(Action("Check out the kit", url_for("assets.checkout", tags=kit.code), primary=True))
    return res
