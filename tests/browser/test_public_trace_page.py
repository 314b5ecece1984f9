"""A buyer in Hamburg scans a bag's QR code with a phone: the public page in a real browser at
360 px (issue: public trace pages). The screenshot is kept in test-results/."""

from urllib.parse import urlparse

import pytest

from coopchain.clock import today
from coopchain.demo.calendar import calendar_for
from coopchain.demo.shipments import hamburg_reference

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "en-GB", "device_scale_factor": 2}


def a_bag_page_path(staff_page) -> str:
    """The public page of a bag on the demo's Hamburg shipment, found as staff would: the
    shipment, its lot, the bag list's "public page" link."""
    page = staff_page
    page.goto(f"/shipments/{hamburg_reference(calendar_for(today()).harvest_year)}")
    page.locator("table.shipment-lots td.code a").first.click()
    link = page.locator("section#bags a[href^='/b/']").first
    path = link.get_attribute("href")
    assert path and path.startswith("/b/")
    return path


def test_bag_page_on_a_phone_makes_no_outside_request_and_fits_360px(
    staff_page, new_page, live_server, results_dir
):
    path = a_bag_page_path(staff_page)
    phone = new_page(**PHONE)
    requested: list[str] = []
    phone.on("request", lambda request: requested.append(request.url))
    console_errors: list[str] = []
    phone.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    response = phone.goto(path)
    assert response.status == 200
    phone.wait_for_load_state("networkidle")
    phone.screenshot(path=str(results_dir / "public-bag-page-360.png"), full_page=True)

    # One document and nothing else: no CDN, no map tiles, no fonts, not even a favicon.
    own = urlparse(live_server).netloc
    assert requested, "the page was not requested"
    assert all(urlparse(url).netloc == own for url in requested if url.startswith("http")), (
        requested
    )
    assert [url for url in requested if url.startswith("http")] == [live_server + path]
    assert console_errors == []  # a CSP violation would show here

    # The buyer's phone prefers English (en-GB): the page answers in English.
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.get_by_role("heading", level=1).count() == 1
    headings = phone.get_by_role("heading", level=2).all_inner_texts()
    assert "Where it comes from" in headings
    assert "Cup quality" in headings
    # The coarse map is an image with a text alternative.
    map_image = phone.locator("figure.map svg[role=img]")
    assert map_image.count() == 1
    assert "kilometre" in map_image.locator("title").text_content()
    # No sideways scrolling at 360 px.
    width = phone.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 360, width
    # Producers without consent are families; the cup score is shown.
    assert phone.locator("ul.plots li").count() >= 1
    assert phone.locator(".score").first.inner_text().strip()


def test_an_unknown_code_gets_a_friendly_page_in_the_phones_language(new_page):
    phone = new_page(**{**PHONE, "locale": "es-PE"})
    response = phone.goto("/b/not-a-real-token-at-all")
    assert response.status == 404
    assert phone.locator("html").get_attribute("lang") == "es"
    assert phone.get_by_role("heading", level=1).inner_text() == "Código no reconocido"
