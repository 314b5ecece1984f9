"""A clerk reads the dashboard on the demo data, on a desktop (1366 px) and on a phone (360 px):
intake, stock, lots waiting with links that open them, the shipment in progress with what blocks
it, plots needing attention that the forest and attention pages confirm, and the two charts,
drawn by the server (they are there with JavaScript off). Screenshots kept in test-results/."""

import re
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def test_reading_the_dashboard_on_a_desktop(new_page, log_in, results_dir, dialogs):
    page = log_in(new_page(**DESKTOP))
    page.goto("/lang/en?next=/")

    # Intake today and this week, each with its tickets.
    for name in ("today", "week"):
        card = page.locator(f"[data-intake={name}]")
        assert card.is_visible()
        number(card.locator("[data-figure=tickets]").inner_text())

    # Stock by form and organic status: the demo holds organic dry parchment and green coffee.
    stock = page.locator("table.stock tbody tr")
    assert stock.count() >= 2
    assert page.locator("table.stock tr[data-form=dry_parchment][data-organic=organic]").count()

    # Lots waiting to be processed: the count, and the oldest open from their links.
    waiting = page.locator("[data-waiting=process]")
    assert number(waiting.locator("[data-figure=lots]").inner_text()) > 0
    first = waiting.locator(".lot-links a").first
    code = first.inner_text().strip()
    with page.expect_navigation():
        first.click()
    assert unquote(urlparse(page.url).path) == f"/lots/{code}"
    page.go_back()

    # The demo's shipment in progress shows what blocks it.
    shipment = page.locator("[data-shipment]").first
    assert shipment.locator("a[href^='/shipments/']").count() == 1
    assert shipment.locator(".findings li").count() >= 1 or shipment.locator(".badge.ok").count()

    # Plots needing attention: the forest figure is the forest page's, the total the list's.
    forest_here = number(page.locator("[data-cause=forest] strong").inner_text())
    total = number(page.locator("[data-count=plots_needing_attention]").inner_text())
    page.screenshot(path=str(results_dir / "dashboard-1366.png"), full_page=True)
    page.goto("/forest")
    assert number(page.locator("#attention h2 small").inner_text()) == forest_here
    page.goto("/plots/attention")
    assert page.locator("table.attention tbody tr[data-plot-id]").count() == total
    page.goto("/plots/attention?cause=forest")
    assert page.locator("table.attention tbody tr[data-plot-id]").count() == forest_here
    page.screenshot(path=str(results_dir / "dashboard-attention-1366.png"), full_page=True)

    # The charts: named images with a bar per week and a dot per cupped lot.
    page.goto("/")
    deliveries = page.locator("[data-chart=deliveries] svg[role=img]")
    assert "Deliveries per week" in deliveries.locator("title").first.text_content()
    assert deliveries.locator("rect.bar").count() > 10
    assert page.locator("[data-chart=cupping] svg circle.dot").count() >= 1
    assert dialogs == []


def test_reading_the_dashboard_on_a_phone(new_page, log_in, results_dir):
    page = log_in(new_page(**PHONE))
    page.goto("/lang/en?next=/")

    # The cards stack in one column that fits the screen: nothing scrolls sideways.
    cards = page.locator("main .dash-card").all()
    assert len(cards) >= 6
    for card in cards:
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    lefts = {round(card.bounding_box()["x"]) for card in cards}
    assert len(lefts) == 1, lefts
    assert page.evaluate("document.querySelector('main').scrollWidth") <= 360
    chart = page.locator("[data-chart=deliveries] svg").bounding_box()
    assert chart["width"] <= 360 and chart["height"] > 80
    page.screenshot(path=str(results_dir / "dashboard-360.png"), full_page=True)


def test_the_charts_need_no_javascript(new_page, log_in):
    page = log_in(new_page(java_script_enabled=False, **DESKTOP))
    assert page.locator("[data-chart=deliveries] svg rect.bar").count() > 10
    assert page.locator("[data-chart=cupping] svg circle.dot").count() >= 1
