"""Write .xlsx exports and blank import templates.

Every text cell goes through neutralise(): exported data is typed by members
and customers, and a value like "=HYPERLINK(...)" must never become a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .reader import SheetSpec

# OWASP CSV-injection guidance: these leading characters start a formula or DDE.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MIN_WIDTH, MAX_WIDTH = 8, 60
# Native cell types openpyxl writes as-is; anything else is written as text.
NATIVE_TYPES = (bool, int, float, Decimal, date, time)


def neutralise(value):
    """Prefix formula-like text with an apostrophe; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_workbook(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """Build an .xlsx from (title, headers, rows); bold frozen header, fitted widths."""
    if not sheets:
        raise ValueError("write_workbook needs at least one sheet")
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append([_cell(h) for h in headers])
        widths = [len(str(h)) for h in headers]
        for row in rows:
            values = [_cell(v) for v in row]
            sheet.append(values)
            for index, value in enumerate(values):
                length = len(str(value)) if value is not None else 0
                if index < len(widths):
                    widths[index] = max(widths[index], length)
                else:
                    widths.append(length)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"  # keep headers visible while scrolling
        for index, width in enumerate(widths, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_workbook(specs: Sequence[SheetSpec]) -> bytes:
    """A blank import file: each spec's headers plus its example rows."""
    sheets = []
    for spec in specs:
        headers = list(spec.columns)
        examples = [[row.get(h) for h in headers] for row in spec.example_rows]
        sheets.append((spec.name, headers, examples))
    return write_workbook(sheets)


def _cell(value):
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel cannot store time zones (openpyxl refuses); write UTC wall time.
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, NATIVE_TYPES):
        return value
    # Control characters are invalid in XML and would make openpyxl refuse the file.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
