"""Compliance, certificates and forest evidence through the JSON API: what an export office
and an auditor do with a personal token."""

import hashlib
from datetime import date

import pytest

from coopchain.lots import bags
from coopchain.shipments import services as shipments
from tests import factories
from tests.certs.test_compliance import origin

REF = "HH-2026-01"


def codes(findings: list[dict]) -> set[str]:
    return {finding["code"] for finding in findings}


def issue(client, headers, path: str, **body):
    return client.post(f"/api/v1/{path}/certificates", headers=headers, json=body)


def test_lot_compliance_lists_findings_and_a_summary(client, api, db_session, org):
    lot, _plot = origin(db_session, org, evidence=None, cupped=False)
    response = client.get(f"/api/v1/lots/{lot.code}/compliance", headers=api("auditor"))
    assert response.status_code == 200
    body = response.json
    assert (body["subject_kind"], body["reference"], body["crop"]) == ("lot", lot.code, "coffee")
    assert codes(body["findings"]) == {"FOR-MISSING", "CUP-MISSING"}
    missing = next(f for f in body["findings"] if f["code"] == "FOR-MISSING")
    assert missing["severity"] == "blocking" and len(missing["plots"]) == 1 and missing["evidence"]
    summary = body["summary"]
    assert (summary["blocking"], summary["warnings"]) == (1, 1)
    assert (summary["plots"], summary["producers"], summary["net_kg"]) == (1, 1, "500.000")
    assert summary["certifiable"] is False and summary["judged_on"]
    assert "forest_evidence" in body["rules_checked"]


def test_a_blocked_certificate_needs_an_administrators_written_override(
    client, api, db_session, org
):
    lot, _plot = origin(db_session, org, evidence=None)
    path = f"lots/{lot.code}"
    none_yet = client.get(f"/api/v1/{path}/certificate.pdf", headers=api("staff"))
    assert none_yet.status_code == 404 and lot.code in none_yet.json["message"]

    blocked = issue(client, api("staff"), path)
    assert blocked.status_code == 409
    assert (blocked.json["error"], blocked.json["fields"]) == ("blocking_findings", {})
    assert "FOR-MISSING" in blocked.json["message"]
    assert codes(blocked.json["findings"]) == {"FOR-MISSING"}
    assert client.get(f"/api/v1/certificates?subject={lot.code}", headers=api()).json["total"] == 0

    staff_override = issue(client, api("staff"), path, override_reason="Evidence is on its way")
    assert staff_override.status_code == 403 and staff_override.json["error"] == "forbidden"

    reason = "Ranger visit report 0042 filed on paper; evidence entered next week."
    response = issue(client, api("admin"), path, language="en", override_reason=reason)
    assert response.status_code == 201, response.json
    certificate = response.json
    assert certificate["override_reason"] == reason
    assert (certificate["status"], certificate["language"]) == ("valid", "en")
    assert (certificate["subject_kind"], certificate["subject_ref"]) == ("lot", lot.code)
    assert codes(certificate["findings"]) == {"FOR-MISSING"}
    assert "/verify/" in certificate["verify_url"]

    headers = api("auditor")
    first = client.get(certificate["pdf_url"], headers=headers)
    second = client.get(
        f"/api/v1/certificates/{certificate['number']}/certificate.pdf", headers=headers
    )
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF") and first.data == second.data
    assert hashlib.sha256(first.data).hexdigest() == certificate["sha256"]
    latest = client.get(f"/api/v1/{path}/certificate.pdf", headers=headers)
    assert latest.status_code == 200 and latest.data == first.data
    meta = client.get(f"/api/v1/certificates/{certificate['number']}", headers=headers).json
    assert meta == certificate


