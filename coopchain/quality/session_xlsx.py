"""A cupping session as a workbook: every score sheet, and the panel's results.

Headers are the API's field names (as in lots/lots_xlsx.py) and scores are numeric cells, so a
lab can pivot or re-add the sheets in Excel and get the server's numbers. Everything a cupper
typed (notes, descriptors) goes through the shared writer, which neutralises formula-like text.
"""

import io
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import load_workbook
from openpyxl.styles import Font
from sqlmodel import Session

from coopchain.quality import rules
from coopchain.quality.cupping_sessions import cuppers_of, session_results
from coopchain.quality.models import CuppingSession
from coopchain.spreadsheets import write_workbook

__all__ = ["RESULT_COLUMNS", "SHEET_LEAD_COLUMNS", "mean_abs_deviation", "session_workbook"]

SHEETS, RESULTS = "Sheets", "Results"
SHEET_LEAD_COLUMNS = ["session_number", "held_on", "protocol", "blind_code", "lot_code", "cupper"]
SHEET_TAIL_COLUMNS = ["descriptors", "notes", "total", "defects", "final_score"]
RESULT_COLUMNS = [
    "session_number",
    "session_status",
    "blind_code",
    "lot_code",
    "cuppers",
    "mean",
    "spread",
    "classification",
]
#: First cell of the calibration block's title row, below the results.
CALIBRATION = "calibration"
CENT = Decimal("0.01")


def _number(value):
    """A stored score ("8.25", "10") as a number, so Excel gets a numeric cell."""
    number = rules.parse_decimal(value)
    return value if number is None else number


def mean_abs_deviation(deviations) -> Decimal | None:
    """How far a cupper sits from the panel on average (the usual calibration figure)."""
    values = [abs(d) for d in deviations if d is not None]
    if not values:
        return None
    return (sum(values, Decimal("0")) / len(values)).quantize(CENT, ROUND_HALF_UP)


def session_workbook(session: Session, cs: CuppingSession) -> bytes:
    """Sheet "Sheets": one row per score sheet; sheet "Results": one row per sample, then the
    calibration block (each cupper's final score minus the panel mean, per sample)."""
    fields = list(rules.fields_of(cs.protocol))
    cuppers = cuppers_of(session, cs)
    names = {c.id: c.name for c in cuppers}
    results = session_results(session, cs)

    sheet_rows = []
    for result in results:
        for sheet in result.sheets:
            sheet_rows.append(
                [
                    cs.number,
                    cs.held_on,
                    cs.protocol,
                    result.sample.blind_code,
                    result.lot.code,
                    names.get(sheet.cupper_id),
                    *(_number(sheet.scores.get(name)) for name in fields),
                    ", ".join(sheet.descriptors or []),
                    sheet.notes,
                    sheet.total,
                    sheet.defects,
                    sheet.final_score,
                ]
            )

    result_rows: list[list] = []
    for result in results:
        panel = result.panel
        result_rows.append(
            [
                cs.number,
                cs.status,
                result.sample.blind_code,
                result.lot.code,
                panel.cupper_count if panel else 0,
                panel.mean if panel else None,
                panel.spread if panel else None,
                panel.classification.value if panel else None,
            ]
        )
    # The calibration block: a blank row, a title row, a header row, one row per cupper.
    calibration_title = len(result_rows) + 3  # Excel row: header is 1, then the results, blank
    result_rows.append([])
    result_rows.append([CALIBRATION])
    result_rows.append(["cupper", *(r.sample.blind_code for r in results), "mean_abs_deviation"])
    for cupper in cuppers:
        deviations = [r.panel.deviations.get(cupper.id) if r.panel else None for r in results]
        result_rows.append([cupper.name, *deviations, mean_abs_deviation(deviations)])

    data = write_workbook(
        [
            (SHEETS, SHEET_LEAD_COLUMNS + fields + SHEET_TAIL_COLUMNS, sheet_rows),
            (RESULTS, RESULT_COLUMNS, result_rows),
        ]
    )
    return _bold_rows(data, RESULTS, (calibration_title, calibration_title + 1))


def _bold_rows(data: bytes, title: str, rows: tuple[int, ...]) -> bytes:
    """The calibration block's title and header bold, like the sheet's own header row."""
    book = load_workbook(io.BytesIO(data))
    sheet = book[title]
    for number in rows:
        for cell in sheet[number]:
            cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
