"""The farm registry's rules for plots (geometry, organic status, yield).

Every function takes the session and the organisation id, scopes every query by it, records a
ledger event for each write, flushes and never commits (DESIGN.md §3).
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.bulk_insert import insert_all
from coopchain.clock import today, utcnow
from coopchain.db import in_organization, owned
from coopchain.errors import DomainError, InvalidGeometry, NotFound
from coopchain.farms import rules
from coopchain.farms.certifiers import get_certifier
from coopchain.farms.geometry import GeometryIssue
from coopchain.farms.geometry_validation import GeometryReport, validate_plot_geometry
from coopchain.farms.models import Plot
from coopchain.farms.producers import get_producer
from coopchain.farms.registry_common import _snapshot
from coopchain.ledger.services import append, append_many, changes

PLOT_FIELDS = (
    "name",
    "crop",
    "declared_area_ha",
    "altitude_m",
    "varieties",
    "shade_agroforestry",
    "planting_year",
    "organic_conversion_start",
    "organic_certifier_id",
    "organic_certificate_number",
    "organic_certificate_valid_until",
    "expected_yield_kg_ha",
)


def get_plot(session: Session, org_id: int, plot_id: int) -> Plot:
    plot = session.scalar(select(Plot).where(Plot.id == plot_id, in_organization(Plot, org_id)))
    if plot is None:
        raise NotFound(str(_l("No such plot.")))
    return plot


def plots_of_producers(session: Session, org_id: int, producer_ids: Sequence[int]) -> list[Plot]:
    return list(
        session.scalars(
            owned(Plot, org_id)
            .where(Plot.producer_id.in_(producer_ids))
            .order_by(Plot.producer_id, Plot.name)
        )
    )


def list_plots(session: Session, org_id: int, page: int, per_page: int):
    query = owned(Plot, org_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(query.order_by(Plot.id).offset((page - 1) * per_page).limit(per_page))
    return list(items), total


def check_plot_geometry(data: dict) -> tuple[dict | None, Decimal | None, list[dict]]:
    """Validate the geometry (DOMAIN.md §2); raise InvalidGeometry on errors.

    Returns the geometry, its computed area and the warnings to keep on the plot.
    """
    if data.get("geometry") is None:
        missing = GeometryIssue("geometry.missing", {}).to_dict()
        return None, None, [{**missing, "severity": "warning"}]
    report = validate_plot_geometry(
        data["geometry"], crop=data["crop"], declared_area_ha=data.get("declared_area_ha")
    )
    if not report.ok:
        messages = [issue.message for issue in report.errors]
        raise InvalidGeometry(
            str(_l("The geometry is not valid: %(reasons)s", reasons="; ".join(messages))),
            {"geometry": messages},
        )
    warnings = [{**issue.to_dict(), "severity": "warning"} for issue in report.warnings]
    return report.geometry, report.computed_area_ha, warnings


def _check_certifier(session: Session, org_id: int, data: dict) -> None:
    """The certifier must be one of the organisation's records."""
    if data.get("organic_certifier_id") is None:
        return
    try:
        get_certifier(session, org_id, data["organic_certifier_id"])
    except NotFound as exc:
        raise DomainError(exc.message, {"organic_certifier_id": [exc.message]}) from exc


def _new_plot(org_id: int, producer_id: int, data: dict, geometry, computed_area, warnings):
    return Plot(**_plot_values(org_id, producer_id, data, geometry, computed_area, warnings))


def _plot_values(org_id: int, producer_id: int, data: dict, geometry, computed_area, warnings):
    """A new plot's columns, for the Plot constructor or a bulk insert."""
    return {
        "organization_id": org_id,
        "producer_id": producer_id,
        "geometry": geometry,
        "computed_area_ha": computed_area,
        "geometry_issues": warnings,
        **{k: data.get(k) for k in PLOT_FIELDS},
    }


def _created_event(plot: Plot, member_code: str) -> dict:
    payload = {
        "producer": member_code,
        "geometry": plot.geometry,
        "computed_area_ha": plot.computed_area_ha,
        **_snapshot(plot, PLOT_FIELDS),
    }
    return {"kind": "plot.created", "subject": ("plot", plot.id), "payload": payload}


def create_plot(session: Session, org_id: int, user_id: int | None, data: dict) -> Plot:
    producer = get_producer(session, org_id, data["producer_id"])
    _check_certifier(session, org_id, data)
    geometry, computed_area, warnings = check_plot_geometry(data)
    plot = _new_plot(org_id, producer.id, data, geometry, computed_area, warnings)
    session.add(plot)
    session.flush()
    append_many(session, org_id, [_created_event(plot, producer.member_code)], user_id=user_id)
    return plot


def create_checked_plots(
    session: Session, org_id: int, user_id: int | None, rows: list[tuple[dict, str, GeometryReport]]
) -> list[Plot]:
    """create_plot for many rows at once (field imports of thousands of plots): one flush and
    one ledger lock. Each row is (data, the producer's member code, the GeometryReport of
    validate_plot_geometry on data's geometry, crop and declared area, without errors); the
    caller found data["producer_id"] among the organisation's producers. No certifier."""
    values = []
    for data, _code, report in rows:
        if not report.ok or data.get("organic_certifier_id") is not None:
            raise ValueError("create_checked_plots takes checked geometry and no certifier")
        warnings = [{**issue.to_dict(), "severity": "warning"} for issue in report.warnings]
        warnings += data.get("extra_issues") or []
        area = report.computed_area_ha
        values.append(
            _plot_values(org_id, data["producer_id"], data, report.geometry, area, warnings)
        )
    # One INSERT … RETURNING (bulk_insert.py): an import job writes these inside SQLite's
    # write lock, which every clerk's save waits for.
    made = insert_all(session, Plot, values)
    events = [_created_event(plot, code) for plot, (_d, code, _r) in zip(made, rows, strict=True)]
    append_many(session, org_id, events, user_id=user_id)
    return made


def update_plot(
    session: Session, org_id: int, user_id: int | None, plot_id: int, data: dict
) -> Plot:
    plot = get_plot(session, org_id, plot_id)
    producer = get_producer(session, org_id, data["producer_id"])
    _check_certifier(session, org_id, data)
    geometry, computed_area, warnings = check_plot_geometry(data)
    before = {
        **_snapshot(plot, PLOT_FIELDS),
        "producer_id": plot.producer_id,
        "geometry": plot.geometry,
    }
    for name in PLOT_FIELDS:
        setattr(plot, name, data.get(name))
    plot.producer_id = producer.id
    plot.geometry, plot.computed_area_ha, plot.geometry_issues = geometry, computed_area, warnings
    plot.updated_at = utcnow()
    session.add(plot)
    session.flush()
    after = {
        **_snapshot(plot, PLOT_FIELDS),
        "producer_id": plot.producer_id,
        "geometry": plot.geometry,
    }
    diff = changes(before, after)
    if diff:
        append(
            session,
            org_id,
            "plot.updated",
            ("plot", plot.id),
            diff,
            action="OBSERVE",
            user_id=user_id,
        )
    return plot


def expected_yield(plot: Plot, defaults: dict[str, Decimal]) -> Decimal | None:
    """kg/ha/yr for mass balance: the plot's own figure, else the crop default (a setting)."""
    if plot.expected_yield_kg_ha is not None:
        return plot.expected_yield_kg_ha
    return defaults.get(plot.crop)


def plot_organic_status(plot: Plot, on: date | None = None) -> rules.OrganicStatus:
    return rules.organic_status(plot.organic_conversion_start, on or today())
