"""What the staff maps draw (issue 15): each plot with its status, and geometry issues located.

`plot_features` builds the GeoJSON FeatureCollection the maps load: one feature per plot with
a geometry, its producer and four statuses (latest forest evidence, organic status, agreement
in force, geometry problems). `issue_marks` turns the indices a geometry check reports
(geometry.py: 0-based, polygons in document order) into the positions to highlight on the map.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.farms.agreements import agreement_producer_ids, agreements_in_force
from coopchain.farms.geometry import GeometryIssue, _position
from coopchain.farms.models import Agreement, Plot, Producer
from coopchain.farms.plots import plot_organic_status
from coopchain.forest.evidence import latest_evidence


def geometry_status(plot: Plot) -> str:
    """missing | error | warning | ok: what the plot's stored geometry issues say."""
    if not plot.geometry:
        return "missing"
    severities = {issue.get("severity") for issue in plot.geometry_issues or []}
    if "error" in severities:
        return "error"
    return "warning" if severities else "ok"


def producers_with_agreement(session: Session, org_id: int, on: date) -> set[int]:
    """Producers covered on `on` by at least one conservation agreement in force."""
    agreements = list(session.scalars(owned(Agreement, org_id)))
    in_force = agreements_in_force(session, agreements, on)
    members = agreement_producer_ids(session, [a.id for a in agreements])
    return {pid for aid, pids in members.items() if in_force[aid] for pid in pids}


def plot_features(
    session: Session,
    org_id: int,
    on: date,
    *,
    producer_id: int | None = None,
    plot_id: int | None = None,
) -> dict:
    """The organisation's plots as a GeoJSON FeatureCollection (optionally one producer's or
    one plot), properties: ids, names and the four statuses."""
    query = (
        select(Plot, Producer)
        .join(Producer, Producer.id == Plot.producer_id)
        .where(in_organization(Plot, org_id), Plot.geometry.is_not(None))
        .order_by(Producer.member_code, Plot.name)
    )
    if producer_id is not None:
        query = query.where(Plot.producer_id == producer_id)
    if plot_id is not None:
        query = query.where(Plot.id == plot_id)
    rows = [(plot, producer) for plot, producer in session.execute(query) if plot.geometry]
    forest = latest_evidence(session, org_id, [plot.id for plot, _ in rows])
    covered = producers_with_agreement(session, org_id, on) if rows else set()
    features = []
    for plot, producer in rows:
        evidence = forest.get(plot.id)
        features.append(
            {
                "type": "Feature",
                "geometry": plot.geometry,
                "properties": {
                    "id": plot.id,
                    "name": plot.name,
                    "crop": plot.crop,
                    "area_ha": None if plot.area_ha is None else float(plot.area_ha),
                    "producer_id": producer.id,
                    "producer": producer.full_name,
                    "member_code": producer.member_code,
                    "forest": evidence.result if evidence else "missing",
                    "organic": str(plot_organic_status(plot, on)),
                    "agreement": "in_force" if producer.id in covered else "none",
                    "geometry_status": geometry_status(plot),
                    "issues": [GeometryIssue.describe(i) for i in plot.geometry_issues or []],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --- locating issues ---------------------------------------------------------------------------


def _parts(geometry) -> tuple[list[list], list]:
    """(polygons as lists of rings, points) in document order, as the checks number them."""
    polygons: list[list] = []
    points: list = []

    def walk(geom) -> None:
        if not isinstance(geom, dict):
            return
        kind, coords = geom.get("type"), geom.get("coordinates")
        if kind == "GeometryCollection":
            for member in geom.get("geometries") or []:
                walk(member)
        elif kind == "Polygon":
            polygons.append(coords if isinstance(coords, list) else [])
        elif kind == "MultiPolygon" and isinstance(coords, list):
            polygons.extend(p if isinstance(p, list) else [] for p in coords)
        elif kind == "Point":
            points.append(coords)
        elif kind == "MultiPoint" and isinstance(coords, list):
            points.extend(coords)

    if isinstance(geometry, dict) and geometry.get("type") == "FeatureCollection":
        features = geometry.get("features") or []
        geometry = features[0] if len(features) == 1 else None
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    walk(geometry)
    return polygons, points


def _at(seq, i):
    if isinstance(i, int) and isinstance(seq, list) and 0 <= i < len(seq):
        return seq[i]
    return None


def issue_marks(geometry, issue: GeometryIssue) -> list[dict]:
    """Where to draw an issue: [{"type": "vertex", "at": [lon, lat]}] or
    [{"type": "edge", "from": [...], "to": [...]}] (two edges for a crossing)."""
    polygons, points = _parts(geometry)
    params = issue.params
    if "polygon" in params:
        ring = _at(_at(polygons, params["polygon"]) or [], params.get("ring", 0))
    else:
        ring = None
    marks = []
    if ring is not None and "edge_a" in params:
        for key in ("edge_a", "edge_b"):
            k = params[key]
            if not isinstance(k, int):  # "?" when the crossing could not be located
                continue
            a, b = _position(_at(ring, k)), _position(_at(ring, k + 1))
            if a and b:
                marks.append({"type": "edge", "from": list(a), "to": list(b)})
    elif "vertex" in params:
        pos = _position(_at(ring if ring is not None else points, params["vertex"]))
        if pos:
            marks.append({"type": "vertex", "at": list(pos)})
    return marks
