"""The producer register as a workbook: sheet layout, template and all-or-nothing import.

Sheets: Producers, Agreements, Plots (and Visits on export). Headers are the API field names,
so a clerk's spreadsheet, the API and the docs all speak the same words. The export, which
uses the same columns, is in registry_export.py.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from marshmallow import fields, pre_load, validate
from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import in_organization
from coopchain.errors import DomainError
from coopchain.farms import agreements, plots, producers
from coopchain.farms.certifiers import find_certifier
from coopchain.farms.geometry import point_geometry
from coopchain.farms.models import Commitment, Producer
from coopchain.farms.schemas import AgreementIn, PlotIn, ProducerIn
from coopchain.spreadsheets import RowError, SheetRows, SheetSpec, read_workbook


class _SpreadsheetRow:
    """Excel gives member code 007 as the number 7: text fields take numbers as text."""

    @pre_load
    def _numbers_to_text(self, data, **_kwargs):
        for name, value in list(data.items()):
            if isinstance(self.fields.get(name), fields.Str) and isinstance(value, int | float):
                data[name] = str(int(value)) if float(value).is_integer() else str(value)
        return data


def _split_codes(value: str) -> list[str]:
    return [part.strip() for part in str(value).replace(";", ",").split(",") if part.strip()]


class ProducerRow(_SpreadsheetRow, ProducerIn):
    pass


class AgreementRow(_SpreadsheetRow, AgreementIn):
    producer_codes = fields.Str(required=True)
    commitments = fields.Str(load_default="")


class PlotRow(_SpreadsheetRow, PlotIn):
    producer_code = fields.Str(required=True)
    #: The control body by its code or its name (any case, with or without accents).
    organic_certifier = fields.Str(validate=validate.Length(max=120), load_default=None)
    lon = fields.Float(validate=validate.Range(-180, 180), load_default=None)
    lat = fields.Float(validate=validate.Range(-90, 90), load_default=None)
    geojson = fields.Str(load_default=None)


#: The sheet has a column for every field a producer has, in the same order.
PRODUCER_COLUMNS = list(producers.PRODUCER_FIELDS)
AGREEMENT_COLUMNS = [
    "number",
    "kind",
    "producer_codes",
    "protected_area",
    "signed_on",
    "valid_until",
    "commitments",
    "status",
    "status_reason",
    "status_since",
]
PLOT_COLUMNS = [
    "producer_code",
    "name",
    "crop",
    "lon",
    "lat",
    "geojson",
    "declared_area_ha",
    "altitude_m",
    "varieties",
    "shade_agroforestry",
    "planting_year",
    "organic_conversion_start",
    "organic_certifier",
    "organic_certificate_number",
    "organic_certificate_valid_until",
    "expected_yield_kg_ha",
]


def sheet_specs() -> list[SheetSpec]:
    return [
        SheetSpec(
            "Producers",
            ProducerRow(),
            {c: c for c in PRODUCER_COLUMNS},
            required_columns=("member_code", "first_name", "last_name"),
            example_rows=(
                {
                    "member_code": "M-0001",
                    "first_name": "Rosa",
                    "last_name": "Huamán Tapia",
                    "sex": "female",
                    "community": "Nuevo Edén",
                    "joined_on": "2016-03-01",
                    "public_name_consent": True,
                },
            ),
        ),
        SheetSpec(
            "Agreements",
            AgreementRow(exclude=("producer_ids",)),
            {c: c for c in AGREEMENT_COLUMNS},
            required_columns=("number", "producer_codes", "signed_on", "valid_until"),
            required=False,
            example_rows=(
                {
                    "number": "AC-2026-001",
                    "kind": "individual",
                    "producer_codes": "M-0001",
                    "protected_area": "BP Alto Mayo",
                    "signed_on": "2026-01-15",
                    "valid_until": "2026-12-31",
                    "commitments": "no_clearing, no_hunting, organic_practices",
                },
            ),
        ),
        SheetSpec(
            "Plots",
            PlotRow(exclude=("producer_id", "geometry", "organic_certifier_id")),
            {c: c for c in PLOT_COLUMNS},
            required_columns=("producer_code", "name", "crop"),
            required=False,
            example_rows=(
                {
                    "producer_code": "M-0001",
                    "name": "La Esperanza",
                    "crop": "coffee",
                    "lon": -77.412345,
                    "lat": -5.701234,
                    "declared_area_ha": 1.5,
                    "altitude_m": 1150,
                    "varieties": "Caturra, Catimor",
                    "shade_agroforestry": True,
                },
            ),
        ),
    ]


@dataclass
class ImportResult:
    producers: int = 0
    agreements: int = 0
    plots: int = 0


@dataclass
class ImportFailed(Exception):
    errors: list[RowError] = field(default_factory=list)


@dataclass
class RegistrySheets:
    """A workbook's rows as read, before any look at the database: the rows of each sheet that
    loaded (codes split, geometry built and checked) and the errors of the rest."""

    sheets: dict[str, SheetRows]
    errors: list[RowError]


def read_registry(data: bytes) -> RegistrySheets:
    """Parse and check the cells of every sheet (no database): the slow part of an import
    (openpyxl, marshmallow, plot geometry), which a job does before it takes the write lock."""
    sheets, errors = read_workbook(data, sheet_specs())
    for row, values in sheets["Agreements"].rows:
        values["commitments"] = _split_codes(values.get("commitments") or "")
        values["producer_codes"] = _split_codes(values["producer_codes"])
        bad = [c for c in values["commitments"] if c not in _COMMITMENT_CODES]
        if bad:
            errors.append(
                RowError(
                    "Agreements",
                    row,
                    "commitments",
                    str(_l("Unknown commitment(s): %(codes)s", codes=", ".join(bad))),
                )
            )
    for row, values in sheets["Plots"].rows:
        _attach_geometry(values, row, errors)
    return RegistrySheets(sheets, errors)


def import_registry(session: Session, org_id: int, user_id: int | None, data: bytes):
    """Import every row or none: any bad row raises ImportFailed listing all of them."""
    return record_registry(session, org_id, user_id, read_registry(data))


def record_registry(session: Session, org_id: int, user_id: int | None, read: RegistrySheets):
    """Check the rows against the register as `session` sees it and record them all, or raise
    ImportFailed (every bad row, those of `read.errors` included) and record none."""
    sheets, errors = read.sheets, list(read.errors)
    producer_rows = sheets["Producers"].rows
    known_codes = set(
        session.scalars(select(Producer.member_code).where(in_organization(Producer, org_id)))
    )
    new_codes: dict[str, int] = {}
    for row, values in producer_rows:
        code = values["member_code"]
        if code in known_codes:
            errors.append(
                RowError(
                    "Producers",
                    row,
                    "member_code",
                    str(_l("Member code %(code)s already exists.", code=code)),
                )
            )
        elif code in new_codes:
            errors.append(
                RowError(
                    "Producers",
                    row,
                    "member_code",
                    str(
                        _l(
                            "Member code %(code)s repeats row %(row)s.",
                            code=code,
                            row=new_codes[code],
                        )
                    ),
                )
            )
        new_codes.setdefault(code, row)
    all_codes = known_codes | set(new_codes)

    for row, values in sheets["Agreements"].rows:
        unknown = [c for c in values["producer_codes"] if c not in all_codes]
        if unknown:
            errors.append(
                RowError(
                    "Agreements",
                    row,
                    "producer_codes",
                    str(_l("Unknown member code(s): %(codes)s", codes=", ".join(unknown))),
                )
            )

    for row, values in sheets["Plots"].rows:
        if values["producer_code"] not in all_codes:
            errors.append(
                RowError(
                    "Plots",
                    row,
                    "producer_code",
                    str(_l("Unknown member code %(code)s", code=values["producer_code"])),
                )
            )
        _attach_certifier(session, org_id, values, row, errors)
    # Write inside a savepoint even when rows already failed, so the services' own rules
    # (duplicate agreement number, dates, …) are reported in the same list; any error rolls
    # the savepoint back, and the caller's transaction with it.
    failed = {(e.sheet, e.row) for e in errors}
    result, ids = ImportResult(), {}
    steps = [
        (
            "Producers",
            producer_rows,
            lambda v: producers.create_producer(session, org_id, user_id, v),
        ),
        (
            "Agreements",
            sheets["Agreements"].rows,
            lambda v: _create_agreement(session, org_id, user_id, v, ids),
        ),
        ("Plots", sheets["Plots"].rows, lambda v: _create_plot(session, org_id, user_id, v, ids)),
    ]
    savepoint = session.begin_nested()
    for sheet, rows, create in steps:
        for row, values in rows:
            if (sheet, row) in failed:
                continue
            try:
                created = create(values)
            except DomainError as exc:
                field_name = next(iter(exc.fields), None)
                errors.append(
                    RowError(sheet, row, _COLUMN_OF.get(field_name, field_name), exc.message)
                )
                continue
            if sheet == "Producers":
                ids[created.member_code] = created.id
        setattr(result, sheet.lower(), len(rows))
    if errors:
        savepoint.rollback()
        raise ImportFailed(sorted(errors, key=_error_order))
    savepoint.commit()
    return result


#: Service field names that a sheet calls by another column name.
_COLUMN_OF = {
    "producer_ids": "producer_codes",
    "producer_id": "producer_code",
    "geometry": "geojson",
    "organic_certifier_id": "organic_certifier",
}
_COMMITMENT_CODES = {c.value for c in Commitment}
_SHEET_ORDER = {"Producers": 0, "Agreements": 1, "Plots": 2}


def _error_order(error: RowError):
    return (_SHEET_ORDER.get(error.sheet, 9), error.row, error.column or "")


def _attach_geometry(values: dict, row: int, errors: list[RowError]) -> None:
    lon, lat, text = values.pop("lon"), values.pop("lat"), values.pop("geojson")
    if text and (lon is not None or lat is not None):
        errors.append(
            RowError(
                "Plots", row, "geojson", str(_l("Give either lon/lat or a GeoJSON cell, not both."))
            )
        )
    elif (lon is None) != (lat is None):
        errors.append(
            RowError(
                "Plots", row, "lat" if lat is None else "lon", str(_l("Give both lon and lat."))
            )
        )
    values["geometry"] = text or (point_geometry(lon, lat) if lon is not None else None)
    if values["geometry"] is not None:
        try:
            plots.check_plot_geometry(values)
        except DomainError as exc:
            errors.append(
                RowError(
                    "Plots",
                    row,
                    "geojson" if text else "lon",
                    "; ".join(exc.fields.get("geometry", [exc.message])),
                )
            )


def _attach_certifier(session, org_id, values: dict, row: int, errors: list[RowError]) -> None:
    text = values.pop("organic_certifier", None)
    if not text:
        values["organic_certifier_id"] = None
        return
    certifier = find_certifier(session, org_id, text)
    if certifier is None:
        message = _l(
            "Unknown certifier %(text)s: give the code or name of one under Certifiers.", text=text
        )
        errors.append(RowError("Plots", row, "organic_certifier", str(message)))
        return
    values["organic_certifier_id"] = certifier.id


def _producer_id(session: Session, org_id: int, code: str, ids: dict) -> int:
    if code not in ids:
        producer = producers.producer_by_code(session, org_id, code)
        if producer is None:  # its own row in Producers failed
            raise DomainError(
                str(_l("Member code %(code)s: its Producers row has errors.", code=code)),
                {"producer_ids": [code]},
            )
        ids[code] = producer.id
    return ids[code]


def _create_agreement(session, org_id, user_id, values, ids):
    codes = values.pop("producer_codes")
    values["producer_ids"] = [_producer_id(session, org_id, c, ids) for c in codes]
    return agreements.create_agreement(session, org_id, user_id, values)


def _create_plot(session, org_id, user_id, values, ids):
    values["producer_id"] = _producer_id(session, org_id, values.pop("producer_code"), ids)
    return plots.create_plot(session, org_id, user_id, values)
