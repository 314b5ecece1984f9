"""The packing list a customs broker accepts: every field the issue names is on the PDF (in
English and Spanish) and in the workbook, with gross = net + tare per bag."""

import io
import os
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from coopchain.auth.organization_settings import set_export_settings
from coopchain.errors import DomainError
from coopchain.shipments import services as shipments
from coopchain.shipments.packing import packing_list_context, render_packing_list_pdf
from coopchain.shipments.rules import ico_marks_per_lot
from tests.shipments.conftest import VALID_CONTAINER, bagged_lot, new_shipment
from tests.shipments.test_views import needs_pdftotext

#: Where the pages are kept for a person to look at (set PACKING_PNG_DIR to keep them).
PNG_DIR = os.environ.get("PACKING_PNG_DIR")


@pytest.fixture
def papers(db_session, org, farm):
    producer, plot = farm
    set_export_settings(
        db_session,
        org.id,
        None,
        {
            "ruc": "20512345678",
            "address": "Jr. Los Cafetales 123, Moyobamba, San Martín",
            "bag_tare_kg": Decimal("0.700"),
            "yield_block_pct": Decimal("100"),
        },
    )
    first, _bags = bagged_lot(db_session, org, producer, plot, 5)
    second, _more = bagged_lot(db_session, org, producer, plot, 3)
    shipment = new_shipment(
        db_session,
        org,
        reference="C-2026-BRK",
        buyer_name="Kaffee Import GmbH",
        buyer_address="Am Sandtorkai 1, 20457 Hamburg",
        consignee="Kaffee Import GmbH\nAm Sandtorkai 1, 20457 Hamburg, DE",
        notify_party="Hamburg Port Logistics KG\nKehrwieder 2, 20457 Hamburg",
        marks_and_numbers="KIG / ALTO MAYO ORGANIC / 1-8",
        container_number=VALID_CONTAINER,
        seal_number="SL-77120",
        vessel="MSC Lima V.123",
        bill_of_lading="MEDU1234567",
        port_of_loading="Paita",
        port_of_destination="Hamburg",
        ico_marks="32/1234/0015",
        tare_per_bag_kg="0.850",
    )
    shipments.allocate(
        db_session, org.id, None, shipment.reference, lot_codes=[first.code, second.code]
    )
    return shipment, first, second


def test_the_context_carries_every_field_and_the_gross_weight(db_session, org, papers):
    shipment, first, second = papers
    context = packing_list_context(db_session, org.id, shipment.reference)
    assert context["shipper"]["ruc"] == "20512345678"
    assert "Moyobamba" in context["shipper"]["address"]
    assert context["consignee"].startswith("Kaffee Import GmbH")
    assert context["notify_party"].startswith("Hamburg Port Logistics")
    assert context["hs_code"] == "0901.11"
    assert context["tare_per_bag_kg"] == Decimal("0.850")
    lines = {line["lot_code"]: line for line in context["lines"]}
    assert lines[first.code]["ico_mark"] == "32/1234/0015"
    assert lines[second.code]["ico_mark"] == "32/1234/0016"
    assert lines[first.code]["gross_kg"] == Decimal("345") + Decimal("4.250")
    assert context["total_net_kg"] == Decimal("552")
    assert context["total_gross_kg"] == Decimal("552") + Decimal("6.800")


def test_without_its_own_tare_a_shipment_takes_the_organisations(db_session, org, papers):
    shipment, _first, _second = papers
    shipments.update_shipment(
        db_session, org.id, None, shipment.reference, {"tare_per_bag_kg": None}
    )
    context = packing_list_context(db_session, org.id, shipment.reference)
    assert context["tare_per_bag_kg"] == Decimal("0.700")
    assert context["total_gross_kg"] == Decimal("552") + Decimal("5.600")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"hs_code": "coffee"}, "hs_code"),
        ({"tare_per_bag_kg": "-1"}, "tare_per_bag_kg"),
        ({"tare_per_bag_kg": "0.0001"}, "tare_per_bag_kg"),
        ({"consignee": "x" * 501}, "consignee"),
    ],
)
def test_a_bad_packing_field_is_named(db_session, org, papers, fields, named):
    shipment, _first, _second = papers
    with pytest.raises(DomainError) as caught:
        shipments.update_shipment(db_session, org.id, None, shipment.reference, fields)
    assert named in caught.value.fields


