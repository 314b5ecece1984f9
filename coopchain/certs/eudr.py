"""The EUDR geolocation package a coffee shipment hands the EU importer (DOMAIN.md §2).

Pure: plain :class:`EudrPlot` records in, a :class:`EudrPackage` of GeoJSON FeatureCollections
out; no app, database or network (only gettext for messages). Callers read the plots of a
shipment's origins and pass them here; ``part_bytes`` gives the exact bytes to download.

A plot is EUDR-valid when it has a geometry, that geometry passes ``validate_plot_geometry`` (the
validator the plot import uses) for coffee with its declared area, and a point-only plot is at
most 4 ha. Any invalid plot refuses the whole package with the list of offending plots: the
importer cannot file a due diligence statement with a hole in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext

from coopchain import formatting
from coopchain.errors import DomainError
from coopchain.farms.geometry import (
    EUDR_DECIMALS,
    MESSAGES,
    POINT_MAX_HA,
    GeometryIssue,
)
from coopchain.farms.geometry_validation import validate_plot_geometry

#: Green coffee (DOMAIN.md §2: coffee is HS 0901, green coffee 0901.11).
GREEN_COFFEE_HS = "0901.11"
#: ISO 3166-1 alpha-2 of every producer here (Type II files need it on every feature, §2).
PRODUCER_COUNTRY = "PE"
#: EU limits per due diligence statement: 25 MB of geolocation, 1,000 producers (§2).
MAX_BYTES = 25 * 1024 * 1024
MAX_PRODUCERS = 1000

_POINT_KINDS = frozenset({"Point", "MultiPoint"})
_SEPARATORS = (",", ":")


@dataclass
class EudrPlot:
    """One origin plot as the package needs it (plain data, read from Plot and Producer)."""

    plot_id: int
    plot_name: str
    producer_code: str
    producer_name: str
    community: str | None  # the production place, as text
    crop: str
    geometry: dict | None  # GeoJSON geometry as stored on Plot
    declared_area_ha: Decimal | None
    area_ha: Decimal | None  # computed polygon area, else declared (Plot.area_ha)
    geometry_issues: list[dict] = field(default_factory=list)  # as stored on Plot


@dataclass
class EudrPackage:
    parts: list[dict]  # FeatureCollections, each within the EU limits
    producer_count: int
    plot_count: int
    hs_code: str
    net_kg: Decimal
    split: bool
    #: Producer codes of each part, in order (parts hold whole producers).
    part_producers: list[list[str]] = field(default_factory=list)
    #: The limits the parts were cut to.
    max_bytes: int = MAX_BYTES
    max_producers: int = MAX_PRODUCERS
    #: (plot_id, plot_name, producer_code, [messages]); empty on a built package.
    offending: list[tuple[int, str, str, list[str]]] = field(default_factory=list)


class EudrInvalid(DomainError):
    """Some origin plots are not EUDR-valid; ``offending`` lists them with their reasons."""

    code = "eudr_invalid"
    status = 422

    def __init__(self, offending: list[tuple[int, str, str, list[str]]]):
        count = len(offending)
        message = ngettext(
            "The EUDR package cannot be built: %(num)s plot is not EUDR-valid.",
            "The EUDR package cannot be built: %(num)s plots are not EUDR-valid.",
            count,
        )
        lines = [
            f"{code} · {name}: {'; '.join(messages)}" for _id, name, code, messages in offending
        ]
        super().__init__(message, {"plots": lines})
        self.offending = offending


class EudrTooLarge(DomainError):
    """One producer's plots alone exceed a part's byte limit (they cannot be split)."""

    code = "eudr_too_large"
    status = 422


# --- validity ---------------------------------------------------------------------------------


def plot_problems(plot: EudrPlot) -> list[str]:
    """Why the plot is not EUDR-valid, in the current language; empty when it is valid."""
    if not plot.geometry:
        return [str(MESSAGES["geometry.missing"])]  # every plot needs geolocation (§2)
    report = validate_plot_geometry(
        plot.geometry, crop="coffee", declared_area_ha=plot.declared_area_ha
    )
    problems = [issue.message for issue in report.errors]
    if problems:
        return problems
    if _points_only(plot.geometry):
        # A point only up to 4 ha, > 4 ha needs a polygon (§2). The validator has judged the
        # declared area; the area the caller passes may say more.
        sizes = [a for a in (plot.declared_area_ha, plot.area_ha) if a is not None]
        if sizes and max(sizes) > POINT_MAX_HA:
            issue = GeometryIssue("point.area_over_4ha", {"area_ha": str(max(sizes))})
            return [issue.message]
        if not sizes:
            # Area must be a number (§2); we will not write 4 ha for a plot nobody measured.
            return [_("No area: a plot located by a point needs its declared area in hectares.")]
    elif _area(plot) is None:
        return [_("No area: the plot's polygon area could not be computed.")]
    return []


def _points_only(geometry: dict) -> bool:
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        members = geometry.get("geometries") or []
        return bool(members) and all(_points_only(m) for m in members)
    return kind in _POINT_KINDS


def _area(plot: EudrPlot) -> Decimal | None:
    """The Area property: declared for a point (§2), else the plot's (computed) area."""
    if _points_only(plot.geometry):
        return plot.declared_area_ha if plot.declared_area_ha is not None else plot.area_ha
    if plot.area_ha is not None:
        return plot.area_ha
    report = validate_plot_geometry(plot.geometry, crop="coffee", declared_area_ha=None)
    return report.computed_area_ha


