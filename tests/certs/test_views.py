"""Compliance and certificate pages (issue 5 items 3–5): what staff, admins and auditors see and
what the forms do. The certificate tests render real PDFs."""

import hashlib
import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time
from sqlalchemy import select

from coopchain.certs import registry
from coopchain.certs.models import Certificate
from coopchain.forest import evidence as forest
from coopchain.ledger.models import LedgerEvent
from tests import factories

DELIVERED = date(2026, 6, 1)


@pytest.fixture
def as_role(client, login):
    """as_role(role): log in with that role, pages in English."""

    def do(role: str):
        client.delete_cookie("session")
        login(role)
        client.get("/lang/en")

    return do


def organic_plot(db_session, org, **fields):
    """An organic coffee plot (conversion 2015) with a valid organic certificate, of a
    producer under an active conservation agreement."""
    producer = factories.producer(db_session, org)
    plot = factories.plot(
        db_session,
        org,
        producer,
        organic_certificate_number="PE-BIO-149-0042",
        organic_certificate_valid_until=date(2030, 12, 31),
        **fields,
    )
    factories.agreement(db_session, org, [producer])
    return producer, plot


def forest_free(db_session, org, plot):
    return forest.record_evidence(
        db_session,
        org.id,
        None,
        plot.id,
        {
            "kind": "manual",
            "result": "deforestation_free",
            "source": "GFW 2024 review",
            "observed_on": date(2026, 5, 1),
        },
    )


@pytest.fixture
def unchecked(db_session, org):
    """A parchment lot whose only problem is its plot's missing forest evidence."""
    producer, plot = organic_plot(db_session, org)
    _delivery, lot = factories.delivery(db_session, org, producer, plot, delivered_on=DELIVERED)
    return lot, producer, plot


@pytest.fixture
def clean(db_session, org, unchecked):
    """The same lot once its plot has forest evidence: nothing to find."""
    lot, producer, plot = unchecked
    forest_free(db_session, org, plot)
    return lot


def issue(db_session, org, lot, **kw):
    return registry.issue_certificate(
        db_session, org.id, None, kind="lot", reference=lot.code, **kw
    )


def certificate_count(db_session, org) -> int:
    return len(
        db_session.scalars(select(Certificate).where(Certificate.organization_id == org.id)).all()
    )


# --- compliance page --------------------------------------------------------------------------


def test_a_plot_without_forest_evidence_is_a_blocking_finding(client, as_role, unchecked):
    lot, producer, plot = unchecked
    as_role("auditor")

    response = client.get(f"/lots/{lot.code}/compliance")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    blocking = re.search(r'<section class="blocking-findings">(.*?)</section>', page, re.S)
    assert blocking, "no blocking section"
    assert 'data-code="FOR-MISSING"' in blocking.group(1)
    assert f"{producer.member_code} · {plot.name}" in blocking.group(1)
    assert "The latest forest evidence of each plot." in blocking.group(1)  # evidence used
    assert "No findings." not in page
    assert "Plots: <strong>1</strong>" in page and "500 kg" in page
    assert "ORG-CERTIFICATE" not in page  # the plot's organic certificate is in order
    assert "Issue certificate" not in page  # auditors read, never issue


def test_a_clean_lot_shows_no_findings(client, as_role, clean):
    as_role("staff")

    page = client.get(f"/lots/{clean.code}/compliance").get_data(as_text=True)

    assert "No findings." in page
    assert "finding blocking" not in page and "finding warning" not in page
    assert "Issue certificate" in page and 'name="override_reason"' not in page


def test_warnings_are_shown_apart_from_blocking_findings(client, as_role, db_session, org):
    producer, plot = organic_plot(db_session, org)
    forest_free(db_session, org, plot)
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    as_role("staff")

    page = client.get(f"/lots/{lot.code}/compliance").get_data(as_text=True)

    assert '<section class="warning-findings">' in page
    assert 'class="finding warning" data-code="CUP-MISSING"' in page  # green lot, never cupped
    assert "blocking-findings" not in page and "No findings." not in page
    assert "Issue certificate" in page  # warnings do not stop a certificate


