"""Maps in a real browser (issue 15), at a desktop (1366 px) and a phone (360 px) width: draw a
plot with Geoman and save it, walk a boundary with a mocked GPS and save it, see the crossing
edge the rules find, and read the cooperative map with its protected-area outline.

Tile requests are refused, as on a collection centre's laptop without network: the maps must
still draw the plots and say the tiles are unavailable.
"""

import json
import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible

pytestmark = pytest.mark.browser

WIDTHS = [1366, 360]
PRODUCER_PATH = re.compile(r"^/producers/(\d+)$")
BOW_TIE = (
    '{"type": "Polygon", "coordinates": [[[-77.410000, -5.700000], [-77.408900, -5.701110], '
    "[-77.408900, -5.700000], [-77.410000, -5.701110], [-77.410000, -5.700000]]]}"
)


def offline_tiles(page) -> None:
    page.route(re.compile(r"^https?://[^/]*tile\.openstreetmap\.org/"), lambda r: r.abort())


def staff_at(new_page, log_in, width: int, **options):
    page = new_page(viewport={"width": width, "height": 900 if width > 600 else 780}, **options)
    offline_tiles(page)
    log_in(page)
    page.goto("/lang/en?next=/")
    return page


def a_producer(page) -> int:
    page.goto("/producers")
    href = page.locator("main a[href^='/producers/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return next(int(m.group(1)) for h in href if (m := PRODUCER_PATH.match(h)))


def saved_plot(page, producer_id: int, name: str) -> dict:
    data = page.request.get(f"/map/plots.geojson?producer_id={producer_id}").json()
    found = [f for f in data["features"] if f["properties"]["name"] == name]
    assert len(found) == 1, [f["properties"]["name"] for f in data["features"]]
    return found[0]


def save_plot_form(page, producer_id: int) -> None:
    with page.expect_navigation():
        page.click("form.grid button[type=submit]")
    path = urlparse(page.url).path
    assert path == f"/producers/{producer_id}", page.locator(".errors").all_inner_texts()


def tiles_notice_shown(page) -> None:
    notice = page.locator(".map-notice.warn")
    notice.wait_for()
    assert "tiles are unavailable" in notice.inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_draw_a_plot_with_geoman_and_save_it(new_page, log_in, results_dir, dialogs, width):
    page = staff_at(new_page, log_in, width)
    producer_id = a_producer(page)
    page.goto(f"/producers/{producer_id}/plots/new")
    page.locator("#plot-map[data-ready=true]").wait_for()
    tiles_notice_shown(page)
    name = f"Lote dibujado {width}"
    page.fill("input[name=name]", name)

    # Geoman's polygon tool, four corners clicked on the map, then the first again to close.
    # The map opens on the producer's plots; zoom in to field scale, then draw.
    page.locator("#plot-map").scroll_into_view_if_needed()
    for _ in range(6):
        page.click("#plot-map .leaflet-control-zoom-in")
        page.wait_for_timeout(300)
    page.click("#plot-map .leaflet-pm-icon-polygon")
    box = page.locator("#plot-map").bounding_box()
    corners = [(0.35, 0.35), (0.65, 0.35), (0.65, 0.7), (0.35, 0.7), (0.35, 0.35)]
    for fx, fy in corners:
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        page.wait_for_timeout(150)

    text = page.locator("textarea[name=geometry]")
    assert '"Polygon"' in text.input_value()
    page.locator("#geometry-check[data-state=ok]").wait_for()
    assert "passes the EUDR rules" in page.locator("#geometry-check").inner_text()
    page.screenshot(path=str(results_dir / f"maps-draw-plot-{width}.png"), full_page=True)

    save_plot_form(page, producer_id)
    plot = saved_plot(page, producer_id, name)
    ring = plot["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1], ring
    assert 0.05 < plot["properties"]["area_ha"] < 100, plot["properties"]  # a field, not a valley
    assert len({tuple(p) for p in ring}) == 4
    # Drawn on the map of the Alto Mayo, so inside the region the map opened on.
    assert all(-78.5 < lon < -76.5 and -6.5 < lat < -5 for lon, lat in ring), ring
    # The producer page now shows it on the producer's map.
    page.locator("#producer-map[data-ready=true]").wait_for()
    assert page.locator("#producer-map .leaflet-overlay-pane path").count() >= 1
    assert dialogs == []


@pytest.mark.parametrize("width", WIDTHS)
def test_walk_a_boundary_with_the_phone_gps_and_save_it(
    new_page, log_in, results_dir, dialogs, width
):
    page = staff_at(
        new_page,
        log_in,
        width,
        geolocation={"latitude": -5.7, "longitude": -77.41, "accuracy": 4},
        permissions=["geolocation"],
        has_touch=width < 600,
    )
    producer_id = a_producer(page)
    page.goto(f"/producers/{producer_id}/plots/new")
    page.locator("#plot-map[data-ready=true]").wait_for()
    name = f"Lote caminado {width}"
    page.fill("input[name=name]", name)
    page.click("#walk-start")
    points = page.locator("#walk-points li")

    def walk_to(lat: float, lon: float, accuracy: float) -> None:
        before = points.count()
        page.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": accuracy})
        page.click("#walk-add")
        points.nth(before).wait_for()  # the new point is listed

    walk_to(-5.700000, -77.410000, 4)
    walk_to(-5.700000, -77.408900, 6)
    # A poor fix (25 m, the setting is 10 m) is shown and warned about, then taken back.
    walk_to(-5.701500, -77.408000, 25)
    assert points.nth(2).get_attribute("class") == "poor"
    assert "worse than 10" in points.nth(2).inner_text()
    assert "worse than 10" in page.locator("#walk-status").inner_text()
    page.screenshot(path=str(results_dir / f"maps-walk-poor-fix-{width}.png"), full_page=True)
    page.click("#walk-undo")
    assert points.count() == 2
    walk_to(-5.701110, -77.408900, 3)
    walk_to(-5.701110, -77.410000, 5)
    assert "±5 m" in points.nth(3).inner_text()
    page.click("#walk-done")
    page.locator("#geometry-check[data-state=ok]").wait_for()
    # Written with the 6 decimals the EU wants, so no precision warning.
    assert "[-77.410000, -5.700000]" in page.input_value("textarea[name=geometry]")
    assert page.locator("#geometry-check li.warning").count() == 0
    page.screenshot(path=str(results_dir / f"maps-walk-boundary-{width}.png"), full_page=True)

    save_plot_form(page, producer_id)
    ring = saved_plot(page, producer_id, name)["geometry"]["coordinates"][0]
    assert ring == [
        [-77.41, -5.7],
        [-77.4089, -5.7],
        [-77.4089, -5.70111],
        [-77.41, -5.70111],
        [-77.41, -5.7],
    ]
    assert dialogs == []


def test_the_rules_point_at_the_crossing_edge_on_the_map(new_page, log_in, results_dir):
    page = staff_at(new_page, log_in, 1366)
    producer_id = a_producer(page)
    page.goto(f"/producers/{producer_id}/plots/new")
    page.locator("#plot-map[data-ready=true]").wait_for()
    page.fill("textarea[name=geometry]", BOW_TIE)
    page.locator("#geometry-check[data-state=invalid]").wait_for()
    message = page.locator("#geometry-check li[data-rule='ring.self_intersection']")
    assert "edge 1 meets edge 3" in message.inner_text()
    # Both crossing edges are drawn on the map, over the plot.
    edges = page.locator("#plot-map path[data-issue='ring.self_intersection']")
    assert edges.count() == 2
    page.screenshot(path=str(results_dir / "maps-crossing-edge-1366.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_cooperative_map_shows_plots_by_status_and_the_outline(
    new_page, log_in, results_dir, width
):
    page = staff_at(new_page, log_in, width)
    page.goto("/map")
    page.locator("#coop-map[data-ready=true]").wait_for()
    tiles_notice_shown(page)
    plots = page.locator("#coop-map .leaflet-overlay-pane path[data-plot-id]")
    total = plots.count()
    assert total > 20  # the demo cooperative's mapped plots
    outline = page.locator("#coop-map path[data-area='Bosque de Protección Alto Mayo']")
    assert outline.count() == 1
    assert "approximate outline" in page.locator(".map-areas").inner_text()
    assert_accessible(page)
    page.screenshot(path=str(results_dir / f"maps-cooperative-{width}.png"), full_page=True)

    # Colour by geometry and keep only the plots with geometry errors: the demo's bow tie.
    page.select_option("#coop-map-filters select[name=colour_by]", "geometry_status")
    page.select_option("#coop-map-filters select[name=geometry_status]", "error")
    assert 0 < plots.count() < total
    legend = page.locator("#coop-map-legend").inner_text()
    assert re.search(r"errors: [1-9]", legend), legend
    page.screenshot(path=str(results_dir / f"maps-cooperative-errors-{width}.png"), full_page=True)

    # A click on a plot opens its card, which leads to the producer.
    plots.first.dispatch_event("click")
    link = page.locator(".leaflet-popup-content a", has_text="Producer page")
    link.wait_for()
    with page.expect_navigation():
        link.click()
    assert PRODUCER_PATH.match(urlparse(page.url).path)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_intake_form_shows_the_chosen_plots_outline(new_page, log_in, results_dir, width):
    page = staff_at(new_page, log_in, width)
    page.goto("/deliveries/new")
    block = page.locator("#intake-map-block")
    assert block.is_hidden()  # no plot chosen yet
    page.fill("input[name=producer_code]", "CAF-0002")
    page.locator("input[name=producer_code]").dispatch_event("change")
    page.wait_for_selector('#plot_id option[value]:not([value=""])', state="attached")
    plot_id = page.eval_on_selector("#plot_id", "s => [...s.options].find(o => o.value).value")
    page.select_option("#plot_id", plot_id)
    page.locator(f"#intake-map[data-plot-id='{plot_id}']").wait_for()
    assert block.is_visible()
    # The outline (or the point) of that plot, and only it, is drawn.
    shapes = page.locator("#intake-map .leaflet-overlay-pane path:not([data-area])")
    assert shapes.count() == 1
    page.screenshot(path=str(results_dir / f"maps-intake-plot-{width}.png"), full_page=True)


def test_an_admin_uploads_a_buffer_zone_and_sees_it_on_the_map(new_page, log_in, results_dir):
    page = new_page(viewport={"width": 1366, "height": 900})
    offline_tiles(page)
    log_in(page, "admin@demo.coop")  # Spanish, the cooperative's language
    page.goto("/map/areas")
    page.locator("#areas-map[data-ready=true]").wait_for()
    ring = [[-77.5, -5.9], [-77.3, -5.9], [-77.3, -6.0], [-77.5, -6.0], [-77.5, -5.9]]
    outline = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}}
    page.fill("input[name=name]", "Zona de prueba")
    page.select_option("select[name=kind]", "buffer_zone")
    page.set_input_files(
        "input[name=geometry_file]",
        files=[
            {
                "name": "zona.geojson",
                "mimeType": "application/geo+json",
                "buffer": json.dumps(outline).encode(),
            }
        ],
    )
    with page.expect_navigation():
        page.click("form.grid button[type=submit]")
    assert "Zona de prueba" in page.locator("#areas").inner_text()
    page.locator("#areas-map[data-ready=true]").wait_for()
    assert page.locator("#areas-map path[data-area='Zona de prueba']").count() == 1
    page.screenshot(path=str(results_dir / "maps-protected-areas-es-1366.png"), full_page=True)

    # A line is refused, naming what is wrong, and nothing is added.
    page.fill("input[name=name]", "Línea")
    page.fill(
        "textarea[name=geometry]", '{"type": "LineString", "coordinates": [[-77, -5], [-76, -6]]}'
    )
    with page.expect_navigation():
        page.click("form.grid button[type=submit]")
    # The summary names the field; the message stands under it (said once).
    assert "LineString" in page.locator("main").inner_text()
    assert "Línea" not in page.locator("#areas").inner_text()


def test_editing_one_part_of_a_multipolygon_keeps_the_other(new_page, log_in):
    page = staff_at(new_page, log_in, 1366)
    producer_id = a_producer(page)
    page.goto(f"/producers/{producer_id}/plots/new")
    page.locator("#plot-map[data-ready=true]").wait_for()
    first = [[-77.41, -5.7], [-77.4089, -5.7], [-77.4089, -5.70111], [-77.41, -5.70111]]
    second = [[lon + 0.003, lat] for lon, lat in first]
    multi = {
        "type": "MultiPolygon",
        "coordinates": [[[*first, first[0]]], [[*second, second[0]]]],
    }
    page.fill("textarea[name=geometry]", json.dumps(multi))
    page.locator("#geometry-check[data-state=ok]").wait_for()
    # Drag the whole shape with Geoman's drag mode: both parts move, both are kept.
    page.click("#plot-map .leaflet-pm-icon-drag")
    shape = page.locator("#plot-map .leaflet-overlay-pane path.leaflet-interactive").first
    box = shape.bounding_box()
    x, y = box["x"] + 5, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 10, steps=5)
    page.mouse.up()
    # Geoman ends the drag a moment later; the map then rewrites the textarea.
    text = page.locator("textarea[name=geometry]")
    expect(text).not_to_have_value(json.dumps(multi))
    page.locator("#geometry-check[data-state=ok]").wait_for()
    edited = json.loads(page.input_value("textarea[name=geometry]"))
    assert edited["type"] == "MultiPolygon" and len(edited["coordinates"]) == 2
    assert edited["coordinates"] != multi["coordinates"]  # it moved
