"""The OpenAPI 3.1 document, generated from the route table and the contract models.

Nothing in it is written twice: paths, methods, summaries and permissions
come from :data:`zenith_web.routes.ROUTES`; every body schema, and every
path and query parameter, is the JSON Schema of the contract model the
route validates it with, so the document cannot drift from what the API
accepts. Every status a route can answer is listed with its body: the
errors every route shares, those of routes that forward to a bus endpoint,
read a body or need a login, and a route's own (``RouteSpec.statuses``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

import zenith
from zenith.contracts.base import ErrorReply
from zenith_web import session
from zenith_web.spec import Access, RouteSpec

REF = "#/components/schemas/{model}"
ERRORS = {
    400: "Invalid input (nothing was changed).",
    401: "No, an invalid or an expired token (or, to log in, wrong credentials).",
    403: "The token lacks the permission, or a cookie request failed the CSRF check.",
    404: "Not found.",
    409: "The request conflicts with the current state.",
    413: "The request body is larger than web_max_body.",
    415: "The body is not JSON (or, where the route takes one, a form).",
    429: "Too many attempts: wait the Retry-After seconds.",
    500: "An unexpected error (logged; nothing was changed).",
    503: "The service that owns this operation does not answer.",
    504: "The service did not answer in time.",
}
WITHOUT_BODY = {  # a route's own statuses that answer no JSON (files sent with validators)
    206: "Part of the file (a Range request).",
    303: "Done: to the next page (a redirect).",
    304: "Not modified since the ETag or date the request names (If-None-Match, "
         "If-Modified-Since).",
    416: "The Range asked for is not in the file.",
}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "schema": {"type": "integer", "minimum": 0}}}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
               "description": "An access token from POST /login."},
    "cookie": {"type": "apiKey", "in": "cookie", "name": session.SESSION_COOKIE,
               "description": "The HttpOnly session cookie set by the login page."},
    "csrf": {"type": "apiKey", "in": "header", "name": session.CSRF_HEADER,
             "description": f"With the cookie on state-changing requests: the value of the "
             f"{session.CSRF_COOKIE} cookie."},
}
LOCAL_NOTE = ("Requests from this machine need no credentials while web_local_no_auth is on "
              "(decided by the socket's peer address).")


def _schemas(routes: tuple[RouteSpec, ...]) -> tuple[dict[Any, Any], dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], Any]] = [(ErrorReply, "serialization")]
    for spec in routes:
        if spec.request_model is not None:
            wanted.append((spec.request_model, "validation"))
        if spec.reply_model is not None:
            wanted.append((spec.reply_model, "serialization"))
    unique = list(dict.fromkeys(wanted))
    # by field name: replies are sent so (model_dump_json), a Document's "_id" as "id"
    refs, top = models_json_schema(unique, ref_template=REF, by_alias=False)
    return refs, top.get("$defs", {})


def _security(spec: RouteSpec) -> list[dict[str, list[str]]]:
    if spec.access is Access.PUBLIC:
        return []
    if spec.access is Access.NO_COOKIE:
        return [{"bearer": []}]
    if spec.access is Access.PAGE:
        return [{"cookie": []}]
    cookie: dict[str, list[str]] = (
        {"cookie": []} if spec.method in ("GET", "HEAD") else {"cookie": [], "csrf": []})
    return [{"bearer": []}, cookie]


def _content(spec: RouteSpec, schema: dict[str, Any] | None) -> dict[str, Any]:
    if spec.content_type == "application/json":
        return {"application/json": {"schema": schema or {"type": "object"}}}
    if spec.content_type.startswith("image/"):
        return {spec.content_type: {"schema": {"type": "string",
                                               "contentMediaType": spec.content_type}}}
    return {spec.content_type: {"schema": {"type": "string"}}}


def _operation(spec: RouteSpec, refs: dict[Any, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{spec.name}.{spec.method.lower()}",
        "summary": spec.summary,
        "tags": [spec.tag],
        "security": _security(spec),
    }
    permission = spec.required_permission
    if spec.access is not Access.PUBLIC:
        needs = f"Needs {':'.join(permission)}. " if permission else "Needs a login. "
        op["description"] = needs + LOCAL_NOTE
    if permission:
        op["x-permission"] = ":".join(permission)
    if spec.endpoint is not None:
        op["x-bus-endpoint"] = f"{spec.endpoint.service}.{spec.endpoint.name}"
    parameters = [*_parameters(spec.path_model, "path"), *_parameters(spec.query_model, "query")]
    if parameters:
        op["parameters"] = parameters
    request = spec.request_model
    if request is not None:
        content = {"application/json": {"schema": refs[(request, "validation")]}}
        if spec.form:
            content["application/x-www-form-urlencoded"] = {
                "schema": refs[(request, "validation")]}
        op["requestBody"] = {"required": bool(request.model_fields) and any(
            f.is_required() for f in request.model_fields.values()), "content": content}
    reply = spec.reply_model
    reply_schema = refs[(reply, "serialization")] if reply is not None else None
    responses: dict[str, Any] = {"200": {"description": "OK",
                                         "content": _content(spec, reply_schema)}}
    error = {"content": {"application/json": {"schema": refs[(ErrorReply, "serialization")]}}}
    for code in statuses(spec):
        if code in WITHOUT_BODY:
            responses[str(code)] = {"description": WITHOUT_BODY[code]}
            continue
        responses[str(code)] = {"description": ERRORS[code], **error}
        if code == 429:
            responses[str(code)]["headers"] = RETRY_AFTER
    if spec.path == "/healthz":
        responses["503"] = {"description": "A service does not answer.",
                            "content": _content(spec, reply_schema)}
    if spec.content_type == "text/html":  # a page answers an error with its own page
        for status, answer in responses.items():  # (a form shown again with what was wrong)
            if status != "200" and "content" in answer:  # or with the JSON error
                answer["content"] = {**_content(spec, None), **error["content"]}
    if spec.access is Access.PAGE:  # besides the statuses the route names itself
        own = {str(c): responses[str(c)] for c in spec.statuses if str(c) in responses}
        responses = {"200": responses["200"],
                     "302": {"description": "Not logged in: to the login page."},
                     "500": {"description": ERRORS[500],
                             "content": {**_content(spec, None), **error["content"]}},
                     **own}
    if spec.form:
        responses["303"] = {"description": "A form post: to the next page."}
    op["responses"] = responses
    return op


def statuses(spec: RouteSpec) -> list[int]:
    """Every error status ``spec`` can answer, besides its success."""
    codes = {400, 500} | set(spec.statuses)
    if spec.access is not Access.PUBLIC:
        codes |= {401, 403}
    if spec.endpoint is not None:
        codes |= {404, 409, 503, 504}
    if spec.method in UNSAFE:
        codes |= {413, 415}
    return sorted(codes)


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict[str, Any]]:
    """One parameter per field of ``model``, with the field's own JSON Schema."""
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        field = model.model_fields.get(name)
        description = (field.description if field else None) or prop.get("description", "")
        prop = {k: v for k, v in prop.items() if k not in ("title", "description")}
        out.append({"name": name, "in": where, "required": where == "path" or name in required,
                    "description": description, "schema": prop})
    return out


def build_openapi(routes: tuple[RouteSpec, ...], title: str) -> dict[str, Any]:
    refs, schemas = _schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{title} API", "version": zenith.__version__,
                 "description": "The Allsky-compatible node API of Zenith: every route "
                 "forwards to the service that owns it over NATS. Errors are "
                 "{\"error\": {\"code\", \"message\"}}."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
        "tags": [{"name": t} for t in dict.fromkeys(s.tag for s in routes)],
    }
