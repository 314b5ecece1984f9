"""The clerk's intake on the demo data, at a desk (1366 px) and on a phone (360 px): the ticket
number is suggested, the producer is found by the full name said at the counter, the plot
with forest loss and in conversion raises the warnings before saving, and the delivery is saved
anyway with them on record. Then the merge page's live total, the audit trail in words and the
shipment's download buttons."""

import re
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

SIZES = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 360, "height": 780}}


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_intake_warnings_then_saved_anyway(new_page, log_in, results_dir, size):
    page = log_in(new_page(viewport=SIZES[size]))
    page.goto("/deliveries/new")
    ticket = page.input_value("input[name=ticket_number]")
    assert re.fullmatch(r"[A-Z]-\d{5}", ticket), ticket  # the next of the demo's C-/P- series
    label = page.eval_on_selector(
        "#producer-options", "d => [...d.options].find(o => o.value === 'CAF-0001').textContent"
    )
    name = label.split(" — ", 1)[1]
    page.fill("input[name=producer_code]", name.lower())  # as said at the counter
    page.locator("input[name=producer_code]").dispatch_event("change")
    page.wait_for_selector('#plot_id option[value]:not([value=""])', state="attached")
    plot = page.eval_on_selector(
        "#plot_id", "s => [...s.options].find(o => o.text.includes('conversión')).value"
    )
    page.select_option("#plot_id", plot)
    page.select_option("#product_form", "dry_parchment")
    page.fill("input[name=gross_kg]", "46")
    page.fill("input[name=tare_kg]", "0,5")
    with page.expect_navigation():
        page.click("#delivery-form button[type=submit]")

    box = page.locator("#intake-warnings")
    assert box.is_visible()
    codes = box.locator("li").evaluate_all("items => items.map(i => i.dataset.code)")
    assert "FOR-LOSS" in codes and "ORG-ORIGIN" in codes, codes
    assert "pérdida de bosque" in box.inner_text()
    assert page.input_value("input[name=producer_code]").lower() == name.lower()
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(results_dir / f"intake-warnings-{size}.png"), full_page=True)

    page.check("#save_anyway")
    with page.expect_navigation():
        page.click("#delivery-form button[type=submit]")
    assert re.match(r"^/deliveries/\d+$", urlparse(page.url).path), page.url
    main = page.inner_text("main")
    assert ticket in main and "Advertencias confirmadas en el acopio" in main
    assert "FOR-LOSS" in main and "ORG-ORIGIN" in main
    page.screenshot(path=str(results_dir / f"intake-saved-anyway-{size}.png"), full_page=True)

    page.goto("/ledger?kind=delivery.registered")
    first = page.locator("table.ledger-events tbody tr").first
    assert "Entrega registrada" in first.inner_text() and "Luis Tapia" in first.inner_text()
    page.screenshot(path=str(results_dir / f"ledger-filtered-{size}.png"), full_page=False)


def test_the_merge_total_follows_the_ticks(staff_page, results_dir):
    page = staff_page
    page.goto("/lots/merge?product_form=dry_parchment")
    rows = page.locator("form.merge-form tr[data-available]")
    assert rows.count() >= 2
    assert page.inner_text("#merge-total") == "0 kg"
    rows.nth(0).locator("input[type=checkbox]").check()
    rows.nth(1).locator("input[type=checkbox]").check()
    rows.nth(1).locator("input.kg-input").fill("10")
    first = float(rows.nth(0).get_attribute("data-available"))
    expected = round(first + 10) if first + 10 >= 100 else round(first + 10, 1)
    # Read in the page's own locale (es_PE by default: "1,234.5").
    total = page.locator("#merge-total")
    group, decimal = total.get_attribute("data-group"), total.get_attribute("data-decimal")
    shown = total.inner_text().removesuffix(" kg").replace(group, "").replace(decimal, ".")
    assert float(shown) == pytest.approx(expected), shown
    assert page.inner_text("#merge-count") == "2"
    page.screenshot(path=str(results_dir / "merge-total.png"), full_page=False)


def test_the_shipment_page_downloads_with_the_session(new_page, log_in, results_dir):
    page = log_in(new_page(viewport=SIZES["desk"]), "auditor@demo.coop")
    page.goto("/shipments")
    with page.expect_navigation():
        page.locator("main a[href^='/shipments/HH-']").first.click()  # the loaded shipment
    buttons = page.locator("p.downloads a.download")
    hrefs = buttons.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any(h.endswith("/packing-list.pdf") for h in hrefs), hrefs
    page.screenshot(path=str(results_dir / "shipment-downloads.png"), full_page=False)
    geojson = next(h for h in hrefs if h.endswith("/eudr.geojson"))
    response = page.request.get(geojson)  # the auditor's session, no API token
    assert response.status == 200 and response.json()["type"] == "FeatureCollection"
