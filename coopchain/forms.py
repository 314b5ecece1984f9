"""HTML forms are validated by the same marshmallow schemas as the API (one set of rules), and
every page shows marshmallow's and the services' errors the same way: {field: [messages]},
with the service's summary under "_" unless a field's own message already says it."""

import re
from collections.abc import Callable

from flask import render_template, request
from marshmallow import Schema, ValidationError, fields

from coopchain.errors import DomainError
from coopchain.formatting import AmbiguousNumber, read_decimal


def flat_errors(messages) -> dict[str, list[str]]:
    """marshmallow's nested messages ({"outputs": {0: [...]}}) as {field: [message]}."""
    if not isinstance(messages, dict):
        return {"_": [str(m) for m in messages] if isinstance(messages, list) else [messages]}

    def collect(value) -> list[str]:
        if isinstance(value, dict):
            return [m for inner in value.values() for m in collect(inner)]
        if isinstance(value, list | tuple):
            return [m for inner in value for m in collect(inner)]
        return [str(value)]

    return {str(name): list(dict.fromkeys(collect(value))) for name, value in messages.items()}


def form_errors(exc: DomainError) -> dict[str, list[str]]:
    """A refused service call as the form's errors: each field's messages, and the summary
    once (a field's own message may already say it)."""
    errors = flat_errors(exc.fields) if exc.fields else {}
    said = [m for messages in errors.values() for m in messages]
    if not any(m == exc.message or (m and m in exc.message) for m in said):
        errors["_"] = [exc.message]
    return errors


def typed_codes(text: str | None) -> list[str]:
    """Lot codes or bag serials typed one per line (commas, semicolons and spaces separate
    too), each once, in the order typed."""
    return list(dict.fromkeys(c for c in re.split(r"[\s,;]+", text or "") if c))


def _is_decimal(field) -> bool:
    if isinstance(field, fields.List):
        return _is_decimal(field.inner)
    return isinstance(field, fields.Decimal)


def typed_decimal(text: str) -> str:
    """A decimal as staff typed it ("1,2", "4.504,36") in the form the schemas read ("1.2",
    "4504.36"); raises AmbiguousNumber ("1,234"), and gives back what it cannot read, for the
    field's own "not a valid number"."""
    try:
        return str(read_decimal(text))
    except AmbiguousNumber:
        raise
    except ValueError:
        return text


def typed_decimals(schema: Schema, raw: dict) -> dict[str, list[str]]:
    """Every decimal field of `raw` (schema Decimal fields, lists of them too) rewritten with
    typed_decimal, in place; the ambiguous ones' messages by field."""
    errors: dict[str, list[str]] = {}
    for name, field in schema.fields.items():
        value = raw.get(field.data_key or name)
        if value is None or not _is_decimal(field):
            continue
        try:
            if isinstance(value, list):
                raw[field.data_key or name] = [
                    typed_decimal(v) if isinstance(v, str) else v for v in value
                ]
            elif isinstance(value, str):
                raw[field.data_key or name] = typed_decimal(value)
        except AmbiguousNumber as exc:
            errors[field.data_key or name] = [exc.message()]
    return errors


def load_form(schema: Schema, list_fields: tuple[str, ...] = ()) -> dict:
    """Load request.form with `schema`; raises ValidationError with per-field messages.
    Decimals are read as staff type them in the organisation's locale (typed_decimal)."""
    raw = {key: value for key, value in request.form.items() if key != "csrf_token"}
    for name in list_fields:
        values = [v for v in request.form.getlist(name) if v.strip()]
        if values:
            raw[name] = values
        else:
            raw.pop(name, None)
    ambiguous = typed_decimals(schema, raw)
    if not ambiguous:
        return schema.load(raw)
    try:
        schema.load({k: v for k, v in raw.items() if k not in ambiguous}, partial=tuple(ambiguous))
    except ValidationError as exc:
        others = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        raise ValidationError({**others, **ambiguous}) from exc
    raise ValidationError(ambiguous)


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
            errors = flat_errors(exc.messages)
        except DomainError as exc:
            errors = form_errors(exc)
        values = request.form.to_dict(flat=True)
        values.pop("password", None)  # never echo a password back into the page
        for name in list_fields:
            values[name] = request.form.getlist(name)
        return render_template(template, values=values, errors=errors, **context), 422
    return render_template(template, values=defaults or {}, errors=errors, **context)
