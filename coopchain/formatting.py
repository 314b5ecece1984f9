"""Numbers, dates and moments as the cooperative reads them, in the current language (Babel's
locale: "1.520,5" in Spanish, "1,520.5" in English) and the cooperative's time zone.

One set used by pages (template filters) and documents (PDF templates) alike, so a receipt and
the delivery page print the same 500 kg the same way. Every function prints "—" for no value.
"""

import functools
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import get_decimal_symbol, get_group_symbol
from flask_babel import format_date, format_decimal, get_locale

from coopchain.clock import cooperative_zone

NONE = "—"


def kg(value) -> str:
    """Kilograms to the gram, without trailing zeros: "1.520,5", "500".

    Python's own formatting with the locale's two symbols swapped in: the same result as
    Babel's format_decimal("#,##0.###"), at a fraction of its cost on a lot page with hundreds
    of rows."""
    if value is None or value == "":
        return NONE
    text = f"{Decimal(value).quantize(Decimal('0.001')):,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    group, decimal = _number_symbols(str(get_locale()))
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


@functools.cache
def _number_symbols(locale: str) -> tuple[str, str]:
    return get_group_symbol(locale), get_decimal_symbol(locale)


def ha(value) -> str:
    """Hectares to the hundredth (a hundredth is 100 m², what a GPS walk can tell)."""
    return NONE if value is None else format_decimal(Decimal(value), format="#,##0.00")


def pct(value) -> str:
    """A percentage to one decimal: moisture, yield, loss (12,5)."""
    if value is None or value == "":
        return NONE
    return format_decimal(Decimal(value).quantize(Decimal("0.1")), format="#,##0.0")


def money(value, currency: str | None = None) -> str:
    """An amount to the cent, with its currency code when given ("7.100,00 PEN")."""
    if value is None:
        return NONE
    amount = format_decimal(Decimal(value).quantize(Decimal("0.01")), format="#,##0.00")
    return f"{amount} {currency}" if currency else amount


def score(value) -> str:
    """A cupping score or attribute to two decimals (84,75)."""
    return NONE if value is None else format_decimal(Decimal(value), format="#,##0.00")


def integer(value) -> str:
    return NONE if value is None else format_decimal(value, format="#,##0")


def day(value: date | None) -> str:
    """A date as people write it: "15 jun 2026"."""
    return NONE if value is None else format_date(value, format="medium")


def long_day(value: date | None) -> str:
    return NONE if value is None else format_date(value, format="long")


def iso_day(value: date | None) -> str:
    """A date in tables of documents: unambiguous in both languages and compact."""
    return NONE if value is None else value.isoformat()


def moment(value: datetime | None) -> str:
    """A stored UTC moment on the cooperative's clock: "15/6/26, 14:05"."""
    if value is None:
        return NONE
    return format_datetime(value, "short", tzinfo=cooperative_zone(), locale=get_locale())


def clock_time(value: datetime | None, seconds: bool = False) -> str:
    """A stored moment on the cooperative's clock, compact for tables and labelled with the
    zone: "2026-11-16 12:00 (America/Lima)"."""
    if value is None:
        return NONE
    zone = cooperative_zone()
    shown = value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{shown} ({zone.key})"


def moment_with_zone(value: datetime | None) -> str:
    """A moment for the record (certificates): "15 de junio de 2026, 14:05 (America/Lima)"."""
    if value is None:
        return NONE
    zone = cooperative_zone()
    local = format_datetime(value, "d MMMM y, HH:mm", tzinfo=zone, locale=get_locale())
    return f"{local} ({zone.key})"


def country(code: str | None) -> str:
    """A country's name in the current language with its ISO code: "Alemania (DE)"."""
    if not code:
        return NONE
    name = Locale.parse(str(get_locale())).territories.get(code.upper())
    return f"{name} ({code.upper()})" if name else code


#: What templates of pages and documents call them.
TEMPLATE_HELPERS = {
    "kg": kg,
    "kg_rounded": kg_rounded,
    "ha": ha,
    "pct": pct,
    "money": money,
    "score": score,
    "integer": integer,
    "day": day,
    "long_date": long_day,
    "iso": iso_day,
    "moment": moment,
    "clock_time": clock_time,
    "country": country,
}