def test_only_an_admin_is_offered_the_override(client, as_role, unchecked):
    lot = unchecked[0]
    as_role("staff")
    page = client.get(f"/lots/{lot.code}/compliance").get_data(as_text=True)
    assert 'name="override_reason"' not in page
    assert "ask an administrator" in page

    as_role("admin")
    page = client.get(f"/lots/{lot.code}/compliance").get_data(as_text=True)
    assert re.search(r'<textarea name="override_reason"[^>]* required', page)


def test_unknown_lot_is_404(client, as_role):
    as_role("staff")
    assert client.get("/lots/NOPE-1/compliance").status_code == 404
    assert client.get("/shipments/NOPE-1/compliance").status_code == 404


# --- issuing ----------------------------------------------------------------------------------


def test_issuing_with_blocking_findings_is_refused_with_the_list(
    client, as_role, db_session, org, unchecked
):
    lot = unchecked[0]
    as_role("staff")

    response = client.post(f"/lots/{lot.code}/certificates", data={"language": "en"})

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'data-code="FOR-MISSING"' in page and "Certificate not issued" in page
    assert certificate_count(db_session, org) == 0


def test_staff_may_not_override(client, as_role, db_session, org, unchecked):
    lot = unchecked[0]
    as_role("staff")

    response = client.post(
        f"/lots/{lot.code}/certificates",
        data={"language": "en", "override_reason": "Visit report says the forest is intact."},
    )

    assert response.status_code == 403
    assert certificate_count(db_session, org) == 0


def test_admin_override_is_registered_and_shown(client, as_role, db_session, org, unchecked):
    lot = unchecked[0]
    as_role("admin")
    reason = "Ranger visit RV-2026-014 confirmed intact forest; satellite review pending."

    response = client.post(
        f"/lots/{lot.code}/certificates", data={"language": "en", "override_reason": reason}
    )

    assert response.status_code == 302
    certificate = db_session.scalar(select(Certificate).where(Certificate.subject_ref == lot.code))
    assert response.location.endswith(f"/certificates/{certificate.number}")
    assert certificate.override_reason == reason
    page = client.get(response.location).get_data(as_text=True)
    assert "Issued over blocking findings" in page and reason in page
    assert 'data-code="FOR-MISSING"' in page  # the findings snapshot


def test_admin_without_a_reason_is_still_blocked(client, as_role, unchecked):
    as_role("admin")
    response = client.post(f"/lots/{unchecked[0].code}/certificates", data={"language": "es"})
    assert response.status_code == 409


def test_issue_a_clean_lot_in_spanish(client, as_role, db_session, clean):
    as_role("staff")

    response = client.post(f"/lots/{clean.code}/certificates", data={"language": "es"})

    assert response.status_code == 302
    certificate = db_session.scalar(
        select(Certificate).where(Certificate.subject_ref == clean.code)
    )
    assert certificate.language == "es" and certificate.override_reason is None
    page = client.get(response.location).get_data(as_text=True)
    assert certificate.sha256 in page and "Download PDF" in page
    listed = client.get(f"/lots/{clean.code}/compliance").get_data(as_text=True)
    assert certificate.number in listed


def test_an_unknown_language_is_a_field_error(client, as_role, db_session, org, clean):
    as_role("staff")
    response = client.post(f"/lots/{clean.code}/certificates", data={"language": "fr"})
    assert response.status_code == 422
    assert "Spanish or English." in response.get_data(as_text=True)
    assert certificate_count(db_session, org) == 0


# --- the registry -----------------------------------------------------------------------------


def test_download_returns_the_stored_bytes(client, as_role, db_session, org, clean):
    certificate = issue(db_session, org, clean)
    as_role("auditor")

    first = client.get(f"/certificates/{certificate.number}/certificate.pdf")
    second = client.get(f"/certificates/{certificate.number}/certificate.pdf")

    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert f"{certificate.number}.pdf" in first.headers["Content-Disposition"]
    assert first.data == second.data == certificate.pdf
    assert first.data.startswith(b"%PDF")
    assert hashlib.sha256(first.data).hexdigest() == certificate.sha256


