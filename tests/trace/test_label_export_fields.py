"""Export bag labels: "Product of Peru / Producto del Perú", the lot, the net weight, the ICO
mark of the lot on its shipment, and the organic words only when compliance allows; both layouts
still decode at 150 dpi."""

import os
import subprocess
from datetime import date

import pytest

from coopchain.lots.bags import create_bags
from coopchain.shipments import services as shipments
from coopchain.trace.label_sheets import bag_labels, labels_pdf
from tests.trace import public_fixtures
from tests.trace.public_fixtures import forest_checked, green_lot_of, grower
from tests.trace.test_labels import decode_pages, flat, pdf_text, symbol_mm, write

app = public_fixtures.app
#: Set LABEL_PNG_DIR to keep the pages as PNGs for a person to look at.
PNG_DIR = os.environ.get("LABEL_PNG_DIR")


@pytest.fixture
def shipped_bags(db_session, org):
    """Two lots on one shipment whose ICO mark is 32/1234/0015: a certified organic lot
    (4 bags) and a lot from a plot without a certificate (1 bag)."""
    producer, plot = grower(
        db_session, org, certifier="Control Union Perú", valid_until=date(2030, 12, 31)
    )
    forest_checked(db_session, org, plot)
    certified = green_lot_of(db_session, org, producer, plot)
    other_producer, other_plot = grower(db_session, org, certifier=None)
    forest_checked(db_session, org, other_plot)
    uncertified = green_lot_of(db_session, org, other_producer, other_plot)
    good = create_bags(db_session, org.id, None, certified.code, 4)
    plain = create_bags(db_session, org.id, None, uncertified.code, 1)
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": "C-LBL-1",
            "crop": "coffee",
            "buyer_name": "B",
            "buyer_country": "DE",
            "ico_marks": "32/1234/0015",
        },
    )
    shipments.allocate(
        db_session, org.id, None, "C-LBL-1", lot_codes=[certified.code, uncertified.code]
    )
    return certified, uncertified, good, plain


def test_the_label_data_carries_the_ico_mark_and_the_organic_verdict(db_session, org, shipped_bags):
    certified, uncertified, good, plain = shipped_bags
    labels = bag_labels(db_session, org.id, [good[0], plain[0]])
    first, second = labels
    # Lots take the shipment's marks in packing-list order (by lot code).
    ordered = sorted([certified.code, uncertified.code])
    expected = dict(zip(ordered, ["32/1234/0015", "32/1234/0016"], strict=True))
    assert first["ico_mark"] == expected[certified.code]
    assert second["ico_mark"] == expected[uncertified.code]
    assert first["organic"] is True and first["certifiers"]
    assert second["organic"] is False and second["certifiers"] == []


@pytest.mark.parametrize("layout", ["sheet", "single"])
def test_both_layouts_print_every_field_and_still_decode(
    db_session, org, shipped_bags, layout, tmp_path
):
    certified, uncertified, good, plain = shipped_bags
    bags = [*good, *plain]
    path = write(labels_pdf(db_session, org.id, bags, layout), tmp_path, f"{layout}.pdf")
    if PNG_DIR:
        subprocess.run(
            ["pdftoppm", "-r", "80", "-png", str(path), os.path.join(PNG_DIR, f"label-{layout}")],
            check=True,
        )
    pages = decode_pages(path, tmp_path)
    decoded = [code for codes in pages for code in codes]
    assert len(decoded) == len(bags)
    assert min(symbol_mm(code) for code in decoded) >= (30 if layout == "sheet" else 50)
    text = flat(pdf_text(path))
    assert text.count("Product of Peru / Producto del Perú") == len(bags)
    assert text.count("ORGANIC · ORGÁNICO") == len(good)  # never on the uncertified bag
    assert "32/1234/0015" in text and "32/1234/0016" in text
    assert "Net weight / Peso neto" in text and "69 kg" in text
    for code in (certified.code, uncertified.code):
        assert code in text
    if layout == "single":
        last = flat(pdf_text(path, page=len(bags)))
        assert uncertified.code in last and "ORGANIC" not in last.upper()
