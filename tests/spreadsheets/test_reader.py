"""What a cooperative clerk sees when uploading an .xlsx import file."""

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from marshmallow import Schema, ValidationError, fields, validates_schema

from coopchain.spreadsheets import (
    RowError,
    SheetSpec,
    SpreadsheetError,
    read_workbook,
    write_workbook,
)


class ProducerSchema(Schema):
    name = fields.String(required=True)
    members = fields.Integer()
    hectares = fields.Decimal(required=True)
    joined = fields.Date(required=True)


class HarvestSchema(Schema):
    producer = fields.String(required=True)
    kilograms = fields.Decimal(required=True)
    harvested = fields.Date(required=True)


PRODUCERS = SheetSpec(
    name="Producers",
    schema=ProducerSchema(),
    columns={"Name": "name", "Members": "members", "Hectares": "hectares", "Joined on": "joined"},
    required_columns=("Name", "Hectares", "Joined on"),
)
HARVESTS = SheetSpec(
    name="Harvests",
    schema=HarvestSchema(),
    columns={"Producer": "producer", "Kilograms": "kilograms", "Harvest date": "harvested"},
    required_columns=("Producer", "Kilograms", "Harvest date"),
)
PRODUCER_HEADERS = ["Name", "Members", "Hectares", "Joined on"]
HARVEST_HEADERS = ["Producer", "Kilograms", "Harvest date"]


def producer_row(i):
    return [f"Farm {i}", i, 1.5, date(2020, 1, 1)]


def workbook(*sheets):
    return write_workbook(list(sheets))


