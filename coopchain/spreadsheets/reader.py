"""Read an uploaded .xlsx workbook into validated rows, one marshmallow schema per sheet.

File-level problems (not a workbook, too big, missing sheet or column) raise
SpreadsheetError: the upload cannot be used at all. Row-level problems are
collected as RowError, all of them, so a clerk can fix the whole file at once.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time

import marshmallow
from flask_babel import lazy_gettext as _l
from marshmallow.exceptions import SCHEMA
from openpyxl import load_workbook

MB = 1024 * 1024
MAX_BYTES = 10 * MB
# Zip-bomb limits, checked from the zip directory before anything is inflated.
# zipfile never inflates a member past its declared size, so these numbers hold.
MAX_UNCOMPRESSED = 100 * MB
MAX_RATIO = 200
# Small members cannot amplify much; skipping them avoids false alarms on tiny parts.
RATIO_MIN_SIZE = 1 * MB
MAX_ROWS = 50_000
# Encrypted .xlsx and legacy .xls are both OLE2 compound files, not zips.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; .message is shown to the user."""

    def __init__(self, message):
        # Evaluate lazy strings now, in the locale of the current request.
        self.message = str(message)
        super().__init__(self.message)


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int  # Excel row number as the user sees it (header is row 1)
    column: str | None  # header text from SheetSpec.columns; None for whole-row errors
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SheetSpec:
    name: str
    schema: marshmallow.Schema
    columns: dict[str, str]  # header text -> schema field name
    required_columns: tuple[str, ...] = ()
    required: bool = True
    example_rows: tuple[dict, ...] = ()  # header -> value, used by template_workbook


@dataclass
class SheetRows:
    name: str
    rows: list[tuple[int, dict]]  # (Excel row number, schema.load result)


def read_workbook(
    data: bytes, specs: Sequence[SheetSpec], *, max_bytes: int = MAX_BYTES
) -> tuple[dict[str, SheetRows], list[RowError]]:
    """Validate every row of every sheet; return loaded rows and all row errors.

    Rows with errors are left out of the result. An optional sheet that is
    absent comes back with no rows.
    """
    _check_container(data, max_bytes)
    raw = _read_raw(data, specs)
    result: dict[str, SheetRows] = {}
    errors: list[RowError] = []
    for spec in specs:
        loaded: list[tuple[int, dict]] = []
        header_of = _field_headers(spec)
        for row_number, values in raw[spec.name]:
            formulas = _formula_errors(spec.name, row_number, values, header_of)
            if formulas:
                errors.extend(formulas)
                continue
            try:
                loaded.append((row_number, spec.schema.load(values)))
            except marshmallow.ValidationError as exc:
                errors.extend(_row_errors(spec.name, row_number, exc.messages, header_of))
        result[spec.name] = SheetRows(spec.name, loaded)
    return result, errors


