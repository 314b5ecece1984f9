"""Bag labels: every QR code on the printed PDF must decode to the bag's public URL, and the
label must carry what the person loading a container reads (serial, lot, product, kg, organic
status, organisation), in either layout, safely (a hostile name is just text)."""

import base64
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale

from coopchain.config import load_config
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.lots.bags import create_bags, void_bag
from coopchain.lots.models import Bag
from coopchain.trace import label_sheets as labels_module
from coopchain.trace.label_sheets import (
    InlinePngOnlyFetcher,
    bag_labels,
    labels_pdf,
    live_bags_of_lot,
)
from coopchain.trace.qr import bag_url, qr_png, qr_svg
from tests import factories

#: A base URL with a path and a trailing slash: the QR must hold exactly <base>/b/<token>.
PUBLIC_BASE = "https://trazabilidad.coopam.pe/qr/"
DPI = 150
MM_PER_INCH = Decimal("25.4")
HOSTILE = '<img src="file:///etc/passwd">'


def require_tool(name: str) -> None:
    """Poppler reads the PDFs back. Missing locally: skip; missing in CI (which installs
    poppler-utils): fail, so CI never silently skips these."""
    if shutil.which(name):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is missing, but CI must run the label tests.", pytrace=False)
    pytest.skip(f"{name} not installed (apt-get install poppler-utils)")


@pytest.fixture
def public_app(make_app):
    """The app context of an app whose PUBLIC_BASE_URL is not the default."""
    with make_app(PUBLIC_BASE_URL=PUBLIC_BASE).app_context():
        yield


def expected_url(bag: Bag) -> str:
    return f"https://trazabilidad.coopam.pe/qr/b/{bag.public_token}"


def write(data: bytes, tmp_path: Path, name: str = "labels.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def pdf_text(path: Path, page: int | None = None) -> str:
    require_tool("pdftotext")
    pages = ["-f", str(page), "-l", str(page)] if page else []
    result = subprocess.run(
        ["pdftotext", *pages, str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def page_count(path: Path) -> int:
    require_tool("pdfinfo")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def decode_pages(path: Path, tmp_path: Path) -> list[list]:
    """Every page at 150 dpi (pdftoppm), then every QR code zxing-cpp finds on each."""
    require_tool("pdftoppm")
    import zxingcpp
    from PIL import Image

    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(path), str(prefix)], check=True)
    found = []
    for png in sorted(tmp_path.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1])):
        with Image.open(png) as image:
            found.append(
                [
                    code
                    for code in zxingcpp.read_barcodes(image)
                    if code.format == zxingcpp.BarcodeFormat.QRCode
                ]
            )
    return found


def symbol_mm(code) -> float:
    """Printed width of a decoded QR symbol (finder pattern edge to edge), in mm."""
    width_px = code.position.top_right.x - code.position.top_left.x
    return float(Decimal(width_px) / DPI * MM_PER_INCH)


def flat(text: str) -> str:
    return " ".join(text.split())


# --- the QR helpers ---------------------------------------------------------------------------


def test_bag_url_is_the_public_base_url_without_a_double_slash(public_app):
    assert bag_url("tok_EN-123") == "https://trazabilidad.coopam.pe/qr/b/tok_EN-123"


def test_public_base_url_setting_drops_a_trailing_slash(monkeypatch):
    monkeypatch.setenv("COOPCHAIN_PUBLIC_BASE_URL", "https://trazabilidad.coopam.pe/")
    assert load_config()["PUBLIC_BASE_URL"] == "https://trazabilidad.coopam.pe"
    monkeypatch.delenv("COOPCHAIN_PUBLIC_BASE_URL")
    assert load_config()["PUBLIC_BASE_URL"] == ""  # no default: production must set it


def test_qr_svg_is_self_contained_markup():
    svg = qr_svg("https://trazabilidad.coopam.pe/b/abc")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    # Nothing for a renderer to fetch: no links, no embedded images, no styles.
    for forbidden in ("href", "<image", "<style", "url(", "<?xml"):
        assert forbidden not in svg
    # 4-module quiet zone around a version-3 symbol: 29 + 8 modules across.
    assert 'viewBox="0 0 37 37"' in svg


def test_qr_png_decodes_to_its_data():
    import io

    import zxingcpp
    from PIL import Image

    data = "https://trazabilidad.coopam.pe/b/Z-9_x"
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(data, box_size=4))))
    assert code.text == data


