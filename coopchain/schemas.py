"""Shared marshmallow bases: form-friendly loading, exact decimals and paginated lists."""

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from coopchain.clock import today

#: The largest integer a database column holds (PostgreSQL bigint, SQLite INTEGER): a larger
#: id or count can only be a mistake or an attack, and the driver would fail on it.
MAX_INTEGER = 2**63 - 1
#: The largest id: id columns are PostgreSQL `integer` (32 bits), and a larger id in a query
#: overflows there ("integer out of range", a 500) where SQLite would just find nothing.
MAX_ID = 2**31 - 1
#: Texts people type on several lines; every other text is a single line.
MULTILINE_FIELDS = frozenset(
    {
        "notes",
        "buyer_address",
        "reason",
        "override_reason",
        "status_reason",
        "geometry",
        "guest_cuppers",
        "lot_codes",
        "paths",
        "serials",
        "findings",
        "sanction_reason",
        "explanation",
        "consignee",
        "notify_party",
        "marks_and_numbers",
        "address",
    }
)
#: C0 control characters and DEL, except tab and line breaks: never part of a name or a note
#: (NUL cannot even be stored on PostgreSQL); lone surrogates cannot be encoded at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_LINE_BREAK = re.compile(r"[\r\n]")


#: Dates outside these are typing mistakes or probes (0001-01-01 made lot CAF-1-000001;
#: 9999-12-31 was accepted as a shipment's loading day): no record of a cooperative starts
#: before 1950, and no agreement or plan reaches further than 30 years ahead.
EARLIEST_DATE = date(1950, 1, 1)
YEARS_AHEAD = 30


def _problems(value, multiline: bool, limit: int = MAX_INTEGER) -> list[str]:
    """What is wrong with one loaded value (texts, integers and dates, in lists too); `limit`
    is the largest integer the value's column holds."""
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        now = today()
        latest = now.replace(year=now.year + YEARS_AHEAD, day=min(now.day, 28))
        if not EARLIEST_DATE <= day <= latest:
            return [
                str(
                    _l(
                        "Not a plausible date: between %(first)s and %(last)s.",
                        first=EARLIEST_DATE.isoformat(),
                        last=latest.isoformat(),
                    )
                )
            ]
        return []
    if isinstance(value, str):
        if _CONTROL.search(value):
            return [str(_l("Remove the control characters from this text."))]
        if not multiline and _LINE_BREAK.search(value):
            return [str(_l("One line only."))]
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > limit:
            return [str(_l("This number is too large."))]
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return next((found for item in value if (found := _problems(item, multiline, limit))), [])
    return []


#: An exact decimal as JSON carries it (docs/API.md): a string of digits with an optional
#: fractional part, never a JSON number (a float would round 0.1 kg before we saw it).
DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"
_DECIMAL = re.compile(DECIMAL_PATTERN)


def decimal_pattern(places: int | None) -> str:
    """The pattern of a decimal written with exactly `places` decimals (any when None)."""
    return DECIMAL_PATTERN if places is None else rf"^-?\d+\.\d{{{places}}}$"


class DecimalIn(fields.Decimal):
    """An exact decimal sent as a string matching DECIMAL_PATTERN ("1250.5"), rounded to
    `places` when given. A JSON number is accepted too, read by its shortest decimal form
    (1250.5 → "1250.5"), so spreadsheets and older clients keep working; strings are the
    documented form. The OpenAPI document shows it as a string (web/api.py)."""

    def __init__(self, *, metadata: dict | None = None, **kwargs):
        # as_string only shapes how the document prints this field's bounds and default.
        metadata = {"pattern": DECIMAL_PATTERN, **(metadata or {})}
        super().__init__(as_string=True, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not _DECIMAL.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class DecimalOut(fields.Decimal):
    """An exact decimal answered as a string; with `places`, always with that many decimals
    (the column's scale: "1250.500" kg), so the same value reads the same on every database."""

    def __init__(self, *, places: int | None = None, metadata: dict | None = None, **kwargs):
        metadata = {"pattern": decimal_pattern(places), **(metadata or {})}
        super().__init__(places=places, as_string=True, metadata=metadata, **kwargs)


def _integer_limit(name: str) -> int:
    return MAX_ID if name.endswith(("_id", "_ids")) else MAX_INTEGER


class LoadSchema(Schema):
    """Whitelisted input: unknown fields are refused, blank strings mean "not given", and no
    text carries control characters (nor line breaks outside MULTILINE_FIELDS) and no integer
    is beyond what the database holds (ids, in fields named *_id or *_ids, beyond MAX_ID)."""

    class Meta:
        unknown = RAISE

    @validates_schema
    def _storable(self, data, **_kwargs):
        errors = {
            name: found
            for name, value in data.items()
            if (found := _problems(value, name in MULTILINE_FIELDS, _integer_limit(name)))
        }
        if errors:
            raise ValidationError(errors)

    @pre_load
    def _blank_to_missing(self, data, **_kwargs):
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "":
                    continue
            cleaned[key] = value
        return cleaned


class PageSchema(Schema):
    # Range, not a lambda: marshmallow 4 ignores a validator that returns False.
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Int(load_default=25, validate=validate.Range(min=1, max=200))
    q = fields.Str(load_default=None)

    @validates_schema
    def _searchable(self, data, **_kwargs):
        """A search or filter with a control character finds nothing, and PostgreSQL refuses
        a NUL in any text parameter (a 500): refused like the same text in a body."""
        errors = {
            name: found
            for name, value in data.items()
            if (found := _problems(value, multiline=True, limit=_integer_limit(name)))
        }
        if errors:
            raise ValidationError(errors)
