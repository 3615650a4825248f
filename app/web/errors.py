"""Error pages: a full page, or for htmx a partial that the page shows in its message area.

Domain errors raised by services and not handled by the route become a specific message with their own status.
"""

from __future__ import annotations

from flask import Response, current_app, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..errors import DomainError
from .htmx import render_panel

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Sign in needed", "Sign in to continue."),
    403: ("Not allowed", "Your role does not allow this. Ask a manager if you need it."),
    404: ("Not found", "There is nothing at this address."),
    405: ("Not allowed", "That action is not possible here."),
    409: ("Conflict", "That is not possible in the current state."),
    413: ("Too large", "The upload is too large."),
    422: ("Invalid input", "Check what was entered."),
    429: ("Slow down", "Too many requests. Wait a moment and try again."),
    500: ("Something went wrong", "The server failed to handle this. Nothing was changed; try again."),
    503: ("Unavailable", "The database cannot be reached right now. Nothing was changed; try again shortly."),
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "application/problem+json"])
    return best in ("application/json", "application/problem+json")


def error_response(status: int, message: str | None = None, *, code: str | None = None, field: str | None = None):
    title, default = MESSAGES.get(status, ("Error", "Something went wrong."))
    message = message or default
    if wants_json():
        body = {"type": "about:blank", "title": title, "status": status, "detail": message}
        if code:
            body["code"] = code
        if field:
            body["field"] = field
        resp = jsonify(body)
        resp.status_code = status
        resp.mimetype = "application/problem+json"
        return resp
    if request.headers.get("HX-Request"):
        # Any htmx request — boosted links and forms too (<body hx-boost>) — gets the message alone, shown in the
        # page's message area: the page the person is on stays as it was, and its address is not replaced by the
        # failed request's (a boosted request would otherwise push it). A full page here would land inside #flash.
        resp = make_response(render_template("web/_error.html", status=status, title=title, message=message), status)
        resp.vary.add("HX-Request")
        resp.headers["HX-Retarget"] = "#flash"
        resp.headers["HX-Reswap"] = "innerHTML"
        resp.headers["HX-Push-Url"] = "false"
        resp.headers["HX-Replace-Url"] = "false"
        return resp
    return render_panel("web/error.html", "web/_error.html", status=status, title=title, message=message)


def register(app):
    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return error_response(
            400,
            "The form expired or was not sent from this app (security token missing or wrong). "
            "Reload the page and try again.",
            code="csrf",
        )

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        return error_response(err.status, err.message, code=err.code, field=err.field)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        status = err.code or 500
        # Our own abort(…, "message") says something specific; werkzeug's stock descriptions do not.
        message = err.description if status not in MESSAGES or err.description != type(err).description else None
        return error_response(status, message)

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        from sqlalchemy.exc import DBAPIError, OperationalError

        from ..extensions import db

        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection itself may be gone
            current_app.logger.warning("rollback failed after error", exc_info=True)
        if isinstance(err, OperationalError) or (isinstance(err, DBAPIError) and err.connection_invalidated):
            current_app.logger.error("database unavailable: %s", err)
            # The page must render without the database: the signed-in user would be loaded (or, after the
            # rollback, refreshed) from it, failing again inside this handler — a bare 500 instead of this 503
            # (found by the PostgreSQL-restart fault test). An outage page is shown as to a visitor.
            g._login_user = current_app.login_manager.anonymous_user()
            try:
                resp = error_response(503)
                resp.headers["Retry-After"] = "5"
                return resp
            except Exception:  # noqa: BLE001 - last resort: a plain answer that needs nothing
                current_app.logger.warning("error page failed to render", exc_info=True)
                return Response(MESSAGES[503][1], 503, mimetype="text/plain", headers={"Retry-After": "5"})
        current_app.logger.exception("unhandled error")
        return error_response(500)
