"""The certificate's origin table as aligned monospace text (certificate_pdf.py renders it).

Speed (benchmarks/certificate_bench.py): WeasyPrint's cost grows with every table cell and every
line box (a Pango layout each). Five cells of two lines per origin made 5,000 line boxes for 500
plots; one monospaced cell per origin, its columns aligned by the text itself, makes 1,000 and
renders the certificate several times faster. A value wider than its column wraps onto a
continuation line: nothing is cut. Values are escaped here; the rows are Markup.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup, escape

from coopchain import formatting

#: The origin rows' fixed words (origin_rows).
ORIGIN_WORDS = {
    "active": _l("active"),
    "NOT active": _l("NOT active"),
    "no evidence": _l("no evidence"),
}

#: Characters per column of the origin table (DejaVu Sans Mono at 6.5 pt: 131 fit in the
#: 182 mm between the margins). Producer, plot, organic, forest, kg.
ORIGIN_COLUMNS = (34, 28, 27, 22, 13)


def _cell_lines(parts: list[tuple[str, str | None]], width: int) -> list[list[tuple[str, str]]]:
    """One cell's logical lines (each a list of (text, css class) pieces) wrapped to `width`
    characters; a piece marked with a class keeps it on every wrapped line."""
    out = []
    for line in parts:
        pieces = line if isinstance(line, list) else [line]
        text = "".join(t for t, _c in pieces)
        if len(text) <= width:
            out.append(pieces)
            continue
        # Rare: wrap by characters, keeping the pieces' classes.
        flat = [(ch, css) for t, css in pieces for ch in t]
        for start in range(0, len(flat), width):
            chunk, merged = flat[start : start + width], []
            for ch, css in chunk:
                if merged and merged[-1][1] == css:
                    merged[-1] = (merged[-1][0] + ch, css)
                else:
                    merged.append((ch, css))
            out.append(merged)
    return out


def aligned_rows(rows: list[list[list]], widths=ORIGIN_COLUMNS, right=(4,)) -> list[Markup]:
    """Each row (a list of cells, a cell a list of lines, a line a (text, css class) piece or a
    list of them) as escaped monospace text: columns padded to `widths`, one space apart,
    columns in `right` right-aligned, classes as <span>s."""
    rendered = []
    for row in rows:
        cells = [_cell_lines(cell, width) for cell, width in zip(row, widths, strict=True)]
        height = max(len(cell) for cell in cells)
        lines = []
        for n in range(height):
            out = []
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
                pieces = cell[n] if n < len(cell) else []
                length = sum(len(t) for t, _c in pieces)
                pad = " " * (width - length)
                html = "".join(
                    f'<span class="{c}">{escape(t)}</span>' if c else str(escape(t))
                    for t, c in pieces
                )
                out.append(pad + html if i in right else html + pad)
            lines.append(" ".join(out).rstrip())
        rendered.append(Markup("\n".join(lines)))  # noqa: S704  (every value escaped above)
    return rendered


def origin_rows(origins: list[dict], label) -> list[Markup]:
    """The origin table's rows as aligned text (label(kind, code) gives the words)."""
    rows = []
    for o in origins:
        producer = o["producer_code"] + (f" · {o['producer_name']}" if o["producer_name"] else "")
        agreement = (", ".join(o["agreement_numbers"]) or "—") + " · "
        active = (
            (label("text", "active"), None)
            if o["agreement_active"]
            else (label("text", "NOT active"), "bad")
        )
        organic_class = None if o["organic_status"] == "organic" else "bad"
        if o["forest_result"]:
            forest_class = {"deforestation_free": None, "loss_after_cutoff": "bad"}.get(
                o["forest_result"], "warn"
            )
            forest = [
                (
                    f"{label('forest', o['forest_result'])} · "
                    f"{label('evidence', o['forest_kind'])}",
                    forest_class,
                ),
                (formatting.iso_day(o["forest_observed_on"]), None),
            ]
        else:
            forest = [(label("text", "no evidence"), "bad")]
        area = f"{formatting.ha(o['area_ha'])} ha · {formatting.integer(o['altitude_m'])} m"
        rows.append(
            [
                [(producer, "b"), [(agreement, None), active]],
                [(o["plot_name"], None), (area, None)],
                [
                    (
                        f"{label('status', o['organic_status'])} · "
                        f"{formatting.iso_day(o['organic_since'])}",
                        organic_class,
                    ),
                    (
                        f"{o['organic_certificate_number'] or '—'} · "
                        f"{formatting.iso_day(o['organic_certificate_valid_until'])}",
                        None,
                    ),
                ],
                forest,
                [(formatting.kg(o["kg"]), "b"), (str(o["deliveries"]), None)],
            ]
        )
    return aligned_rows(rows)


def origin_head() -> Markup:
    (row,) = aligned_rows(
        [
            [
                [(_("Producer"), None), (_("agreement"), None)],
                [(_("Plot"), None), (_("area · altitude"), None)],
                [(_("Organic status · since"), None), (_("certificate · valid to"), None)],
                [(_("Forest loss"), None), (_("evidence date"), None)],
                [(_("kg"), None), (_("deliveries"), None)],
            ]
        ]
    )
    return row


def origin_total(totals: dict) -> Markup:
    plots = ngettext("%(num)s plot", "%(num)s plots", totals["plots"])
    (row,) = aligned_rows(
        [
            [
                [(f"{_('Total')}: {plots}, {formatting.ha(totals['area_ha'])} ha", "b")],
                [],
                [],
                [],
                [
                    (formatting.kg(totals["kg"]), "b"),
                    (formatting.integer(totals["deliveries"]), None),
                ],
            ]
        ]
    )
    return row
