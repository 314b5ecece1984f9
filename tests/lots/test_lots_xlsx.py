"""Delivery import (every ticket or none, every bad row named), lot export, report workbook."""

import io
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from coopchain.ledger.models import LedgerEvent
from coopchain.lots import lots_xlsx, services, transformations
from coopchain.lots.lots_xlsx import (
    DELIVERY_COLUMNS,
    ImportFailed,
    delivery_template,
    export_lots,
    import_deliveries,
)
from coopchain.lots.mass_balance import mass_balance
from coopchain.lots.mass_balance_xlsx import mass_balance_workbook
from coopchain.lots.models import Delivery, Lot
from coopchain.spreadsheets import SpreadsheetError, write_workbook
from tests import factories


def workbook(rows, headers=DELIVERY_COLUMNS, sheet="Deliveries") -> bytes:
    return write_workbook([(sheet, headers, rows)])


def row(producer, plot=None, *, plot_name=None, **values):
    """A sheet row in DELIVERY_COLUMNS order; plot by id unless plot_name is given."""
    data = {
        "ticket_number": f"X-{factories.next_number():05d}",
        "producer_code": producer.member_code,
        "plot_id": plot.id if plot is not None and plot_name is None else None,
        "plot_name": plot_name,
        "product_form": "dry_parchment",
        "gross_kg": 520.5,
        "tare_kg": 20.5,
        "moisture_pct": 12.5,
        "delivered_on": date(2026, 6, 10),
        "price_per_kg": 14.2,
        "notes": None,
        **values,
    }
    return [data[c] for c in DELIVERY_COLUMNS]


def counts(session) -> tuple[int, int, int]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Delivery, Lot, LedgerEvent)
    )


def sheet_rows(data: bytes, title: str) -> list[dict]:
    sheet = load_workbook(io.BytesIO(data))[title]
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def test_template_has_the_columns_and_an_example_that_imports(db_session, org):
    data = delivery_template()
    sheet = load_workbook(io.BytesIO(data))["Deliveries"]
    headers = [c.value for c in sheet[1]]
    assert headers == DELIVERY_COLUMNS
    example = dict(zip(headers, [c.value for c in sheet[2]], strict=True))
    assert example["producer_code"] == "M-0001" and example["plot_name"] == "La Esperanza"

    producer = factories.producer(db_session, org, member_code="M-0001")
    factories.plot(db_session, org, producer, name="La Esperanza")
    [created] = import_deliveries(db_session, org.id, None, data)
    assert created.ticket_number == "0001234"
    assert created.net_kg == Decimal("500.000")


def test_good_file_creates_deliveries_lots_and_ledger_events(db_session, org, farm):
    producer, plot = farm
    before = counts(db_session)
    data = workbook(
        [
            row(producer, plot, ticket_number=1234),  # Excel number -> ticket "1234"
            row(
                producer,
                plot_name=f"  {plot.name.upper()} ",  # names match ignoring case and spaces
                ticket_number="T-2",
                product_form="cherry",
                gross_kg=1000,
                tare_kg=None,
                moisture_pct=None,
                price_per_kg=None,
            ),
        ]
    )

    created = import_deliveries(db_session, org.id, None, data)

    assert [d.ticket_number for d in created] == ["1234", "T-2"]
    assert [d.net_kg for d in created] == [Decimal("500.000"), Decimal("1000.000")]
    assert all(d.plot_id == plot.id and d.producer_id == producer.id for d in created)
    assert counts(db_session) == (before[0] + 2, before[1] + 2, before[2] + 2)
    lots = [services.lot_of_delivery(db_session, d) for d in created]
    assert [lot.product_form for lot in lots] == ["dry_parchment", "cherry"]
    assert all(lot.code.startswith("CAF-2026-") for lot in lots)
    kinds = db_session.scalars(
        select(LedgerEvent.subject_id).where(LedgerEvent.kind == "delivery.registered")
    )
    assert {lot.code for lot in lots} <= set(kinds)


