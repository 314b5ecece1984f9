"""Numbers and dates are written in the organisation's locale (es_PE by default), whatever the
reader's language; the fast kilogram formatter agrees with Babel in every locale."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from flask_babel import force_locale

from coopchain import create_app, formatting
from coopchain.formatting import kg as format_kg

VALUES = ["0", "0.000", "520.5", "1520.500", "1234567.891", "69", "0.3", "-2.5", "1000", "0.0004"]


def spaced(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture(scope="module")
def app():
    return create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": "sqlite://"})


@pytest.mark.parametrize("locale", ["es_PE", "en_US", "es_ES"])
def test_format_kg_matches_babel(app, locale):
    with app.test_request_context(), force_locale("es"):
        formatting.use_locale(locale)
        for value in VALUES:
            expected = format_decimal(
                Decimal(value).quantize(Decimal("0.001")), format="#,##0.###", locale=locale
            )
            assert format_kg(value) == expected, value
        assert format_kg(None) == "—"


@pytest.mark.parametrize(
    ("locale", "lang", "number", "money", "day", "moment"),
    [
        ("es_PE", "es", "4,504.36", "7,100.00 PEN", "02/12/2026", "16/11/2026 12:00 p. m."),
        ("es_PE", "en", "4,504.36", "7,100.00 PEN", "02/12/2026", "16/11/2026 12:00 PM"),
        ("en_US", "en", "4,504.36", "7,100.00 PEN", "12/02/2026", "11/16/2026 12:00 PM"),
        ("es_ES", "es", "4.504,36", "7.100,00 PEN", "02/12/2026", "16/11/2026 12:00"),
    ],
)
def test_the_organisations_locale_writes_numbers_and_dates(
    app, locale, lang, number, money, day, moment
):
    """Spain's "4.504,36" beside Peru's "21.96" on one page: now every figure is the
    cooperative's (dd/mm/aaaa in Peru), and only the words follow the reader's language."""
    noon_in_lima = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
    with app.test_request_context(), force_locale(lang):
        formatting.use_locale(locale)
        assert formatting.kg(Decimal("4504.36")) == number
        assert formatting.score(Decimal("4504.36")) == number
        assert formatting.money(Decimal("7100"), "PEN") == money
        assert formatting.day(date(2026, 12, 2)) == day
        # CLDR separates the day period with a narrow no-break space: compared as a space.
        assert spaced(formatting.moment(noon_in_lima)) == moment
        assert spaced(formatting.clock_time(noon_in_lima)) == f"{moment} (America/Lima)"


def test_without_an_organisation_peru_is_the_default(app):
    with app.test_request_context(), force_locale("en"):
        assert formatting.format_locale() == "es_PE"
        assert formatting.pct(Decimal("21.96")) == "22.0"
        assert formatting.ha(Decimal("1234.5")) == "1,234.50"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1,2", "1.2"),
        ("352,5", "352.5"),
        ("4,504.36", "4504.36"),
        ("4.504,36", "4504.36"),
        ("1,234,567", "1234567"),
        ("0,500", "0.500"),
        (",5", "0.5"),
        ("-2,5", "-2.5"),
        ("1.234", "1.234"),  # es_PE's own decimal point
    ],
)
def test_typed_decimals_in_either_convention(app, typed, read):
    with app.test_request_context():
        assert formatting.read_decimal(typed) == Decimal(read)


@pytest.mark.parametrize("typed", ["1,23,4", "5,", "1.2.3", "abc", "1e3", "NaN", "4,504,36"])
def test_unreadable_numbers_are_refused(app, typed):
    with app.test_request_context(), pytest.raises(ValueError):
        formatting.read_decimal(typed)


def test_a_thousands_separator_or_a_decimal_comma_is_refused_with_both_readings(app):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(formatting.AmbiguousNumber) as caught:
            formatting.read_decimal("1,234")
        assert (caught.value.grouped, caught.value.decimal) == (Decimal(1234), Decimal("1.234"))
        assert "1234" in caught.value.message() and "1.234" in caught.value.message()
        formatting.use_locale("es_ES")  # Spain: the point groups thousands, the comma decimals
        assert formatting.read_decimal("1,234") == Decimal("1.234")
        with pytest.raises(formatting.AmbiguousNumber):
            formatting.read_decimal("1.234")
