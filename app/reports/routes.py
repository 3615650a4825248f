"""Reports as tables and as CSV downloads (managers). Impossible filters are a clear 422, never a 500."""

from __future__ import annotations

from itertools import islice

from flask import Blueprint, Response, request

from ..auth.roles import MANAGERS
from ..csvio.writer import csv_response
from ..errors import DomainError
from ..extensions import db
from ..insights.rules import date_range
from ..web import menu
from ..web.guards import roles
from ..web.htmx import render_panel
from . import queries

bp = Blueprint("reports", __name__, url_prefix="/reports")
PAGE_ROWS = 500


def add_menu(app) -> None:
    menu.add(app, menu.MenuEntry("more", "Reports", "reports.index", MANAGERS,
                                 "Valuation, movements, variances, assets, loans, journal — CSV", 10))


def _filters() -> queries.Filters:
    start, end = date_range(request.args.get("start"), request.args.get("end"))
    return queries.Filters(start=start, end=end, item=request.args.get("item", ""),
                           location=request.args.get("location", ""), person=request.args.get("person", ""))


@bp.get("/")
@roles(MANAGERS)
def index():
    return render_panel("reports/index.html", "reports/_index.html", kinds=queries.KINDS)


@bp.get("/<name>")
@roles(MANAGERS)
def show(name: str):
    kind = queries.BY_NAME.get(name)
    if kind is None:
        return render_panel("reports/index.html", "reports/_index.html", status=404, kinds=queries.KINDS,
                            error=f"No report called {name}.")
    want_csv = request.args.get("format") == "csv"
    try:
        f = _filters()
        if want_csv or kind.needs_period is False or (f.start and f.end):
            report = queries.build(db.session, name, f)
        else:
            report = None  # the journal waits for its period
    except DomainError as err:
        db.session.rollback()
        return render_panel("reports/show.html", "reports/_show.html", status=err.status, kind=kind, report=None,
                            rows=[], error=err, args=_args(), more=False)
    if want_csv:
        return _csv(report)
    rows = list(islice(report.rows, PAGE_ROWS + 1)) if report else []
    return render_panel("reports/show.html", "reports/_show.html", kind=kind, report=report, rows=rows[:PAGE_ROWS],
                        more=len(rows) > PAGE_ROWS, error=None, args=_args())


def _args() -> dict:
    return {k: request.args.get(k, "") for k in ("start", "end", "item", "location", "person") if request.args.get(k)}


def _csv(report: queries.Report) -> Response:
    """The whole report as CSV, every cell neutralised against formula injection (the shared CSV writer). Built in
    memory inside the request (the rows come from a yield_per query); a streamed response would outlive the
    request's session."""
    return csv_response(report.name, report.columns, report.rows)
