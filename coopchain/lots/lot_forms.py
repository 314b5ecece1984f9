"""What the lot pages' form handlers share: marshmallow's and the services' errors as
{field: [messages]} for the templates, and the redirect to the lot a form acted on."""

from flask import redirect, url_for

from coopchain.errors import DomainError


def _flat_errors(messages) -> dict[str, list[str]]:
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


def _domain_errors(exc: DomainError) -> dict[str, list[str]]:
    errors = _flat_errors(exc.fields) if exc.fields else {}
    if not any(exc.message in messages for messages in errors.values()):
        errors["_"] = [exc.message]  # once: the field's own message may already say it
    return errors


def _to_lot(code: str):
    return redirect(url_for("lots.lot_detail", code=code))
