"""The export office in a real browser: a new shipment, bags allocated, the compliance check,
a certificate issued (an administrator overriding the blocking findings in writing), and an
auditor checking it on the public verify page with the downloaded file (issue: shipments)."""

import re
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.browser


def green_lot_with_room_for_bags(page) -> str:
    """A demo green lot that can still fill export bags (69 kg)."""
    page.goto("/lots?product_form=green&status=available")
    for row in page.locator("table.lots tbody tr").all():
        link = row.locator("td.code a")
        if link.count():
            code = link.inner_text().strip()
            page.goto(f"/lots/{code}")
            if page.locator("details#create-bags").count():
                return code
            page.goto("/lots?product_form=green&status=available")
    pytest.fail("no demo green lot can be bagged")


def test_shipment_to_certificate_to_public_verification(
    admin_page, new_page, tmp_path, results_dir
):
    page = admin_page
    lot = green_lot_with_room_for_bags(page)
    page.click("details#create-bags summary")
    page.fill("#bags-count", "4")
    with page.expect_navigation():
        page.click("details#create-bags button[type=submit]")

    # A new shipment; a wrong container check digit is refused and named, then corrected.
    page.goto("/shipments/new")
    page.fill("#reference", "HH-2026-099")
    page.select_option("#crop", "coffee")
    page.fill("#buyer_name", "Nordkaffee Importe GmbH")
    page.fill("#buyer_country", "DE")
    page.fill("#container_number", "CSQU3054384")
    with page.expect_navigation():
        page.click("#shipment-form button[type=submit]")
    assert "3" in page.inner_text("main") and "ISO 6346" in page.inner_text("main")
    page.fill("#container_number", "CSQU3054383")
    with page.expect_navigation():
        page.click("#shipment-form button[type=submit]")
    assert unquote(urlparse(page.url).path) == "/shipments/HH-2026-099"

    # Allocate the lot's free bags (ours, and any an earlier test left): 69 kg each.
    page.fill("#lot_codes", lot)
    with page.expect_navigation():
        page.click("form.allocate-form button[type=submit]")
    added = re.search(r"(\d+)\D+\(([\d.,]+) kg\)", page.inner_text("p.flash"))
    count, kg = int(added.group(1)), int(re.sub(r"[.,]", "", added.group(2)))
    assert count >= 4 and kg == 69 * count
    assert lot in page.inner_text("main")

    # The compliance check, then a certificate with a written override if anything blocks.
    page.goto("/shipments/HH-2026-099/compliance")
    findings = page.inner_text("main")
    assert re.search(r"AGR-|ORG-|EUDR-|FOR-|MB-|CUP-|SHP-", findings) or "No findings" in findings
    page.select_option("#language", "en")
    overridden = page.locator("#override_reason").count() > 0
    override = "Agreements renewed in April; SERNANP letter 2026-031."
    if overridden:
        page.fill("#override_reason", override)
    with page.expect_navigation():
        page.click("form.issue-form button[type=submit]")
    number = re.search(r"CC-COOPAM-\d{4}-\d{6}", page.inner_text("main")).group(0)
    with page.expect_download() as download:
        page.click("a[download]")
    pdf = tmp_path / f"{number}.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    verify_href = page.locator("a.hash").get_attribute("href")

    # An auditor, not logged in, checks the file against the registry.
    auditor = new_page()
    auditor.goto(verify_href)
    assert number in auditor.inner_text("main")
    # Issued over blocking findings, the auditor is told so, and why; else a plain VALID.
    if overridden:
        assert auditor.locator(".verdict.overridden").count() == 1
        assert override in auditor.inner_text(".verdict.overridden")
    else:
        assert auditor.locator(".verdict.valid").count() == 1
    auditor.set_input_files("input[name=file]", str(pdf))
    with auditor.expect_navigation():
        auditor.click("form.upload button[type=submit]")
    assert auditor.locator(".verdict.match").count() == 1
    auditor.screenshot(path=str(results_dir / "verify-match.png"), full_page=True)
