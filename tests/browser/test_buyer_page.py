"""The buyer's five seconds, in a real browser at 1366 px and 360 px: a bag of the demo's clean
Bremen shipment says where it is from, when, and its EUDR standing before anything else, in the
phone's language. Screenshots are kept in test-results/."""

import re

import pytest

from coopchain.clock import today
from coopchain.demo.calendar import calendar_for
from coopchain.demo.clean_shipment import bremen_reference

pytestmark = pytest.mark.browser

SCREENS = {
    1366: {"viewport": {"width": 1366, "height": 800}},
    360: {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "has_touch": True},
}


def clean_bag_path(staff_page) -> str:
    """A bag of the clean, certified shipment, found as staff would: the shipment, its lot,
    the bag list's public-page link."""
    page = staff_page
    page.goto(f"/shipments/{bremen_reference(calendar_for(today()).harvest_year)}")
    page.locator("table.shipment-lots td.code a").first.click()
    path = page.locator("section#bags a[href^='/b/']").first.get_attribute("href")
    assert path and path.startswith("/b/")
    return path


@pytest.mark.parametrize(("width", "locale"), [(1366, "en-GB"), (360, "es-PE")])
def test_where_when_and_eudr_come_first(
    staff_page, new_page, live_server, results_dir, width, locale
):
    path = clean_bag_path(staff_page)
    buyer = new_page(**SCREENS[width], locale=locale)
    requested: list[str] = []
    buyer.on("request", lambda request: requested.append(request.url))

    assert buyer.goto(path).status == 200
    buyer.wait_for_load_state("networkidle")
    buyer.screenshot(path=str(results_dir / f"buyer-bag-page-{width}.png"), full_page=True)

    line = " ".join(buyer.locator("p.origin-line").inner_text().split())
    eudr = " ".join(buyer.locator("p.eudr").inner_text().split())
    if locale == "en-GB":
        assert re.match(
            r"Alto Mayo, San Martín, Peru — grown by \d+ families under conservation agreements",
            line,
        ), line
        assert eudr.startswith("EUDR · Deforestation-free: no forest loss after 31 December 2020")
        assert buyer.get_by_text("Processed").count() == 1
    else:
        assert re.match(
            r"Alto Mayo, San Martín, Perú — cultivado por \d+ familias "
            r"con acuerdos de conservación",
            line,
        ), line
        assert eudr.startswith("EUDR · Libre de deforestación")
    # Both within the first screen, before the product and the lot codes.
    for locator in (buyer.locator("p.origin-line"), buyer.locator("p.eudr")):
        box = locator.bounding_box()
        assert box and box["y"] + box["height"] <= SCREENS[width]["viewport"]["height"]
    assert buyer.locator("a.verify").count() == 1  # the shipment's certificate to check
    assert buyer.evaluate("document.scrollingElement.scrollWidth") <= width
    # Still one document from this server and nothing else.
    assert [url for url in requested if url.startswith("http")] == [live_server + path]
