"""A lot's ancestry drawn as an inline SVG: deliveries on the left, the lot on the right.

Pure: plain graph data (origins.GraphNode / GraphEdge from `origins_of(..., with_graph=True)`)
in, SVG text out; no database, no request. Labels that need translating or locale formatting
are passed in by the caller, so the drawing itself stays testable without an app.

Readable at any size: a column with more than `max_per_column` lots shows the first ones and
one summary box ("+N more lots (M kg)") that takes over the hidden lots' edges, so a lot made
from 2,000 deliveries draws a dozen boxes per column, not 2,000. Every text is escaped here
(lot codes come from settings and may hold anything), which is what lets the template insert
the result with |safe.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

BOX_W, BOX_H = 180, 44
COL_GAP, ROW_GAP = 64, 12
MARGIN = 8
LEGEND_H = 26
MAX_CODE_CHARS = 22

#: Line style per transformation kind: (stroke colour, dash pattern, width).
EDGE_STYLES = {
    "merge": ("#2f6b3a", "", 1.6),
    "split": ("#9a5b00", "6 4", 1.6),
    "process": ("#1f4f8a", "", 2.6),
}
_OTHER_EDGE = ("#5d6b63", "2 3", 1.4)

#: English defaults; the view passes translated texts with the same placeholders.
DEFAULT_TEXTS = {
    "title": "Genealogy of lot %(code)s",
    "desc": "%(lots)s lots in %(steps)s steps, from the deliveries (left) to this lot (right).",
    "more": "+%(n)s more lots",
    "more_kg": "%(kg)s kg",
    "merge": "merge",
    "split": "split",
    "process": "process",
}


def _attr(value) -> str:
    """An attribute value, escaped for a double-quoted attribute."""
    return escape(str(value), {'"': "&quot;"})


def _plain_kg(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


@dataclass
class _Box:
    key: str
    column: int
    row: int = 0
    code: str = ""
    form: str = ""
    kg: Decimal = Decimal("0")
    style: str = "lot"  # lot | origin | target | more
    hidden: int = 0
    lot_ids: list[int] = field(default_factory=list)


def _order_columns(nodes, edges, target_lot_id, max_per_column):
    """Boxes per column (right to left: the lot first), each column ordered so a lot sits near
    what consumed it, and collapsed past `max_per_column`. Returns (columns, box of lot id)."""
    by_depth: dict[int, list] = defaultdict(list)
    for node in nodes:
        by_depth[node.depth].append(node)
    consumers: dict[int, list[int]] = defaultdict(list)
    for edge in edges:
        consumers[edge.from_lot_id].append(edge.to_lot_id)
    deepest = max(by_depth) if by_depth else 0
    row_of: dict[int, int] = {}
    box_of: dict[int, _Box] = {}
    columns: dict[int, list[_Box]] = {}
    for depth in sorted(by_depth):
        column = deepest - depth

        def placement(node):
            rows = [row_of[t] for t in consumers.get(node.lot_id, ()) if t in row_of]
            return (min(rows) if rows else 0, -Decimal(node.quantity_kg), node.code)

        ordered = sorted(by_depth[depth], key=placement)
        shown = ordered
        hidden = []
        if len(ordered) > max_per_column:
            shown, hidden = ordered[: max_per_column - 1], ordered[max_per_column - 1 :]
        boxes = []
        for row, node in enumerate(shown):
            style = (
                "target" if node.lot_id == target_lot_id else "origin" if node.is_origin else "lot"
            )
            box = _Box(
                key=f"lot-{node.lot_id}",
                column=column,
                row=row,
                code=node.code,
                form=node.product_form,
                kg=Decimal(node.quantity_kg),
                style=style,
                lot_ids=[node.lot_id],
            )
            boxes.append(box)
            box_of[node.lot_id] = box
            row_of[node.lot_id] = row
        if hidden:
            more = _Box(
                key=f"more-{depth}",
                column=column,
                row=len(shown),
                kg=sum((Decimal(n.quantity_kg) for n in hidden), Decimal("0")),
                style="more",
                hidden=len(hidden),
                lot_ids=[n.lot_id for n in hidden],
            )
            boxes.append(more)
            for node in hidden:
                box_of[node.lot_id] = more
                row_of[node.lot_id] = more.row
        columns[column] = boxes
    return [columns.get(c, []) for c in range(deepest + 1)], box_of


def _box_edges(edges, box_of) -> list[tuple[_Box, _Box, str, Decimal, int]]:
    """Edges between boxes: those of hidden lots routed to their summary box, merged when they
    join the same two boxes with the same kind (kg summed, count kept for the tooltip)."""
    joined: dict[tuple[str, str, str], list] = {}
    for edge in edges:
        source, target = box_of.get(edge.from_lot_id), box_of.get(edge.to_lot_id)
        if source is None or target is None:
            continue
        key = (source.key, target.key, edge.kind)
        entry = joined.setdefault(key, [source, target, edge.kind, Decimal("0"), 0])
        entry[3] += Decimal(edge.kg)
        entry[4] += 1
    return [tuple(entry) for entry in joined.values()]


def genealogy_svg(
    nodes: Iterable,
    edges: Iterable,
    target_lot_id: int,
    *,
    max_per_column: int = 12,
    texts: Mapping[str, str] | None = None,
    form_label: Callable[[str], str] = str,
    kg_label: Callable[[Decimal], str] = _plain_kg,
    link: Callable[[str], str] | None = None,
) -> str:
    """The ancestry of lot `target_lot_id` as an <svg> element (text, every label escaped).

    `texts` overrides DEFAULT_TEXTS (translations), `form_label` names a product form,
    `kg_label` formats kilograms, `link` (optional) gives each lot box a URL from its code.
    """
    if max_per_column < 2:
        raise ValueError("max_per_column must be at least 2 (one lot and the summary box)")
    nodes, edges = list(nodes), list(edges)
    words = {**DEFAULT_TEXTS, **(texts or {})}
    columns, box_of = _order_columns(nodes, edges, target_lot_id, max_per_column)
    tallest = max((len(col) for col in columns), default=1)
    pitch_x, pitch_y = BOX_W + COL_GAP, BOX_H + ROW_GAP
    graph_h = tallest * pitch_y - ROW_GAP
    width = MARGIN * 2 + len(columns) * pitch_x - COL_GAP
    kinds = sorted({edge.kind for edge in edges})
    height = MARGIN * 2 + graph_h + (LEGEND_H if kinds else 0)

    def position(box: _Box) -> tuple[float, float]:
        column = columns[box.column]
        offset = (graph_h - (len(column) * pitch_y - ROW_GAP)) / 2  # centre short columns
        return MARGIN + box.column * pitch_x, MARGIN + offset + box.row * pitch_y

    target = next((n for n in nodes if n.lot_id == target_lot_id), None)
    target_code = target.code if target else ""
    uid = f"genealogy-{int(target_lot_id)}"
    title = words["title"] % {"code": target_code}
    desc = words["desc"] % {"lots": len(nodes), "steps": len(columns) - 1}
    # With links the drawing is a group of links (an "img" hides its children from assistive
    # technology and may not hold anything focusable); without links it is one image.
    role = "group" if link else "img"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="genealogy-graph" role="{role}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'style="max-width:{width}px;min-width:{min(width, round(width * 0.7))}px" '
        f'aria-labelledby="{uid}-title {uid}-desc" font-family="system-ui, sans-serif">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
    ]
    # Edges first, so boxes are drawn over their ends.
    for source, target_box, kind, kg, count in _box_edges(edges, box_of):
        x1, y1 = position(source)
        x2, y2 = position(target_box)
        x1, y1, y2 = x1 + BOX_W, y1 + BOX_H / 2, y2 + BOX_H / 2
        bend = (x2 - x1) / 2
        colour, dash, stroke = EDGE_STYLES.get(kind, _OTHER_EDGE)
        label = f"{words.get(kind, kind)} · {kg_label(kg)} kg"
        if count > 1:
            label += f" (×{count})"
        out.append(
            f'<path class="edge {_attr(kind)}" d="M{x1:g},{y1:g} C{x1 + bend:g},{y1:g} '
            f'{x2 - bend:g},{y2:g} {x2:g},{y2:g}" fill="none" stroke="{colour}" '
            f'stroke-width="{stroke}"' + (f' stroke-dasharray="{dash}"' if dash else "") + ">"
            f"<title>{escape(label)}</title></path>"
        )
    for column in columns:
        for box in column:
            out.append(_draw_box(box, *position(box), words, form_label, kg_label, link))
    if kinds:
        out.append(_legend(kinds, words, MARGIN, MARGIN + graph_h + 10))
    out.append("</svg>")
    return "\n".join(out)


_BOX_COLOURS = {  # fill, stroke, stroke width, dash
    "target": ("#e6f0e7", "#2f6b3a", 2.5, ""),
    "origin": ("#ffffff", "#8fa397", 1, ""),
    "lot": ("#f3f6f4", "#5d6b63", 1, ""),
    "more": ("#fff3df", "#9a5b00", 1, "4 3"),
}


def _draw_box(box: _Box, x, y, words, form_label, kg_label, link) -> str:
    fill, stroke, width, dash = _BOX_COLOURS[box.style]
    if box.style == "more":
        line1 = words["more"] % {"n": box.hidden}
        line2 = words["more_kg"] % {"kg": kg_label(box.kg)}
        tooltip = f"{line1} ({line2})"
    else:
        code = box.code
        line1 = code if len(code) <= MAX_CODE_CHARS else code[: MAX_CODE_CHARS - 1] + "…"
        line2 = f"{form_label(box.form)} · {kg_label(box.kg)} kg"
        tooltip = f"{code} · {line2}"
    shape = (
        f'<rect x="{x:g}" y="{y:g}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{width}"'
        + (f' stroke-dasharray="{dash}"' if dash else "")
        + "/>"
        f'<text x="{x + 8:g}" y="{y + 18:g}" font-size="13" font-weight="600" '
        f'fill="#1d2521">{escape(line1)}</text>'
        f'<text x="{x + 8:g}" y="{y + 35:g}" font-size="11.5" fill="#5d6b63">'
        f"{escape(line2)}</text>"
    )
    group = f'<g class="node {box.style}"><title>{escape(tooltip)}</title>{shape}</g>'
    if link and box.style != "more":
        return f'<a href="{_attr(link(box.code))}">{group}</a>'
    return group


def _legend(kinds, words, x, y) -> str:
    parts = ['<g class="legend" font-size="12" fill="#5d6b63">']
    for kind in kinds:
        colour, dash, stroke = EDGE_STYLES.get(kind, _OTHER_EDGE)
        parts.append(
            f'<line x1="{x:g}" y1="{y + 6:g}" x2="{x + 28:g}" y2="{y + 6:g}" stroke="{colour}" '
            f'stroke-width="{stroke}"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
            f'<text x="{x + 34:g}" y="{y + 10:g}">{escape(words.get(kind, kind))}</text>'
        )
        x += 40 + 8 * len(words.get(kind, kind)) + 16
    parts.append("</g>")
    return "".join(parts)
