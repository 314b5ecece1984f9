"""Shared marshmallow bases: form-friendly loading and paginated lists."""

from marshmallow import RAISE, Schema, fields, pre_load, validate


class LoadSchema(Schema):
    """Whitelisted input: unknown fields are refused, blank strings mean "not given"."""

    class Meta:
        unknown = RAISE

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
    page = fields.Int(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Int(load_default=25, validate=validate.Range(min=1, max=200))
    q = fields.Str(load_default=None)
