"""What the rasters say about each plot (:class:`PlotForest`): the measured areas turned into
hectares and shares, the problems worth telling, and the result following FAO Whisp's
perennial-crop logic (:func:`classify`, DOMAIN.md §7)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l

from coopchain.farms.models import ForestResult
from coopchain.forest.plot_shapes import PlotShape, geodesic_area_ha
from coopchain.forest.raster_tiles import DATASET_NAMES, DatasetKind

_QUANTUM = Decimal("0.0001")
_ZERO = Decimal("0.0000")
_ONE = Decimal("1.0000")


@dataclass
class PlotForest:
    """What the rasters say about one plot. Every share is of the whole plot's area (so
    hectares = share × area_ha); the part no raster covers counts in none of them, and
    `covered_share` says how much that is."""

    plot_id: int
    area_ha: Decimal
    covered_share: Decimal
    loss_after_ha: Decimal
    loss_after_share: Decimal
    loss_before_ha: Decimal
    loss_before_share: Decimal
    tree_cover_2000_share: Decimal
    forest_2020_share: Decimal | None
    result: ForestResult
    datasets: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _q(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(_QUANTUM, rounding=ROUND_HALF_UP)


def _plot_forest(plot, polygon, k, measured, datasets) -> PlotForest:
    area_ha = geodesic_area_ha(polygon)
    area_deg2 = polygon.area

    def share(deg2: float) -> float:
        # Floating sums over pixels may land a hair above 1.
        return min(max(deg2 / area_deg2, 0.0), 1.0)

    coverage = {kind: share(m.covered[k]) for kind, m in measured.items()}
    loss = measured[DatasetKind.HANSEN_LOSSYEAR].categories
    after, before = share(loss["after"][k]), share(loss["before"][k])
    cover = share(measured[DatasetKind.HANSEN_TREECOVER2000].categories["cover"][k])
    jrc = measured.get(DatasetKind.JRC_GFC2020)
    forest = _q(share(jrc.categories["forest"][k])) if jrc else None
    result = PlotForest(
        plot_id=plot.plot_id,
        area_ha=_q(area_ha),
        # The plot is only as covered as its least covered dataset.
        covered_share=_q(min(coverage.values())),
        loss_after_ha=_q(after * area_ha),
        loss_after_share=_q(after),
        loss_before_ha=_q(before * area_ha),
        loss_before_share=_q(before),
        tree_cover_2000_share=_q(cover),
        forest_2020_share=forest,
        result=ForestResult.NO_DATA,
        datasets=list(datasets),
        problems=_problems(plot, coverage),
    )
    result.result = classify(result)
    if _would_be_free_if_fully_covered(result):
        result.problems.append(
            str(_l("Part of the plot has no forest data: it cannot be called deforestation-free."))
        )
    return result


def _problems(plot: PlotShape, coverage: dict[str, float]) -> list[str]:
    problems = []
    geometry_type = (plot.geometry or {}).get("type")
    if geometry_type in ("Point", "MultiPoint") and plot.declared_area_ha is None:
        problems.append(
            str(
                _l(
                    "The point has no declared area: it was read as a 4 ha circle, as the EU "
                    "system does."
                )
            )
        )
    for kind, covered in coverage.items():
        percent = _q(covered * 100).quantize(Decimal("0.1"))
        if percent <= 0:
            problems.append(
                str(_l("No %(dataset)s tile covers this plot.", dataset=DATASET_NAMES[kind]))
            )
        elif _q(covered) < _ONE:
            problems.append(
                str(
                    _l(
                        "Only %(percent)s %% of the plot lies in the %(dataset)s tiles; the rest "
                        "was not assessed.",
                        percent=percent,
                        dataset=DATASET_NAMES[kind],
                    )
                )
            )
    return problems


def _no_geometry(plot: PlotShape, datasets: list[str], with_jrc: bool) -> PlotForest:
    return PlotForest(
        plot_id=plot.plot_id,
        area_ha=_ZERO,
        covered_share=_ZERO,
        loss_after_ha=_ZERO,
        loss_after_share=_ZERO,
        loss_before_ha=_ZERO,
        loss_before_share=_ZERO,
        tree_cover_2000_share=_ZERO,
        forest_2020_share=_ZERO if with_jrc else None,
        result=ForestResult.NO_DATA,
        datasets=list(datasets),
        problems=[str(_l("No usable point or polygon to assess (none, a line, or no area)."))],
    )


# --- the result --------------------------------------------------------------------------------


#: Share of a plot that must have been disturbed before 2020 for Whisp's "crop already there"
#: reading to apply. Whisp counts any disturbance; one edge pixel would then clear a forested
#: plot, the costly error, so a tenth of the plot is asked for (a judgement, not a published
#: threshold: revisit with the certifier).
MIN_DISTURBANCE_SHARE = Decimal("0.1")


def _no_tree_cover_2020(p: PlotForest) -> bool:
    """No tree cover on 2020-12-31: the JRC map, the EU's reference (DOMAIN.md §7), when given;
    else Hansen tree cover 2000 at the canopy threshold. Hansen cover that was all lost before
    2021 also means no cover in 2020, but such a plot has pre-2020 disturbance, which
    :func:`classify` already reads as low risk, so it needs no test of its own here."""
    if p.forest_2020_share is not None:
        return p.forest_2020_share == 0
    return p.tree_cover_2000_share == 0


def _deforestation_free_on_what_was_seen(p: PlotForest) -> bool:
    # Whisp, perennial crops (DOMAIN.md §7): low risk if no tree cover in 2020, or disturbance
    # before 2020 (the crop was already there). The third low-risk case, "a commodity already
    # there in 2020", needs a commodity map CoopChain does not read.
    return _no_tree_cover_2020(p) or p.loss_before_share >= MIN_DISTURBANCE_SHARE


def classify(p: PlotForest) -> ForestResult:
    """The plot's result, following FAO Whisp's perennial-crop logic (DOMAIN.md §7): low risk
    if no tree cover in 2020 or disturbance before 2020; otherwise more information needed if
    no disturbance after 2020; otherwise high risk. Mapped to CoopChain's results with two
    conservative departures, because a wrong "deforestation-free" is the costly error:

    - any loss after the cutoff is `loss_after_cutoff`, even on a plot Whisp would call low
      risk for its pre-2020 disturbance or missing 2020 cover: the loss is a fact on the plot
      that a person must look at, whatever happened before;
    - a plot the rasters cover only in part is never `deforestation_free` (`more_info_needed`
      instead): nothing was seen on the rest. No coverage at all is `no_data`, never
      "deforestation-free".
    """
    if p.covered_share <= 0:
        return ForestResult.NO_DATA
    if p.loss_after_ha > 0:
        return ForestResult.LOSS_AFTER_CUTOFF
    if _deforestation_free_on_what_was_seen(p) and p.covered_share >= _ONE:
        return ForestResult.DEFORESTATION_FREE
    # Tree cover, no loss after 2020 (typically shade coffee): field evidence decides.
    return ForestResult.MORE_INFO_NEEDED


def _would_be_free_if_fully_covered(p: PlotForest) -> bool:
    return (
        p.result == ForestResult.MORE_INFO_NEEDED
        and 0 < p.covered_share < _ONE
        and _deforestation_free_on_what_was_seen(p)
    )