@pytest.mark.parametrize(
    ("length", "modules"),
    # ISO/IEC 18004 Table 7, byte mode at level M: versions 1–4 hold 14, 26, 42 and 62 bytes;
    # a version-v symbol is 17 + 4v modules across, plus the 4-module quiet zone each side.
    [(14, 21 + 8), (15, 25 + 8), (26, 25 + 8), (27, 29 + 8), (42, 29 + 8), (43, 33 + 8)],
)
def test_qr_png_is_the_smallest_symbol_at_level_m_with_its_quiet_zone(length, modules):
    import io

    import zxingcpp
    from PIL import Image

    data = ("https://t.pe/b/" + "x9_-" * 20)[:length]  # lower case: byte mode
    image = Image.open(io.BytesIO(qr_png(data, box_size=3))).convert("L")

    assert image.size == (modules * 3, modules * 3)
    (code,) = zxingcpp.read_barcodes(image)
    assert (code.text, code.ec_level) == (data, "M")
    # The quiet zone is white and the symbol starts after it: its finder's dark corner.
    quiet = 4 * 3
    assert image.crop((0, 0, modules * 3, quiet)).getextrema() == (255, 255)
    assert image.crop((0, 0, quiet, modules * 3)).getextrema() == (255, 255)
    assert image.getpixel((quiet, quiet)) == 0