# --- features ---------------------------------------------------------------------------------


def _rounded(coords):
    """Positions as [lon, lat] rounded to the 6 decimals the EU keeps (§2); altitude dropped.

    Rounding cannot create duplicate vertices here: the validator already rounds the same way
    and rejects rings whose vertices collapse, so only plots that passed it reach this."""
    if coords and isinstance(coords[0], int | float):
        return [round(float(coords[0]), EUDR_DECIMALS), round(float(coords[1]), EUDR_DECIMALS)]
    return [_rounded(c) for c in coords]


def _geometry(geometry: dict) -> dict:
    if geometry["type"] == "GeometryCollection":
        return {
            "type": "GeometryCollection",
            "geometries": [_geometry(g) for g in geometry["geometries"]],
        }
    return {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])}


def plot_feature(plot: EudrPlot) -> dict:
    """The plot's RFC 7946 Feature with exactly the four properties the EU reads (§2)."""
    return {
        "type": "Feature",
        "geometry": _geometry(plot.geometry),
        "properties": {
            "ProducerName": plot.producer_name or plot.producer_code,
            "ProducerCountry": PRODUCER_COUNTRY,
            "ProductionPlace": plot.community or plot.plot_name,
            "Area": float(_area(plot)),  # a JSON number: "3" is read as 0 (§2)
        },
    }


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _dumps(value) -> bytes:
    return json.dumps(value, separators=_SEPARATORS, ensure_ascii=False).encode("utf-8")


def part_bytes(part: dict) -> bytes:
    """The exact bytes of one part as downloaded: compact JSON, UTF-8."""
    return _dumps(part)


# --- the package ------------------------------------------------------------------------------


def build_package(
    plots: list[EudrPlot],
    *,
    hs_code: str = GREEN_COFFEE_HS,
    net_kg: Decimal,
    max_bytes: int = MAX_BYTES,
    max_producers: int = MAX_PRODUCERS,
) -> EudrPackage:
    """One Type II FeatureCollection (one feature per plot), split when over the EU limits.

    Raises EudrInvalid listing every plot that is not EUDR-valid, and EudrTooLarge when one
    producer's plots alone exceed ``max_bytes``."""
    if not plots:  # the EU system wants at least one feature
        raise DomainError(_("No origin plots: there is nothing to geolocate."))
    ordered = sorted(plots, key=lambda p: (p.producer_code, p.plot_id))
    offending = [
        (p.plot_id, p.plot_name, p.producer_code, problems)
        for p in ordered
        if (problems := plot_problems(p))
    ]
    if offending:
        raise EudrInvalid(offending)

    # Producers in order, each with its features: a producer never straddles parts.
    groups: dict[str, list[dict]] = {}
    for plot in ordered:
        groups.setdefault(plot.producer_code, []).append(plot_feature(plot))

    whole = _collection([f for features in groups.values() for f in features])
    if len(groups) <= max_producers and len(part_bytes(whole)) <= max_bytes:
        parts, codes = [whole], [list(groups)]
    else:
        parts, codes = _split(groups, max_bytes=max_bytes, max_producers=max_producers)
    return EudrPackage(
        parts=parts,
        part_producers=codes,
        producer_count=len(groups),
        plot_count=len(ordered),
        hs_code=hs_code,
        net_kg=net_kg,
        split=len(parts) > 1,
        max_bytes=max_bytes,
        max_producers=max_producers,
    )


