"""The demo ships the Alto Mayo Protection Forest and its buffer zone as outlines that say they
are approximate (issue 15), around the demo's plots, in both organisations."""

import shapely
from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.farms.map_data import plot_features
from coopchain.farms.models import ProtectedArea
from coopchain.ledger.models import LedgerEvent


def test_the_demo_outlines_are_labelled_approximate_and_surround_the_plots(db_session):
    coffee = db_session.scalar(select(Organization).where(Organization.code == "COOPAM"))
    areas = {
        a.kind: a
        for a in db_session.scalars(
            select(ProtectedArea).where(ProtectedArea.organization_id == coffee.id)
        )
    }
    forest, buffer = areas["protected_area"], areas["buffer_zone"]
    assert forest.name == "Bosque de Protección Alto Mayo"
    assert forest.approximate and buffer.approximate
    assert "aproximado" in forest.source and "not the official boundary" in forest.source
    # The member families farm in the buffer zone, outside the protected forest itself.
    zone, core = shapely.geometry.shape(buffer.geometry), shapely.geometry.shape(forest.geometry)
    plots = plot_features(db_session, coffee.id, forest.uploaded_at.date())["features"]
    centres = [shapely.geometry.shape(f["geometry"]).centroid for f in plots]
    assert centres and all(zone.contains(c) and not core.contains(c) for c in centres)
    uploads = db_session.scalars(
        select(LedgerEvent.subject_id).where(
            LedgerEvent.organization_id == coffee.id, LedgerEvent.kind == "protected_area.uploaded"
        )
    )
    assert sorted(uploads) == sorted(str(a.id) for a in areas.values())


def test_the_pitahaya_association_has_the_outlines_too(db_session):
    pitahaya = db_session.scalar(select(Organization).where(Organization.code == "APAM"))
    kinds = db_session.scalars(
        select(ProtectedArea.kind).where(ProtectedArea.organization_id == pitahaya.id)
    )
    assert sorted(kinds) == ["buffer_zone", "protected_area"]
