"""Limits on what a request may carry before any view parses it: ids in paths that fit a
database integer, and JSON bodies nested no deeper than a document needs (issue: trust)."""

from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from coopchain.errors import DomainError
from coopchain.schemas import MAX_ID

#: Deepest nesting of a JSON body: a GeoJSON MultiPolygon needs 5 levels inside its object;
#: 1,000 levels made the parser recurse until it crashed (a 500).
MAX_JSON_DEPTH = 32


class BoundedIntConverter(IntegerConverter):
    """<int:…> in a route: an id larger than a database integer is simply not found (404),
    instead of overflowing the driver (500)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002  (werkzeug's own parameter name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def json_depth(text: str | bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, counted without parsing it (brackets
    inside strings do not count)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing a body nested deeper than MAX_JSON_DEPTH before parsing it."""

    def loads(self, s, **kwargs):
        if json_depth(s) > MAX_JSON_DEPTH:
            raise DomainError(
                _("The JSON body nests deeper than %(n)s levels.", n=MAX_JSON_DEPTH),
                {"_body": [_("At most %(n)s levels of nesting.", n=MAX_JSON_DEPTH)]},
            )
        return super().loads(s, **kwargs)
