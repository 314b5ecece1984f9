"""What a cooperative's staff sees in a real browser: log in, register, map a plot, switch language.

Selectors go by name/href/CSS, not by the (translatable) text, except where the text is the point.
"""

import re
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

# ~1.50 ha rectangle near Moyobamba (lon -77.41, lat -5.70): 6 decimals, closed ring.
PLOT_GEOJSON = (
    '{"type": "Polygon", "coordinates": [[[-77.410000, -5.700000], [-77.408900, -5.700000], '
    "[-77.408900, -5.701110], [-77.410000, -5.701110], [-77.410000, -5.700000]]]}"
)
# The same corners in bow-tie order: edge 0 crosses edge 2.
BOW_TIE_GEOJSON = (
    '{"type": "Polygon", "coordinates": [[[-77.410000, -5.700000], [-77.408900, -5.701110], '
    "[-77.408900, -5.700000], [-77.410000, -5.701110], [-77.410000, -5.700000]]]}"
)
PRODUCER_PATH = re.compile(r"^/producers/(\d+)$")


def path_of(page) -> str:
    return urlparse(page.url).path


def dashboard_counts(page) -> dict[str, str]:
    page.goto("/")
    return {
        el.get_attribute("data-count"): el.inner_text().strip()
        for el in page.locator("[data-count]").all()
    }


def register_producer(page, member_code: str, first_name: str, last_name: str) -> int:
    """Fill /producers/new and return the id of the producer page it lands on."""
    page.goto("/producers/new")
    page.fill("input[name=member_code]", member_code)
    page.fill("input[name=first_name]", first_name)
    page.fill("input[name=last_name]", last_name)
    page.fill("input[name=community]", "San Martín de Alao")
    with page.expect_navigation():
        page.click("form.grid button[type=submit]")
    match = PRODUCER_PATH.match(path_of(page))
    assert match, f"saving the producer did not land on its page: {page.url}"
    return int(match.group(1))


def open_add_plot(page, producer_id: int) -> None:
    """From the producer page, follow its "Add plot" link."""
    with page.expect_navigation():
        page.click(f"a[href='/producers/{producer_id}/plots/new']")
    assert path_of(page) == f"/producers/{producer_id}/plots/new"


def test_journey_register_producer_and_map_a_plot(staff_page, dialogs, results_dir):
    page = staff_page

    # The dashboard shows the cooperative's counts as numbers.
    before = dashboard_counts(page)
    assert set(before) >= {"producers", "plots", "hectares", "active_agreements"}
    assert int(before["producers"]) > 0, before  # the demo cooperative has members
    assert int(before["plots"]) > 0, before

    # Register a producer with an accent and a script tag in the name.
    last_name = "Ñaupari <script>alert(1)</script>"
    producer_id = register_producer(page, "BRW-0001", "José", last_name)

    # The title shows the name as text: the tag is visible, and nothing ran.
    heading = page.locator("h1").first
    assert "José" in heading.inner_text()
    assert "<script>alert(1)</script>" in heading.inner_text()
    assert "<script>alert(1)</script>" in page.title()
    assert page.locator("main script").count() == 0
    assert page.locator(".plots article.plot").count() == 0

    # Map a plot.
    open_add_plot(page, producer_id)
    page.fill("input[name=name]", "Lote Ñuñuma")
    page.select_option("select[name=crop]", "coffee")
    page.fill("textarea[name=geometry]", PLOT_GEOJSON)
    page.fill("input[name=declared_area_ha]", "1.5")
    with page.expect_navigation():
        page.click("form.grid button[type=submit]")
    assert path_of(page) == f"/producers/{producer_id}", page.locator(".errors").all_inner_texts()

    # The plot card: an outline drawn as an SVG path, the computed area, the crop.
    card = page.locator("article.plot", has_text="Lote Ñuñuma")
    assert card.count() == 1
    assert card.locator("svg path").count() == 1
    assert card.locator("svg path").get_attribute("d").startswith("M")
    box = card.locator("svg").bounding_box()
    assert box and box["width"] > 50 and box["height"] > 50, box  # drawn, not collapsed
    facts = card.locator("p").first.inner_text()
    assert re.search(r"\b1[.,]50 ha\b", facts), facts  # computed 1.4957 ha, shown rounded
    assert "coffee" in facts.lower() or "café" in facts.lower(), facts
    page.screenshot(path=str(results_dir / "desktop-producer.png"), full_page=True)

    # The dashboard counted both.
    after = dashboard_counts(page)
    assert int(after["producers"]) == int(before["producers"]) + 1
    assert int(after["plots"]) == int(before["plots"]) + 1

    assert dialogs == [], f"the page opened dialogs (script injection?): {dialogs}"


def test_self_intersecting_plot_is_refused_with_a_reason(staff_page, dialogs):
    page = staff_page
    # English, so the message checked below is stable whatever the Spanish catalogue says.
    page.goto("/lang/en?next=/")
    producer_id = register_producer(page, "BRW-0002", "Rosa", "Quispe Tantaleán")

    open_add_plot(page, producer_id)
    page.fill("input[name=name]", "Lote Corbata")
    page.fill("textarea[name=geometry]", BOW_TIE_GEOJSON)
    # The form's own POST (the map's live geometry check posts too).
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/plots/new" in r.url
    ) as posted:
        page.click("form.grid button[type=submit]")
    assert posted.value.status == 422

    # The form comes back naming the field by its label, with the reason said once, at the
    # field; the input is kept.
    errors = page.locator(".errors")
    assert errors.is_visible()
    assert errors.locator('a[href="#geometry"]').inner_text().startswith("Geometry")
    field = page.locator("label.field.invalid", has=page.locator("textarea[name=geometry]"))
    reason = field.locator(".error").inner_text()
    assert "crosses or overlaps itself" in reason and re.search(r"edge \d+ meets edge \d+", reason)
    assert page.locator("main").inner_text().count("crosses or overlaps itself") == 1
    assert page.input_value("textarea[name=geometry]") == BOW_TIE_GEOJSON
    assert page.input_value("input[name=name]") == "Lote Corbata"

    # Nothing was saved.
    page.goto(f"/producers/{producer_id}")
    assert page.locator("article.plot").count() == 0
    assert "Lote Corbata" not in page.locator("main").inner_text()
    assert dialogs == []


def test_language_switch(page):
    page.goto("/login")
    assert page.get_attribute("html", "lang") == "es"
    assert page.locator(".langs strong").inner_text() == "ES"

    with page.expect_navigation():
        page.click(".langs a[href^='/lang/en']")
    assert path_of(page) == "/login"  # back where the user was
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator(".langs strong").inner_text() == "EN"
    assert page.locator(".langs a[href^='/lang/es']").count() == 1


def test_producer_list_fits_a_phone(new_page, log_in, results_dir):
    page = new_page(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    log_in(page)
    page.goto("/producers")
    assert page.locator("table.list tbody tr").count() > 0

    overflow = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert overflow["scroll"] <= overflow["inner"] + 1, f"body scrolls sideways: {overflow}"
    page.screenshot(path=str(results_dir / "phone-producer.png"), full_page=True)
