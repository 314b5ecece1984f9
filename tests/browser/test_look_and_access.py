"""One look across the staff pages (issue: staff's working day, visual design and phone): axe
finds no serious or critical violation on the pages staff and buyers use most, the menu folds
away on a 360 px phone, list tables become cards instead of scrolling sideways, and the style
guide renders every component from the real stylesheet. Screenshots go to test-results/."""

import re

import pytest

from coopchain.clock import today
from coopchain.demo.calendar import calendar_for
from coopchain.demo.shipments import hamburg_reference
from tests.browser.axe import axe_violations, describe

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def shipment_path() -> str:
    return f"/shipments/{hamburg_reference(calendar_for(today()).harvest_year)}"


def first_href(page, selector: str) -> str:
    href = page.locator(selector).first.get_attribute("href")
    assert href, f"no link matches {selector} on {page.url}"
    return href


def staff_paths(page) -> dict[str, str]:
    """The pages axe checks, found as staff would reach them from the demo data."""
    page.goto("/producers")
    producer = first_href(page, "table.list td a[href^='/producers/']")
    producer_id = re.search(r"/producers/(\d+)", producer).group(1)
    page.goto(shipment_path())
    lot = first_href(page, "table.shipment-lots td.code a")
    page.goto(lot)
    bag = first_href(page, "section#bags a[href^='/b/']")
    return {
        "dashboard": "/",
        "producer page": producer,
        "plot form": f"/producers/{producer_id}/plots/new",
        "delivery form": "/deliveries/new",
        "lot page": lot,
        "shipment page": shipment_path(),
        "public bag page": bag,
        "style guide": "/styleguide",
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "360"])
def test_axe_finds_no_serious_violation_on_the_main_pages(new_page, log_in, viewport):
    page = log_in(new_page(**viewport))
    found = []
    for what, path in staff_paths(page).items():
        response = page.goto(path)
        assert response.status == 200, (what, path, response.status)
        violations = axe_violations(page)
        if violations:
            found.append(f"{what} ({path}):\n{describe(violations)}")
        # The page itself never scrolls sideways (a wide table scrolls inside its own box).
        assert sideways_overflow(page)[0] <= 0, (what, path, sideways_overflow(page))
    assert not found, "\n".join(found)


#: The main list pages; each table becomes cards on a phone (members is the admin's).
LIST_PAGES = {
    "producers": "/producers",
    "deliveries": "/deliveries",
    "lots": "/lots",
    "shipments": "/shipments",
    "certificates": "/certificates",
    "members": "/members",
    "ledger": "/ledger",
}


def sideways_overflow(page) -> list:
    """How far the page scrolls sideways, and which scroll regions in main overflow."""
    return page.evaluate(
        """(width) => [document.documentElement.scrollWidth - width,
                  [...document.querySelectorAll("main .scroll")]
                    .filter(e => e.scrollWidth > e.clientWidth + 1)
                    .map(e => e.firstElementChild && e.firstElementChild.className)]""",
        page.viewport_size["width"],  # not innerWidth: a phone zooms out to show an overflow
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_menu_folds_away_on_a_phone_and_opens_with_one_tap(
    new_page, log_in, results_dir, javascript
):
    page = log_in(new_page(**PHONE, java_script_enabled=javascript))
    nav = page.locator("nav.main-nav")
    assert not nav.is_visible()
    # The header no longer takes a quarter of the screen: brand and the menu button (and the
    # search box, once there) in under a fifth of it.
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= PHONE["viewport"]["height"] * 0.2, header
    assert sideways_overflow(page) == [0, []]

    page.click("label.menu-button")
    assert nav.is_visible()
    assert nav.locator("a[aria-current=page]").get_attribute("href") == "/"
    if javascript:
        page.screenshot(path=str(results_dir / "ui-menu-open-360.png"), full_page=True)
    with page.expect_navigation():
        nav.locator("a[href='/producers']").click()
    assert page.url.endswith("/producers")
    assert not page.locator("nav.main-nav").is_visible()  # folded again on the next page


def test_list_tables_become_cards_on_a_phone(new_page, log_in, results_dir):
    page = log_in(new_page(**PHONE), "admin@demo.coop")
    for name, path in LIST_PAGES.items():
        page.goto(path)
        assert sideways_overflow(page) == [0, []], name
        rows = page.locator("main table.cards tbody tr:has(td + td)")
        if name == "certificates" and rows.count() == 0:
            continue  # no certificate issued in this demo: only the empty list to fit
        cells = rows.first.locator("td")
        assert cells.count() >= 2, name
        first, second = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
        assert second["y"] >= first["y"] + first["height"] - 1, f"{name}: cells side by side"
        # Each cell names its column before its value, as the table's header would.
        label = cells.nth(1).evaluate("td => getComputedStyle(td, '::before').content")
        header = page.locator("main table.cards thead th").nth(1).inner_text().strip()
        assert label.strip('"') == header, (name, label, header)
        if name in ("producers", "deliveries", "lots"):
            page.screenshot(path=str(results_dir / f"ui-{name}-360.png"), full_page=True)


def test_lists_stay_tables_on_a_desktop(new_page, log_in, results_dir):
    page = log_in(new_page(**DESKTOP))
    page.goto("/producers")
    cells = page.locator("main table.cards tbody tr").first.locator("td")
    assert cells.nth(0).bounding_box()["y"] == cells.nth(1).bounding_box()["y"]
    assert page.locator("main table.cards thead th").first.is_visible()
    assert page.locator("nav.main-nav a[href='/producers']").is_visible()
    page.screenshot(path=str(results_dir / "ui-producers-1366.png"), full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "360"])
def test_screenshots_of_the_main_pages(new_page, log_in, results_dir, viewport):
    """The dashboard, a form and the style guide at both widths, kept for review."""
    width = viewport["viewport"]["width"]
    page = log_in(new_page(**viewport))
    for name, path in (
        ("dashboard", "/"),
        ("delivery-form", "/deliveries/new"),
        ("styleguide", "/styleguide"),
    ):
        page.goto(path)
        assert sideways_overflow(page) == [0, []], (name, width)
        page.screenshot(path=str(results_dir / f"ui-{name}-{width}.png"), full_page=True)


def test_a_keyboard_user_skips_the_menu_and_sees_the_focus(new_page, log_in):
    page = log_in(new_page(**DESKTOP))
    page.goto("/producers")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert skip.bounding_box()["y"] >= 0  # shown on screen while focused
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The next stop is in the page itself, not one of the twelve menu links.
    assert page.evaluate("() => document.activeElement.closest('main') !== null")
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert ring[0] != "none" and ring[1] >= 2, ring


def test_a_card_cell_without_its_own_label_takes_its_column_header(new_page, log_in):
    """A column another template adds later without data-label still reads "Column: value"."""
    page = log_in(new_page(**PHONE))
    page.goto("/deliveries")
    labels = page.evaluate(
        """() => { const table = document.querySelector("table.cards");
            table.querySelectorAll("td").forEach(td => td.removeAttribute("data-label"));
            labelCardCells(table);
            const row = table.tBodies[0].rows[0];
            return [...row.cells].map(td => getComputedStyle(td, "::before").content); }"""
    )
    headers = page.locator("table.cards thead th").all_inner_texts()
    assert labels == [f'"{h.strip()}"' for h in headers]