def _check_container(data: bytes, max_bytes: int) -> None:
    """Reject what openpyxl should never see: huge, encrypted, non-zip or bomb files."""
    if len(data) > max_bytes:
        raise SpreadsheetError(
            _l(
                "The file is %(size)s MB; the limit is %(limit)s MB.",
                # Round the size up so a file just over the limit never reads "10 MB".
                size=f"{math.ceil(len(data) / MB * 10) / 10:g}",
                limit=f"{round(max_bytes / MB, 2):g}",
            )
        )
    if data.startswith(OLE2_MAGIC):
        raise SpreadsheetError(
            _l(
                "This file is password-protected or is an old Excel file (.xls). "
                "Remove the password or save it as an Excel workbook (.xlsx) and try again."
            )
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise SpreadsheetError(_not_xlsx()) from None
    total = sum(m.file_size for m in members)
    too_dense = any(
        m.file_size > RATIO_MIN_SIZE and m.file_size > MAX_RATIO * max(m.compress_size, 1)
        for m in members
    )
    if total > MAX_UNCOMPRESSED or too_dense:
        raise SpreadsheetError(
            _l(
                "This file expands to far more data than a normal workbook and was "
                "rejected for safety. Copy the data into a new workbook and try again."
            )
        )
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise SpreadsheetError(_not_xlsx())


def _read_raw(data: bytes, specs: Sequence[SheetSpec]) -> dict[str, list[tuple[int, dict]]]:
    """Parse the workbook into normalised {field: value} dicts per sheet.

    Any parser failure becomes a SpreadsheetError; schema validation happens
    later, outside this try, so bugs in schemas are not disguised as bad files.
    """
    try:
        # Formulas as written, not their cached results: a formula is refused by name
        # (_formula_errors) instead of importing whatever value, or nothing, it last showed.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise SpreadsheetError(_unreadable()) from None
    try:
        titles = {_norm_header(title): title for title in book.sheetnames}
        raw = {}
        for spec in specs:
            title = titles.get(_norm_header(spec.name))
            if title is None:
                if spec.required:
                    raise SpreadsheetError(
                        _l(
                            'The sheet "%(sheet)s" is missing. Sheets found: %(found)s.',
                            sheet=spec.name,
                            found=", ".join(f'"{t}"' for t in book.sheetnames) or "-",
                        )
                    )
                raw[spec.name] = []
                continue
            raw[spec.name] = _read_sheet(book[title], spec)
        return raw
    except SpreadsheetError:
        raise
    except Exception:
        raise SpreadsheetError(_unreadable()) from None
    finally:
        book.close()


def _read_sheet(sheet, spec: SheetSpec) -> list[tuple[int, dict]]:
    # The stored dimension can be wrong (rows silently dropped) or huge (A1:XFD1048576
    # padding every row to 16k cells); ignore it and read what is really there.
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    field_at = _match_headers(next(rows, ()), spec)
    out = []
    # Read-only iteration fills gaps with empty rows, so enumerate tracks Excel numbering.
    for row_number, cells in enumerate(rows, start=2):
        normalised = [_normalise(cell) for cell in cells]
        if all(value is None for value in normalised):
            continue
        values = {}
        for index, value in enumerate(normalised):
            field = field_at.get(index)
            if field is not None and value is not None:
                values.setdefault(field, value)  # aliases: left-most filled column wins
        out.append((row_number, values))
        if len(out) > MAX_ROWS:
            raise SpreadsheetError(
                _l(
                    'The sheet "%(sheet)s" has more than %(limit)s rows. '
                    "Split it into smaller files.",
                    sheet=spec.name,
                    limit=f"{MAX_ROWS:,}",
                )
            )
    return out


def _match_headers(header_cells, spec: SheetSpec) -> dict[int, str]:
    """Map column index -> field name; unknown columns are ignored."""
    wanted = {_norm_header(h): field for h, field in spec.columns.items()}
    field_at: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, cell in enumerate(header_cells):
        key = _norm_header(cell)
        if key not in wanted:
            continue
        if key in seen:
            raise SpreadsheetError(
                _l(
                    'The column "%(column)s" appears twice in sheet "%(sheet)s".',
                    column=str(cell).strip(),
                    sheet=spec.name,
                )
            )
        seen[key] = str(cell)
        field_at[index] = wanted[key]
    missing = [h for h in spec.required_columns if _norm_header(h) not in seen]
    if missing:
        raise SpreadsheetError(
            _l(
                'The sheet "%(sheet)s" is missing the column(s): %(columns)s. '
                "The first row must hold the column names.",
                sheet=spec.name,
                columns=", ".join(f'"{h}"' for h in missing),
            )
        )
    return field_at


def _normalise(value):
    """Turn a cell value into what a marshmallow field expects; None means 'no value'."""
    if isinstance(value, str):
        value = value.strip()
        # Undo our own export's neutralising apostrophe ("'=x" -> "=x") so a round trip
        # through Excel gives back the stored text; the value is only ever data here.
        if value.startswith("'") and value[1:2] and value[1] in "=+-@":
            value = value[1:]
        return value or None
    if isinstance(value, datetime):
        # Excel has no pure date type: a date cell arrives as a midnight datetime.
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


def _norm_header(value) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def _field_headers(spec: SheetSpec) -> dict[str, str]:
    headers: dict[str, str] = {}
    for header, field in spec.columns.items():
        headers.setdefault(field, header)
    return headers


def _formula_errors(sheet, row, values: dict, header_of) -> list[RowError]:
    """A cell holding a formula (=HYPERLINK(…), =A2*2) in any column, required or optional:
    its value is whatever the file's author last computed, or nothing at all."""
    message = str(_l("A formula is not imported: type the value itself."))
    return [
        RowError(sheet, row, header_of.get(field, field), message)
        for field, value in values.items()
        if isinstance(value, str) and value.startswith("=")
    ]


def _row_errors(sheet, row, messages, header_of) -> list[RowError]:
    if not isinstance(messages, dict):
        return [RowError(sheet, row, None, _join(messages))]
    errors = []
    for field, field_messages in messages.items():
        column = None if field == SCHEMA else header_of.get(field)
        text = _join(field_messages)
        if column is None and field != SCHEMA:
            text = f"{field}: {text}"  # a field with no column; still say which one
        errors.append(RowError(sheet, row, column, text))
    return errors


def _join(messages) -> str:
    """Flatten marshmallow's nested message structure into one sentence list."""
    if isinstance(messages, dict):
        return " ".join(_join(m) for m in messages.values())
    if isinstance(messages, (list, tuple)):
        return " ".join(_join(m) for m in messages)
    return str(messages)


def _not_xlsx():
    return _l(
        "This file is not an Excel workbook (.xlsx). "
        "Open it in Excel or LibreOffice, save it as .xlsx and try again."
    )


def _unreadable():
    return _l(
        "This Excel file could not be read; it may be damaged. "
        "Open it in Excel or LibreOffice, save it again as .xlsx and retry."
    )