def test_the_list_shows_number_subject_status_and_short_hash(
    client, as_role, db_session, org, clean
):
    certificate = issue(db_session, org, clean)
    as_role("auditor")

    page = client.get("/certificates").get_data(as_text=True)

    assert certificate.number in page and clean.code in page
    assert certificate.sha256[:12] in page and certificate.sha256 not in page.replace(
        f'title="{certificate.sha256}"', ""
    )
    assert "valid" in page
    assert certificate.number in client.get(f"/lots/{clean.code}/certificates").get_data(
        as_text=True
    )
    nothing = client.get("/certificates?q=NOTHING").get_data(as_text=True)
    assert "No certificate matches." in nothing and certificate.number not in nothing


def test_another_organisations_certificate_is_not_found(client, as_role, db_session, other_org):
    producer, plot = organic_plot(db_session, other_org)
    forest_free(db_session, other_org, plot)
    _d, lot = factories.delivery(db_session, other_org, producer, plot)
    certificate = issue(db_session, other_org, lot)
    as_role("admin")

    assert client.get(f"/certificates/{certificate.number}").status_code == 404
    assert client.get(f"/certificates/{certificate.number}/certificate.pdf").status_code == 404


def test_revoke_needs_a_reason_then_shows_on_the_page(client, as_role, db_session, org, clean):
    certificate = issue(db_session, org, clean)
    as_role("staff")

    refused = client.post(f"/certificates/{certificate.number}/revoke", data={"reason": " "})
    assert refused.status_code == 422
    assert "Required, at most 500 characters." in refused.get_data(as_text=True)

    done = client.post(
        f"/certificates/{certificate.number}/revoke", data={"reason": "Buyer contract cancelled"}
    )
    assert done.status_code == 302
    page = client.get(f"/certificates/{certificate.number}").get_data(as_text=True)
    assert "Revoked on" in page and "Buyer contract cancelled" in page
    assert 'action="/certificates/' not in page  # no more revoke or re-issue forms
    again = client.post(f"/certificates/{certificate.number}/revoke", data={"reason": "twice"})
    assert again.status_code == 409


def test_reissue_creates_a_new_number_and_revokes_the_old(client, as_role, db_session, org, clean):
    old = issue(db_session, org, clean, language="es")
    as_role("staff")

    response = client.post(
        f"/certificates/{old.number}/reissue",
        data={"reason": "Buyer wants English", "language": "en"},
    )

    assert response.status_code == 302
    new = db_session.scalar(select(Certificate).where(Certificate.replaces_id == old.id))
    assert new.number != old.number and new.language == "en"
    assert response.location.endswith(f"/certificates/{new.number}")
    db_session.refresh(old)
    assert old.status == "revoked" and new.number in old.revoke_reason
    page = client.get(f"/certificates/{old.number}").get_data(as_text=True)
    assert "Replaced by" in page and new.number in page
    assert old.number in client.get(response.location).get_data(as_text=True)  # "Replaces"


def test_reissue_over_new_blocking_findings_needs_an_admin(
    client, as_role, db_session, org, unchecked, clean
):
    old = issue(db_session, org, clean)
    (evidence,) = forest.evidence_of(db_session, org.id, unchecked[2].id)
    forest.void_evidence(db_session, org.id, None, evidence.id, "Wrong plot")
    as_role("staff")

    page = client.get(f"/certificates/{old.number}").get_data(as_text=True)
    assert "blocking findings now" in page and "Only an administrator" in page
    blocked = client.post(f"/certificates/{old.number}/reissue", data={"reason": "Update"})
    assert blocked.status_code == 409 and 'data-code="FOR-MISSING"' in blocked.get_data(
        as_text=True
    )
    overridden = client.post(
        f"/certificates/{old.number}/reissue",
        data={"reason": "Update", "override_reason": "Field visit pending, buyer informed."},
    )
    assert overridden.status_code == 403
    db_session.refresh(old)
    assert old.status == "valid"

    as_role("admin")
    assert 'name="override_reason"' in client.get(f"/certificates/{old.number}").get_data(
        as_text=True
    )
    done = client.post(
        f"/certificates/{old.number}/reissue",
        data={"reason": "Update", "override_reason": "Field visit pending, buyer informed."},
    )
    assert done.status_code == 302
    db_session.refresh(old)
    assert old.status == "revoked"