def test_a_clean_lot_is_certified_without_override_then_reissued_and_revoked(
    client, api, db_session, org
):
    lot, _plot = origin(db_session, org)
    staff = api("staff")
    response = issue(client, staff, f"lots/{lot.code}", override_reason="not needed")
    assert response.status_code == 201, response.json
    old = response.json
    assert old["findings"] == [] and old["override_reason"] is None  # nothing to override

    response = client.post(
        f"/api/v1/certificates/{old['number']}/reissue",
        headers=staff,
        json={"reason": "Buyer asked for English", "language": "en"},
    )
    assert response.status_code == 201, response.json
    new = response.json
    assert new["number"] != old["number"] and new["replaces"] == old["number"]
    assert new["language"] == "en"
    old_now = client.get(f"/api/v1/certificates/{old['number']}", headers=staff).json
    assert old_now["status"] == "revoked" and old_now["replaced_by"] == new["number"]
    assert "Buyer asked for English" in old_now["revoke_reason"]
    # The old number still downloads its own bytes; the lot's latest valid one is the new one.
    old_pdf = client.get(old["pdf_url"], headers=staff)
    assert hashlib.sha256(old_pdf.data).hexdigest() == old["sha256"]
    latest = client.get(f"/api/v1/lots/{lot.code}/certificate.pdf", headers=staff)
    assert hashlib.sha256(latest.data).hexdigest() == new["sha256"] != old["sha256"]

    listed = client.get(f"/api/v1/certificates?subject={lot.code}", headers=staff).json
    assert [c["number"] for c in listed["items"]] == [new["number"], old["number"]]

    no_reason = client.post(f"/api/v1/certificates/{new['number']}/revoke", headers=staff, json={})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["fields"]
    revoked = client.post(
        f"/api/v1/certificates/{new['number']}/revoke",
        headers=staff,
        json={"reason": "Wrong lot"},
    )
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"
    again = client.post(
        f"/api/v1/certificates/{new['number']}/revoke", headers=staff, json={"reason": "x"}
    )
    assert again.status_code == 409
    reissue_revoked = client.post(
        f"/api/v1/certificates/{new['number']}/reissue", headers=staff, json={"reason": "x"}
    )
    assert reissue_revoked.status_code == 409
    gone = client.get(f"/api/v1/lots/{lot.code}/certificate.pdf", headers=staff)
    assert gone.status_code == 404 and lot.code in gone.json["message"]


def test_a_shipment_certificate(client, api, db_session, org):
    lot, _plot = origin(db_session, org)
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": REF,
            "crop": "coffee",
            "buyer_name": "Kaffee GmbH",
            "buyer_country": "DE",
            "container_number": "CSQU3054383",
        },
    )
    bags.create_bags(db_session, org.id, None, lot.code, 2)
    shipments.allocate(db_session, org.id, None, REF, lot_codes=[lot.code])
    headers = api("staff")

    report = client.get(f"/api/v1/shipments/{REF}/compliance", headers=headers).json
    assert report["findings"] == [] and report["summary"]["certifiable"] is True
    assert (report["summary"]["bags"], report["summary"]["net_kg"]) == (2, "138.000")

    response = issue(client, headers, f"shipments/{REF}")
    assert response.status_code == 201, response.json
    assert response.json["subject_kind"] == "shipment"
    pdf = client.get(f"/api/v1/shipments/{REF}/certificate.pdf", headers=headers)
    assert pdf.status_code == 200
    assert hashlib.sha256(pdf.data).hexdigest() == response.json["sha256"]


def test_roles_and_organisations(client, api, db_session, org, other_org):
    lot, _plot = origin(db_session, org)
    response = issue(client, api("auditor"), f"lots/{lot.code}")
    assert response.status_code == 403  # auditors read, never issue
    number = issue(client, api("staff"), f"lots/{lot.code}").json["number"]
    outsider = api("admin", other_org)
    for path in [
        f"/api/v1/certificates/{number}",
        f"/api/v1/certificates/{number}/certificate.pdf",
        f"/api/v1/lots/{lot.code}/certificate.pdf",
        f"/api/v1/lots/{lot.code}/compliance",
        f"/api/v1/shipments/{REF}/compliance",
    ]:
        response = client.get(path, headers=outsider)
        assert response.status_code == 404, path
        assert response.json["error"] == "not_found"
    for path in [
        f"certificates/{number}/revoke",
        f"certificates/{number}/reissue",
        f"lots/{lot.code}/certificates",
    ]:
        response = client.post(f"/api/v1/{path}", headers=outsider, json={"reason": "x"})
        assert response.status_code == 404, path
    assert client.get("/api/v1/certificates", headers=outsider).json["total"] == 0
    assert client.get(f"/api/v1/certificates/{number}", headers=api("auditor")).status_code == 200


def test_an_unknown_language_is_refused(client, api, db_session, org):
    lot, _plot = origin(db_session, org)
    response = issue(client, api("staff"), f"lots/{lot.code}", language="fr")
    assert response.status_code == 422 and "language" in response.json["fields"]


# --- forest evidence --------------------------------------------------------------------------


@pytest.fixture
def plot(db_session, org):
    return factories.plot(db_session, org, factories.producer(db_session, org))


def record(client, headers, plot_id, **fields):
    body = {
        "result": "deforestation_free",
        "source": "GFW map review 2026-06",
        "observed_on": "2026-06-01",
        **fields,
    }
    return client.post(f"/api/v1/plots/{plot_id}/forest-evidence", headers=headers, json=body)