def test_qr_png_modules_are_sharp_squares():
    """Scaled up without smoothing: each module is box_size × box_size pixels of one colour."""
    import io

    from PIL import Image

    small = Image.open(io.BytesIO(qr_png("https://t.pe/b/abc", box_size=1))).convert("L")
    large = Image.open(io.BytesIO(qr_png("https://t.pe/b/abc", box_size=5))).convert("L")

    assert set(small.getdata()) == {0, 255}
    assert large.size == (small.width * 5, small.height * 5)
    for y in range(large.height):
        for x in range(large.width):
            assert large.getpixel((x, y)) == small.getpixel((x // 5, y // 5))


def test_the_label_fetcher_serves_inline_pngs_and_refuses_everything_else():
    fetcher = InlinePngOnlyFetcher()
    png = qr_png("x", box_size=1)

    served = fetcher.fetch("data:image/png;base64," + base64.b64encode(png).decode())
    assert served.read() == png

    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:5000/static/logo.png",
        "https://evil.example/x.png",
        "data:text/html;base64,PGgxPmhpPC9oMT4=",
        "data:image/png;base64,not base64!",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


# --- the label data ---------------------------------------------------------------------------


def test_bag_labels_are_plain_data_per_bag(db_session, org, green_lot, public_app):
    bags = create_bags(db_session, org.id, None, green_lot.code, 2)

    labels = bag_labels(db_session, org.id, bags)

    assert [label["serial"] for label in labels] == [bag.serial for bag in bags]
    first = labels[0]
    assert first["url"] == expected_url(bags[0])
    assert first["lot_code"] == green_lot.code
    assert (first["crop"], first["product_form"]) == ("coffee", "green")
    assert first["net_kg"] == Decimal("69")
    assert first["organic_claim"] == "organic_not_certified"  # organic, but no certificate
    assert first["organization_name"] == org.name
    assert first["qr_png"].startswith("data:image/png;base64,")


def test_the_organic_claim_is_judged_once_per_lot_not_per_bag(
    db_session, org, farm, green_lot, monkeypatch
):
    producer, _plot = farm
    conventional_plot = factories.plot(db_session, org, producer, organic_conversion_start=None)
    _delivery, conventional_lot = factories.delivery(
        db_session, org, producer, conventional_plot, product_form="green"
    )
    bags = create_bags(db_session, org.id, None, green_lot.code, 7)
    bags += create_bags(db_session, org.id, None, conventional_lot.code, 5)
    calls = []
    real = labels_module.check_lot
    monkeypatch.setattr(
        labels_module,
        "check_lot",
        lambda session, org_id, code: calls.append(code) or real(session, org_id, code),
    )

    labels = bag_labels(db_session, org.id, bags)

    assert sorted(calls) == sorted({green_lot.code, conventional_lot.code})
    assert [label["organic_claim"] for label in labels] == ["organic_not_certified"] * 7 + [
        "conventional"
    ] * 5


def test_voided_and_foreign_bags_get_no_label(db_session, org, other_org, green_lot):
    bags = create_bags(db_session, org.id, None, green_lot.code, 2)
    void_bag(db_session, org.id, None, bags[1].serial, "torn")

    with pytest.raises(Conflict):
        bag_labels(db_session, org.id, bags)
    with pytest.raises(NotFound):
        bag_labels(db_session, other_org.id, bags[:1])


def test_live_bags_of_lot_leave_out_voided_bags_and_refuse_other_organisations(
    db_session, org, other_org, green_lot
):
    bags = create_bags(db_session, org.id, None, green_lot.code, 3)
    void_bag(db_session, org.id, None, bags[0].serial, "torn")

    assert live_bags_of_lot(db_session, org.id, green_lot.code) == bags[1:]
    with pytest.raises(NotFound):
        live_bags_of_lot(db_session, other_org.id, green_lot.code)


def test_a_lot_without_bags_has_nothing_to_label(db_session, org, green_lot):
    with pytest.raises(NotFound) as refused:
        live_bags_of_lot(db_session, org.id, green_lot.code)
    assert green_lot.code in refused.value.message  # says which lot, not just "not found"


def test_an_unknown_layout_is_refused(db_session, org, green_lot):
    bags = create_bags(db_session, org.id, None, green_lot.code, 1)
    with pytest.raises(DomainError) as refused:
        labels_pdf(db_session, org.id, bags, "poster")
    assert "poster" in refused.value.message
    assert list(refused.value.fields) == ["layout"]


# --- the PDFs, read back as a person and a scanner would --------------------------------------


def test_sheet_qr_codes_decode_to_each_bags_exact_url(
    db_session, org, green_lot, public_app, tmp_path
):
    bags = create_bags(db_session, org.id, None, green_lot.code, 9)

    path = write(labels_pdf(db_session, org.id, bags, "sheet"), tmp_path)

    assert page_count(path) == 2  # 8 labels per A4 page, then 1
    pages = decode_pages(path, tmp_path)
    assert [len(codes) for codes in pages] == [8, 1]
    decoded = [code.text for codes in pages for code in codes]
    assert sorted(decoded) == sorted(expected_url(bag) for bag in bags)
    assert min(symbol_mm(code) for codes in pages for code in codes) >= 30
    text = pdf_text(path)
    for bag in bags:
        assert bag.serial in text
    assert green_lot.code in text
    assert "69 kg" in text


def test_single_labels_are_one_100_by_150_mm_page_per_bag(
    db_session, org, green_lot, public_app, tmp_path
):
    bags = create_bags(db_session, org.id, None, green_lot.code, 3, net_kg=Decimal("60.5"))

    path = write(labels_pdf(db_session, org.id, bags, "single"), tmp_path)

    assert page_count(path) == 3
    boxes = subprocess.run(
        ["pdfinfo", "-box", "-f", "1", "-l", "3", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    media = re.findall(r"MediaBox:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", boxes)
    assert len(media) == 3
    for x0, y0, x1, y1 in media:
        width, height = float(x1) - float(x0), float(y1) - float(y0)
        assert width == pytest.approx(283.46, abs=0.05)  # 100 mm
        assert height == pytest.approx(425.20, abs=0.05)  # 150 mm
    pages = decode_pages(path, tmp_path)
    for bag, codes, number in zip(bags, pages, range(1, 4), strict=True):
        (code,) = codes
        assert code.text == expected_url(bag)
        assert symbol_mm(code) >= 50
        text = pdf_text(path, page=number)
        assert bag.serial in text
        assert green_lot.code in text
        assert "60.5 kg" in text  # as Peru writes it (es_PE)


def test_labels_are_bilingual_whatever_the_language(db_session, org, green_lot, tmp_path):
    bags = create_bags(db_session, org.id, None, green_lot.code, 1)

    spanish = flat(pdf_text(write(labels_pdf(db_session, org.id, bags, "single"), tmp_path)))
    with force_locale("en"):
        data = labels_pdf(db_session, org.id, bags, "single")
    english = flat(pdf_text(write(data, tmp_path, "en.pdf")))

    for text in (spanish, english):
        for words in (
            "Product of Peru / Producto del Perú",
            "Net weight / Peso neto",
            "Green coffee / Café verde",
            "Lot / Lote",
        ):
            assert words in text
        # Organic, but no certificate: the engine does not let the claim hold, so no words.
        assert "ORGANIC" not in text.upper()


def test_a_hostile_organisation_name_is_printed_as_text(db_session, org, green_lot, tmp_path):
    org.name = f"Coop {HOSTILE}"
    db_session.flush()
    bags = create_bags(db_session, org.id, None, green_lot.code, 2)

    for layout in ("sheet", "single"):
        path = write(labels_pdf(db_session, org.id, bags, layout), tmp_path, f"{layout}.pdf")
        assert HOSTILE in flat(pdf_text(path))
        require_tool("pdfimages")
        listing = subprocess.run(
            ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
        ).stdout
        images = listing.strip().splitlines()[2:]  # after the two header lines
        assert len(images) == len(bags), listing  # the QR codes, nothing fetched


# --- routes -----------------------------------------------------------------------------------


def _bags(db_session, org, lot, count=2):
    return create_bags(db_session, org.id, None, lot.code, count)


@pytest.mark.parametrize("role", ["staff", "auditor", "quality"])
def test_lot_labels_page_sends_the_pdf_to_every_reader(
    client, login, db_session, org, green_lot, role
):
    _bags(db_session, org, green_lot, 3)
    login(role)

    response = client.get(f"/lots/{green_lot.code}/labels.pdf?layout=single")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert f"labels-{green_lot.code}-single.pdf" in response.headers["Content-Disposition"]


def test_lot_labels_page_layouts_give_the_expected_page_counts(
    client, login, db_session, org, green_lot, tmp_path
):
    _bags(db_session, org, green_lot, 3)
    login("staff")

    sheet = client.get(f"/lots/{green_lot.code}/labels.pdf")
    single = client.get(f"/lots/{green_lot.code}/labels.pdf?layout=single")

    assert page_count(write(sheet.data, tmp_path, "sheet.pdf")) == 1
    assert page_count(write(single.data, tmp_path, "single.pdf")) == 3


def test_lot_labels_page_refuses_other_organisations_empty_lots_and_bad_layouts(
    client, login, db_session, org, other_org, farm
):
    producer, plot = farm
    _delivery, empty_lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    other_producer = factories.producer(db_session, other_org)
    other_plot = factories.plot(db_session, other_org, other_producer)
    _delivery, foreign_lot = factories.delivery(
        db_session, other_org, other_producer, other_plot, product_form="green"
    )
    _bags(db_session, other_org, foreign_lot)
    login("staff")

    assert client.get(f"/lots/{foreign_lot.code}/labels.pdf").status_code == 404
    empty = client.get(f"/lots/{empty_lot.code}/labels.pdf")
    assert empty.status_code == 404
    assert empty_lot.code in empty.get_data(as_text=True)  # the message names the lot
    _bags(db_session, org, empty_lot, 1)
    assert client.get(f"/lots/{empty_lot.code}/labels.pdf?layout=poster").status_code == 422


def test_api_lot_labels(client, api, db_session, org, other_org, green_lot):
    bags = _bags(db_session, org, green_lot, 2)

    response = client.get(f"/api/v1/lots/{green_lot.code}/labels.pdf", headers=api("auditor"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"

    foreign = client.get(
        f"/api/v1/lots/{green_lot.code}/labels.pdf", headers=api("staff", other_org)
    )
    assert foreign.status_code == 404
    assert foreign.json["error"] == "not_found"

    for bag in bags:
        void_bag(db_session, org.id, None, bag.serial, "torn")
    empty = client.get(f"/api/v1/lots/{green_lot.code}/labels.pdf", headers=api("staff"))
    assert empty.status_code == 404
    assert green_lot.code in empty.json["message"]


def test_openapi_describes_the_labels_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    operation = paths["/api/v1/lots/{code}/labels.pdf"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"code", "layout"}


def test_a_shipments_bags_print_as_labels(client, login, db_session, org, farm, tmp_path):
    from coopchain.shipments import services as shipments

    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    made = create_bags(db_session, org.id, None, lot.code, 3)
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "LBL-1", "crop": "coffee", "buyer_name": "B", "buyer_country": "DE"},
    )
    shipments.allocate(db_session, org.id, None, "LBL-1", serials=[made[0].serial, made[1].serial])
    login("staff")
    response = client.get("/shipments/LBL-1/labels.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(write(response.data, tmp_path))
    assert made[0].serial in text and made[1].serial in text
    assert made[2].serial not in text  # not on the shipment
