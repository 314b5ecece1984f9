"""The due diligence statement page as an admin reaches it from the demo's clean export
shipment, on a desktop and on a 360 px phone: it opens, offers its downloads, never scrolls
sideways, and axe finds no serious violation; the EU settings page likewise."""

import pytest

from coopchain.clock import today
from coopchain.demo.calendar import calendar_for
from coopchain.demo.clean_shipment import bremen_reference
from tests.browser.axe import axe_violations, describe
from tests.browser.test_look_and_access import DESKTOP, PHONE, sideways_overflow

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "360"])
def test_the_dds_page_works_on_a_phone(new_page, log_in, results_dir, viewport):
    page = log_in(new_page(**viewport), "admin@demo.coop")
    reference = bremen_reference(calendar_for(today()).harvest_year)
    page.goto(f"/shipments/{reference}")
    with page.expect_navigation():
        page.click(f"a[href='/shipments/{reference}/dds']")
    assert page.locator(f"a[href='/shipments/{reference}/dds.xml?part=1']").count() == 1
    assert page.locator(f"a[href='/shipments/{reference}/dds.json']").count() == 1
    width = viewport["viewport"]["width"]
    page.screenshot(path=str(results_dir / f"dds-{width}.png"), full_page=True)
    assert sideways_overflow(page)[0] <= 0, sideways_overflow(page)
    violations = axe_violations(page)
    assert not violations, describe(violations)

    response = page.goto("/settings/eudr")
    assert response.status == 200
    assert sideways_overflow(page)[0] <= 0
    violations = axe_violations(page)
    assert not violations, describe(violations)
