"""Numbers, dates and moments as the cooperative writes them, and decimals as its staff type them.

The *format* locale is the organisation's (`Organization.locale`, CLDR: es_PE writes "4,504.36"
and "02/12/2026"), whatever language the user reads the pages in: a staff page takes it from the
signed-in organisation, a document or public page from the organisation it belongs to
(`use_locale`). One set used by pages (template filters) and documents (PDF templates) alike, so
a receipt and the delivery page print the same 500 kg the same way. Every function prints "—"
for no value.
"""

import functools
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.dates import format_time
from babel.numbers import (
    NumberPattern,
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)
from flask import current_app, g, has_app_context, has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from coopchain.clock import cooperative_zone

NONE = "—"
#: An organisation's locale when none is known (no one signed in, the CLI): Peru's (DOMAIN §12).
DEFAULT_LOCALE = "es_PE"
#: The locales an admin may choose for the organisation, with their names in the UI language.
LOCALES = ("es_PE", "en_US", "es_ES", "en_GB")
#: Where create_app puts the function naming the signed-in organisation's locale.
RESOLVER_KEY = "coopchain.format_locale"


def valid_locale(code: str | None) -> str | None:
    """`code` as Babel spells it ("es_PE"), or None when CLDR does not know it."""
    try:
        return str(Locale.parse(code.replace("-", "_"))) if code else None
    except (ValueError, UnknownLocaleError):
        return None


def format_locale() -> str:
    """The locale numbers and dates are written in now: the one `use_locale` set for this
    request (a public page, a document), else the signed-in organisation's, else es_PE."""
    if not has_app_context():
        return DEFAULT_LOCALE
    chosen = g.get("format_locale")
    if chosen:
        return chosen
    resolver: Callable[[], str | None] | None = current_app.extensions.get(RESOLVER_KEY)
    found = resolver() if resolver and has_request_context() else None
    g.format_locale = valid_locale(found) or DEFAULT_LOCALE
    return g.format_locale


def use_locale(code: str | None) -> None:
    """Write numbers and dates in `code` for the rest of this request or app context (the
    organisation of the bag a buyer scanned, of the certificate being rendered)."""
    g.format_locale = valid_locale(code) or DEFAULT_LOCALE


def locale_name(code: str) -> str:
    """ "español (Perú) — 4,504.36 · 02/12/2026", the name in the UI language and a sample."""
    name = Locale.parse(code).get_display_name(str(get_locale())) or code
    sample = format_decimal(Decimal("4504.36"), format="#,##0.00", locale=code)
    return f"{name} — {sample} · {_numeric_date(date(2026, 12, 2), code)}"


# -- numbers --------------------------------------------------------------------------------


@functools.cache
def _number_symbols(locale: str) -> tuple[str, str]:
    return get_group_symbol(locale), get_decimal_symbol(locale)


def kg(value) -> str:
    """Kilograms to the gram, without trailing zeros: "1,520.5", "500" (es_PE).

    Python's own formatting with the locale's two symbols swapped in: the same result as
    Babel's format_decimal("#,##0.###"), at a fraction of its cost on a lot page with hundreds
    of rows."""
    if value is None or value == "":
        return NONE
    text = f"{Decimal(value).quantize(Decimal('0.001')):,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    group, decimal = _number_symbols(format_locale())
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


def kg_rounded(value) -> str:
    """Kilograms for reading at a glance (lists, totals): whole kilograms from 100 kg, a tenth
    below, grams under a kilogram ("4.504", "52,5", "0,3"). Pages show the exact figure on the
    lot's own page and in a title; exports always carry the exact grams."""
    if value is None or value == "":
        return NONE
    amount = Decimal(value)
    step = Decimal("1") if abs(amount) >= 100 else Decimal("0.1") if abs(amount) >= 1 else None
    return kg(amount.quantize(step, rounding=ROUND_HALF_UP) if step else amount)


@functools.lru_cache(maxsize=64)
def _pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)


