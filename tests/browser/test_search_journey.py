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
    box = page.locator("main form.search-box input[name=q]")
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


def test_an_ambiguous_area_is_refused_at_its_field_on_a_phone(new_page, log_in, results_dir):
    """On a 360 px phone: "1,234" ha is refused with both readings, once, under its label."""
    page = log_in(new_page(viewport={"width": 360, "height": 780}, has_touch=True))
    page.goto("/producers")
    with page.expect_navigation():
        page.locator("table a[href^='/producers/']").first.click()
    with page.expect_navigation():
        page.locator("a[href$='/plots/new']").first.click()
    page.fill("input[name=name]", "Parcela de prueba")
    page.fill("input[name=declared_area_ha]", "1,234")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("form.grid button[type=submit]")
    assert posted.value.status == 422
    summary = page.locator(".errors a[href='#declared_area_ha']")
    assert summary.inner_text() == "Área declarada (ha)"
    field = page.locator("label.field.invalid", has=page.locator("#declared_area_ha"))
    assert "1234 o 1.234" in field.locator(".error").inner_text()
    assert page.locator("main").inner_text().count("1234 o 1.234") == 1
    page.screenshot(path=str(results_dir / "plot-ambiguous-area-360.png"), full_page=True)


def test_the_mass_balance_and_a_ticket_write_peru_s_numbers(new_page, log_in, results_dir):
    page = log_in(new_page(viewport={"width": 1366, "height": 900}), "admin@demo.coop")
    page.goto("/settings/locale")
    assert page.locator("input[value=es_PE]").is_checked()
    page.screenshot(path=str(results_dir / "locale-settings-1366.png"), full_page=True)
    page.goto("/reports/mass-balance")
    text = page.locator("main").inner_text()
    # es_PE: a decimal point and comma grouping everywhere, never Spain's "4.504,36".
    assert not re.search(r"\d\.\d{3},\d", text), text[:500]
    assert re.search(r"\d\.\d %", text) or "—" in text
    page.screenshot(path=str(results_dir / "mass-balance-es-PE-1366.png"), full_page=True)
