"""Scan flows on the floor: receive, put away, move, pick, issue and return — one scan field, always focused.

Each flow keeps what has been scanned so far (item, from, to, purchase order) in hidden fields and decides from
what a scan *is* where it goes: a bin scanned before any item stays as the target for every item that follows
("bin then items"); a bin scanned after an item completes that one move ("item then bin"). Put away takes its
source (the dock) whenever it has none yet, before or after the item. As soon as a flow has what it needs it
writes the movement, claiming the form's scan id (app/web/scan_actions.py), so a resent scan answers "already
recorded" and writes nothing. Scans that only fill in the form write nothing at all.

Offline, the phone does the filling in itself (static/js/steps.js, mirroring `_absorb` with the places and purchase
orders of `offline_codes`) and keeps only scans that complete an action. An item scanned before its bin is held on
the phone in the `held` field, which the server reads before `scan` — so the form also works when the connection
returns half-way. A replayed scan that still does not complete an action is a conflict (errors.Incomplete), never a
silent 200 the phone would drop.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from flask import flash, jsonify, redirect, request, url_for
from flask_login import current_user

from ..auth.roles import FLOOR, MANAGERS
from ..errors import AlreadyRecorded, Conflict, DomainError, Incomplete, Invalid
from ..extensions import db
from ..uow import UnitOfWork
from ..web.guards import roles
from ..web.htmx import render_panel, wants_partial
from ..web.scan_actions import already_recorded, failed, replayed, scan_context, succeeded
from . import purchasing, queries, services
from .routes import bp


@dataclass
class ScanState:
    item: str = ""  # registry key of the item (GTIN-14 or SKU)
    lot: str = ""
    expiry: str = ""
    src: str = ""
    dst: str = ""
    po: str = ""
    qty: str = ""
    unit_cost: str = ""
    reference: str = ""
    reason: str = ""
    bin_first: str = ""

    @classmethod
    def read(cls, values) -> ScanState:
        given = values.to_dict()  # a MultiDict's get() raises and catches a KeyError for every field not sent
        return cls(**{name: (given.get(name) or "").strip()[:200] for name in _STATE_FIELDS})

    def query(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}

    def forget_item(self) -> None:
        self.item = self.lot = self.expiry = self.qty = self.unit_cost = ""


_STATE_FIELDS = tuple(f.name for f in fields(ScanState))


@dataclass(frozen=True)
class Flow:
    name: str
    title: str
    verb: str
    endpoint: str
    needs: tuple[str, ...]
    hint: str


FLOWS = {
    "receive": Flow("receive", "Receive", "Receive", "stock.receive", ("item", "dst"),
                    "Scan the purchase order (if any), the dock or bin, then each item."),
    "put_away": Flow("put_away", "Put away", "Put away", "stock.put_away", ("item", "src", "dst"),
                     "Scan the dock, then a bin and the items for it — or an item, then its bin."),
    "move": Flow("move", "Move", "Move", "stock.move", ("item", "src", "dst"),
                 "Scan the bin to take from, the item, then the bin it goes to."),
    "pick": Flow("pick", "Pick", "Pick", "stock.pick", ("item", "src"),
                 "Scan the bin, then each item you take out of it."),
    "issue": Flow("issue", "Issue to a job", "Issue", "stock.issue", ("item", "src", "reference"),
                  "Type the job or cost centre, scan the bin, then each item."),
    "return": Flow("return", "Return", "Return", "stock.return_stock", ("item", "dst"),
                   "Scan the item coming back, then the bin it goes to — or the bin, then the items."),
}

PROMPTS = {
    "item": "Scan an item",
    "src": "Scan the bin to take from",
    "dst": "Scan the bin or dock it goes to",
    "reference": "Type the job or cost centre",
}


PAST = {"receive": "received", "put_away": "put away", "move": "moved", "pick": "picked", "issue": "issued",
        "return": "returned"}
WANTED = {"src": "bin to take from", "dst": "bin it goes to", "reference": "job or cost centre", "item": "item"}


def _absorb(flow: Flow, st: ScanState, scanned: queries.Scanned) -> str:
    """Put a scan where it belongs in this flow. Returns what to tell the person."""
    if scanned.kind == "item":
        if st.item and st.item != scanned.key:  # another item: its lot is not this one's (typed before any: kept)
            st.lot = st.expiry = ""
        st.item = scanned.key
        st.lot = scanned.lot or st.lot
        st.expiry = scanned.expiry or st.expiry
        if scanned.quantity and not st.qty:
            st.qty = str(scanned.quantity)
        pack = f" (pack of {scanned.pack_qty})" if scanned.pack_qty > 1 else ""
        return f"{scanned.label}{pack}"
    if scanned.kind == "purchase_order" and flow.name == "receive":
        po = purchasing.get_po(db.session, scanned.key)
        if not po.accepts_receipts:  # say so at the scan of the PO, not at its first item
            raise Conflict(f"Purchase order {po.number} is {po.status}; nothing more can be received against it.",
                           field="scan")
        st.po = scanned.key
        return f"Receiving against {scanned.key}"
    if scanned.kind == "location":
        loc = scanned.location
        if not loc.active:
            raise Invalid(f"Location {loc.code} is deactivated.", field="scan")
        if flow.name in ("receive", "return"):
            st.dst = loc.code
        elif flow.name in ("pick", "issue"):
            st.src = loc.code
        elif flow.name == "put_away":
            # A dock before the item is where the next items come from; and an item held without a source takes
            # the next place scanned as its source (item, dock, bin), else nothing could ever fill it in.
            if (loc.kind == "dock" and not st.item) or (st.item and not st.src):
                st.src = loc.code
            else:
                st.dst = loc.code
                st.bin_first = "" if st.item else "1"
        elif not st.src or not st.item:  # move
            st.src = loc.code
        else:
            st.dst = loc.code
        return f"{loc.code} {loc.name}"
    raise Invalid(f"{scanned.label} is a {scanned.kind.replace('_', ' ')}; scan an item or a location here.",
                  field="scan")


def _missing(flow: Flow, st: ScanState) -> list[str]:
    return [need for need in flow.needs if not getattr(st, need)]


def _incomplete(flow: Flow, st: ScanState, scanned: list[str]) -> Incomplete:
    """Why a replayed scan applied nothing, in words the person (and their manager) can act on."""
    missing = _missing(flow, st)
    screen, done = f"the {flow.title} screen", PAST[flow.name]
    if st.item:
        item = queries.item_by_key(db.session, st.item)
        what = f"{item.sku} {item.name}" if item else st.item
        wanted = "dock or bin to receive into" if flow.name == "receive" else WANTED[missing[0]]
        held = "given" if missing[0] == "reference" else "held"
        return Incomplete(f"{what} was scanned offline on {screen}, but no {wanted} was {held}, so nothing was "
                          f"{done}. {flow.verb} it again.", field="scan")
    what = " then ".join(scanned) or "Nothing"
    return Incomplete(f"{what} was scanned offline on {screen}, but no item came with it, so nothing was {done}. "
                      "Items scanned after it on that phone may have gone with the place held before it: check them.",
                      field="scan")


def _date(raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(f"The expiry “{raw}” is not a date (YYYY-MM-DD).", field="expiry") from None


def scan_actor() -> services.Actor:
    """The person scanning, with the scan id, source and device time of this request (see scan_actions)."""
    ctx = scan_context()
    return services.Actor(current_user.id, ctx.source, ctx.scan_id, ctx.device_time)


def _execute(flow: Flow, st: ScanState) -> services.Moved:
    common = {"code": st.item, "quantity": st.qty or None, "lot": st.lot or None, "who": scan_actor(),
              "uow": UnitOfWork()}
    if flow.name == "receive":
        cost = st.unit_cost if current_user.role in MANAGERS else None
        return services.receive(location_code=st.dst, expiry=_date(st.expiry), unit_cost=cost or None,
                                po_number=st.po or None, **common)
    if flow.name in ("put_away", "move"):
        return services.relocate(kind=flow.name, from_code=st.src, to_code=st.dst, **common)
    if flow.name == "return":
        return services.return_stock(location_code=st.dst, expiry=_date(st.expiry), reference=st.reference,
                                     reason=st.reason, **common)
    return services.take_out(kind=flow.name, location_code=st.src, reference=st.reference, **common)


def _after(flow: Flow, st: ScanState) -> None:
    st.forget_item()
    if flow.name == "move" or (flow.name == "put_away" and not st.bin_first):
        st.dst = ""


def _context(flow: Flow, st: ScanState, **extra) -> dict:
    held = queries.item_by_key(db.session, st.item) if st.item else None
    missing = _missing(flow, st)
    return {
        "flow": flow, "st": st, "held": held, "missing": missing,
        "prompt": PROMPTS[missing[0]] if missing else "Scan the next item",
        "po": _po_summary(st.po) if st.po else None,
        "can_cost": current_user.role in MANAGERS,
        "prompts": PROMPTS,
        **extra,
    }


def _po_summary(number: str):
    from . import purchasing

    try:
        return purchasing.get_po(db.session, number)
    except DomainError:
        return None


def _render(flow: Flow, st: ScanState, status: int = 200, **extra):
    return render_panel("stock/scan.html", "stock/_scan.html", status=status, **_context(flow, st, **extra))


def run_flow(name: str):
    flow = FLOWS[name]
    if request.method == "GET":
        return _render(flow, ScanState.read(request.args))
    st = ScanState.read(request.form)
    clear = request.form.get("clear")
    clear = clear if clear in ("item", "src", "dst", "po") else None
    note = None
    try:
        # An item the phone held while it was offline is read first, then this scan (see the module docstring).
        scans = [raw for raw in (request.form.get("held", ""), "" if clear else request.form.get("scan", ""))
                 if raw.strip()]
        for raw in scans:
            note = _absorb(flow, st, queries.classify(db.session, raw))
        if clear:
            if clear == "item":
                st.forget_item()
            else:
                setattr(st, clear, "")
            return _render(flow, st)
        if _missing(flow, st):
            if replayed():
                raise _incomplete(flow, st, [raw.strip() for raw in scans])
            resp = _render(flow, st, note=note)
            return succeeded(resp, message=note) if note else resp
        result = _execute(flow, st)
    except AlreadyRecorded as err:
        _after(flow, st)
        return already_recorded(_render(flow, st, result=err.outcome, already=True), err)
    except DomainError as err:
        return failed(_render(flow, st, status=err.status, error=err, note=note), err)
    _after(flow, st)
    message = _say(result)
    if not wants_partial():
        flash(message)
        return redirect(url_for(flow.endpoint, **st.query()), 303)
    return succeeded(_render(flow, st, result=result.as_outcome()), "stock-changed", message=message)


def _say(result: services.Moved) -> str:
    verbs = {"receipt": "Received", "put_away": "Put away", "move": "Moved", "pick": "Picked", "issue": "Issued",
             "return": "Returned"}
    where = result.to_location or result.from_location
    lot = f" lot {result.lot}" if result.lot else ""
    return f"{verbs.get(result.kind, result.kind)} {result.quantity} × {result.sku}{lot} — {where}"


@bp.route("/receive", methods=["GET", "POST"])
@roles(FLOOR)
def receive():
    return run_flow("receive")


@bp.route("/put-away", methods=["GET", "POST"])
@roles(FLOOR)
def put_away():
    return run_flow("put_away")


@bp.route("/move", methods=["GET", "POST"])
@roles(FLOOR)
def move():
    return run_flow("move")


@bp.route("/pick", methods=["GET", "POST"])
@roles(FLOOR)
def pick():
    return run_flow("pick")


@bp.route("/issue", methods=["GET", "POST"])
@roles(FLOOR)
def issue():
    return run_flow("issue")


@bp.route("/return", methods=["GET", "POST"])
@roles(FLOOR)
def return_stock():
    return run_flow("return")


OFFLINE_PAGE = 500  # places per page of offline_codes; a few hundred bins is typical, so one page usually


@bp.get("/offline-codes")
@roles(FLOOR)
def offline_codes():
    """The codes a phone needs to fill in the scan flows while offline: every active place (code, name, kind, parent
    code — the parent for a count's scope) and, with the first page, the open purchase orders (the newest 500 that
    accept receipts). Paged by code: `next` is the URL of the following page, or null."""
    after = (request.args.get("after") or "").strip().upper()[:40]
    found = queries.offline_codes(db.session, after=after, limit=OFFLINE_PAGE)
    body = {
        "places": [{"code": c, "name": n, "kind": k, "parent": p} for c, n, k, p in found.places],
        "next": url_for("stock.offline_codes", after=found.after) if found.after else None,
    }
    if not after:
        body["purchase_orders"] = [{"number": n, "supplier": s, "status": st} for n, s, st in found.purchase_orders]
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
