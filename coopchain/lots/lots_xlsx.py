"""Deliveries and lots as workbooks: intake template, all-or-nothing import and lot export
(the mass-balance report is mass_balance_xlsx.py).

Headers are the API field names (as in farms/registry_xlsx.py), so a clerk's spreadsheet, the
API and the docs speak the same words. The import checks every row with the same rules as the
intake form (services.delivery_rule_errors) against the organisation's producers and plots
loaded once, so a season's worth of tickets imports in seconds, not one query per row.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coopchain.db import owned
from coopchain.farms.models import Plot, Producer
from coopchain.farms.registry_xlsx import ImportFailed, _SpreadsheetRow
from coopchain.lots import services
from coopchain.lots.models import Delivery, Lot, LotStatus
from coopchain.lots.origins import origins_of_many
from coopchain.lots.schemas import DeliveryIn
from coopchain.spreadsheets import (
    RowError,
    SheetSpec,
    read_workbook,
    template_workbook,
    write_workbook,
)

__all__ = [
    "DeliverySheet",
    "ImportFailed",
    "check_deliveries",
    "delivery_sheet_specs",
    "delivery_template",
    "export_lots",
    "import_deliveries",
    "read_deliveries",
    "record_deliveries",
]

SHEET = "Deliveries"
DELIVERY_COLUMNS = [
    "ticket_number",
    "producer_code",
    "plot_id",
    "plot_name",
    "product_form",
    "gross_kg",
    "tare_kg",
    "moisture_pct",
    "delivered_on",
    "price_per_kg",
    "notes",
]
LOT_COLUMNS = [
    "code",
    "crop",
    "product_form",
    "quantity_kg",
    "available_kg",
    "status",
    "produced_on",
    "organic_status",
    "producers",
    "plots",
]
ORIGIN_COLUMNS = [
    "lot_code",
    "ticket_number",
    "delivered_on",
    "producer_code",
    "plot_name",
    "organic_status",
    "agreement_active",
    "kg",
]


class DeliveryRow(_SpreadsheetRow, DeliveryIn):
    """A ticket row: the producer by member code, the plot by id or by name."""

    plot_id = fields.Int(load_default=None)
    plot_name = fields.Str(validate=validate.Length(1, 120), load_default=None)

    @validates_schema
    def _one_plot(self, data, **_kwargs):
        if data.get("plot_id") is None and not data.get("plot_name"):
            raise ValidationError(str(_l("Give plot_id or plot_name.")), "plot_id")


def delivery_sheet_specs() -> list[SheetSpec]:
    return [
        SheetSpec(
            SHEET,
            DeliveryRow(exclude=("producer_id",)),
            {c: c for c in DELIVERY_COLUMNS},
            required_columns=(
                "ticket_number",
                "producer_code",
                "product_form",
                "gross_kg",
                "delivered_on",
            ),
            example_rows=(
                {
                    "ticket_number": "0001234",
                    "producer_code": "M-0001",
                    "plot_name": "La Esperanza",
                    "product_form": "dry_parchment",
                    "gross_kg": 520.5,
                    "tare_kg": 20.5,
                    "moisture_pct": 12.5,
                    "delivered_on": "2026-06-10",
                    "price_per_kg": 14.2,
                    "notes": "Sacos de yute",
                },
            ),
        )
    ]


def delivery_template() -> bytes:
    """A blank intake workbook with the headers and one example row."""
    return template_workbook(delivery_sheet_specs())


# --- import ----------------------------------------------------------------------------------

_COLUMN_ORDER = {c: i for i, c in enumerate(DELIVERY_COLUMNS)}


def _norm(name: str) -> str:
    return " ".join(str(name).split()).casefold()


@dataclass
class DeliverySheet:
    """A workbook's tickets as read, before any look at the database: the rows that loaded
    (Excel row, values) and the errors of the rest."""

    rows: list[tuple[int, dict]]
    errors: list[RowError]


def read_deliveries(data: bytes) -> DeliverySheet:
    """Parse and validate the cells of every row (no database): the slow part of an import,
    which a job does before it takes the database's write lock."""
    sheets, errors = read_workbook(data, delivery_sheet_specs())
    return DeliverySheet(sheets[SHEET].rows, errors)


def import_deliveries(
    session: Session, org_id: int, user_id: int | None, data: bytes
) -> list[Delivery]:
    """Record every ticket of the workbook, or none: any bad row raises ImportFailed listing
    all of them (sheet, Excel row, column, message). Returns the deliveries created."""
    return record_deliveries(session, org_id, user_id, read_deliveries(data))


