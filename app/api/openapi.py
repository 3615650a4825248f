"""Declare an API operation once: its route, roles, request and response models — and the OpenAPI 3.1 document
is built from the same declarations, so the document cannot drift from the code.

Request bodies and query strings are validated with pydantic (its JSON Schema output is OpenAPI 3.1's dialect).
Writes accept an Idempotency-Key: the same key with the same body returns the first answer and changes nothing;
the same key with another body is refused (422). A key belongs to the user who sent it (two users may use the same
key for two writes), and the reply is stored with the effect in one transaction (ApiUnitOfWork), so a copy sent at
the same moment waits and gets the first answer — same status, same body.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, g, jsonify, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from ..errors import AlreadyRecorded, DomainError, IdempotencyMismatch
from ..idempotency import check_key
from ..uow import UnitOfWork
from ..web.errors import error_response

ERROR_STATUSES = {
    400: "Malformed request",
    401: "No valid token or session",
    403: "The user's role does not allow this",
    404: "Unknown thing",
    409: "Conflict with the current state",
    422: "Invalid input",
}


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI style: /items/{sku}
    summary: str
    roles: frozenset
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = (401, 403, 422)
    operation_id: str = ""
    path_params: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # this operation's own service name → request name


OPERATIONS: list[Operation] = []


def _problem(status: int, detail: str, **extra):
    resp = error_response(status, detail, code=extra.get("code"), field=extra.get("field"))
    if "errors" in extra:
        body = resp.get_json()
        body["errors"] = extra["errors"]
        resp.set_data(json.dumps(body))
    return resp


def body_problem(err: ValidationError):
    """400 when the body is not JSON at all; None when it is (then each field's error is a 422).

    The body is read by pydantic's own parser (in strict mode, which needs the JSON text): it stops at 200 levels of
    nesting and refuses a lone surrogate (\\ud800) with an error, where Flask's request.get_json() raised
    RecursionError (a 500) on a 2 KB body of nested arrays and let the surrogate through to the database."""
    for e in err.errors(include_url=False):
        if e["type"] == "json_invalid":
            why = e.get("ctx", {}).get("error", "")
            if "recursion" in why:
                return _problem(400, "The body is not valid JSON (nested too deeply).", code="malformed")
            return _problem(400, f"The body is not valid JSON ({why}).", code="malformed")
    return None


def validation_problem(err: ValidationError):
    errors = [
        {"field": ".".join(str(p) for p in e["loc"]) or None, "message": e["msg"]}
        for e in err.errors(include_url=False)
    ]
    first = errors[0] if errors else {"field": None, "message": "invalid"}
    where = f"{first['field']}: " if first["field"] else ""
    return _problem(422, f"{where}{first['message']}", code="invalid", field=first["field"], errors=errors)


# What a service calls a field, and what the API's request calls it: an error names the field the client sent.
# These hold for every operation; an operation whose request names a thing otherwise says so (operation(fields=)):
# the "code" a service refuses is the SKU on the stock operations but the tag on POST /assets.
REQUEST_FIELDS = {
    "po": "purchase_order", "po_number": "purchase_order", "due_on": "due", "location_code": "location",
    "holder_id": "holder", "borrower_id": "assignee", "customer": "assignee", "condition_out": "condition",
    "condition_in": "condition", "tags": "tag", "bin": "location", "scan_id": "Idempotency-Key",
}


def request_field(name: str | None, op: Operation) -> str | None:
    """The request's name for a field a service named; kept when the request has a field of that very name (or
    when the name is already the request's, e.g. barcodes.1.code)."""
    if not name:
        return name
    renamed = op.fields.get(name)
    if renamed:
        return renamed
    known = set(op.path_params)
    for model in (op.body, op.query):
        if model is not None:
            known |= set(model.model_fields)
    if name in known:
        return name
    renamed = REQUEST_FIELDS.get(name)
    return renamed if renamed in known or renamed == "Idempotency-Key" else name


def scoped_key(user_id: int, key: str) -> str:
    """The stored identity of a client's Idempotency-Key: the user and the key. Another user's request with the same
    key is another request. (Kept readable, as it is also the scan id on the movements and events it made; a key too
    long to fit the column with its prefix is stored by its hash.)"""
    scoped = f"u{user_id}:{key}"
    return scoped if len(scoped) <= 100 else f"u{user_id}:{hashlib.sha256(key.encode()).hexdigest()}"


def fingerprint() -> str:
    body = request.get_data() or b""
    try:
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        pass
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


class ApiUnitOfWork(UnitOfWork):
    """The unit of work of one API write, which claims the request's Idempotency-Key as it begins.

    The service's commit() only flushes: the transaction stays open (and on SQLite the writer lock held) until the
    API layer has built the reply and finish() stores it with the key and commits — the effect, the key and the
    reply in one transaction, one commit. A copy of the request sent at the same moment waits for the key's row
    (PostgreSQL) or the writer lock (SQLite) and then finds the first reply, never a half-recorded one. A handler may
    pass it to several service calls (a PATCH that edits and deactivates): they all join this one transaction, so
    the request applies whole or not at all.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._held = False

    def __enter__(self) -> ApiUnitOfWork:
        if self._held:
            return self  # a second service call of the same request: same transaction
        super().__enter__()
        return self

    def commit(self) -> None:
        self.session.flush()
        self._committed = True
        self._held = True

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None and self._held:
            return False  # finish() commits once the reply is built
        self._held = self._committed = False
        return super().__exit__(exc_type, exc, tb)

    def finish(self, status: int, body, *, keep_reply: bool) -> None:
        """Store the reply with the key (when the client sent one: only then can it ask again) and commit."""
        if not self._held:
            return
        try:
            if keep_reply and self._claim is not None:
                self._claim.outcome = {**(self._claim.outcome or {}), "api_status": status, "api_body": body}
                self._claim.status = status
                self._claim.pending = True
            self._write_claim()
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
        finally:
            self._held = False
            self._release()

    def abort(self) -> None:
        """The request failed after a service's commit(): nothing of it is kept."""
        if self._held:
            self._held = self._committed = False
            try:
                self.session.rollback()
            finally:
                self._release()


def write_uow(scope: str, answer: Callable[[dict], BaseModel] | None = None) -> ApiUnitOfWork:
    """The unit of work for this API write: it claims the request's Idempotency-Key (or a fresh one). The same one
    for every call within a request. (answer is no longer needed: every reply is stored with its effect.)"""
    uow = g.get("api_uow")
    if uow is None:
        uow = g.api_uow = ApiUnitOfWork(idempotency_key=g.api_key, scope=scope, fingerprint=g.api_fingerprint,
                                        actor_id=current_user.id)
    return uow


def _replay(err: AlreadyRecorded):
    stored = err.outcome or {}
    if "api_body" in stored:
        return jsonify(stored["api_body"]), stored.get("api_status", 200), {"Idempotent-Replayed": "true"}
    # Only a key recorded without its reply (before replies were kept with every write) comes here.
    return _problem(409, "This Idempotency-Key was applied before, but its reply was not kept; read the resource "
                         "to see what it did.", code="already_recorded", field="Idempotency-Key")


def operation(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    roles,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    fields: dict[str, str] | None = None,
) -> Callable:
    path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)
    params = re.findall(r"{([a-z_]+)}", path)

    def decorate(fn: Callable) -> Callable:
        op = Operation(
            method=method.lower(), path=bp.url_prefix + path if bp.url_prefix else path, summary=summary,
            roles=frozenset(roles), tag=tag, body=body, query=query, response=response, status=status,
            errors=tuple(sorted({401, 403, 422, *errors})), operation_id=fn.__name__, path_params=params,
            fields=dict(fields or {}),
        )
        OPERATIONS.append(op)

        def view(**path_args):
            kwargs = dict(path_args)
            try:
                if query is not None:
                    kwargs["query"] = query.model_validate(request.args.to_dict())
                if body is not None:
                    if not request.is_json:
                        return _problem(400, "Send a JSON object body with Content-Type: application/json.")
                    kwargs["body"] = body.model_validate_json(request.get_data())
            except ValidationError as err:
                return body_problem(err) or validation_problem(err)
            supplied = request.headers.get("Idempotency-Key") if op.method != "get" else None
            if op.method != "get":
                try:
                    key = check_key(supplied) if supplied else uuid.uuid4().hex
                except DomainError as err:
                    return _problem(422, "Idempotency-Key: " + err.message, code="invalid", field="Idempotency-Key")
                g.api_key = scoped_key(current_user.id, key)
                g.api_fingerprint = fingerprint()
            g.api_uow = None
            try:
                result = fn(**kwargs)
                data = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            except AlreadyRecorded as err:
                _abort()
                return _replay(err)
            except IdempotencyMismatch as err:
                _abort()
                return _problem(err.status, err.message, code=err.code, field="Idempotency-Key")
            except DomainError as err:
                _abort()
                return _problem(err.status, err.message, code=err.code, field=request_field(err.field, op))
            except BaseException:
                _abort()
                raise
            uow = g.get("api_uow")
            if uow is not None:
                uow.finish(status, data, keep_reply=bool(supplied))
            return jsonify(data), status

        view.__name__ = fn.__name__
        view._roles = frozenset(roles)  # type: ignore[attr-defined]
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method.upper()])
        return fn

    return decorate


