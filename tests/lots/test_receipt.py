"""The intake receipt: a plain-dict context, then a self-contained 80 mm PDF."""

import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale

from coopchain.errors import NotFound
from coopchain.lots import services
from coopchain.lots.receipt import receipt_context, render_receipt_pdf
from coopchain.pdf import RefuseAllFetcher
from tests import factories

#: CI installs poppler-utils (.ci/run), so there these tests always run.
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None and not os.environ.get("CI"),
    reason="pdftotext (Debian poppler-utils) not installed",
)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.fixture
def ticket(db_session, org, farm):
    producer, plot = farm
    producer.first_name = "José Ángel"
    delivery, lot = factories.delivery(
        db_session,
        org,
        producer,
        plot,
        ticket_number="B-000417",
        gross_kg=Decimal("520.75"),
        tare_kg=Decimal("33.5"),
        moisture_pct=Decimal("12.5"),
        price_per_kg=Decimal("14.35"),
        delivered_on=date(2026, 6, 10),
    )
    return delivery, lot, producer, plot


def test_context_is_plain_data_with_the_total_to_the_cent(db_session, org, ticket):
    delivery, lot, producer, plot = ticket

    context = receipt_context(db_session, org.id, delivery.id)

    assert context["ticket_number"] == "B-000417"
    assert context["organization_code"] == "COOPAM"
    assert (context["producer_code"], context["producer_name"]) == (
        producer.member_code,
        producer.full_name,
    )
    assert context["plot_name"] == plot.name
    assert (context["gross_kg"], context["tare_kg"], context["net_kg"]) == (
        Decimal("520.750"),
        Decimal("33.500"),
        Decimal("487.250"),
    )
    assert context["total_price"] == Decimal("6992.04")  # 487.25 × 14.35 = 6992.0375
    assert context["currency"] == "PEN"
    assert context["lot_code"] == lot.code
    assert context["organic_status"] == "organic"
    assert context["voided"] is False
    plain = (str, int, bool, Decimal, date, type(None))
    assert all(isinstance(v, plain) for v in context.values())


def test_another_organisations_delivery_is_not_found(db_session, other_org, ticket):
    delivery = ticket[0]
    with pytest.raises(NotFound):
        receipt_context(db_session, other_org.id, delivery.id)


def test_in_conversion_plot_gives_an_in_conversion_receipt(db_session, org, farm):
    producer, _plot = farm
    young = factories.plot(db_session, org, producer, organic_conversion_start=date(2025, 2, 1))
    delivery, _lot = factories.delivery(db_session, org, producer, young)
    assert receipt_context(db_session, org.id, delivery.id)["organic_status"] == "in_conversion"


def test_receipt_is_a_pdf(db_session, org, ticket):
    context = receipt_context(db_session, org.id, ticket[0].id)
    assert render_receipt_pdf(context).startswith(b"%PDF")


@needs_pdftotext
def test_receipt_fits_one_page_of_an_80mm_roll(db_session, org, ticket, tmp_path):
    path = tmp_path / "receipt.pdf"
    path.write_bytes(render_receipt_pdf(receipt_context(db_session, org.id, ticket[0].id)))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    # 80 mm = 226.77 pt: as wide as a thermal roll, and everything on one page.
    fields = dict(line.split(":", 1) for line in info.stdout.splitlines() if ":" in line)
    width, _x, _height, _unit = fields["Page size"].split()
    assert round(float(width), 1) == 226.8
    assert fields["Pages"].strip() == "1"


@needs_pdftotext
def test_receipt_text_in_spanish_shows_ticket_net_and_accents(db_session, org, ticket, tmp_path):
    context = receipt_context(db_session, org.id, ticket[0].id)

    with force_locale("es"):
        text = pdf_text(render_receipt_pdf(context), tmp_path)

    assert "B-000417" in text
    assert "487.25 kg" in text  # as Peru writes it (es_PE), in Spanish too
    assert "José Ángel Huamán" in text
    assert "6992.04 PEN" in text.replace(",", "")
    assert ticket[1].code in text


@needs_pdftotext
def test_receipt_in_english_uses_english_numbers(db_session, org, ticket, tmp_path):
    context = receipt_context(db_session, org.id, ticket[0].id)
    with force_locale("en"):
        text = pdf_text(render_receipt_pdf(context), tmp_path)
    assert "487.25 kg" in text
    assert "Net weight" in text and "10/06/2026" in text


@needs_pdftotext
def test_a_voided_ticket_says_so(db_session, org, ticket, tmp_path):
    services.void_delivery(db_session, org.id, None, ticket[0].id, "báscula descalibrada")
    context = receipt_context(db_session, org.id, ticket[0].id)
    assert context["voided"] is True
    with force_locale("en"):
        text = pdf_text(render_receipt_pdf(context), tmp_path)
    assert "VOIDED" in text and "báscula descalibrada" in text


@needs_pdftotext
def test_text_typed_by_users_cannot_reach_files_or_hosts(db_session, org, ticket, tmp_path):
    context = receipt_context(db_session, org.id, ticket[0].id)
    context["producer_name"] = '<img src="file:///etc/passwd">'
    context["notes"] = "<style>@import url(http://example.org/x.css);</style>"

    text = pdf_text(render_receipt_pdf(context), tmp_path)

    # Escaped by the template, so shown as text; and the fetcher refuses any URL anyway.
    assert "<img" in text and "<style>" in text
    with pytest.raises(ValueError):
        RefuseAllFetcher().fetch("file:///etc/passwd")
    with pytest.raises(ValueError):
        RefuseAllFetcher()("https://example.org/logo.png")
