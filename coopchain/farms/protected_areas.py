"""Protected-area and buffer-zone outlines an administrator uploads as GeoJSON (issue 15).

They are drawn on the staff maps behind the plots. Every write records a ledger event. The
outline is checked before it is stored: Polygon or MultiPolygon only (holes allowed), closed
rings of at least 4 positions, numbers in WGS84 range, no ring crossing itself. Errors name
the feature, polygon and ring (counted from 1) so the admin can find the fault in the file.
"""

from __future__ import annotations

import json
import math

import shapely
from flask_babel import lazy_gettext as _l
from shapely.validation import explain_validity
from sqlmodel import Session

from coopchain.db import owned
from coopchain.errors import DomainError, NotFound
from coopchain.farms.models import AreaKind, ProtectedArea
from coopchain.ledger.services import append

#: Positions one outline may have: an official boundary is detailed, but not unbounded.
MAX_AREA_VERTICES = 200_000


def _refuse(message) -> DomainError:
    return DomainError(str(message), {"geometry": [str(message)]})


def parse_area_geojson(text: str | bytes) -> dict:
    """A Polygon or MultiPolygon geometry from GeoJSON text, or DomainError on "geometry"."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _refuse(
                _l("The file is not UTF-8 text (byte %(at)s).", at=exc.start + 1)
            ) from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise _refuse(_l("No GeoJSON given: paste it or choose a file."))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _refuse(
            _l(
                "The GeoJSON is not valid JSON (line %(line)s, column %(col)s).",
                line=exc.lineno,
                col=exc.colno,
            )
        ) from exc
    except RecursionError as exc:
        raise _refuse(_l("The GeoJSON is nested too deeply.")) from exc
    polygons = []
    for label, geometry in _geometries(data):
        polygons.extend(_polygons(label, geometry))
    if not polygons:
        raise _refuse(_l("The GeoJSON holds no polygon."))
    if sum(len(ring) for rings in polygons for ring in rings) > MAX_AREA_VERTICES:
        raise _refuse(_l("The outline has over %(limit)s positions.", limit=MAX_AREA_VERTICES))
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def _geometries(data) -> list[tuple[str, object]]:
    """(label, geometry) for a bare geometry, a Feature or each feature of a collection."""
    if not isinstance(data, dict):
        raise _refuse(_l('The GeoJSON must be an object with a "type".'))
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or not features:
            raise _refuse(_l("The FeatureCollection has no features."))
        return [
            (str(_l("Feature %(n)s", n=n)), f.get("geometry") if isinstance(f, dict) else None)
            for n, f in enumerate(features, start=1)
        ]
    if data.get("type") == "Feature":
        return [(str(_l("The feature")), data.get("geometry"))]
    return [(str(_l("The geometry")), data)]


def _polygons(label: str, geometry) -> list[list]:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        shown = kind if isinstance(kind, str) else _l("no geometry")
        raise _refuse(
            _l(
                "%(where)s is a %(type)s; an area outline must be a Polygon or MultiPolygon.",
                where=label,
                type=str(shown)[:40],
            )
        )
    coords = geometry.get("coordinates")
    polygons = [coords] if kind == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        raise _refuse(_l("%(where)s has no coordinates.", where=label))
    return [_polygon(label, p, rings) for p, rings in enumerate(polygons, start=1)]


def _polygon(label: str, p: int, rings) -> list:
    if not isinstance(rings, list) or not rings:
        raise _refuse(_l("%(where)s, polygon %(p)s has no rings.", where=label, p=p))
    clean = [_ring(label, p, r, ring) for r, ring in enumerate(rings, start=1)]
    shape = shapely.Polygon(clean[0], clean[1:])
    if not shape.is_valid:  # e.g. "Self-intersection[-77.3 -5.6]"
        reason, _, where = explain_validity(shape).partition("[")
        raise _refuse(
            _l(
                "%(where)s, polygon %(p)s crosses or overlaps itself near [%(at)s] (%(reason)s).",
                where=label,
                p=p,
                at=", ".join(where.rstrip("]").split()),
                reason=reason.strip(),
            )
        )
    return clean


def _ring(label: str, p: int, r: int, ring) -> list[list[float]]:
    where = {"where": label, "p": p, "r": r}
    if not isinstance(ring, list):
        raise _refuse(_l("%(where)s, polygon %(p)s, ring %(r)s is not a list.", **where))
    out = []
    for v, pos in enumerate(ring, start=1):
        ok = isinstance(pos, list) and len(pos) in (2, 3)
        ok = ok and all(isinstance(x, int | float) and not isinstance(x, bool) for x in pos)
        if not ok or not all(math.isfinite(x) for x in pos[:2]):
            raise _refuse(
                _l(
                    "%(where)s, polygon %(p)s, ring %(r)s: position %(v)s is not "
                    "[longitude, latitude].",
                    v=v,
                    **where,
                )
            )
        lon, lat = float(pos[0]), float(pos[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):  # WGS84 ranges (RFC 7946)
            raise _refuse(
                _l(
                    "%(where)s, polygon %(p)s, ring %(r)s: position %(v)s is off the globe.",
                    v=v,
                    **where,
                )
            )
        out.append([lon, lat])
    if len(out) < 4:
        raise _refuse(
            _l(
                "%(where)s, polygon %(p)s, ring %(r)s has %(n)s positions; it needs at least 4.",
                n=len(out),
                **where,
            )
        )
    if out[0] != out[-1]:
        raise _refuse(
            _l(
                "%(where)s, polygon %(p)s, ring %(r)s is not closed: "
                "the last position must repeat the first.",
                **where,
            )
        )
    return out


def list_areas(session: Session, org_id: int) -> list[ProtectedArea]:
    return list(session.scalars(owned(ProtectedArea, org_id).order_by(ProtectedArea.name)))


def create_area(session: Session, org_id: int, user_id: int | None, data: dict) -> ProtectedArea:
    """data: name, kind, geometry (GeoJSON text or a geometry dict), approximate, source."""
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if not name or len(name) > 200:
        errors["name"] = [str(_l("Required, at most 200 characters."))]
    kind = data.get("kind") or AreaKind.PROTECTED_AREA
    if kind not in set(AreaKind):
        errors["kind"] = [str(_l("Choose protected area or buffer zone."))]
    source = (data.get("source") or "").strip() or None
    if source and len(source) > 300:
        errors["source"] = [str(_l("At most 300 characters."))]
    raw = data.get("geometry")
    try:
        geometry = parse_area_geojson(json.dumps(raw) if isinstance(raw, dict) else raw or "")
    except DomainError as exc:
        errors.update(exc.fields)
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, errors)
    area = ProtectedArea(
        organization_id=org_id,
        name=name,
        kind=kind,
        geometry=geometry,
        approximate=bool(data.get("approximate")),
        source=source,
        user_id=user_id,
    )
    session.add(area)
    session.flush()
    append(
        session,
        org_id,
        "protected_area.uploaded",
        ("protected_area", area.id),
        {
            "name": name,
            "kind": kind,
            "approximate": area.approximate,
            "source": source,
            "geometry": geometry,
        },
        user_id=user_id,
    )
    return area


def delete_area(session: Session, org_id: int, user_id: int | None, area_id: int) -> None:
    area = session.scalar(owned(ProtectedArea, org_id).where(ProtectedArea.id == area_id))
    if area is None:
        raise NotFound(str(_l("No such protected area.")))
    append(
        session,
        org_id,
        "protected_area.deleted",
        ("protected_area", area.id),
        {"name": area.name, "kind": area.kind},
        action="DELETE",
        user_id=user_id,
    )
    session.delete(area)
    session.flush()


def areas_geojson(areas: list[ProtectedArea]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": a.geometry,
                "properties": {
                    "id": a.id,
                    "name": a.name,
                    "kind": a.kind,
                    "approximate": a.approximate,
                    "source": a.source,
                },
            }
            for a in areas
        ],
    }
