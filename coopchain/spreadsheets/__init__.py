"""Spreadsheet import (validated .xlsx reading) and export (safe .xlsx writing)."""

from .reader import RowError, SheetRows, SheetSpec, SpreadsheetError, read_workbook
from .writer import neutralise, template_workbook, write_workbook

__all__ = [
    "RowError",
    "SheetRows",
    "SheetSpec",
    "SpreadsheetError",
    "neutralise",
    "read_workbook",
    "template_workbook",
    "write_workbook",
]
