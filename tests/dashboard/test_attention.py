"""Plots needing attention, by cause: one definition behind the dashboard, the attention page
and the forest page, so the three say the same numbers."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from coopchain.clock import today
from coopchain.farms.attention import CAUSES, plots_needing_attention
from coopchain.forest import evidence as forest
from tests import factories
from tests.helpers import change_settings

WINDOW = 60


def record_forest(db_session, org, plot, result: str, **fields):
    data = {
        "kind": "manual",
        "result": result,
        "source": "Global Forest Watch, reviewed",
        "observed_on": date(2026, 5, 1),
        **fields,
    }
    return forest.record_evidence(db_session, org.id, None, plot.id, data)


def clean_plot(db_session, org, producer, **fields):
    """A plot with nothing to attend to: mapped, forest-free, certified well beyond the window."""
    fields = {
        "organic_certificate_number": "CU-123",
        "organic_certificate_valid_until": today() + timedelta(days=400),
        **fields,
    }
    plot = factories.plot(db_session, org, producer, **fields)
    record_forest(db_session, org, plot, "deforestation_free")
    return plot


@pytest.fixture
def producer(db_session, org):
    producer = factories.producer(db_session, org)
    factories.agreement(db_session, org, [producer], valid_until=today() + timedelta(days=900))
    return producer


def causes_by_plot(db_session, org) -> dict[str, set[str]]:
    found = plots_needing_attention(db_session, org.id, today(), WINDOW)
    return {row.plot_name: set(row.causes) for row in found.rows}


def test_a_plot_in_order_needs_no_attention(db_session, org, producer):
    clean_plot(db_session, org, producer, name="Bien")
    assert causes_by_plot(db_session, org) == {}


def test_geometry_problems_and_missing_geolocation_need_attention(db_session, org, producer):
    clean_plot(db_session, org, producer, name="Mal medida", declared_area_ha=Decimal("3"))
    clean_plot(db_session, org, producer, name="Sin mapa", geometry=None)
    assert causes_by_plot(db_session, org) == {
        "Mal medida": {"geometry"},
        "Sin mapa": {"geometry"},
    }


def test_forest_needs_attention_unless_the_latest_evidence_is_deforestation_free(
    db_session, org, producer
):
    lost = clean_plot(db_session, org, producer, name="Perdida")
    record_forest(
        db_session,
        org,
        lost,
        "loss_after_cutoff",
        loss_after_cutoff_ha=Decimal("0.4"),
        observed_on=date(2026, 6, 1),
    )
    pending = clean_plot(db_session, org, producer, name="Pendiente")
    record_forest(db_session, org, pending, "more_info_needed", observed_on=date(2026, 6, 1))
    factories.plot(
        db_session,
        org,
        producer,
        name="Sin evidencia",
        organic_certificate_number="CU-1",
        organic_certificate_valid_until=today() + timedelta(days=400),
    )
    resolved = clean_plot(db_session, org, producer, name="Resuelta")
    record_forest(db_session, org, resolved, "more_info_needed", observed_on=date(2026, 1, 1))

    assert causes_by_plot(db_session, org) == {
        "Perdida": {"forest"},
        "Pendiente": {"forest"},
        "Sin evidencia": {"forest"},
    }


def test_a_producer_without_an_agreement_in_force_puts_each_plot_under_attention(
    db_session, org, producer
):
    lapsed = factories.producer(db_session, org)
    factories.agreement(
        db_session,
        org,
        [lapsed],
        signed_on=today() - timedelta(days=800),
        valid_until=today() - timedelta(days=1),
    )
    never = factories.producer(db_session, org)
    clean_plot(db_session, org, lapsed, name="Vencido")
    clean_plot(db_session, org, never, name="Nunca")
    clean_plot(db_session, org, producer, name="Vigente")

    assert causes_by_plot(db_session, org) == {"Vencido": {"agreement"}, "Nunca": {"agreement"}}


def test_organic_certificates_missing_lapsed_or_lapsing_within_the_window(
    db_session, org, producer
):
    on = today()
    clean_plot(db_session, org, producer, name="Vence pronto", organic_certificate_valid_until=on)
    clean_plot(
        db_session,
        org,
        producer,
        name="Vence en 59",
        organic_certificate_valid_until=on + timedelta(days=WINDOW - 1),
    )
    clean_plot(
        db_session,
        org,
        producer,
        name="Vence en 60",
        organic_certificate_valid_until=on + timedelta(days=WINDOW),
    )
    clean_plot(
        db_session,
        org,
        producer,
        name="Vencido",
        organic_certificate_valid_until=on - timedelta(days=1),
    )
    clean_plot(db_session, org, producer, name="Sin número", organic_certificate_number=None)
    clean_plot(
        db_session,
        org,
        producer,
        name="Convencional",
        organic_conversion_start=None,
        organic_certificate_number=None,
        organic_certificate_valid_until=None,
    )

    found = plots_needing_attention(db_session, org.id, on, WINDOW)
    states = {row.plot_name: row.causes["certificate"][0] for row in found.rows}

    assert states == {
        "Vence pronto": "expiring",
        "Vence en 59": "expiring",
        "Vencido": "expired",
        "Sin número": "missing",
    }


def test_the_certificate_window_is_a_setting(db_session, org, producer, app):
    clean_plot(
        db_session,
        org,
        producer,
        name="Vence en 90",
        organic_certificate_valid_until=today() + timedelta(days=90),
    )
    assert causes_by_plot(db_session, org) == {}
    change_settings(db_session, certificate_warning_days=120)
    from coopchain.db import settings_of

    window = settings_of(db_session).certificate_warning_days
    found = plots_needing_attention(db_session, org.id, today(), window)
    assert [row.plot_name for row in found.rows] == ["Vence en 90"]


def test_a_plot_with_several_causes_counts_once_in_the_total(db_session, org):
    nobody = factories.producer(db_session, org)
    factories.plot(db_session, org, nobody, name="Todo mal", declared_area_ha=Decimal("3"))

    found = plots_needing_attention(db_session, org.id, today(), WINDOW)

    assert found.total == 1
    assert found.counts == {"geometry": 1, "forest": 1, "agreement": 1, "certificate": 1}
    assert set(found.rows[0].causes) == set(CAUSES)


# --- the pages agree --------------------------------------------------------------------------


def number_in(pattern: str, page: str) -> int:
    match = re.search(pattern, page, re.S)
    assert match, pattern
    return int(match.group(1))


def test_the_dashboard_the_forest_page_and_the_attention_page_say_the_same(
    client, login, db_session, org, producer
):
    # Three plots the forest page flags, one only the geometry rule flags, one in order.
    for name, result in (("Perdida", "loss_after_cutoff"), ("Pendiente", "more_info_needed")):
        plot = clean_plot(db_session, org, producer, name=name)
        extra = {"loss_after_cutoff_ha": Decimal("1")} if result == "loss_after_cutoff" else {}
        record_forest(db_session, org, plot, result, observed_on=date(2026, 6, 1), **extra)
    factories.plot(
        db_session,
        org,
        producer,
        name="Sin evidencia",
        organic_certificate_number="CU-1",
        organic_certificate_valid_until=today() + timedelta(days=400),
    )
    clean_plot(db_session, org, producer, name="Mal medida", declared_area_ha=Decimal("3"))
    clean_plot(db_session, org, producer, name="Bien")
    login("auditor")

    dashboard = client.get("/").data.decode()
    forest_page = client.get("/forest").data.decode()
    forest_list = client.get("/plots/attention?cause=forest").data.decode()
    everything = client.get("/plots/attention").data.decode()

    on_dashboard = number_in(r'data-cause="forest">.*?<strong>(\d+)</strong>', dashboard)
    on_forest = number_in(r'id="attention">.*?<small>\((\d+)\)</small>', forest_page)
    assert on_dashboard == on_forest == 3
    assert forest_list.count("<tr data-plot-id=") == 3
    total = number_in(r'data-count="plots_needing_attention">(\d+)<', dashboard)
    assert total == everything.count("<tr data-plot-id=") == 4
    assert "Bien" not in everything and "Mal medida" in everything


def test_an_unknown_cause_is_refused_naming_the_field(client, login):
    login("staff")
    page = client.get("/plots/attention?cause=weather")
    assert page.status_code == 400
    assert "cause" in page.data.decode()
