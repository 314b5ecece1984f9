"""Exports must open safely in Excel: no formula injection, readable layout."""

import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import openpyxl
import pytest
from marshmallow import Schema, fields

from coopchain.spreadsheets import SheetSpec, neutralise, template_workbook, write_workbook


def open_book(data):
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Finca Alta", "", "a=b", 42, -3, 1.5, Decimal("-2"), None, True])
def test_other_values_are_untouched(value):
    assert neutralise(value) == value


def test_round_trip_stores_injected_formula_as_text():
    data = write_workbook(
        [("Export", ["Name", "Kg"], [['=HYPERLINK("http://x")', -5], ["-Coop", 1.5]])]
    )
    sheet = open_book(data)["Export"]
    cell = sheet["A2"]
    assert cell.value == '\'=HYPERLINK("http://x")'
    assert cell.data_type == "s"
    assert sheet["A3"].value == "'-Coop"
    assert sheet["B2"].value == -5 and sheet["B2"].data_type == "n"


def test_header_is_bold_frozen_and_columns_have_widths():
    rows = [["Finca Alta", date(2024, 1, 2), "x" * 200]]
    sheet = open_book(write_workbook([("Producers", ["Name", "Joined", "Notes"], rows)]))[
        "Producers"
    ]
    assert [c.value for c in sheet[1]] == ["Name", "Joined", "Notes"]
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == len("Finca Alta") + 2
    assert 8 <= sheet.column_dimensions["B"].width <= 60
    assert sheet.column_dimensions["C"].width == 60  # capped
    assert sheet["B2"].value == datetime(2024, 1, 2)  # a real date cell, not text


def test_awkward_values_do_not_break_the_export():
    aware = datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    lot = UUID("12345678-1234-5678-1234-567812345678")
    data = write_workbook([("S", ["A", "B", "C"], [[aware, "bell\x07", lot]])])
    sheet = open_book(data)["S"]
    assert sheet["A2"].value == datetime(2024, 1, 1, 17)  # written as UTC
    assert sheet["B2"].value == "bell"  # control character dropped, file still valid
    assert sheet["C2"].value == str(lot)  # unknown types written as text


def test_several_sheets_in_order():
    data = write_workbook([("One", ["A"], []), ("Two", ["B"], [[1]])])
    assert open_book(data).sheetnames == ["One", "Two"]


def test_template_has_each_specs_headers_and_examples():
    class S(Schema):
        name = fields.String()
        kg = fields.Decimal()

    specs = [
        SheetSpec(
            "Producers",
            S(),
            {"Name": "name", "Hectares": "kg"},
            example_rows=({"Name": "Finca Alta", "Hectares": 3},),
        ),
        SheetSpec("Harvests", S(), {"Producer": "name", "Kilograms": "kg"}),
    ]
    book = open_book(template_workbook(specs))
    assert book.sheetnames == ["Producers", "Harvests"]
    assert [[c.value for c in row] for row in book["Producers"].iter_rows()] == [
        ["Name", "Hectares"],
        ["Finca Alta", 3],
    ]
    assert [c.value for c in book["Harvests"][1]] == ["Producer", "Kilograms"]