def check_deliveries(
    session: Session, org_id: int, sheet: DeliverySheet
) -> tuple[list[tuple[dict, Plot]], dict[str, int]]:
    """The rows checked against the organisation's producers, plots and recorded tickets as
    `session` sees them: ([(values, plot)], {ticket: Excel row}). Raises ImportFailed naming
    every bad row, those of `sheet.errors` included."""
    producers = {p.member_code: p for p in session.scalars(owned(Producer, org_id))}
    plots_by_id: dict[int, Plot] = {}
    plots_by_name: dict[tuple[int, str], list[Plot]] = {}
    for plot in session.scalars(owned(Plot, org_id)):
        plots_by_id[plot.id] = plot
        plots_by_name.setdefault((plot.producer_id, _norm(plot.name)), []).append(plot)

    errors = list(sheet.errors)
    checked: list[tuple[dict, Plot]] = []
    first_row: dict[str, int] = {}
    for row, values in sheet.rows:
        producer = producers.get(values["producer_code"])
        plot, plot_errors = _find_plot(values, producer, plots_by_id, plots_by_name)
        rule_errors = services.delivery_rule_errors(values, producer, plot)
        if plot is None and (plot_errors or values.get("plot_id") is None):
            # Already said better (no plot of that name), or the producer is unknown and the
            # name cannot be looked up: a bare "No such plot." would only add noise.
            rule_errors.pop("plot_id", None)
        for name, messages in {**rule_errors, **plot_errors}.items():
            errors.append(RowError(SHEET, row, _column(name, values), " ".join(messages)))
        ticket = values["ticket_number"]
        if ticket in first_row:
            message = _l("Ticket %(n)s repeats row %(row)s.", n=ticket, row=first_row[ticket])
            errors.append(RowError(SHEET, row, "ticket_number", str(message)))
        else:
            first_row[ticket] = row
        if not rule_errors and not plot_errors:
            checked.append((values, plot))
    errors.extend(_taken_errors(session, org_id, first_row))
    if errors:
        raise ImportFailed(sorted(errors, key=_error_order))
    return checked, first_row


def record_deliveries(
    session: Session, org_id: int, user_id: int | None, sheet: DeliverySheet
) -> list[Delivery]:
    """Check the rows (check_deliveries) and record them all in `session`, or raise
    ImportFailed and record none. Returns the deliveries created."""
    checked, first_row = check_deliveries(session, org_id, sheet)
    if not checked:
        return []
    try:
        with session.begin_nested():
            created = services.register_checked_deliveries(session, org_id, user_id, checked)
    except IntegrityError:
        # Another clerk recorded one of these tickets between the check and the insert.
        raced = _taken_errors(session, org_id, first_row)
        if not raced:
            raise
        raise ImportFailed(sorted(raced, key=_error_order)) from None
    if len(created) >= ANALYZE_AFTER_ROWS and session.get_bind().dialect.name == "postgresql":
        # Thousands of new rows: refresh the planner's statistics now rather than whenever
        # autovacuum gets to it, or origin queries may scan every delivery (docs/BENCHMARKS.md).
        session.execute(text("ANALYZE deliveries, lots, ledger_events"))
    return created


def _find_plot(values, producer, plots_by_id, plots_by_name) -> tuple[Plot | None, dict]:
    """The row's plot and {field: [messages]} for problems the intake rules cannot see."""
    plot_id, name = values.get("plot_id"), values.get("plot_name")
    if plot_id is not None:
        plot = plots_by_id.get(plot_id)
        if plot is not None and name and _norm(name) != _norm(plot.name):
            message = _l("Plot %(id)s is called %(name)s.", id=plot_id, name=plot.name)
            return plot, {"plot_name": [str(message)]}
        return plot, {}
    if producer is None:
        return None, {}
    matches = plots_by_name.get((producer.id, _norm(name)), [])
    if len(matches) == 1:
        return matches[0], {}
    if matches:
        message = _l(
            "%(code)s has several plots called %(name)s; give plot_id.",
            code=producer.member_code,
            name=name,
        )
    else:
        message = _l("%(code)s has no plot called %(name)s.", code=producer.member_code, name=name)
    return None, {"plot_name": [str(message)]}


def _column(name: str, values: dict) -> str:
    """The sheet column a service field name is about."""
    if name in ("producer_id", "producer_code"):
        return "producer_code"
    if name == "plot_id" and values.get("plot_id") is None:
        return "plot_name"
    return name


def _taken_errors(session, org_id, first_row: dict[str, int]) -> list[RowError]:
    taken = services.ticket_taken(session, org_id, list(first_row))
    return [
        RowError(
            SHEET,
            first_row[ticket],
            "ticket_number",
            str(_l("Ticket %(n)s is already recorded.", n=ticket)),
        )
        for ticket in sorted(taken)
    ]


def _error_order(error: RowError):
    return (error.row, _COLUMN_ORDER.get(error.column, -1), error.message)


#: A bulk import at least this large refreshes PostgreSQL's statistics.
ANALYZE_AFTER_ROWS = 1000


# --- export ----------------------------------------------------------------------------------


def export_lots(session: Session, org_id: int) -> bytes:
    """Every lot (voided ones too, with their status) and, for the live ones, their origins:
    which ticket, producer and plot each kilogram came from."""
    lots = list(session.scalars(owned(Lot, org_id).order_by(Lot.id)))
    origins = origins_of_many(session, org_id, lots)
    lot_rows, origin_rows = [], []
    for lot in lots:
        result = origins[lot.id]
        plots = result.by_plot()
        lot_rows.append(
            [
                lot.code,
                lot.crop,
                lot.product_form,
                lot.quantity_kg,
                lot.available_kg,
                lot.status.value,
                lot.produced_on,
                result.organic_status.value,
                ", ".join(sorted({o.producer_code for o in result.origins})),
                ", ".join(row["origin"].plot_name for row in plots),
            ]
        )
        if lot.status == LotStatus.VOIDED:
            continue
        origin_rows.extend(
            [
                lot.code,
                origin.ticket_number,
                origin.delivered_on,
                origin.producer_code,
                origin.plot_name,
                origin.organic_status.value,
                origin.agreement_active,
                origin.kg,
            ]
            for origin in result.origins
        )
    return write_workbook(
        [("Lots", LOT_COLUMNS, lot_rows), ("Origins", ORIGIN_COLUMNS, origin_rows)]
    )
