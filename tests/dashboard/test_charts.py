"""The SVG charts: well-formed XML a screen reader can name, marks that match the data, and an
empty season that says so instead of drawing nothing."""

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest

from coopchain.dashboard.charts import Bar, Point, bar_chart, dot_chart, nice_step

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 (our own markup, not untrusted input)


def bars(values) -> list[Bar]:
    return [Bar(f"W{i}", Decimal(v), f"Week {i}: {v} kg") for i, v in enumerate(values)]


def draw(values, **options):
    return bar_chart(
        bars(values),
        title=options.get("title", "Deliveries per week"),
        desc="Net kg per week",
        x_title="Week",
        y_title="kg",
        empty="No deliveries this season yet.",
        fmt=str,
    )


def test_a_bar_chart_is_valid_svg_named_by_its_title_and_description():
    root = parse(draw(["500", "1200", "0", "300"], title="Entregas <por> semana & más"))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Entregas <por> semana & más" and desc.text == "Net kg per week"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    axis_titles = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "axis-title"]
    assert axis_titles == ["Week", "kg"]


def test_bars_are_as_tall_as_their_values_and_say_them():
    values = ["500", "1200", "0", "300"]
    root = parse(draw(values))
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert [r.get("data-value") for r in rects] == values
    assert [r.find(f"{SVG}title").text for r in rects] == [
        f"Week {i}: {v} kg" for i, v in enumerate(values)
    ]
    heights = [float(r.get("height")) for r in rects]
    assert heights[2] == 0
    assert heights[1] / heights[0] == pytest.approx(1200 / 500, rel=0.01)
    assert heights[3] / heights[0] == pytest.approx(300 / 500, rel=0.01)
    # Bars stand on the same baseline.
    assert len({round(float(r.get("y")) + float(r.get("height")), 1) for r in rects}) == 1


def test_the_axis_reaches_past_the_tallest_bar_in_round_steps():
    root = parse(draw(["1200"]))
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks == ["0", "500", "1000", "1500"]
    assert nice_step(1200) == 500 and nice_step(95) == 50 and nice_step(8) == 2


@pytest.mark.parametrize("values", [[], ["0", "0"]])
def test_an_empty_season_says_so(values):
    root = parse(draw(values))
    assert list(root.iter(f"{SVG}rect")) == []
    assert [t.text for t in root.iter(f"{SVG}text")] == ["No deliveries this season yet."]
    assert root.find(f"{SVG}title").text == "Deliveries per week"


def test_dots_sit_at_their_scores_and_the_specialty_line_is_drawn():
    points = [
        Point(date(2026, 6, 1), Decimal("80"), "A: 80", "very_good"),
        Point(date(2026, 6, 30), Decimal("88"), "B: 88", "excellent"),
    ]
    root = parse(
        dot_chart(
            points,
            title="Cupping",
            desc="Scores",
            x_range=(date(2026, 6, 1), date(2026, 6, 30)),
            x_ticks=[(date(2026, 6, 1), "Jun")],
            y_range=(Decimal("78"), Decimal("88")),
            threshold=(Decimal("80"), "Specialty"),
            x_title="Session date",
            y_title="Score",
            empty="Nothing cupped",
            fmt=str,
        )
    )
    dots = list(root.iter(f"{SVG}circle"))
    assert [d.get("data-value") for d in dots] == ["80", "88"]
    assert [d.find(f"{SVG}title").text for d in dots] == ["A: 80", "B: 88"]
    assert float(dots[0].get("cx")) < float(dots[1].get("cx"))
    assert float(dots[0].get("cy")) > float(dots[1].get("cy"))  # higher score, higher up
    line = next(el for el in root.iter(f"{SVG}line") if el.get("class") == "threshold")
    assert float(line.get("y1")) == pytest.approx(float(dots[0].get("cy")), abs=0.2)


def test_no_cupping_says_so():
    root = parse(
        dot_chart(
            [],
            title="Cupping",
            desc="Scores",
            x_range=(date(2026, 1, 1), date(2026, 12, 31)),
            x_ticks=[],
            y_range=(Decimal("78"), Decimal("88")),
            threshold=None,
            x_title="",
            y_title="",
            empty="No lot was cupped this season yet.",
            fmt=str,
        )
    )
    assert [t.text for t in root.iter(f"{SVG}text")] == ["No lot was cupped this season yet."]