def test_forest_evidence_is_recorded_listed_and_voided(client, api, plot):
    staff = api("staff")
    first = record(client, staff, plot.id, result="more_info_needed")
    assert first.status_code == 201, first.json
    assert (first.json["kind"], first.json["current"]) == ("manual", True)
    second = record(
        client, staff, plot.id, kind="field", source="Ranger visit 0042", observed_on="2026-07-01"
    )
    assert second.status_code == 201 and second.json["current"] is True

    listed = client.get(f"/api/v1/plots/{plot.id}/forest-evidence", headers=api("auditor")).json
    assert [(e["id"], e["current"]) for e in listed["items"]] == [
        (second.json["id"], True),
        (first.json["id"], False),
    ]

    void = f"/api/v1/plots/{plot.id}/forest-evidence/{second.json['id']}/void"
    assert client.post(void, headers=staff, json={}).status_code == 422
    voided = client.post(void, headers=staff, json={"reason": "Wrong plot visited"})
    assert voided.status_code == 200
    assert voided.json["voided_at"] and voided.json["current"] is False
    listed = client.get(f"/api/v1/plots/{plot.id}/forest-evidence", headers=staff).json
    assert [e["current"] for e in listed["items"]] == [False, True]  # the older one counts again
    assert client.post(void, headers=staff, json={"reason": "twice"}).status_code == 409


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"result": "loss_after_cutoff"}, "loss_after_cutoff_ha"),
        ({"observed_on": "2999-01-01"}, "observed_on"),
        ({"kind": "raster"}, "kind"),
        ({"source": ""}, "source"),
        ({"result": "fine"}, "result"),
    ],
)
def test_bad_forest_evidence_names_the_field(client, api, plot, fields, field):
    response = record(client, api("staff"), plot.id, **fields)
    assert response.status_code == 422 and field in response.json["fields"]


def test_forest_evidence_roles_and_organisations(client, api, db_session, org, other_org, plot):
    assert record(client, api("auditor"), plot.id).status_code == 403
    evidence_id = record(client, api("staff"), plot.id).json["id"]
    outsider = api("admin", other_org)
    assert (
        client.get(f"/api/v1/plots/{plot.id}/forest-evidence", headers=outsider).status_code == 404
    )
    assert record(client, outsider, plot.id).status_code == 404
    void = f"/api/v1/plots/{plot.id}/forest-evidence/{evidence_id}/void"
    assert client.post(void, headers=outsider, json={"reason": "x"}).status_code == 404
    # Evidence addressed through another plot of the same organisation is not found either.
    other_plot = factories.plot(db_session, org, factories.producer(db_session, org))
    wrong = f"/api/v1/plots/{other_plot.id}/forest-evidence/{evidence_id}/void"
    assert client.post(wrong, headers=api("staff"), json={"reason": "x"}).status_code == 404


def test_every_certs_path_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    expected = {
        "/api/v1/lots/{code}/compliance": {"get"},
        "/api/v1/shipments/{reference}/compliance": {"get"},
        "/api/v1/lots/{code}/certificates": {"post"},
        "/api/v1/shipments/{reference}/certificates": {"post"},
        "/api/v1/certificates": {"get"},
        "/api/v1/certificates/{number}": {"get"},
        "/api/v1/certificates/{number}/certificate.pdf": {"get"},
        "/api/v1/certificates/{number}/revoke": {"post"},
        "/api/v1/certificates/{number}/reissue": {"post"},
        "/api/v1/lots/{code}/certificate.pdf": {"get"},
        "/api/v1/shipments/{reference}/certificate.pdf": {"get"},
        "/api/v1/shipments/{reference}/eudr.geojson": {"get"},
        "/api/v1/shipments/{reference}/eudr.json": {"get"},
        "/api/v1/plots/{plot_id}/forest-evidence": {"get", "post"},
        "/api/v1/plots/{plot_id}/forest-evidence/{evidence_id}/void": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths.get(path, {})), path
    assert "409" in paths["/api/v1/lots/{code}/certificates"]["post"]["responses"]


def test_dates_in_the_summary_are_the_judging_dates(client, api, db_session, org):
    lot, _plot = origin(db_session, org)
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": REF,
            "crop": "coffee",
            "buyer_name": "Kaffee GmbH",
            "buyer_country": "DE",
            "planned_loading_on": date(2026, 8, 1),
        },
    )
    summary = client.get(f"/api/v1/shipments/{REF}/compliance", headers=api()).json["summary"]
    assert summary["judged_on"] == "2026-08-01"
    assert codes(
        client.get(f"/api/v1/shipments/{REF}/compliance", headers=api()).json["findings"]
    ) >= {"SHP-NO-BAGS", "SHP-CONTAINER"}


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "1 origin plot has no forest evidence."),
        ("es", "1 parcela de origen no tiene evidencia forestal."),
    ],
)
def test_a_finding_about_one_plot_speaks_of_one_plot(
    client, api, db_session, org, language, message
):
    """It read "1 parcelas de origen…" on Spanish certificates before findings used plurals."""
    lot, _plot = origin(db_session, org, evidence=None, cupped=False)
    headers = api("auditor") | {"Accept-Language": language}
    body = client.get(f"/api/v1/lots/{lot.code}/compliance", headers=headers).json
    missing = next(f for f in body["findings"] if f["code"] == "FOR-MISSING")
    assert missing["message"] == message
