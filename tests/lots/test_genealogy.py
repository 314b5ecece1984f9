"""The genealogy drawing: pure, escaped, and still a dozen boxes per column for 2,000 lots."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from coopchain.lots.genealogy import genealogy_svg
from coopchain.lots.origins import GraphEdge, GraphNode

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def app_context():
    """Pure functions: no app needed (overrides tests/lots/conftest.py's fixture)."""
    yield


def node(lot_id, code, depth, kg="500", form="dry_parchment", origin=None):
    is_origin = depth > 0 if origin is None else origin
    return GraphNode(lot_id, code, form, Decimal(kg), is_origin, depth)


def parse(svg: str) -> ET.Element:
    """Our own drawing, parsed to prove it is well-formed XML (no outside input here)."""
    return ET.fromstring(svg)  # noqa: S314


def boxes(svg: str) -> list[ET.Element]:
    return parse(svg).findall(f".//{SVG}rect")


def texts(svg: str) -> list[str]:
    return [element.text for element in parse(svg).iter(f"{SVG}text")]


def three_levels():
    """Two deliveries merged, the merge processed to green: 4 lots on 3 columns."""
    nodes = [
        node(1, "CAF-2026-000001", 2),
        node(2, "CAF-2026-000002", 2, kg="300"),
        node(3, "CAF-2026-000003", 1, kg="800", origin=False),
        node(4, "CAF-2026-000004", 0, kg="600", form="green", origin=False),
    ]
    edges = [
        GraphEdge(1, 3, 10, "merge", Decimal("500")),
        GraphEdge(2, 3, 10, "merge", Decimal("300")),
        GraphEdge(3, 4, 11, "process", Decimal("800")),
    ]
    return nodes, edges


def test_three_levels_draw_one_box_per_lot_in_columns_from_deliveries_to_the_lot():
    nodes, edges = three_levels()
    svg = genealogy_svg(nodes, edges, 4)
    root = parse(svg)  # well-formed XML
    assert root.tag == f"{SVG}svg"
    assert len(boxes(svg)) == 4
    assert len(root.findall(f".//{SVG}path")) == 3
    # Columns: deliveries left, the merge in the middle, the lot on the right.
    x_of = {}
    for group in root.iter(f"{SVG}g"):
        rect, label = group.find(f"{SVG}rect"), group.find(f"{SVG}text")
        if rect is not None and label is not None:
            x_of[label.text] = float(rect.get("x"))
    assert x_of["CAF-2026-000001"] == x_of["CAF-2026-000002"] < x_of["CAF-2026-000003"]
    assert x_of["CAF-2026-000003"] < x_of["CAF-2026-000004"]
    assert "dry_parchment · 500 kg" in texts(svg) and "green · 600 kg" in texts(svg)


def test_svg_scales_and_is_labelled_for_screen_readers():
    nodes, edges = three_levels()
    svg = genealogy_svg(nodes, edges, 4)
    root = parse(svg)
    assert root.get("width") == "100%" and root.get("viewBox").startswith("0 0 ")
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Genealogy of lot CAF-2026-000004"
    assert root.get("aria-labelledby") == "genealogy-4-title genealogy-4-desc"


def test_a_drawing_with_links_is_a_group_so_its_links_stay_reachable():
    """An svg role="img" may hold nothing focusable (axe: nested-interactive)."""
    nodes, edges = three_levels()
    root = parse(genealogy_svg(nodes, edges, 4, link=lambda code: f"/lots/{code}"))
    assert root.get("role") == "group"
    assert root.get("aria-labelledby") == "genealogy-4-title genealogy-4-desc"
    assert root.findall(f".//{SVG}a")


def test_edges_are_styled_by_kind_with_a_legend():
    nodes, edges = three_levels()
    root = parse(genealogy_svg(nodes, edges, 4))
    paths = root.findall(f".//{SVG}path")
    kinds = sorted(path.get("class") for path in paths)
    assert kinds == ["edge merge", "edge merge", "edge process"]
    process = next(p for p in paths if p.get("class") == "edge process")
    merge = next(p for p in paths if p.get("class") == "edge merge")
    assert process.get("stroke") != merge.get("stroke")
    assert process.find(f"{SVG}title").text == "process · 800 kg"
    legend = root.find(f".//{SVG}g[@class='legend']")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["merge", "process"]


def test_every_text_is_escaped():
    hostile = '<script>alert("x")</script>&\''
    nodes = [node(1, hostile, 1), node(2, hostile + "2", 0, origin=False)]
    edges = [GraphEdge(1, 2, 5, "<b>kind</b>", Decimal("500"))]
    svg = genealogy_svg(
        nodes,
        edges,
        2,
        form_label=lambda form: "<i>" + form,
        link=lambda code: '/lots/"' + code,
    )
    assert "<script>" not in svg and "<b>" not in svg and "<i>" not in svg
    assert "&lt;script&gt;alert(" in svg
    root = parse(svg)  # still well-formed: nothing broke out of an attribute
    assert root.find(f"{SVG}title").text == f"Genealogy of lot {hostile}2"
    links = root.findall(f".//{SVG}a")
    assert links[0].get("href").startswith('/lots/"<script>')


def test_long_codes_are_shortened_in_the_box_but_whole_in_the_tooltip():
    code = "COOPERATIVA-AGRARIA-2026-000000123"
    svg = genealogy_svg([node(1, code, 1), node(2, "X", 0, origin=False)], [], 2)
    assert code not in texts(svg)
    assert any(t.endswith("…") for t in texts(svg))
    assert code in svg  # the <title> keeps it whole


def test_a_crowded_column_collapses_into_a_summary_box_that_takes_its_edges():
    origins = [node(i, f"CAF-2026-{i:06d}", 1, kg="10") for i in range(1, 2001)]
    target = node(5000, "CAF-2026-005000", 0, kg="20000", origin=False)
    edges = [GraphEdge(i, 5000, 9, "merge", Decimal("10")) for i in range(1, 2001)]
    svg = genealogy_svg([*origins, target], edges, 5000, max_per_column=12)
    root = parse(svg)
    assert len(boxes(svg)) == 13  # 11 lots + 1 summary + the lot itself
    assert "+1989 more lots" in texts(svg) and "19890 kg" in texts(svg)
    paths = root.findall(f".//{SVG}path")
    assert len(paths) == 12  # the 1,989 hidden edges are one line to the summary box
    summary_edge = [p for p in paths if "(×1989)" in p.find(f"{SVG}title").text]
    assert len(summary_edge) == 1
    assert len(svg) < 20_000


def test_hidden_lots_in_two_columns_join_summary_to_summary():
    """2,000 deliveries merged in 100 lots of 20, those merged into the lot."""
    nodes = [node(i, f"D{i}", 2, kg="10") for i in range(2000)]
    nodes += [node(3000 + m, f"M{m}", 1, kg="200", origin=False) for m in range(100)]
    nodes.append(node(9999, "LOT", 0, kg="20000", origin=False))
    edges = [
        GraphEdge(i, 3000 + i // 20, 100 + i // 20, "merge", Decimal("10")) for i in range(2000)
    ]
    edges += [GraphEdge(3000 + m, 9999, 500, "merge", Decimal("200")) for m in range(100)]
    svg = genealogy_svg(nodes, edges, 9999, max_per_column=5)
    assert len(boxes(svg)) == 5 + 5 + 1
    assert "+1996 more lots" in texts(svg) and "+96 more lots" in texts(svg)
    root = parse(svg)
    titles = [p.find(f"{SVG}title").text for p in root.findall(f".//{SVG}path")]
    # Shown deliveries sit next to the merge lot they went into (ordered by consumer).
    assert "merge · 19200 kg (×1920)" in titles  # summary → summary
    assert "merge · 160 kg (×16)" in titles  # hidden deliveries of a shown merge lot


def test_translated_texts_and_formatting_are_used():
    nodes, edges = three_levels()
    svg = genealogy_svg(
        nodes,
        edges,
        4,
        texts={"title": "Genealogía del lote %(code)s", "merge": "mezcla"},
        form_label=lambda form: {"green": "verde"}.get(form, form),
        kg_label=lambda kg: f"{kg:.1f}".replace(".", ","),
    )
    assert "Genealogía del lote CAF-2026-000004" in svg
    assert "verde · 600,0 kg" in texts(svg) and "mezcla" in texts(svg)


def test_a_column_needs_room_for_a_lot_and_the_summary():
    nodes, edges = three_levels()
    with pytest.raises(ValueError):
        genealogy_svg(nodes, edges, 4, max_per_column=1)