def test_every_bad_row_is_reported_and_nothing_is_written(db_session, org, other_org, farm):
    producer, plot = farm
    neighbour = factories.producer(db_session, org)
    neighbour_plot = factories.plot(db_session, org, neighbour)
    foreign_plot = factories.plot(db_session, other_org, factories.producer(db_session, other_org))
    factories.delivery(db_session, org, producer, plot, ticket_number="OLD-1")
    before = counts(db_session)
    data = workbook(
        [
            row(producer, plot, ticket_number="OK-1"),  # row 2: fine on its own
            row(producer, plot, producer_code="NOBODY"),  # 3
            row(producer, neighbour_plot),  # 4: the neighbour's plot
            row(producer, plot, delivered_on=date(2099, 1, 1)),  # 5
            row(producer, plot, moisture_pct=80),  # 6
            row(producer, plot, gross_kg=20, tare_kg=20),  # 7: net 0
            row(producer, plot, ticket_number="OK-1"),  # 8: repeats row 2
            row(producer, plot, ticket_number="OLD-1"),  # 9: already recorded
            row(producer, plot, gross_kg=None),  # 10: required value missing
            row(producer, foreign_plot),  # 11: another organisation's plot
            row(producer, plot_name="Nowhere"),  # 12
            row(producer, plot, product_form="fresh_fruit"),  # 13: coffee plot
        ]
    )

    with pytest.raises(ImportFailed) as failure, force_locale("en"):
        import_deliveries(db_session, org.id, None, data)

    found = {(e.sheet, e.row, e.column) for e in failure.value.errors}
    assert found == {
        ("Deliveries", 3, "producer_code"),
        ("Deliveries", 4, "plot_id"),
        ("Deliveries", 5, "delivered_on"),
        ("Deliveries", 6, "moisture_pct"),
        ("Deliveries", 7, "tare_kg"),
        ("Deliveries", 8, "ticket_number"),
        ("Deliveries", 9, "ticket_number"),
        ("Deliveries", 10, "gross_kg"),
        ("Deliveries", 11, "plot_id"),
        ("Deliveries", 12, "plot_name"),
        ("Deliveries", 13, "product_form"),
    }
    messages = {e.row: e.message for e in failure.value.errors}
    assert messages[3] == "No such producer."
    assert "another producer" in messages[4]
    assert "OK-1" in messages[8] and "row 2" in messages[8]
    assert "OLD-1" in messages[9] and "already recorded" in messages[9]
    assert "Nowhere" in messages[12]
    assert [e.row for e in failure.value.errors] == sorted(e.row for e in failure.value.errors)
    assert counts(db_session) == before


def test_a_missing_column_refuses_the_whole_file(db_session, org, farm):
    producer, plot = farm
    before = counts(db_session)
    headers = [c for c in DELIVERY_COLUMNS if c != "gross_kg"]
    values = dict(zip(DELIVERY_COLUMNS, row(producer, plot), strict=True))
    data = workbook([[values[c] for c in headers]], headers)

    with pytest.raises(SpreadsheetError) as failure, force_locale("en"):
        import_deliveries(db_session, org.id, None, data)

    assert "gross_kg" in failure.value.message
    assert counts(db_session) == before


def test_a_row_without_any_plot_is_reported(db_session, org, farm):
    producer, _plot = farm
    with pytest.raises(ImportFailed) as failure, force_locale("en"):
        import_deliveries(db_session, org.id, None, workbook([row(producer)]))
    [error] = failure.value.errors
    assert (error.row, error.column) == (2, "plot_id")
    assert "plot_name" in error.message


def test_plot_names_must_be_unambiguous_and_match_the_id(db_session, org, farm):
    producer, plot = farm
    factories.plot(db_session, org, producer, name="Twin")
    factories.plot(db_session, org, producer, name="twin")
    with pytest.raises(ImportFailed) as failure:
        import_deliveries(
            db_session,
            org.id,
            None,
            workbook([row(producer, plot_name="Twin"), row(producer, plot, plot_name="Other")]),
        )
    assert [(e.row, e.column) for e in failure.value.errors] == [
        (2, "plot_name"),
        (3, "plot_name"),
    ]
    # With a plot_id, a plot_name that agrees with it is fine.
    both = row(producer, plot)
    both[DELIVERY_COLUMNS.index("plot_name")] = plot.name.lower()
    [created] = import_deliveries(db_session, org.id, None, workbook([both]))
    assert created.plot_id == plot.id


