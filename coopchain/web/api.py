"""The JSON API under /api/v1 (DESIGN.md §5): bearer-token auth, paginated lists, OpenAPI.

Domain modules add their routes to `api_blueprint` (coopchain/<domain>/api.py, imported by
create_app; nothing here imports them back) and describe each operation with `document()`.
The OpenAPI document is built by walking the app's URL map: every API route is in it, with
its description (a test checks none is missing or left over). Its schemas come from the same
marshmallow classes that load and dump, so it cannot drift from what the API accepts.
"""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema

from coopchain.auth.access import public
from coopchain.errors import DomainError
from coopchain.schemas import MAX_ID, DecimalIn, DecimalOut, PageSchema

api_blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

#: OpenAPI path -> {method: operation}, filled by the domain api modules at import.
OPENAPI_PATHS: dict[str, dict] = {}
#: Flask's <converter:name> path segments become OpenAPI's {name}.
_PATH_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
OPENAPI_SCHEMAS: dict[str, type[Schema]] = {}


def document(
    path: str,
    method: str,
    summary: str,
    *,
    body: str | None = None,
    response: str | None = None,
    list_of: str | None = None,
    params: tuple[str, ...] = (),
    text_params: tuple[str, ...] = (),
    query: dict[str, dict] | None = None,
    searchable: bool = True,
    status: str | None = None,
    content_type: str = "application/json",
    job: bool = False,
) -> dict:
    """Describe one operation for /api/v1/openapi.json.

    `params` are integer path parameters (ids), `text_params` string ones (lot codes, bag
    serials); `query` adds query parameters; a list takes page/per_page and, when
    `searchable`, q; `status` overrides the success code (200 for a POST that changes an
    existing record, such as a void; 201 otherwise for a POST, 200 for GET and PUT); `job`
    adds the 202 of an operation that may answer with a job (web/api_jobs.py)."""
    operation: dict = {"summary": summary, "security": [{"bearer": []}], "responses": {}}
    # Ids fit a PostgreSQL integer; a larger one names nothing (404, web/input_limits.py).
    id_schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    parameters = [
        {"name": p, "in": "path", "required": True, "schema": dict(id_schema)} for p in params
    ] + [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in text_params
    ]
    if list_of:
        listing = [("page", "integer"), ("per_page", "integer")]
        listing += [("q", "string")] if searchable else []
        parameters += [{"name": n, "in": "query", "schema": {"type": t}} for n, t in listing]
    parameters += [{"name": n, "in": "query", "schema": sc} for n, sc in (query or {}).items()]
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {content_type: {"schema": _ref(body)}},
        }
    ok: dict = {"description": "OK"}
    if response:
        ok["content"] = {"application/json": {"schema": _ref(response)}}
    elif list_of:
        ok["content"] = {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": _ref(list_of)},
                        "page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "total": {"type": "integer"},
                    },
                }
            }
        }
    # POST creates (201); GET reads and PUT replaces what exists (200).
    operation["responses"][status or ("201" if method == "post" else "200")] = ok
    if job:
        operation["responses"]["202"] = {
            "description": "Long work: a job was started; poll the Location header "
            "(/api/v1/jobs/{id}) until status is finished",
            "content": {"application/json": {"schema": _ref("JobOut")}},
        }
    operation["responses"]["4XX"] = {
        "description": "Error",
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    OPENAPI_PATHS.setdefault(path, {})[method] = operation
    return operation


def _ref(name: str) -> dict:
    if name.startswith("binary:"):
        return {"type": "string", "format": "binary"}
    return {"$ref": f"#/components/schemas/{name}"}


def json_body() -> dict:
    """The request's JSON object, or a 422 saying how to send one."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError(_("Send a JSON object with Content-Type: application/json."))
    return body


def page_args() -> dict:
    return PageSchema().load(request.args.to_dict())


def paginated(items, total: int, args: dict, schema: Schema):
    return page_of(schema.dump(items, many=True), total, args)


def page_of(items: list[dict], total: int, args: dict):
    """A page of rows already dumped one by one (they need joined or derived fields)."""
    return jsonify(items=items, page=args["page"], per_page=args["per_page"], total=total)


def dump_with(schema: Schema, obj, **derived) -> dict:
    """Dump a row plus the fields it does not carry itself (joined codes, computed results)."""
    return schema.dump(
        {name: derived[name] if name in derived else getattr(obj, name) for name in schema.fields}
    )


@api_blueprint.get("/openapi.json")
@public
def openapi():
    marshmallow_plugin = MarshmallowPlugin()
    spec = APISpec(
        title="CoopChain API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[marshmallow_plugin],
        servers=[{"url": request.host_url.rstrip("/")}],
        info={"description": "Exact decimals are strings; see docs/API.md for the conventions."},
    )
    # Exact decimals travel as strings with a pattern (DESIGN.md §5); their bounds then go to
    # x-minimum/x-maximum, since JSON Schema's minimum applies to numbers only.
    for decimal_field in (DecimalIn, DecimalOut):
        marshmallow_plugin.map_to_openapi_type(decimal_field, "string", None)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "properties": {
                "error": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object"},
            },
        },
    )
    for name, schema in OPENAPI_SCHEMAS.items():
        # Nested schemas (VisitOut inside AgreementOut) are registered by the plugin already.
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=schema)
    for path, operations in api_operations().items():
        spec.path(path=path, operations=operations)
    return jsonify(spec.to_dict())


def openapi_path(rule: str) -> str:
    return _PATH_ARGUMENT.sub(r"{\1}", rule)


def api_operations() -> dict[str, dict]:
    """The described operations of every API route in the app's URL map, by OpenAPI path."""
    operations: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{api_blueprint.name}.") or rule.endpoint == "api.openapi":
            continue
        path = openapi_path(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            described = OPENAPI_PATHS.get(path, {}).get(method.lower())
            if described is not None:
                operations.setdefault(path, {})[method.lower()] = described
    return operations