def test_issue_and_revoke_are_in_the_ledger(client, as_role, db_session, org, clean):
    as_role("staff")
    client.post(f"/lots/{clean.code}/certificates", data={"language": "en"})
    certificate = db_session.scalar(
        select(Certificate).where(Certificate.subject_ref == clean.code)
    )
    client.post(f"/certificates/{certificate.number}/revoke", data={"reason": "Typo in buyer"})

    kinds = db_session.scalars(
        select(LedgerEvent.kind).where(LedgerEvent.organization_id == org.id)
    ).all()
    assert "certificate.issued" in kinds and "certificate.revoked" in kinds


# --- shipments --------------------------------------------------------------------------------


@pytest.fixture
def shipment(db_session, org):
    """Ten bags of a green lot merged from ten organic plots, none with forest evidence yet."""
    from coopchain.lots import bags, transformations
    from coopchain.shipments import services as shipments

    codes = []
    for _ in range(10):
        producer, plot = organic_plot(db_session, org)
        _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
        codes.append(lot.code)
    merged = transformations.merge(
        db_session, org.id, None, [(c, None) for c in codes], date(2026, 6, 5)
    )
    _inputs, (lot,) = transformations.parts_of(db_session, merged)
    bags.create_bags(db_session, org.id, None, lot.code, 10)
    created = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": "CT-2026-017",
            "crop": "coffee",
            "buyer_name": "Kaffee Import GmbH",
            "buyer_country": "DE",
            "planned_loading_on": date(2026, 12, 10),
        },
    )
    shipments.allocate(db_session, org.id, None, created.reference, lot_codes=[lot.code])
    return created


def test_shipment_compliance_folds_long_lists_and_issues_with_override(
    client, as_role, db_session, shipment
):
    as_role("admin")

    page = client.get(f"/shipments/{shipment.reference}/compliance").get_data(as_text=True)

    assert "Compliance of shipment CT-2026-017" in page
    assert "Bags: <strong>10</strong>" in page and "Judged on: <strong>10/12/2026</strong>" in page
    missing = re.search(r'data-code="FOR-MISSING">(.*?)</li>\s*</ul>', page, re.S).group(1)
    assert "<details>" in missing and "Plots (10)" in missing  # ten plots: folded away
    assert 'data-code="CUP-MISSING"' in page and 'data-code="SHP-CONTAINER"' in page

    response = client.post(
        f"/shipments/{shipment.reference}/certificates",
        data={"language": "en", "override_reason": "Forest review of the ten plots booked."},
    )

    assert response.status_code == 302
    certificate = db_session.scalar(
        select(Certificate).where(Certificate.subject_ref == shipment.reference)
    )
    assert certificate.subject_kind == "shipment"
    listed = client.get("/certificates").get_data(as_text=True)
    assert "Shipment" in listed and shipment.reference in listed
    own = client.get(f"/shipments/{shipment.reference}/certificates").get_data(as_text=True)
    assert certificate.number in own


def test_staff_pages_show_moments_on_the_cooperatives_clock_labelled(
    client, as_role, db_session, org, clean
):
    """The certificate PDF says 12:00 (America/Lima); the detail page and the registry list
    said 17:00 UTC for the same moment. Every time people read is the cooperative's."""
    certificate = issue(db_session, org, clean, language="en")
    as_role("staff")
    local = certificate.issued_at.astimezone(ZoneInfo("America/Lima"))
    # dd/mm/yyyy and h:mm a: the cooperative's locale (es_PE), in the page's language.
    shown = f"{local:%d/%m/%Y} {format_time(local, 'h:mm a', locale='en')} (America/Lima)"
    for path in (f"/certificates/{certificate.number}", f"/lots/{clean.code}/certificates"):
        page = client.get(path).get_data(as_text=True)
        assert shown in page.replace("\u202f", " "), path
        assert f"{certificate.issued_at:%Y-%m-%d %H:%M} UTC" not in page, path