def _abort() -> None:
    uow = g.get("api_uow")
    if uow is not None:
        uow.abort()


PROBLEM = {
    "type": "object",
    "required": ["title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


def build_spec(server_url: str = "/") -> dict:
    schemas: dict = {"Problem": PROBLEM}

    def ref(model: type[BaseModel]) -> dict:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas[name] = sub
        schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    paths: dict = {}
    for op in OPERATIONS:
        item: dict = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": [op.tag],
            "description": "Roles: " + ", ".join(sorted(op.roles)) + ".",
            "parameters": [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in op.path_params
            ],
            "responses": {},
        }
        if op.query is not None:
            for name, fld in op.query.model_fields.items():
                schema = op.query.model_json_schema()["properties"][name]
                item["parameters"].append(
                    {"name": name, "in": "query", "required": fld.is_required(), "schema": schema}
                )
        if op.method != "get":
            item["parameters"].append({
                "name": "Idempotency-Key", "in": "header", "required": False,
                "description": "Yours alone (another user's same key is another request). Same key and body: the "
                "first answer again — same status, same body, header `Idempotent-Replayed: true` — and no second "
                "effect, also when the copies arrive at the same moment. Same key, other body: 422. Only a "
                "successful answer is kept: a refused request (400, 404, 409, 422) leaves nothing behind, so it may "
                "be sent again with the same key once the cause is fixed — and it then runs again, which is the "
                "point (a retry after restocking, after creating the missing location).",
                "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_.:\-]{8,100}$"},
            })
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(op.body)}}}
        ok: dict = {"description": "OK" if op.status == 200 else "Created"}
        if op.response is not None:
            ok["content"] = {"application/json": {"schema": ref(op.response)}}
        if op.method != "get":
            ok["headers"] = {"Idempotent-Replayed": {
                "description": "`true` on a replay of an Idempotency-Key: this is the first answer again",
                "schema": {"type": "string", "enum": ["true"]},
            }}
        item["responses"][str(op.status)] = ok
        # 409 for writes: also a key applied before whose reply was not kept (keys recorded by older versions).
        codes = set(op.errors) | ({400} if op.body is not None else set()) | ({409} if op.method != "get" else set())
        for code in sorted(codes):
            item["responses"][str(code)] = {
                "description": ERROR_STATUSES[code],
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
        paths.setdefault(op.path, {})[op.method] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Storekeeper API",
            "version": "1",
            "description": "Inventory and assets by scan. Authenticate with `Authorization: Bearer <token>` "
            "(tokens from your profile page or `flask create-token EMAIL`).",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

