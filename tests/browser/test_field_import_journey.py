"""Importing plots from a KoboToolbox export in a real browser (issue 17 §1), at a desktop and
a phone (360 px) width: upload the .xlsx, fix the column the guess missed in the mapping step,
see every plot on the preview map and the problems go away, import, and find the plots.

Tile requests are refused (a collection centre without network): the preview must still draw.
"""

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.fieldtools import exports as ex

pytestmark = pytest.mark.browser

WIDTHS = [1366, 360]
#: The plot name sits in a column whose name the guess does not recognise.
HEADERS = ["start", "datos/codigo_socio", "datos/lote_ref", "datos/cultivo", "datos/linderos"]
HEADERS += ["_id", "_uuid", "_submission_time"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def kobo_export(width: int, numbers=(1, 2, 3)) -> bytes:
    """One form per width (its own extra question), so each run starts with no saved mapping."""
    rows = [
        [
            *ex.kobo_row(
                i,
                ex.odk(ex.ring(lon=-77.30 - i * 0.01, lat=-5.90 - width * 0.0001)),
                member=f"CAF-{i:04d}",
                name=f"Lindero {width}-{i}",
                uuid=f"5e1f0000-0000-4000-8000-{width:06d}{i:06d}",
            ),
            "si",
        ]
        for i in numbers
    ]
    return ex.kobo_xlsx(rows, [*HEADERS, f"datos/sombra_{width}"])


def upload(page, data: bytes) -> None:
    page.goto("/plots/import")
    page.select_option("select[name=format]", "kobo")
    page.set_input_files(
        "input[name=file]", {"name": "linderos.xlsx", "mimeType": XLSX, "buffer": data}
    )
    with page.expect_navigation():
        page.click("#field-upload-form button[type=submit]")
    assert urlparse(page.url).path.startswith("/plots/import/")


def no_sideways_scroll(page, width: int) -> None:
    overflow = page.evaluate("document.scrollingElement.scrollWidth")
    assert overflow <= width, f"page is {overflow} px wide at {width} px"


@pytest.mark.parametrize("width", WIDTHS)
def test_import_a_kobo_export_through_mapping_and_map_preview(
    new_page, log_in, results_dir, dialogs, width
):
    page = new_page(viewport={"width": width, "height": 900 if width > 600 else 780})
    page.route(re.compile(r"^https?://[^/]*tile\.openstreetmap\.org/"), lambda r: r.abort())
    log_in(page)
    page.goto("/lang/en?next=/registry/import")
    expect(page.locator("a[href='/plots/import']")).to_be_visible()
    upload(page, kobo_export(width))

    # The guess found producer, crop and boundary, but not the name: every row says so.
    expect(page.locator("#mapping-source")).to_contain_text("Guessed")
    expect(page.locator("select[name=geometry_column]")).to_have_value("datos/linderos")
    problems = page.locator("#import-problems tbody tr")
    expect(problems).to_have_count(3)
    expect(problems.first).to_contain_text("The plot has no name.")
    expect(page.locator("#import-button")).to_have_count(0)
    expect(page.locator("#field-import-map")).to_have_attribute("data-drawn", "3")

    page.select_option("select[name=name_column]", "datos/lote_ref")
    with page.expect_navigation():
        page.click("button[value=preview]")
    expect(page.locator("#import-problems")).to_have_count(0)
    expect(page.locator("#mapping-source")).to_contain_text("Your mapping")
    expect(page.locator("#matched-producers tbody tr")).to_have_count(3)
    expect(page.locator("#field-import-map path[data-status=new]")).to_have_count(3)
    expect(page.locator(".map-notice.warn")).to_contain_text("tiles are unavailable")
    no_sideways_scroll(page, width)
    assert_accessible(page)
    page.screenshot(path=str(results_dir / f"field-import-preview-{width}.png"), full_page=True)

    with page.expect_navigation():
        page.click("#import-button")
    assert urlparse(page.url).path == "/map"
    expect(page.locator(".flash.success")).to_contain_text("3 plots imported.")
    plots = page.request.get("/map/plots.geojson").json()["features"]
    names = {f["properties"]["name"] for f in plots}
    assert {f"Lindero {width}-{i}" for i in range(1, 4)} <= names

    # The next export of the same form: the saved mapping, and row 1 left as it was.
    upload(page, kobo_export(width, numbers=(1, 4)))
    expect(page.locator("#mapping-source")).to_contain_text("saved for this form")
    expect(page.locator("#import-summary")).to_contain_text(
        "1 submission was imported before: it is left as it is."
    )
    expect(page.locator("#import-button")).to_have_text("Import 1 plot")
    expect(page.locator("#field-import-map path[data-status=imported_before]")).to_have_count(1)
    assert dialogs == []
