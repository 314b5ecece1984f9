"""Forest evidence (DOMAIN.md §2, issue 5 item 3): recorded by hand with its source and date,
the latest live one counts, a wrong one is voided with a reason; and the plot's page for it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from coopchain.clock import today
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.farms.models import ForestEvidence
from coopchain.forest import evidence as forest
from coopchain.ledger.models import LedgerEvent
from tests import factories


@pytest.fixture
def plot(db_session, org):
    producer = factories.producer(db_session, org)
    return factories.plot(db_session, org, producer)


def evidence(**fields) -> dict:
    return {
        "kind": "manual",
        "result": "deforestation_free",
        "source": "Global Forest Watch, 2024 tree cover loss, reviewed",
        "observed_on": date(2026, 5, 1),
        **fields,
    }


def record(db_session, org, plot, **fields):
    return forest.record_evidence(db_session, org.id, None, plot.id, evidence(**fields))


# --- the service ------------------------------------------------------------------------------


def test_recorded_evidence_counts_and_is_in_the_ledger(db_session, org, plot):
    recorded = record(db_session, org, plot)

    assert forest.latest_evidence(db_session, org.id, [plot.id]) == {plot.id: recorded}
    event = db_session.scalar(
        select(LedgerEvent).where(LedgerEvent.kind == "forest.evidence_recorded")
    )
    assert event.payload["data"]["source"] == recorded.source


def test_the_latest_observation_counts_not_the_latest_entry(db_session, org, plot):
    newer = record(db_session, org, plot, observed_on=date(2026, 8, 1))
    record(db_session, org, plot, result="more_info_needed", observed_on=date(2026, 2, 1))

    assert forest.latest_evidence(db_session, org.id, [plot.id])[plot.id] == newer


def test_every_bad_field_is_named(db_session, org, plot):
    with pytest.raises(DomainError) as refused:
        record(
            db_session,
            org,
            plot,
            kind="raster",
            result="maybe",
            source="  ",
            observed_on=today() + timedelta(days=1),
            notes="x" * 1001,
        )

    assert set(refused.value.fields) == {"kind", "result", "source", "observed_on", "notes"}


def test_loss_needs_its_hectares(db_session, org, plot):
    with pytest.raises(DomainError) as refused:
        record(db_session, org, plot, result="loss_after_cutoff")
    assert set(refused.value.fields) == {"loss_after_cutoff_ha"}

    lost = record(db_session, org, plot, result="loss_after_cutoff", loss_after_cutoff_ha="0,35")
    assert lost.loss_after_cutoff_ha == Decimal("0.35")


def test_voided_evidence_no_longer_counts(db_session, org, plot):
    older = record(db_session, org, plot, observed_on=date(2026, 1, 10))
    wrong = record(db_session, org, plot, observed_on=date(2026, 6, 1))

    forest.void_evidence(db_session, org.id, None, wrong.id, "Wrong plot")

    assert forest.latest_evidence(db_session, org.id, [plot.id])[plot.id] == older
    assert wrong in forest.evidence_of(db_session, org.id, plot.id)  # kept in the history
    with pytest.raises(Conflict):
        forest.void_evidence(db_session, org.id, None, wrong.id, "Again")
    with pytest.raises(DomainError):
        forest.void_evidence(db_session, org.id, None, older.id, " ")


def test_another_organisation_cannot_touch_it(db_session, org, other_org, plot):
    recorded = record(db_session, org, plot)

    with pytest.raises(NotFound):
        forest.void_evidence(db_session, other_org.id, None, recorded.id, "Not yours")
    with pytest.raises(NotFound):
        forest.record_evidence(db_session, other_org.id, None, plot.id, evidence())
    assert forest.latest_evidence(db_session, other_org.id, [plot.id]) == {}


# --- the plot's forest evidence page ----------------------------------------------------------


@pytest.fixture
def staff(client, login):
    login("staff")
    client.get("/lang/en")


def form(**fields) -> dict:
    return {**evidence(observed_on="2026-05-01"), **fields}


def test_the_page_shows_the_history_with_voided_entries(client, staff, db_session, org, plot):
    record(db_session, org, plot, observed_on=date(2026, 1, 10), source="Visit report RV-1")
    wrong = record(db_session, org, plot, observed_on=date(2026, 6, 1), source="Map of plot 7")
    forest.void_evidence(db_session, org.id, None, wrong.id, "Map was of another plot")

    page = client.get(f"/plots/{plot.id}/forest-evidence").get_data(as_text=True)

    assert "Visit report RV-1" in page and "Map of plot 7" in page
    assert 'class="voided"' in page and "Map was of another plot" in page
    assert "Counts now:" in page and "observed 10/01/2026" in page


def test_record_by_form(client, staff, db_session, org, plot):
    response = client.post(
        f"/plots/{plot.id}/forest-evidence",
        data=form(result="loss_after_cutoff", loss_after_cutoff_ha="0.4", kind="field"),
    )

    assert response.status_code == 302
    (saved,) = forest.evidence_of(db_session, org.id, plot.id)
    assert (saved.kind, saved.result, saved.loss_after_cutoff_ha) == (
        "field",
        "loss_after_cutoff",
        Decimal("0.4000"),
    )
    page = client.get(response.location).get_data(as_text=True)
    assert "Forest evidence recorded." in page and saved.source in page


def test_a_missing_source_is_named_and_nothing_saved(client, staff, db_session, org, plot):
    response = client.post(f"/plots/{plot.id}/forest-evidence", data=form(source=""))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#source"' in page and "Name the source" in page
    assert 'value="2026-05-01"' in page  # what was typed is kept
    assert forest.evidence_of(db_session, org.id, plot.id) == []


def test_an_unreadable_date_is_refused(client, staff, db_session, org, plot):
    response = client.post(f"/plots/{plot.id}/forest-evidence", data=form(observed_on="1/5/26"))
    assert response.status_code == 422
    assert 'href="#observed_on"' in response.get_data(as_text=True)


def test_void_by_form(client, staff, db_session, org, plot):
    recorded = record(db_session, org, plot)

    refused = client.post(f"/plots/{plot.id}/forest-evidence/{recorded.id}/void", data={})
    assert refused.status_code == 422 and "Required" in refused.get_data(as_text=True)

    done = client.post(
        f"/plots/{plot.id}/forest-evidence/{recorded.id}/void", data={"reason": "Typo in date"}
    )
    assert done.status_code == 302
    db_session.expire_all()
    voided = db_session.get(ForestEvidence, recorded.id)
    assert voided.voided_at is not None and voided.void_reason == "Typo in date"
    again = client.post(
        f"/plots/{plot.id}/forest-evidence/{recorded.id}/void", data={"reason": "Again"}
    )
    assert again.status_code == 409


def test_void_through_another_plot_is_404(client, staff, db_session, org, plot):
    recorded = record(db_session, org, plot)
    other = factories.plot(db_session, org, factories.producer(db_session, org))

    response = client.post(
        f"/plots/{other.id}/forest-evidence/{recorded.id}/void", data={"reason": "x"}
    )

    assert response.status_code == 404
    assert db_session.get(ForestEvidence, recorded.id).voided_at is None


def test_auditors_read_but_get_no_forms(client, login, db_session, org, plot):
    record(db_session, org, plot)
    login("auditor")

    page = client.get(f"/plots/{plot.id}/forest-evidence").get_data(as_text=True)

    assert "Global Forest Watch" in page and "Record evidence" not in page and "Void" not in page
    assert client.post(f"/plots/{plot.id}/forest-evidence", data=form()).status_code == 403


def test_another_organisations_plot_is_404(client, staff, db_session, other_org):
    theirs = factories.plot(db_session, other_org, factories.producer(db_session, other_org))
    assert client.get(f"/plots/{theirs.id}/forest-evidence").status_code == 404
    assert client.post(f"/plots/{theirs.id}/forest-evidence", data=form()).status_code == 404