def test_bad_export_settings_are_named_and_nothing_changes(db_session, org):
    with pytest.raises(DomainError) as caught:
        set_export_settings(
            db_session,
            org.id,
            None,
            {"ruc": "2051234", "address": "", "bag_tare_kg": "x", "yield_block_pct": "0"},
        )
    assert set(caught.value.fields) == {"ruc", "bag_tare_kg", "yield_block_pct"}
    assert org.ruc is None and org.yield_block_pct == Decimal("100")


def test_ico_marks_follow_the_first_serial():
    assert ico_marks_per_lot("32/1234/0099", 2) == ["32/1234/0099", "32/1234/0100"]
    assert ico_marks_per_lot(None, 2) == [None, None]


@needs_pdftotext
def test_every_field_is_on_the_pdf_in_english_and_spanish(db_session, org, papers, tmp_path):
    shipment, first, second = papers
    pdf = render_packing_list_pdf(packing_list_context(db_session, org.id, shipment.reference))
    path = tmp_path / "packing.pdf"
    path.write_bytes(pdf)
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    if PNG_DIR:  # before the checks, so a failing page can be looked at
        subprocess.run(
            ["pdftoppm", "-r", "80", "-png", str(path), os.path.join(PNG_DIR, "packing")],
            check=True,
        )
    for shown in (
        "Packing list C-2026-BRK",
        "Lista de empaque C-2026-BRK",
        "Product of Peru / Producto del Perú",
        "Shipper / exporter",
        "Embarcador / exportador",
        "20512345678",
        "Jr. Los Cafetales 123",
        "Consignee",
        "Consignatario",
        "Kaffee Import GmbH",
        "Notify party",
        "Notificar a",
        "Hamburg Port Logistics KG",
        "Marks and numbers",
        "Marcas y números",
        "KIG / ALTO MAYO ORGANIC / 1-8",
        "ICO mark",
        "Marca OIC",
        "32/1234/0015",
        "32/1234/0016",
        "HS code",
        "Partida arancelaria",
        "0901.11",
        "Bags",
        "Sacos",
        "Net",
        "netos",
        "Gross",
        "brutos",
        "Total gross weight",
        "Peso bruto total",
        "552",
        "558.8",
        "Container",
        "Contenedor",
        VALID_CONTAINER,
        "Seal",
        "Precinto",
        "SL-77120",
        "Vessel",
        "Nave",
        "MSC Lima V.123",
        "Bill of lading",
        "Conocimiento de embarque",
        "MEDU1234567",
        first.code,
        second.code,
    ):
        assert shown.casefold() in text.casefold(), shown  # party labels print in capitals


def test_the_workbook_has_shipper_marks_and_gross(client, login, papers):
    shipment, first, _second = papers
    login("auditor")
    book = load_workbook(
        io.BytesIO(client.get(f"/shipments/{shipment.reference}/packing-list.xlsx").data)
    )
    header = {row[0]: row[1] for row in book["Shipment"].iter_rows(min_row=2, values_only=True)}
    assert header["shipper_ruc"] == "20512345678"
    assert header["notify_party"].startswith("Hamburg Port Logistics")
    assert header["hs_code_as_printed"] == "0901.11"
    assert float(header["total_gross_kg"]) == pytest.approx(558.8)
    rows = list(book["Lots"].iter_rows(values_only=True))
    by_code = {row[0]: row for row in rows[1:]}
    assert rows[0][9:12] == ("ico_mark", "tare_kg", "gross_kg")
    assert by_code[first.code][9] == "32/1234/0015"


def test_an_admin_sets_the_shipper_and_thresholds_on_the_settings_page(
    client, login, db_session, org
):
    login("admin")
    assert client.get("/settings/export").status_code == 200
    bad = client.post(
        "/settings/export",
        data={"ruc": "123", "address": "", "bag_tare_kg": "0.7", "yield_block_pct": "100"},
    )
    assert bad.status_code == 422 and "11" in bad.text
    db_session.refresh(org)
    assert org.ruc is None
    ok = client.post(
        "/settings/export",
        data={
            "ruc": "20512345678",
            "address": "Jr. Los Cafetales 123",
            "bag_tare_kg": "0.65",
            "yield_block_pct": "150",
        },
    )
    assert ok.status_code == 302
    db_session.refresh(org)
    assert (org.ruc, org.bag_tare_kg, org.yield_block_pct) == (
        "20512345678",
        Decimal("0.65"),
        Decimal("150"),
    )