@functools.lru_cache(maxsize=16)
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def number(value, pattern: str = "#,##0.###") -> str:
    """Any number with a CLDR pattern, in the organisation's locale.

    What Babel's format_decimal does, with the pattern and the locale parsed once rather than
    on every call: a fifth of its cost, which mattered on pages of hundreds of rows (the lot
    page, the mass balance)."""
    if value is None or value == "":
        return NONE
    return _pattern(pattern).apply(
        value if isinstance(value, Decimal | int) else Decimal(str(value)),
        _locale(format_locale()),
    )


def ha(value) -> str:
    """Hectares to the hundredth (a hundredth is 100 m², what a GPS walk can tell)."""
    return number(value, "#,##0.00")


def pct(value) -> str:
    """A percentage to one decimal: moisture, yield, loss (12.5)."""
    if value is None or value == "":
        return NONE
    return number(Decimal(value).quantize(Decimal("0.1")), "#,##0.0")


def money(value, currency: str | None = None) -> str:
    """An amount to the cent, with its currency code when given ("7,100.00 PEN")."""
    if value is None:
        return NONE
    amount = number(Decimal(value).quantize(Decimal("0.01")), "#,##0.00")
    return f"{amount} {currency}" if currency else amount


def score(value) -> str:
    """A cupping score or attribute to two decimals (84.75)."""
    return number(value, "#,##0.00")


def integer(value) -> str:
    return number(value, "#,##0")


def decimal_symbol() -> str:
    return _number_symbols(format_locale())[1]


# -- dates and moments ----------------------------------------------------------------------


@functools.cache
def _numeric_date_pattern(locale: str) -> str:
    """The locale's short date with two-digit day and month and the full year: es_PE "d/MM/yy"
    becomes "dd/MM/yyyy", en_US "M/d/yy" becomes "MM/dd/yyyy"."""
    pattern = Locale.parse(locale).date_formats["short"].pattern
    pattern = re.sub(r"d+", "dd", pattern)
    pattern = re.sub(r"M+", "MM", pattern)
    return re.sub(r"y+", "yyyy", pattern)


def _numeric_date(value: date, locale: str) -> str:
    return babel_date(value, _numeric_date_pattern(locale), locale=locale)


def day(value: date | None) -> str:
    """A date as the cooperative writes it: "16/11/2026" (es_PE), "11/16/2026" (en_US)."""
    if value is None or value == "":
        return NONE
    if isinstance(value, datetime):
        value = value.astimezone(cooperative_zone()).date()
    return _numeric_date(value, format_locale())


def long_day(value: date | None) -> str:
    """A date in words, in the reader's language: "16 de noviembre de 2026"."""
    return NONE if value is None else babel_date(value, format="long", locale=get_locale())


def iso_day(value: date | None) -> str:
    """A date in the tables of documents: the same numeric date as the pages."""
    return day(value)


def _time(value: datetime, seconds: bool = False) -> str:
    """The organisation's clock pattern (es_PE "h:mm a") with the reader's words for the
    day periods ("p. m." in Spanish, "PM" in English)."""
    formats = Locale.parse(format_locale()).time_formats
    pattern = formats["medium" if seconds else "short"].pattern
    return format_time(value, pattern, tzinfo=cooperative_zone(), locale=get_locale())


def moment(value: datetime | None) -> str:
    """A stored UTC moment on the cooperative's clock: "16/11/2026 12:05 p. m."."""
    if value is None:
        return NONE
    return f"{day(value)} {_time(value)}"


def clock_time(value: datetime | None, seconds: bool = False) -> str:
    """A stored moment on the cooperative's clock, labelled with the zone:
    "16/11/2026 12:00 p. m. (America/Lima)"."""
    if value is None:
        return NONE
    return f"{day(value)} {_time(value, seconds)} ({cooperative_zone().key})"


