"""HTML forms are validated by the same marshmallow schemas as the API (one set of rules)."""

from collections.abc import Callable

from flask import render_template, request
from marshmallow import Schema, ValidationError

from coopchain.errors import DomainError


def load_form(schema: Schema, list_fields: tuple[str, ...] = ()) -> dict:
    """Load request.form with `schema`; raises ValidationError with per-field messages."""
    raw = {key: value for key, value in request.form.items() if key != "csrf_token"}
    for name in list_fields:
        values = [v for v in request.form.getlist(name) if v.strip()]
        if values:
            raw[name] = values
        else:
            raw.pop(name, None)
    return schema.load(raw)


def handle_form(
    template: str,
    schema: Schema,
    save: Callable[[dict], object],
    on_success: Callable[[object], object],
    *,
    defaults: dict | None = None,
    list_fields: tuple[str, ...] = (),
    prepare: Callable[[dict], dict] | None = None,
    **context,
):
    """GET shows the form; POST validates, calls `save`, and redirects or re-shows errors."""
    errors: dict = {}
    if request.method == "POST":
        try:
            data = load_form(schema, list_fields)
            if prepare:
                data = prepare(data)
            return on_success(save(data))
        except ValidationError as exc:
            errors = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        except DomainError as exc:
            errors = dict(exc.fields) or {}
            errors.setdefault("_", [exc.message])
        values = request.form.to_dict(flat=True)
        values.pop("password", None)  # never echo a password back into the page
        for name in list_fields:
            values[name] = request.form.getlist(name)
        return render_template(template, values=values, errors=errors, **context), 422
    return render_template(template, values=defaults or {}, errors=errors, **context)
