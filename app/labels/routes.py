"""Label pages: a selection form, printable sheets, and the single label behind every "Print label" link.

Printing is done by the browser from HTML + SVG with a print stylesheet (`@page` size and margins, label boxes in
mm/in): no PDF step. See the module docstring of app/labels/rules.py and the README for why.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from ..auth.roles import ANYONE
from ..errors import DomainError, Invalid
from ..extensions import db
from ..locations.models import KINDS as LOCATION_KINDS
from ..web import menu
from ..web.guards import roles
from . import queries, rules

bp = Blueprint("labels", __name__, url_prefix="/labels")


def add_menu(app) -> None:
    menu.add(app, menu.MenuEntry("more", "Labels", "labels.index", ANYONE,
                                 "Print QR and barcode labels for items, bins, assets and kits", 35))


def _form_ctx(**extra):
    return {"kinds": queries.KINDS, "layouts": rules.LAYOUTS, "location_kinds": LOCATION_KINDS, **extra}


@bp.get("/")
@roles(ANYONE)
def index():
    return render_template("labels/index.html", form=request.args, **_form_ctx())


@bp.get("/sheet")
@roles(ANYONE)
def sheet():
    """Labels for a selection: all bins of a zone, items by search, some tags …"""
    args = request.args
    try:
        lay = rules.layout(args.get("layout"))
        skip = rules.whole(args.get("skip"), field="skip", low=0, high=lay.per_sheet - 1, default=0)
        copies = rules.whole(args.get("copies"), field="copies", low=1, high=rules.MAX_COPIES, default=1)
        labels = queries.select_labels(db.session, args.get("kind", "location"), args)
        if not labels:
            raise Invalid("Nothing matches that selection; there are no labels to print.", field="q")
        placed, notes = rules.fit(labels, lay)
        pages = rules.sheets(placed, lay, skip=skip, copies=copies)
    except DomainError as err:
        return render_template("labels/index.html", form=args, error=err, **_form_ctx()), err.status
    return _render(pages, lay, back=url_for("labels.index", **args.to_dict(flat=True)), count=len(labels) * copies,
                   notes=notes)


@bp.get("/code/<code>")
@roles(ANYONE)
def for_code(code: str):
    """One thing's label, for a thermal printer by default (the "Print label" link after receiving or
    registering something)."""
    lay = rules.layout(request.args.get("layout"), default=rules.DEFAULT_SINGLE)
    copies = rules.whole(request.args.get("copies"), field="copies", low=1, high=rules.MAX_COPIES, default=1)
    skip = rules.whole(request.args.get("skip"), field="skip", low=0, high=lay.per_sheet - 1, default=0)
    label = queries.for_code(db.session, code)
    placed, notes = rules.fit([label], lay)
    pages = rules.sheets(placed, lay, skip=skip, copies=copies)
    others = {key: url_for("labels.for_code", code=label.code, layout=key) for key in rules.LAYOUTS}
    return _render(pages, lay, back=_back(), count=copies, single=label, others=others, notes=notes)


def _back() -> str:
    """Where "Back" goes: the page the link was followed from, when it is one of ours."""
    from ..web.security import safe_next

    url, root = request.referrer or "", request.host_url.rstrip("/")
    path = url[len(root):] if url.startswith(root + "/") else ""
    return safe_next(path, url_for("labels.index"))


def _render(pages, lay, *, back: str, count: int, **extra):
    return render_template("labels/sheet.html", pages=pages, layout=lay, layouts=rules.LAYOUTS, back=back,
                           count=count, **extra)