def test_import_reads_the_register_once_whatever_the_rows(db_session, org, farm, engine):
    """No lookup per row: a season's file (10,000 tickets) must import in seconds."""
    producer, plot = farm
    other = factories.plot(db_session, org, producer, name="Segunda")

    def selects(n: int) -> int:
        rows = [
            row(producer, plot) if i % 2 else row(producer, plot_name=other.name) for i in range(n)
        ]
        data = workbook(rows)
        seen = []

        def count(_conn, _cursor, statement, *_args):
            # Writes are the services' business (one flush per table); reads are ours.
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert len(import_deliveries(db_session, org.id, None, data)) == n
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    assert selects(5) == selects(150)


def test_export_lists_lots_with_their_origins(db_session, org, farm):
    producer, plot = farm
    second_producer = factories.producer(db_session, org)
    second_plot = factories.plot(db_session, org, second_producer, name="Alto Verde")
    factories.agreement(db_session, org, [second_producer])
    d1, lot1 = factories.delivery(db_session, org, producer, plot)  # 500 kg
    d2, lot2 = factories.delivery(
        db_session, org, second_producer, second_plot, gross_kg=Decimal("320"), tare_kg=0
    )
    d3, lot3 = factories.delivery(db_session, org, producer, plot)
    merged = transformations.merge(
        db_session,
        org.id,
        None,
        [(lot1.code, Decimal("200")), (lot2.code, Decimal("300"))],
        date(2026, 6, 5),
    )
    merged_lot = db_session.scalar(select(Lot).where(Lot.transformation_id == merged.id))
    services.void_delivery(db_session, org.id, None, d3.id, "weighed twice")

    data = export_lots(db_session, org.id)

    lots = {r["code"]: r for r in sheet_rows(data, "Lots")}
    assert set(lots) == {lot1.code, lot2.code, lot3.code, merged_lot.code}
    assert lots[lot3.code]["status"] == "voided"
    assert Decimal(str(lots[lot1.code]["available_kg"])) == Decimal("300")
    assert lots[merged_lot.code]["organic_status"] == "organic"
    assert lots[merged_lot.code]["producers"] == ", ".join(
        sorted([producer.member_code, second_producer.member_code])
    )
    origins = sheet_rows(data, "Origins")
    assert {r["lot_code"] for r in origins} == {lot1.code, lot2.code, merged_lot.code}
    merged_origins = {
        r["ticket_number"]: Decimal(str(r["kg"]))
        for r in origins
        if r["lot_code"] == merged_lot.code
    }
    assert merged_origins == {d1.ticket_number: Decimal("200"), d2.ticket_number: Decimal("300")}
    by_plot = {r["plot_name"]: r for r in origins if r["lot_code"] == merged_lot.code}
    assert by_plot["Alto Verde"]["agreement_active"] is True
    assert by_plot["Alto Verde"]["organic_status"] == "organic"


def test_mass_balance_workbook_has_plots_and_totals(db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(
        db_session,
        org,
        producer,
        geometry=None,
        declared_area_ha=Decimal("1"),
        expected_yield_kg_ha=Decimal("1000"),
    )
    factories.delivery(db_session, org, producer, plot, gross_kg=Decimal("1300"), tare_kg=0)

    data = mass_balance_workbook(mass_balance(db_session, org.id, "2026"))

    [line] = sheet_rows(data, "Mass balance")
    assert line["plot"] == plot.name and line["flag"] == "over"
    assert Decimal(str(line["dry_parchment_kg"])) == Decimal("1300")
    assert Decimal(str(line["ratio_pct"])) == Decimal("130")
    [total] = sheet_rows(data, "Totals")
    assert (total["crop"], total["plots_over"]) == ("coffee", 1)


def test_module_exports_the_import_error_of_the_registry():
    from coopchain.farms.registry_xlsx import ImportFailed as RegistryImportFailed

    assert lots_xlsx.ImportFailed is RegistryImportFailed