def _split(
    groups: dict[str, list[dict]], *, max_bytes: int, max_producers: int
) -> tuple[list[dict], list[list[str]]]:
    """Fill parts producer by producer, each within both limits (§2: 25 MB, 1,000 producers)."""
    # Compact JSON of a collection is its envelope plus the features' own JSON joined by commas,
    # so sizes add up exactly; part_bytes checks the result below.
    envelope = len(part_bytes(_collection([])))
    parts: list[tuple[list[str], list[dict]]] = []
    codes: list[str] = []
    current: list[dict] = []
    size = envelope
    for code, features in groups.items():
        own = sum(len(_dumps(f)) for f in features) + len(features) - 1  # commas between
        if envelope + own > max_bytes:
            raise EudrTooLarge(
                _(
                    "The plots of producer %(code)s alone take %(size)s, over the %(limit)s "
                    "a part may hold.",
                    code=code,
                    size=format_size(envelope + own),
                    limit=format_size(max_bytes),
                )
            )
        grown = size + own + (1 if current else 0)
        if current and (grown > max_bytes or len(codes) + 1 > max_producers):
            parts.append((codes, current))
            codes, current, size = [], [], envelope
            grown = size + own
        codes.append(code)
        current.extend(features)
        size = grown
    if current:
        parts.append((codes, current))
    collections = [_collection(features) for _codes, features in parts]
    for collection in collections:  # the bytes that will be sent, not the estimate
        if len(part_bytes(collection)) > max_bytes:
            raise RuntimeError("an EUDR part exceeds its byte limit")  # a bug, not bad data
    return collections, [part_codes for part_codes, _features in parts]


# --- summary ----------------------------------------------------------------------------------


def format_size(n_bytes: int) -> str:
    """Bytes as people read them: 25 MB, 4.5 KB, 900 bytes (binary units, as the limit)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n_bytes >= scale:
            return f"{formatting.number(round(n_bytes / scale, 1), '#,##0.#')} {unit}"
    return ngettext("%(num)s byte", "%(num)s bytes", n_bytes)


def package_summary(pkg: EudrPackage) -> dict:
    """What the shipment page and the API show about a package (JSON-safe)."""
    sizes = [len(part_bytes(part)) for part in pkg.parts]
    parts = [
        {
            "number": i,
            "producer_count": len(codes),
            "plot_count": len(part["features"]),
            "bytes": size,
        }
        for i, (part, codes, size) in enumerate(
            zip(pkg.parts, pkg.part_producers, sizes, strict=True), start=1
        )
    ]
    if pkg.split:
        note = _(
            "Split into %(parts)s parts: the EU system accepts at most %(producers)s producers "
            "and %(size)s per statement.",
            parts=len(pkg.parts),
            producers=formatting.integer(pkg.max_producers),
            size=format_size(pkg.max_bytes),
        )
    else:
        note = ngettext(
            "One file: %(num)s producer, %(size)s.",
            "One file: %(num)s producers, %(size)s.",
            pkg.producer_count,
            size=format_size(sizes[0]) if sizes else format_size(0),
        )
    return {
        "hs_code": pkg.hs_code,
        "net_kg": str(pkg.net_kg),
        "producer_count": pkg.producer_count,
        "plot_count": pkg.plot_count,
        "split": pkg.split,
        "part_count": len(pkg.parts),
        "parts": parts,
        "note": note,
    }
