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
from markupsafe import Markup

from coopchain import formatting
from coopchain.pdf import aligned_rows

#: The origin rows' fixed words (origin_rows).
ORIGIN_WORDS = {
    "active": _l("active"),
    "NOT active": _l("NOT active"),
    "no evidence": _l("no evidence"),
}

#: Characters per column of the origin table (DejaVu Sans Mono at 6.5 pt: 131 fit in the
#: 182 mm between the margins). Producer, plot, organic, forest, kg.
ORIGIN_COLUMNS = (34, 28, 27, 22, 13)


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
                [(producer, None), [(agreement, None), active]],
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
                [(formatting.kg(o["kg"]), None), (str(o["deliveries"]), None)],
            ]
        )
    return aligned_rows(rows, ORIGIN_COLUMNS, right=(4,))


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
        ],
        ORIGIN_COLUMNS,
        right=(4,),
    )
    return row


def origin_total(totals: dict) -> Markup:
    plots = ngettext("%(num)s plot", "%(num)s plots", totals["plots"])
    (row,) = aligned_rows(
        [
            [
                [(f"{_('Total')}: {plots}, {formatting.ha(totals['area_ha'])} ha", None)],
                [],
                [],
                [],
                [
                    (formatting.kg(totals["kg"]), None),
                    (formatting.integer(totals["deliveries"]), None),
                ],
            ]
        ],
        ORIGIN_COLUMNS,
        right=(4,),
    )
    return row
