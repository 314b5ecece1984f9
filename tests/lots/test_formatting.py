"""The fast kilogram formatter (|kg and the lot pages) agrees with Babel in both languages."""

from decimal import Decimal

import pytest
from flask_babel import force_locale, format_decimal

from coopchain import create_app
from coopchain.formatting import kg as format_kg

VALUES = ["0", "0.000", "520.5", "1520.500", "1234567.891", "69", "0.3", "-2.5", "1000", "0.0004"]


@pytest.mark.parametrize("locale", ["es", "en"])
def test_format_kg_matches_babel(locale):
    app = create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": "sqlite://"})
    with app.test_request_context(), force_locale(locale):
        for value in VALUES:
            expected = format_decimal(Decimal(value).quantize(Decimal("0.001")), format="#,##0.###")
            assert format_kg(value) == expected, value
        assert format_kg(None) == "—"
