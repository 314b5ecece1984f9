"""Farm registry rules that cross the database: each bad input is refused and changes nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coopchain.clock import today
from coopchain.errors import Conflict, DomainError, InvalidGeometry, NotFound
from coopchain.farms import agreements, plots, producers
from coopchain.farms.attention import plots_needing_attention
from coopchain.farms.models import Plot, Producer
from coopchain.ledger.models import LedgerEvent
from tests import factories


def _count(session, model, org):
    return session.scalar(
        select(func.count()).select_from(model).where(model.organization_id == org.id)
    )


def test_duplicate_member_code_is_refused(db_session, org):
    factories.producer(db_session, org, member_code="M-1")
    with pytest.raises(Conflict) as error:
        factories.producer(db_session, org, member_code="M-1")
    assert "member_code" in error.value.fields
    assert _count(db_session, Producer, org) == 1


def test_same_member_code_allowed_in_another_organisation(db_session, org, other_org):
    factories.producer(db_session, org, member_code="M-1")
    factories.producer(db_session, other_org, member_code="M-1")
    assert _count(db_session, Producer, other_org) == 1


def test_producer_of_another_organisation_is_not_found(db_session, org, other_org):
    theirs = factories.producer(db_session, other_org)
    with pytest.raises(NotFound):
        producers.get_producer(db_session, org.id, theirs.id)


def test_search_matches_code_name_and_community_case_insensitively(db_session, org):
    factories.producer(
        db_session,
        org,
        member_code="CAF-0007",
        first_name="Rosa",
        last_name="Tapia",
        community="Aguas Verdes",
    )
    factories.producer(
        db_session,
        org,
        member_code="CAF-0008",
        first_name="Juan",
        last_name="Mego",
        community="Paitoja",
    )
    for q in ("caf-0007", "ROSA", "rosa tapia", "aguas"):
        found, total = producers.search_producers(db_session, org.id, q, 1, 25)
        assert [p.member_code for p in found] == ["CAF-0007"], q
    _found, total = producers.search_producers(db_session, org.id, "100%", 1, 25)
    assert total == 0


def test_agreement_ending_before_signing_is_refused(db_session, org):
    producer = factories.producer(db_session, org)
    with pytest.raises(DomainError) as error:
        factories.agreement(
            db_session, org, [producer], signed_on=date(2025, 5, 1), valid_until=date(2025, 4, 30)
        )
    assert "valid_until" in error.value.fields


def test_individual_agreement_covers_one_producer(db_session, org):
    a, b = factories.producer(db_session, org), factories.producer(db_session, org)
    with pytest.raises(DomainError):
        factories.agreement(db_session, org, [a, b], kind="individual")
    collective = factories.agreement(db_session, org, [a, b], kind="collective")
    assert sorted(
        agreements.agreement_producer_ids(db_session, [collective.id])[collective.id]
    ) == sorted([a.id, b.id])


def test_agreement_cannot_cover_another_organisations_producer(db_session, org, other_org):
    theirs = factories.producer(db_session, other_org)
    with pytest.raises(DomainError) as error:
        factories.agreement(db_session, org, [theirs])
    assert "producer_ids" in error.value.fields


def test_visit_before_the_agreement_is_refused(db_session, org):
    agreement = factories.agreement(
        db_session, org, [factories.producer(db_session, org)], signed_on=date(2025, 1, 10)
    )
    with pytest.raises(DomainError) as error:
        agreements.add_visit(
            db_session,
            org.id,
            None,
            agreement.id,
            {
                "visited_on": date(2025, 1, 9),
                "inspector": "G",
                "result": "compliant",
                "notes": None,
            },
        )
    assert "visited_on" in error.value.fields
    assert agreements.visits_of(db_session, org.id, [agreement.id])[agreement.id] == []


def test_producer_under_active_agreement_on_a_date(db_session, org):
    producer = factories.producer(db_session, org)
    outsider = factories.producer(db_session, org)
    agreement = factories.agreement(
        db_session, org, [producer], signed_on=date(2025, 1, 10), valid_until=date(2026, 12, 31)
    )
    assert agreements.producer_under_active_agreement(
        db_session, org.id, producer.id, date(2025, 6, 1)
    )
    assert not agreements.producer_under_active_agreement(
        db_session, org.id, producer.id, date(2024, 6, 1)
    )
    assert not agreements.producer_under_active_agreement(
        db_session, org.id, outsider.id, date(2025, 6, 1)
    )
    agreements.set_agreement_status(
        db_session, org.id, None, agreement.id, "suspended", "Tala detectada", date(2025, 9, 1)
    )
    agreements.set_agreement_status(
        db_session, org.id, None, agreement.id, "active", None, date(2025, 11, 1)
    )
    assert agreements.producer_under_active_agreement(
        db_session, org.id, producer.id, date(2025, 11, 1)
    )
    assert agreements.producer_under_active_agreement(
        db_session, org.id, producer.id, date(2025, 8, 31)
    )
    assert not agreements.producer_under_active_agreement(
        db_session, org.id, producer.id, date(2025, 9, 1)
    )


def test_plot_stores_geometry_and_geodesic_area(db_session, org):
    plot = factories.plot(db_session, org, factories.producer(db_session, org))
    assert plot.geometry["type"] == "Polygon"
    # 0.001° x 0.001° at 5.7° S ≈ 1.2250 ha
    assert abs(plot.computed_area_ha - Decimal("1.2250")) < Decimal("0.01")
    assert plot.geometry_issues == []


BAD_GEOMETRIES = {
    "bow-tie": {
        "type": "Polygon",
        "coordinates": [
            [[-77.41, -5.70], [-77.40, -5.71], [-77.40, -5.70], [-77.41, -5.71], [-77.41, -5.70]]
        ],
    },
    "unclosed": {
        "type": "Polygon",
        "coordinates": [[[-77.41, -5.70], [-77.40, -5.70], [-77.40, -5.71], [-77.41, -5.71]]],
    },
    "hole": {
        "type": "Polygon",
        "coordinates": [
            [[-77.42, -5.70], [-77.40, -5.70], [-77.40, -5.72], [-77.42, -5.72], [-77.42, -5.70]],
            [[-77.415, -5.705], [-77.405, -5.705], [-77.405, -5.715], [-77.415, -5.705]],
        ],
    },
    "swapped": {"type": "Point", "coordinates": [-5.701234, -77.412345]},
    "linestring": {"type": "LineString", "coordinates": [[-77.41, -5.70], [-77.40, -5.71]]},
    "area as string": {
        "type": "Feature",
        "properties": {"Area": "3"},
        "geometry": {"type": "Point", "coordinates": [-77.412345, -5.701234]},
    },
}
EXPECTED_RULE = {
    "bow-tie": "self-intersect",
    "unclosed": "not closed",
    "hole": "hole",
    "swapped": "[latitude, longitude]",
    "linestring": "LineString",
    "area as string": "Area must be a number",
}


@pytest.mark.parametrize("name", BAD_GEOMETRIES)
def test_bad_geometry_is_refused_and_nothing_saved(db_session, org, name):
    producer = factories.producer(db_session, org)
    before = db_session.scalar(select(func.count()).select_from(LedgerEvent))
    with pytest.raises(InvalidGeometry) as error:
        factories.plot(db_session, org, producer, geometry=BAD_GEOMETRIES[name])
    assert any(
        EXPECTED_RULE[name].lower() in m.lower() or "crosses" in m
        for m in error.value.fields["geometry"]
    ), error.value.fields
    assert _count(db_session, Plot, org) == 0
    assert db_session.scalar(select(func.count()).select_from(LedgerEvent)) == before


def test_large_coffee_plot_needs_a_polygon_but_pitahaya_only_warns(db_session, org):
    producer = factories.producer(db_session, org)
    point = {"type": "Point", "coordinates": [-77.412345, -5.701234]}
    with pytest.raises(InvalidGeometry):
        factories.plot(
            db_session, org, producer, geometry=point, crop="coffee", declared_area_ha=Decimal("5")
        )
    plot = factories.plot(
        db_session, org, producer, geometry=point, crop="pitahaya", declared_area_ha=Decimal("5")
    )
    assert [i["rule"] for i in plot.geometry_issues] == ["point.area_over_4ha"]


def test_declared_area_far_from_computed_is_a_warning(db_session, org):
    plot = factories.plot(
        db_session, org, factories.producer(db_session, org), declared_area_ha=Decimal("2.0")
    )
    assert [i["rule"] for i in plot.geometry_issues] == ["area.mismatch"]
    found = plots_needing_attention(db_session, org.id, today(), 60)
    assert [set(row.causes) & {"geometry"} for row in found.rows] == [{"geometry"}]


def test_plot_for_another_organisations_producer_is_refused(db_session, org, other_org):
    theirs = factories.producer(db_session, other_org)
    with pytest.raises(NotFound):
        factories.plot(db_session, org, theirs)


def test_writes_are_recorded_in_the_ledger_without_private_data(db_session, org):
    producer = factories.producer(db_session, org, national_id="40001234")
    data = {name: getattr(producer, name) for name in producers.PRODUCER_FIELDS}
    producers.update_producer(
        db_session,
        org.id,
        None,
        producer.id,
        {**data, "community": "Paitoja", "phone": "999888777"},
    )
    events = list(
        db_session.scalars(
            select(LedgerEvent)
            .where(LedgerEvent.organization_id == org.id, LedgerEvent.subject_type == "producer")
            .order_by(LedgerEvent.seq)
        )
    )
    assert [e.kind for e in events] == ["producer.created", "producer.updated"]
    assert events[0].payload["data"]["national_id"] == "(private)"
    change = events[1].payload["data"]
    assert change["community"] == {"before": "Nuevo Edén", "after": "Paitoja"}
    assert "999888777" not in str(change)


def test_future_joined_date_is_refused_by_the_schema():
    from marshmallow import ValidationError

    from coopchain.farms.schemas import ProducerIn

    with pytest.raises(ValidationError) as error:
        ProducerIn().load(
            {
                "member_code": "A",
                "first_name": "a",
                "last_name": "b",
                "joined_on": (date.today() + timedelta(days=1)).isoformat(),
            }
        )
    assert "joined_on" in error.value.messages


def test_organic_status_today_of_a_plot(db_session, org):
    producer = factories.producer(db_session, org)
    converting = factories.plot(
        db_session, org, producer, organic_conversion_start=date.today() - timedelta(days=30)
    )
    assert plots.plot_organic_status(converting).value == "in_conversion"


def test_agreement_without_producers_is_refused(db_session, org):
    with pytest.raises(DomainError) as error:
        factories.agreement(db_session, org, [], kind="collective")
    assert "producer_ids" in error.value.fields


def test_status_cannot_start_before_signing(db_session, org):
    agreement = factories.agreement(
        db_session, org, [factories.producer(db_session, org)], signed_on=date(2025, 1, 10)
    )
    with pytest.raises(DomainError) as error:
        agreements.set_agreement_status(
            db_session, org.id, None, agreement.id, "ended", "x", date(2020, 1, 1)
        )
    assert "status_since" in error.value.fields