@pytest.mark.parametrize(
    "setting",
    [
        # Above JOBS_CERTIFICATE_BAGS bags (the shipment has 10)...
        "JOBS_CERTIFICATE_BAGS",
        # ...or above JOBS_CERTIFICATE_PLOTS origin plots, however few the bags: the render's
        # cost is the origin table, one row per plot (the shipment's 10 bags come from 10).
        "JOBS_CERTIFICATE_PLOTS",
    ],
)
def test_a_large_shipments_certificate_is_issued_by_a_job(
    client, app, as_role, db_session, shipment, setting
):
    """The issue button answers with the job's page; the job registers the certificate once
    and its result links to it."""
    app.config[setting] = 9
    as_role("admin")
    response = client.post(
        f"/shipments/{shipment.reference}/certificates",
        data={"language": "en", "override_reason": "Forest review of the ten plots booked."},
    )
    assert response.status_code == 302 and "/jobs/" in response.location
    status = client.get(response.location + ".json").get_json()
    assert (status["kind"], status["status"]) == ("certificate.issue", "finished"), status
    (certificate,) = db_session.scalars(
        select(Certificate).where(Certificate.subject_ref == shipment.reference)
    ).all()
    assert status["result_url"] == f"/certificates/{certificate.number}"
    assert client.get(status["result_url"]).status_code == 200


def test_a_lot_of_many_origin_plots_is_certified_by_a_job_on_the_page_and_in_the_api(
    client, app, api, as_role, db_session, org, clean
):
    app.config["JOBS_CERTIFICATE_PLOTS"] = 0  # the lot comes from one plot
    as_role("staff")
    response = client.post(f"/lots/{clean.code}/certificates", data={"language": "en"})
    assert response.status_code == 302 and "/jobs/" in response.location
    status = client.get(response.location + ".json").get_json()
    assert (status["kind"], status["status"]) == ("certificate.issue", "finished"), status
    by_api = client.post(
        f"/api/v1/lots/{clean.code}/certificates", json={"language": "es"}, headers=api("staff")
    )
    assert by_api.status_code == 202 and by_api.get_json()["kind"] == "certificate.issue"
    assert certificate_count(db_session, org) == 2
    app.config["JOBS_CERTIFICATE_PLOTS"] = 1  # at the threshold: in the request, as before
    direct = client.post(f"/lots/{clean.code}/certificates", data={"language": "en"})
    assert direct.status_code == 302 and direct.location.startswith("/certificates/CC-")
    assert certificate_count(db_session, org) == 3


def test_a_large_shipments_certificate_through_the_api_is_issued_by_a_job(
    client, app, api, db_session, shipment
):
    app.config["JOBS_CERTIFICATE_BAGS"] = 9  # the shipment has 10 bags
    headers = api("admin")
    body = {"language": "en", "override_reason": "Forest review of the ten plots booked."}
    response = client.post(
        f"/api/v1/shipments/{shipment.reference}/certificates", json=body, headers=headers
    )
    assert response.status_code == 202 and response.get_json()["kind"] == "certificate.issue"
    status = client.get(response.headers["Location"], headers=headers).get_json()
    assert status["status"] == "finished", status
    (certificate,) = db_session.scalars(
        select(Certificate).where(Certificate.subject_ref == shipment.reference)
    ).all()
    assert status["result"]["number"] == certificate.number
    assert status["result"]["reference"] == shipment.reference


def test_a_large_shipment_with_blocking_findings_fails_its_job_without_a_certificate(
    client, app, as_role, db_session, shipment
):
    app.config["JOBS_CERTIFICATE_BAGS"] = 9
    as_role("admin")
    response = client.post(f"/shipments/{shipment.reference}/certificates", data={"language": "en"})
    status = client.get(response.location + ".json").get_json()
    assert status["status"] == "failed" and "FOR-MISSING" in status["error"]
    assert db_session.scalar(select(Certificate.id)) is None
