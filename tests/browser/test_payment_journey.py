"""An advance at intake and its receipt, at a desk (1366 px) and on a phone (360 px): the clerk
records a delivery of parchment priced per quintal with an advance paid by Yape, lands on the
payment's page, downloads the 80 mm receipt, and the receipt's public check shows the amount
and the cooperative but no name (issue: paying producers)."""

import re
import subprocess
from urllib.parse import urlparse

import pytest

from tests.browser.axe import axe_violations, describe
from tests.browser.test_look_and_access import sideways_overflow

pytestmark = pytest.mark.browser

SIZES = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 360, "height": 780}}


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_an_advance_at_intake_and_its_receipt(new_page, log_in, results_dir, tmp_path, size):
    page = log_in(new_page(viewport=SIZES[size]))
    page.goto("/deliveries/new")
    page.fill("input[name=producer_code]", "CAF-0002")
    page.locator("input[name=producer_code]").dispatch_event("change")
    page.wait_for_selector('#plot_id option[value]:not([value=""])', state="attached")
    plot = page.eval_on_selector("#plot_id", "s => [...s.options].find(o => o.value).value")
    page.select_option("#plot_id", plot)
    page.select_option("#product_form", "dry_parchment")
    assert page.inner_text("#price-unit") == "por quintal (46 kg)"
    page.fill("input[name=gross_kg]", "92,5")
    page.fill("input[name=tare_kg]", "0,5")
    page.fill("input[name=price_entered]", "690")
    page.fill("input[name=advance_amount]", "500")
    page.select_option("#advance_method", "yape")
    page.fill("input[name=advance_reference]", "987654321")
    page.locator("#advance").scroll_into_view_if_needed()
    page.screenshot(path=str(results_dir / f"payment-intake-form-{size}.png"), full_page=True)
    with page.expect_navigation():
        page.click("#delivery-form button[type=submit]")
    if page.locator("#intake-warnings").count():  # the demo plot may carry warnings
        page.check("#save_anyway")
        with page.expect_navigation():
            page.click("#delivery-form button[type=submit]")

    assert re.match(r"^/payments/PAY-COOPAM-\d{4}-\d{6}$", urlparse(page.url).path), page.url
    number = urlparse(page.url).path.rsplit("/", 1)[1]
    main = page.inner_text("main")
    assert "500.00 PEN" in main and "Yape" in main and "adelanto" in main
    page.screenshot(path=str(results_dir / f"payment-page-{size}.png"), full_page=True)
    assert not axe_violations(page), describe(axe_violations(page))
    assert sideways_overflow(page)[0] <= 0

    with page.expect_download() as download:
        page.click("#receipt-pdf")
    pdf = tmp_path / f"{number}.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if size == "desk":
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "120",
                "-singlefile",
                str(pdf),
                str(results_dir / "payment-receipt"),
            ],
            check=True,
        )

    # The public check, as anyone scanning the receipt's QR code sees it: no login, no name.
    check_path = urlparse(page.locator("a.receipt-url").get_attribute("href")).path
    producer = page.locator(".payment-facts a").first.inner_text()
    public = new_page(viewport=SIZES[size])
    response = public.goto(check_path)
    assert response.status == 200 and "set-cookie" not in response.headers
    text = public.inner_text("main")
    assert "500.00 PEN" in text and number in text and "válido" in text.lower()
    for private in producer.split(" · "):
        assert private not in text
    assert not axe_violations(public), describe(axe_violations(public))
    assert sideways_overflow(public)[0] <= 0
    public.screenshot(path=str(results_dir / f"payment-public-check-{size}.png"), full_page=True)