def raw_workbook(title, rows):
    """Build with openpyxl directly, for cells write_workbook would not produce."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def error_message(data, specs=(PRODUCERS,), **kwargs):
    with pytest.raises(SpreadsheetError) as info:
        read_workbook(data, specs, **kwargs)
    return info.value.message


def test_two_sheets_load_into_typed_rows():
    data = workbook(
        ("Producers", PRODUCER_HEADERS, [["Finca Alta", 12, 3.25, date(2019, 5, 1)]]),
        ("Harvests", HARVEST_HEADERS, [["Finca Alta", 1200, date(2024, 3, 2)]]),
    )
    sheets, errors = read_workbook(data, [PRODUCERS, HARVESTS])
    assert errors == []
    assert sheets["Producers"].rows == [
        (
            2,
            {
                "name": "Finca Alta",
                "members": 12,
                "hectares": Decimal("3.25"),
                "joined": date(2019, 5, 1),
            },
        )
    ]
    assert sheets["Harvests"].rows == [
        (2, {"producer": "Finca Alta", "kilograms": Decimal("1200"), "harvested": date(2024, 3, 2)})
    ]


def test_bad_date_reports_excel_row_and_column_header():
    rows = [producer_row(i) for i in range(2, 100)]
    rows[57 - 2][3] = "31/02/2024"  # Excel row 57
    sheets, errors = read_workbook(workbook(("Producers", PRODUCER_HEADERS, rows)), [PRODUCERS])
    assert errors == [RowError("Producers", 57, "Joined on", "Not a valid date.")]
    assert errors[0].to_dict() == {
        "sheet": "Producers",
        "row": 57,
        "column": "Joined on",
        "message": "Not a valid date.",
    }
    assert len(sheets["Producers"].rows) == 97  # the bad row is left out


def test_every_bad_row_in_every_sheet_is_reported():
    producers = [producer_row(2), ["", "many", 2, date(2020, 1, 1)], producer_row(4)]
    harvests = [["Farm 2", "lots", date(2024, 1, 1)], ["Farm 4", 10, "yesterday"]]
    data = workbook(
        ("Producers", PRODUCER_HEADERS, producers), ("Harvests", HARVEST_HEADERS, harvests)
    )
    _, errors = read_workbook(data, [PRODUCERS, HARVESTS])
    assert [(e.sheet, e.row, e.column) for e in errors] == [
        ("Producers", 3, "Name"),
        ("Producers", 3, "Members"),
        ("Harvests", 2, "Kilograms"),
        ("Harvests", 3, "Harvest date"),
    ]
    assert errors[0].message == "Missing data for required field."


def test_schema_level_error_has_no_column():
    class Checked(ProducerSchema):
        @validates_schema
        def not_too_many(self, data, **kwargs):
            if data.get("members", 0) > 100:
                raise ValidationError("Too many members for the area.")

    spec = SheetSpec("Producers", Checked(), PRODUCERS.columns)
    rows = [["Big", 500, 1, date(2020, 1, 1)]]
    _, errors = read_workbook(workbook(("Producers", PRODUCER_HEADERS, rows)), [spec])
    assert errors == [RowError("Producers", 2, None, "Too many members for the area.")]


def test_missing_sheet_names_it_and_the_sheets_found():
    data = workbook(("Producers", PRODUCER_HEADERS, [producer_row(2)]))
    message = error_message(data, [PRODUCERS, HARVESTS])
    assert message == 'The sheet "Harvests" is missing. Sheets found: "Producers".'


def test_optional_sheet_may_be_absent():
    optional = SheetSpec(HARVESTS.name, HARVESTS.schema, HARVESTS.columns, required=False)
    data = workbook(("Producers", PRODUCER_HEADERS, [producer_row(2)]))
    sheets, errors = read_workbook(data, [PRODUCERS, optional])
    assert sheets["Harvests"].rows == [] and errors == []


def test_missing_required_column_names_sheet_and_column():
    data = workbook(("Producers", ["Name", "Hectares"], [["Farm", 2]]))
    message = error_message(data)
    assert 'sheet "Producers"' in message
    assert '"Joined on"' in message


def test_optional_column_may_be_absent_and_extra_columns_are_ignored():
    headers = ["Notes", "Name", "Hectares", "Joined on"]
    data = workbook(("Producers", headers, [["call back", "Farm", 2, date(2021, 1, 1)]]))
    sheets, errors = read_workbook(data, [PRODUCERS])
    assert errors == []
    assert sheets["Producers"].rows[0][1] == {
        "name": "Farm",
        "hectares": Decimal("2"),
        "joined": date(2021, 1, 1),
    }


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,
        b"Name,Members,Hectares,Joined on\nFarm,3,1.5,2020-01-01\n",
        b"",
    ],
    ids=["random-bytes", "csv", "empty"],
)
def test_non_xlsx_files_are_rejected(data):
    assert ".xlsx" in error_message(data)
    assert "not an Excel workbook" in error_message(data)


def test_zip_that_is_not_a_workbook_is_rejected():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert "not an Excel workbook" in error_message(buffer.getvalue())


def test_broken_workbook_gets_a_clear_message():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml at all <")
    assert "could not be read" in error_message(buffer.getvalue())


def test_ole_file_is_reported_as_password_protected_or_xls():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)
    assert "password-protected" in error_message(data)


def test_oversized_file_is_rejected_with_its_size():
    data = b"PK" + bytes(10 * 1024 * 1024)
    assert error_message(data) == "The file is 10.1 MB; the limit is 10 MB."


def test_smaller_limit_can_be_passed():
    message = error_message(b"x" * 600_000, max_bytes=512 * 1024)
    assert message == "The file is 0.6 MB; the limit is 0.5 MB."


def zip_bomb(megabytes):
    """An .xlsx-shaped zip whose shared strings inflate to `megabytes` of zeros."""
    buffer = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/sharedStrings.xml", "w") as member:
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize("megabytes", [150, 20], ids=["too-big", "too-dense"])
def test_zip_bomb_is_rejected_without_extracting(megabytes, monkeypatch):
    data = zip_bomb(megabytes)
    assert len(data) < 1024 * 1024  # small upload, huge payload

    def no_extracting(*args, **kwargs):
        raise AssertionError("a member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_extracting)
    assert "rejected for safety" in error_message(data)


def test_empty_rows_are_skipped_and_row_numbers_stay_true():
    rows = [
        PRODUCER_HEADERS,
        producer_row(2),
        [None] * 4,
        ["  ", "", None, None],
        ["Farm 5", 1, 1, "bad"],
    ]
    sheets, errors = read_workbook(raw_workbook("Producers", rows), [PRODUCERS])
    assert [number for number, _ in sheets["Producers"].rows] == [2]
    assert errors == [RowError("Producers", 5, "Joined on", "Not a valid date.")]


def test_headers_and_sheet_names_match_ignoring_case_and_spaces():
    rows = [["  NAME ", "hectares", "joined   ON"], ["  Farm  ", 4, date(2022, 2, 2)]]
    sheets, errors = read_workbook(raw_workbook("producers", rows), [PRODUCERS])
    assert errors == []
    assert sheets["Producers"].rows[0][1]["name"] == "Farm"  # stripped


def test_datetime_cells_are_normalised_before_loading():
    seen = []

    class Recording(Schema):
        name = fields.String()
        joined = fields.String()
        stamp = fields.String()

        def load(self, data, **kwargs):
            seen.append(data)
            return super().load(data, **kwargs)

    spec = SheetSpec(
        "Producers", Recording(), {"Name": "name", "Joined on": "joined", "Stamp": "stamp"}
    )
    rows = [
        ["Name", "Joined on", "Stamp"],
        ["Farm", datetime(2024, 3, 1), datetime(2024, 3, 1, 14, 30)],
    ]
    read_workbook(raw_workbook("Producers", rows), [spec])
    assert seen == [{"name": "Farm", "joined": "2024-03-01", "stamp": "2024-03-01T14:30:00"}]


def test_duplicate_column_is_a_file_error():
    rows = [["Name", "Hectares", "Joined on", "name"], ["Farm", 1, date(2020, 1, 1), "Other"]]
    message = error_message(raw_workbook("Producers", rows))
    assert message == 'The column "name" appears twice in sheet "Producers".'


def test_too_many_rows_is_a_file_error(monkeypatch):
    monkeypatch.setattr("coopchain.spreadsheets.reader.MAX_ROWS", 3)
    data = workbook(("Producers", PRODUCER_HEADERS, [producer_row(i) for i in range(4)]))
    assert "more than 3 rows" in error_message(data)


def test_a_formula_in_an_optional_column_is_refused_with_sheet_row_and_column():
    """=HYPERLINK(…) in an optional column imported as an empty field: a formula's value is
    whatever its author last computed, or nothing, so it is refused by name."""
    data = raw_workbook(
        "Producers",
        [
            PRODUCER_HEADERS,
            producer_row(1),
            ["Farm 2", '=HYPERLINK("http://evil.example","2")', 1.5, date(2020, 1, 1)],
        ],
    )
    loaded, errors = read_workbook(data, [PRODUCERS])
    assert [row["name"] for _n, row in loaded["Producers"].rows] == ["Farm 1"]
    assert [(e.sheet, e.row, e.column) for e in errors] == [("Producers", 3, "Members")]
    assert "formula" in errors[0].message