def moment_with_zone(value: datetime | None) -> str:
    """A moment for the record (certificates): "16 de noviembre de 2026, 14:05 (America/Lima)"."""
    if value is None:
        return NONE
    zone = cooperative_zone()
    return f"{long_day(value.astimezone(zone).date())}, {_time(value)} ({zone.key})"


def country(code: str | None) -> str:
    """A country's name in the current language with its ISO code: "Alemania (DE)"."""
    if not code:
        return NONE
    name = Locale.parse(str(get_locale())).territories.get(code.upper())
    return f"{name} ({code.upper()})" if name else code


# -- reading what staff type ----------------------------------------------------------------


class AmbiguousNumber(ValueError):
    """ "1,234": a thousands separator (1234) or a decimal one (1.234)? Nobody can tell."""

    def __init__(self, text: str, grouped: Decimal, decimal: Decimal):
        super().__init__(text)
        self.text, self.grouped, self.decimal = text, grouped, decimal

    def message(self) -> str:
        return str(
            _l(
                "“%(text)s” can be read two ways: %(grouped)s or %(decimal)s. "
                "Type it without a thousands separator.",
                text=self.text,
                grouped=number(self.grouped, "0.###"),
                decimal=number(self.decimal, "0.######"),
            )
        )


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_PLAIN = re.compile(r"[\d.,]*\d[\d.,]*")
#: Groups of three after a first group of one to three digits (no leading zero).
_GROUPED = re.compile(r"[1-9]\d{0,2}(?:[.,]\d{3})+")


def read_decimal(text: str, locale: str | None = None) -> Decimal:
    """A number as staff type it, in the organisation's locale or with the other separator:
    "1,2" and "1.2" are 1.2; "4,504.36" and "4.504,36" are 4504.36; "1,234,567" is 1234567.
    The locale's own decimal symbol is always a decimal ("1.500" is 1.5 in es_PE, so a value
    the form prefilled reads back the same); its thousands symbol alone before exactly three
    digits ("1,234" in es_PE) may be either, and raises AmbiguousNumber with both readings.
    Anything else unreadable raises ValueError."""
    cleaned = _SPACES.sub("", text)
    sign = ""
    if cleaned[:1] in "+-":
        sign, cleaned = cleaned[:1].replace("+", ""), cleaned[1:]
    if not _PLAIN.fullmatch(cleaned):
        raise ValueError(text)
    separators = [c for c in cleaned if c in ".,"]
    if not separators:
        digits = cleaned
    elif len(set(separators)) == 2:
        decimal_sign = separators[-1]
        whole, fraction = cleaned.rsplit(decimal_sign, 1)
        if decimal_sign in whole or not _GROUPED.fullmatch(whole):
            raise ValueError(text)
        digits = whole.replace(separators[0], "") + "." + fraction
    elif len(separators) > 1:
        if not _GROUPED.fullmatch(cleaned):
            raise ValueError(text)
        digits = cleaned.replace(separators[0], "")
    else:
        whole, fraction = cleaned.split(separators[0])
        if not fraction.isdigit():
            raise ValueError(text)
        own_decimal = separators[0] == _number_symbols(locale or format_locale())[1]
        if len(fraction) == 3 and _GROUPED.fullmatch(cleaned) and not own_decimal:
            raise AmbiguousNumber(
                text, Decimal(sign + whole + fraction), Decimal(f"{sign}{whole}.{fraction}")
            )
        digits = f"{whole or '0'}.{fraction}"
    try:
        return Decimal(sign + digits)
    except InvalidOperation as exc:
        raise ValueError(text) from exc


#: What templates of pages and documents call them.
TEMPLATE_HELPERS = {
    "kg": kg,
    "kg_rounded": kg_rounded,
    "ha": ha,
    "pct": pct,
    "money": money,
    "score": score,
    "integer": integer,
    "number": number,
    "day": day,
    "long_date": long_day,
    "iso": iso_day,
    "moment": moment,
    "clock_time": clock_time,
    "country": country,
}
