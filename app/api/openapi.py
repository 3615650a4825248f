"""Declare an API operation once: its route, roles, request and response models — and the OpenAPI 3.1 document
is built from the same declarations, so the document cannot drift from the code.

Request bodies and query strings are validated with pydantic (its JSON Schema output is OpenAPI 3.1's dialect).
Writes accept an Idempotency-Key: the same key with the same body returns the first answer and changes nothing;
the same key with another body is refused (422).
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

from ..errors import AlreadyRecorded, DomainError
from ..idempotency import AppliedRequest, check_key
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


OPERATIONS: list[Operation] = []


def _problem(status: int, detail: str, **extra):
    resp = error_response(status, detail, code=extra.get("code"), field=extra.get("field"))
    if "errors" in extra:
        body = resp.get_json()
        body["errors"] = extra["errors"]
        resp.set_data(json.dumps(body))
    return resp


def validation_problem(err: ValidationError):
    errors = [
        {"field": ".".join(str(p) for p in e["loc"]) or None, "message": e["msg"]}
        for e in err.errors(include_url=False)
    ]
    first = errors[0] if errors else {"field": None, "message": "invalid"}
    where = f"{first['field']}: " if first["field"] else ""
    return _problem(422, f"{where}{first['message']}", code="invalid", field=first["field"], errors=errors)


def fingerprint() -> str:
    body = request.get_data() or b""
    try:
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        pass
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


def write_uow(scope: str, answer: Callable[[dict], BaseModel] | None = None) -> UnitOfWork:
    """The unit of work for this API write: it claims the request's Idempotency-Key (or a fresh one).

    answer(outcome) builds the reply from the outcome the service records; given it, the reply is stored in the
    same transaction as the effect. Without it the reply is stored afterwards, in a second transaction (the
    benchmark found that second commit roughly doubled the cost of an API write).
    """
    uow = UnitOfWork(idempotency_key=g.api_key, scope=scope, fingerprint=g.api_fingerprint, actor_id=current_user.id)
    if answer is not None and request.headers.get("Idempotency-Key"):
        status = g.get("api_status", 200)

        def reply(outcome: dict) -> tuple[int, dict]:
            g.api_answer_stored = True
            return status, answer(outcome).model_dump(mode="json")

        uow.answer = reply
    return uow


def _store_answer(key: str, status: int, body) -> None:
    # The effect and its key committed together; the answer is added afterwards for replays to return verbatim.
    with UnitOfWork() as uow:
        row = uow.session.get(AppliedRequest, key)
        if row is not None:
            row.outcome = {**(row.outcome or {}), "api_status": status, "api_body": body}
            uow.commit()


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
) -> Callable:
    path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)
    params = re.findall(r"{([a-z_]+)}", path)

    def decorate(fn: Callable) -> Callable:
        op = Operation(
            method=method.lower(), path=bp.url_prefix + path if bp.url_prefix else path, summary=summary,
            roles=frozenset(roles), tag=tag, body=body, query=query, response=response, status=status,
            errors=tuple(sorted({401, 403, 422, *errors})), operation_id=fn.__name__, path_params=params,
        )
        OPERATIONS.append(op)

        def view(**path_args):
            kwargs = dict(path_args)
            try:
                if query is not None:
                    kwargs["query"] = query.model_validate(request.args.to_dict())
                if body is not None:
                    payload = request.get_json(silent=True)
                    if payload is None:
                        return _problem(400, "Send a JSON object body with Content-Type: application/json.")
                    kwargs["body"] = body.model_validate(payload)
            except ValidationError as err:
                return validation_problem(err)
            if op.method != "get":
                supplied = request.headers.get("Idempotency-Key")
                try:
                    g.api_key = check_key(supplied) if supplied else uuid.uuid4().hex
                except DomainError as err:
                    return _problem(422, "Idempotency-Key: " + err.message, code="invalid", field="Idempotency-Key")
                g.api_fingerprint = fingerprint()
            g.api_status, g.api_answer_stored = status, False
            try:
                result = fn(**kwargs)
            except AlreadyRecorded as err:
                stored = err.outcome or {}
                if "api_body" in stored:
                    return jsonify(stored["api_body"]), stored.get("api_status", 200), {"Idempotent-Replayed": "true"}
                return jsonify({"detail": err.message, "outcome": stored}), 200, {"Idempotent-Replayed": "true"}
            except DomainError as err:
                return _problem(err.status, err.message, code=err.code, field=err.field)
            data = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            if op.method != "get" and request.headers.get("Idempotency-Key") and not g.get("api_answer_stored"):
                _store_answer(g.api_key, status, data)
            return jsonify(data), status

        view.__name__ = fn.__name__
        view._roles = frozenset(roles)  # type: ignore[attr-defined]
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method.upper()])
        return fn

    return decorate


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
                "description": "Same key and body: the first answer again, no second effect. Same key, other body: 422.",
                "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_.:\-]{8,100}$"},
            })
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(op.body)}}}
        ok = {"description": "OK"}
        if op.response is not None:
            ok["content"] = {"application/json": {"schema": ref(op.response)}}
        item["responses"][str(op.status)] = ok
        if op.method != "get" and op.status != 200:
            item["responses"]["200"] = {"description": "Replayed: this Idempotency-Key was applied before"}
        codes = set(op.errors) | ({400} if op.body is not None else set())
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

