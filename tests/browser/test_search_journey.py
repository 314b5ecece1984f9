"""Finding a producer as a clerk does: type "vasquez" (no accent, no capital) in the search
box, on a desktop and on a 360 px phone, and open her page."""

import re
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (360, 780)])
def test_find_a_producer_by_typing_vasquez(new_page, log_in, results_dir, width, height):
    page = log_in(new_page(viewport={"width": width, "height": height}))
    page.goto("/search")
    box = page.locator("form.search-box input[name=q]")
    box.fill("vasquez")
    with page.expect_navigation():
        box.press("Enter")
    group = page.locator('[data-group="producers"]')
    assert group.count() == 1
    names = group.locator("li a").all_inner_texts()
    assert names and all("Vásquez" in name for name in names), names
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(results_dir / f"search-vasquez-{width}.png"), full_page=True)
    first = group.locator("li a").first
    with page.expect_navigation():
        first.click()
    assert re.fullmatch(r"/producers/\d+", urlparse(page.url).path)
    assert "Vásquez" in page.locator("h1").inner_text()
