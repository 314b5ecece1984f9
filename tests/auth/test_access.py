"""Route by route: who may call what. A new route missing from RULES fails the first test."""

from datetime import date

import pytest

from coopchain import create_app
from coopchain.auth.models import Organization
from coopchain.certs import registry
from coopchain.forest.evidence import record_evidence
from coopchain.forest.models import ForestAssessment
from coopchain.lots import bags, transformations
from coopchain.quality import cupping_sessions as sessions
from coopchain.quality import gradings
from coopchain.shipments import services as shipments
from tests import factories
from tests.helpers import joined_session, rolled_back, savepoint

#: The route × role × organisation table runs on SQLite only (conftest.py).
pytestmark = pytest.mark.one_database

ALL = {"admin", "staff", "quality", "auditor", "treasurer"}
WRITE = {"admin", "staff"}
LAB = {"admin", "quality"}
PAY = {"admin", "treasurer"}
PUBLIC = None

#: endpoint -> (method, roles allowed); PUBLIC needs no login.
RULES = {
    "static": ("GET", PUBLIC),
    "core.health": ("GET", PUBLIC),
    "core.set_language": ("GET", PUBLIC),
    "auth.login": ("GET", PUBLIC),
    "api.openapi": ("GET", PUBLIC),
    "core.dashboard": ("GET", ALL),
    "core.styleguide": ("GET", ALL),
    "core.favicon": ("GET", PUBLIC),
    "core.search": ("GET", ALL),
    "auth.locale_settings": ("POST", {"admin"}),
    "auth.export_settings": ("POST", {"admin"}),
    "auth.logout": ("POST", ALL),
    "auth.switch_organization": ("POST", ALL),
    "auth.tokens": ("GET", ALL),
    "auth.members": ("POST", {"admin"}),
    "auth.member_role": ("POST", {"admin"}),
    "auth.remove_member": ("POST", {"admin"}),
    "auth.withdraw_invitation": ("POST", {"admin"}),
    "auth.invitation": ("GET", PUBLIC),
    "auth.accept_invitation": ("POST", PUBLIC),
    "auth.change_password": ("POST", ALL),
    "auth.create_token": ("POST", ALL),
    "auth.revoke_token": ("POST", ALL),
    "ledger.ledger": ("GET", ALL),
    "ledger.lot_epcis": ("GET", ALL),
    "ledger.shipment_epcis": ("GET", ALL),
    "farms.producer_list": ("GET", ALL),
    "farms.plots_attention": ("GET", ALL),
    "farms.producer_detail": ("GET", ALL),
    "farms.producer_new": ("POST", WRITE),
    "farms.producer_edit": ("POST", WRITE),
    "farms.agreement_new": ("POST", WRITE),
    "farms.visit_new": ("POST", WRITE),
    "farms.agreement_status": ("POST", WRITE),
    "farms.plot_new": ("POST", WRITE),
    "farms.plot_edit": ("POST", WRITE),
    "farms.registry_import": ("POST", WRITE),
    "farms.registry_template": ("GET", ALL),
    "farms.registry_export": ("GET", ALL),
    "farms.field_import": ("POST", WRITE),
    "farms.field_import_review": ("POST", WRITE),
    "api.plots_import": ("POST", WRITE),
    "farms.certifier_list": ("GET", ALL),
    "farms.certifier_new": ("POST", {"admin"}),
    "farms.certifier_edit": ("POST", {"admin"}),
    "api.producers_list": ("GET", ALL),
    "api.producers_create": ("POST", WRITE),
    "api.producers_get": ("GET", ALL),
    "api.producers_update": ("PUT", WRITE),
    "api.producers_import": ("POST", WRITE),
    "api.producers_export": ("GET", ALL),
    "api.producers_template": ("GET", ALL),
    "api.agreements_list": ("GET", ALL),
    "api.agreements_create": ("POST", WRITE),
    "api.agreements_get": ("GET", ALL),
    "api.agreements_status": ("POST", WRITE),
    "api.agreements_visit": ("POST", WRITE),
    "api.plots_list": ("GET", ALL),
    "api.plots_create": ("POST", WRITE),
    "api.plots_get": ("GET", ALL),
    "api.plots_update": ("PUT", WRITE),
    "api.ledger_list": ("GET", ALL),
    "api.ledger_verify": ("GET", ALL),
    "api.epcis_events": ("GET", ALL),
    "api.lots_epcis": ("GET", ALL),
    "api.shipments_epcis": ("GET", ALL),
    "lots.delivery_list": ("GET", ALL),
    "lots.delivery_new": ("POST", WRITE),
    "lots.delivery_plot_options": ("GET", ALL),
    # The offline intake (a PWA): its worker and manifest are fetched without cookies.
    "lots.intake_service_worker": ("GET", PUBLIC),
    "lots.intake_manifest": ("GET", PUBLIC),
    "lots.offline_data": ("GET", ALL),
    "lots.offline_send": ("POST", WRITE),
    "lots.delivery_detail": ("GET", ALL),
    "lots.delivery_void": ("POST", WRITE),
    "lots.delivery_receipt": ("GET", ALL),
    "lots.delivery_template_xlsx": ("GET", ALL),
    "lots.delivery_import": ("POST", WRITE),
    "lots.lot_list": ("GET", ALL),
    "lots.lot_detail": ("GET", ALL),
    "lots.lot_export": ("GET", ALL),
    "lots.lot_split": ("POST", WRITE),
    "lots.lot_process": ("POST", WRITE),
    "lots.lot_sample": ("POST", WRITE),
    "lots.lot_bags": ("POST", WRITE),
    "lots.merge": ("POST", WRITE),
    "lots.transformation_detail": ("GET", ALL),
    "lots.transformation_void": ("POST", WRITE),
    "lots.bag_void": ("POST", WRITE),
    "lots.mass_balance_report": ("GET", ALL),
    "lots.mass_balance_xlsx": ("GET", ALL),
    "lots.inventory_report": ("GET", ALL),
    "lots.inventory_xlsx": ("GET", ALL),
    "api.reports_inventory": ("GET", ALL),
    "api.reports_inventory_export": ("GET", ALL),
    "ics.inspection_report_page": ("GET", ALL),
    "ics.inspection_report_xlsx": ("GET", ALL),
    "ics.inspection_new": ("POST", WRITE),
    "ics.yield_explanation_new": ("POST", WRITE),
    "api.ics_inspections": ("GET", ALL),
    "api.ics_inspections_create": ("POST", WRITE),
    "api.ics_inspections_export": ("GET", ALL),
    "api.plots_yield_explanations": ("POST", WRITE),
    "api.deliveries_list": ("GET", ALL),
    "api.deliveries_create": ("POST", WRITE),
    "api.deliveries_get": ("GET", ALL),
    "api.deliveries_void": ("POST", WRITE),
    "api.deliveries_receipt": ("GET", ALL),
    "api.deliveries_template": ("GET", ALL),
    "api.deliveries_import": ("POST", WRITE),
    "api.lots_list": ("GET", ALL),
    "api.lots_get": ("GET", ALL),
    "api.lots_origins": ("GET", ALL),
    "api.lots_export": ("GET", ALL),
    "api.transformations_list": ("GET", ALL),
    "api.transformations_create": ("POST", WRITE),
    "api.transformations_get": ("GET", ALL),
    "api.transformations_void": ("POST", WRITE),
    "api.bags_list": ("GET", ALL),
    "api.bags_create": ("POST", WRITE),
    "api.bags_get": ("GET", ALL),
    "api.bags_void": ("POST", WRITE),
    "quality.session_sheets_xlsx": ("GET", ALL),
    "quality.session_report_pdf": ("GET", ALL),
    "api.cupping_sessions_sheets_xlsx": ("GET", ALL),
    "api.cupping_sessions_report_pdf": ("GET", ALL),
    "api.cupping_sessions_list": ("GET", ALL),
    "api.cupping_sessions_create": ("POST", LAB),
    "api.cupping_sessions_get": ("GET", ALL),
    "api.cupping_sessions_add_sample": ("POST", LAB),
    "api.cupping_sessions_save_sheet": ("PUT", LAB),
    "api.cupping_sessions_close": ("POST", LAB),
    "api.cupping_sessions_reopen": ("POST", LAB),
    "api.lot_quality_get": ("GET", ALL),
    "api.green_gradings_list": ("GET", ALL),
    "api.pitahaya_gradings_list": ("GET", ALL),
    "api.green_gradings_create": ("POST", LAB),
    "api.pitahaya_gradings_create": ("POST", LAB),
    "api.gradings_void": ("POST", LAB),
    "quality.session_list": ("GET", ALL),
    "quality.session_new": ("GET", LAB),
    "quality.session_detail": ("GET", ALL),
    "quality.session_add_sample": ("POST", LAB),
    "quality.session_close": ("POST", LAB),
    "quality.session_reopen": ("POST", LAB),
    "quality.sheet": ("GET", ALL),
    "quality.sheet_save": ("POST", LAB),
    "quality.green_grading_new": ("GET", LAB),
    "quality.pitahaya_grading_new": ("GET", LAB),
    "quality.grading_void": ("POST", LAB),
    "shipments.shipment_list": ("GET", ALL),
    "shipments.shipment_new": ("GET", WRITE),
    "shipments.shipment_detail": ("GET", ALL),
    "shipments.shipment_edit": ("GET", WRITE),
    "shipments.shipment_advance": ("POST", WRITE),
    "shipments.shipment_allocate": ("POST", WRITE),
    "shipments.shipment_release": ("POST", WRITE),
    "shipments.packing_list_xlsx": ("GET", ALL),
    "shipments.packing_list_pdf": ("GET", ALL),
    "settle.settlement_page": ("GET", {"admin", "treasurer"}),
    "settle.settlement_confirm": ("POST", {"admin", "treasurer"}),
    "settle.settlement_pay": ("POST", {"admin", "treasurer"}),
    "settle.settlement_void": ("POST", {"admin", "treasurer"}),
    "settle.producer_statement_page": ("GET", ALL),
    "settle.producer_statement_pdf": ("GET", ALL),
    "settle.producer_statement_xlsx": ("GET", ALL),
    "settle.owed_report": ("GET", {"admin", "treasurer", "auditor"}),
    "settle.owed_report_xlsx": ("GET", {"admin", "treasurer", "auditor"}),
    "settle.premiums_report": ("GET", {"admin", "treasurer", "auditor"}),
    "settle.premiums_report_xlsx": ("GET", {"admin", "treasurer", "auditor"}),
    "api.settlement_preview_get": ("GET", {"admin", "treasurer"}),
    "api.settlement_preview_post": ("POST", {"admin", "treasurer"}),
    "api.settlement_confirm": ("POST", {"admin", "treasurer"}),
    "api.producer_statement_json": ("GET", ALL),
    "api.producer_statement_pdf": ("GET", ALL),
    "api.producer_statement_xlsx": ("GET", ALL),
    "certs.lot_compliance": ("GET", ALL),
    "certs.shipment_compliance": ("GET", ALL),
    "certs.lot_certificate_issue": ("POST", WRITE),
    "certs.shipment_certificate_issue": ("POST", WRITE),
    "certs.lot_certificates": ("GET", ALL),
    "certs.shipment_certificates": ("GET", ALL),
    "certs.certificate_list": ("GET", ALL),
    "certs.certificate_detail": ("GET", ALL),
    "certs.certificate_pdf": ("GET", ALL),
    "certs.certificate_revoke": ("POST", WRITE),
    "certs.certificate_reissue": ("POST", WRITE),
    "verify.certificate": ("GET", PUBLIC),
    "verify.signing_certificate": ("GET", PUBLIC),
    "farms.plot_forest_evidence": ("GET", ALL),
    "farms.forest_evidence_record": ("POST", WRITE),
    "farms.forest_evidence_void": ("POST", WRITE),
    "api.shipments_list": ("GET", ALL),
    "api.shipments_create": ("POST", WRITE),
    "api.shipments_get": ("GET", ALL),
    "api.shipments_update": ("PUT", WRITE),
    "api.shipments_advance": ("POST", WRITE),
    "api.shipments_allocate": ("POST", WRITE),
    "api.shipments_release": ("POST", WRITE),
    "api.shipments_bags": ("GET", ALL),
    "api.shipments_labels_pdf": ("GET", ALL),
    "api.shipments_labels_job": ("POST", ALL),
    "api.shipments_packing_list_xlsx": ("GET", ALL),
    "api.shipments_packing_list_pdf": ("GET", ALL),
    "api.lots_compliance": ("GET", ALL),
    "api.shipments_compliance": ("GET", ALL),
    "api.lots_certificate_issue": ("POST", WRITE),
    "api.shipments_certificate_issue": ("POST", WRITE),
    "api.certificates_list": ("GET", ALL),
    "api.certificates_get": ("GET", ALL),
    "api.certificates_pdf": ("GET", ALL),
    "api.certificates_revoke": ("POST", WRITE),
    "api.certificates_reissue": ("POST", WRITE),
    "api.lots_certificate_pdf": ("GET", ALL),
    "api.shipments_certificate_pdf": ("GET", ALL),
    "api.shipments_eudr_geojson": ("GET", ALL),
    "api.shipments_eudr_job": ("POST", ALL),
    "api.shipments_eudr_summary": ("GET", ALL),
    "api.plots_forest_evidence": ("GET", ALL),
    "api.plots_forest_evidence_record": ("POST", WRITE),
    "api.plots_forest_evidence_void": ("POST", WRITE),
    "trace.lot_labels": ("GET", ALL),
    "trace.shipment_labels": ("GET", ALL),
    "certs.shipment_eudr": ("GET", ALL),
    # EUDR due diligence statements: anyone reads, admins file, staff ask for the status.
    "eudr.dds_page": ("GET", ALL),
    "eudr.dds_json": ("GET", ALL),
    "eudr.dds_xml": ("GET", ALL),
    "eudr.dds_job": ("POST", ALL),
    "eudr.producer_geojson_download": ("GET", ALL),
    "eudr.dds_submit": ("POST", {"admin"}),
    "eudr.dds_refresh": ("POST", WRITE),
    "eudr.dds_amend": ("POST", {"admin"}),
    "eudr.dds_withdraw": ("POST", {"admin"}),
    "eudr.account_settings": ("POST", {"admin"}),
    "api.shipments_dds_json": ("GET", ALL),
    "api.shipments_dds_xml": ("GET", ALL),
    "api.shipments_dds_job": ("POST", ALL),
    "api.shipments_dds_submit": ("POST", {"admin"}),
    "api.shipments_dds_refresh": ("POST", WRITE),
    "api.shipments_dds_amend": ("POST", {"admin"}),
    "api.shipments_dds_withdraw": ("POST", {"admin"}),
    # Signing keys and the group operator certificate (admins); the signed document bundle.
    "certs.signing_settings": ("GET", {"admin"}),
    "certs.signing_key_generate": ("POST", {"admin"}),
    "certs.signing_key_upload": ("POST", {"admin"}),
    "certs.signing_key_revoke": ("POST", {"admin"}),
    "certs.signing_key_certificate": ("GET", {"admin"}),
    "certs.operator_certificate_new": ("POST", {"admin"}),
    "certs.shipment_bundle_zip": ("GET", ALL),
    "certs.shipment_bundle_job": ("POST", ALL),
    "api.shipments_bundle": ("GET", ALL),
    "api.shipments_bundle_job": ("POST", ALL),
    "api.lots_labels": ("GET", ALL),
    "api.lots_labels_job": ("POST", ALL),
    "farms.forest_overview": ("GET", ALL),
    "farms.whisp_import": ("POST", WRITE),
    "farms.whisp_plots_geojson": ("GET", ALL),
    "farms.plot_field_visit": ("POST", WRITE),
    "farms.forest_summary_xlsx": ("GET", ALL),
    "farms.forest_dataset_new": ("POST", {"admin"}),
    "farms.forest_assessment_start": ("POST", {"admin"}),
    "farms.forest_assessment_detail": ("GET", ALL),
    "farms.forest_assessment_resume": ("POST", {"admin"}),
    "public_trace.bag": ("GET", PUBLIC),
    "public_trace.lot": ("GET", PUBLIC),
    "public_trace.digital_link": ("GET", PUBLIC),
    "public_trace.photo": ("GET", PUBLIC),
    "trace.lot_qr_image": ("GET", ALL),
    "trace.bag_qr_image": ("GET", ALL),
    "trace.public_settings": ("POST", {"admin"}),
    "api.lots_qr": ("GET", ALL),
    "api.bags_qr": ("GET", ALL),
    "api.mass_balance_report": ("GET", ALL),
    "api.mass_balance_export": ("GET", ALL),
    "farms.coop_map": ("GET", ALL),
    "farms.map_plots": ("GET", ALL),
    "farms.map_areas": ("GET", ALL),
    "farms.plot_geometry_check": ("POST", WRITE),
    "farms.protected_areas": ("GET", {"admin"}),
    "farms.protected_area_upload": ("POST", {"admin"}),
    "farms.protected_area_delete": ("POST", {"admin"}),
    "payments.payment_list": ("GET", ALL),
    "payments.payment_detail": ("GET", ALL),
    "payments.payment_receipt": ("GET", ALL),
    "payments.payment_void": ("POST", PAY),
    "payment_receipts.receipt_check": ("GET", PUBLIC),
    "api.payments_list": ("GET", ALL),
    "api.payments_create": ("POST", PAY),
    "api.payments_get": ("GET", ALL),
    "api.payments_void": ("POST", PAY),
    # Paying producers: runs, premium rules, debts, the premium fund (PAY read by auditors).
    "pay_runs.run_list": ("GET", {"admin", "treasurer"}),
    "pay_runs.run_preview": ("POST", {"admin", "treasurer"}),
    "pay_runs.run_confirm": ("POST", {"admin", "treasurer"}),
    "pay_runs.run_detail": ("GET", {"admin", "treasurer"}),
    "pay_runs.run_bank_file": ("GET", {"admin", "treasurer"}),
    "pay_runs.premium_rules": ("GET", {"admin", "treasurer", "auditor"}),
    "pay_runs.premium_rule_new": ("POST", {"admin"}),
    "pay_runs.premium_rule_end": ("POST", {"admin"}),
    "pay_runs.premium_fund": ("GET", {"admin", "treasurer", "auditor"}),
    "pay_runs.premium_fund_entry": ("POST", {"admin", "treasurer"}),
    "pay_runs.producer_debts": ("GET", {"admin", "treasurer", "auditor"}),
    "pay_runs.producer_debt_new": ("POST", {"admin", "treasurer"}),
    "pay_runs.producer_debt_void": ("POST", {"admin", "treasurer"}),
    "api.premium_rules_list": ("GET", {"admin", "treasurer", "auditor"}),
    "api.premium_rules_create": ("POST", {"admin"}),
    "api.premium_rules_end": ("POST", {"admin"}),
    "api.payment_runs_preview": ("POST", {"admin", "treasurer"}),
    "api.payment_runs_confirm": ("POST", {"admin", "treasurer"}),
    "api.producer_debts_list": ("GET", {"admin", "treasurer", "auditor"}),
    "api.producer_debts_create": ("POST", {"admin", "treasurer"}),
    "api.producer_debts_void": ("POST", {"admin", "treasurer"}),
    "core.job_list": ("GET", ALL),
    "core.job_detail": ("GET", ALL),
    "core.job_status": ("GET", ALL),
    "api.jobs_list": ("GET", ALL),
    "api.jobs_get": ("GET", ALL),
    "api.jobs_file": ("GET", ALL),
    "core.job_file_download": ("GET", ALL),
    "trace.label_job": ("POST", ALL),
    "certs.shipment_eudr_job": ("POST", ALL),
}


def test_every_route_has_an_access_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - RULES.keys() == set(), "add the new routes to RULES"
    assert RULES.keys() - endpoints == set(), "RULES names routes that no longer exist"
    for endpoint in endpoints - {"static"}:
        view = app.view_functions[endpoint]
        assert hasattr(view, "access_roles"), f"{endpoint} has no @public/@requires decorator"
        expected = RULES[endpoint][1]
        declared = None if view.access_roles is None else {str(r) for r in view.access_roles}
        assert declared == expected, endpoint


@pytest.fixture(scope="module")
def access_world(engine, app_factory):
    """Rows of every kind for one organisation, built once for this module in a transaction of
    its own (each test works in a savepoint inside it), and a concrete URL for every route
    pointing at them: (connection, organisation id, urls).

    The certificate is registered with stand-in bytes: who may open it does not depend on its
    contents (the certificate tests render and check real ones)."""
    from coopchain.certs import certificate_pdf

    app = app_factory()
    with rolled_back(engine) as connection:
        db_session = joined_session(connection, app.extensions["coopchain.db"].settings)
        with pytest.MonkeyPatch.context() as monkeypatch, app_factory("context").app_context():
            monkeypatch.setattr(
                certificate_pdf, "render_certificate_pdf", lambda _context: b"%PDF-1.7 stub"
            )
            org = factories.organization(db_session, "COOPAM")
            urls = _urls_for_rows(app, db_session, org)
            db_session.commit()  # releases the session's savepoint into the module's transaction
        yield connection, org.id, urls


@pytest.fixture
def connection(access_world):
    """This test's changes go into a savepoint inside the module's transaction."""
    with savepoint(access_world[0]) as module_connection:
        yield module_connection


@pytest.fixture
def org(db_session, access_world):
    return db_session.get(Organization, access_world[1])


@pytest.fixture
def urls(access_world):
    return access_world[2]


def _urls_for_rows(app, db_session, org) -> dict:
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    agreement = factories.agreement(db_session, org, [producer])
    certifier = factories.certifier(db_session, org)
    owner = factories.user(db_session, org, "staff")
    from coopchain.auth.services import create_api_token

    token, _ = create_api_token(db_session, owner, org.id, "t")
    from sqlalchemy import select

    from coopchain.auth.models import Membership

    owner_membership = db_session.scalar(select(Membership).where(Membership.user_id == owner.id))
    from coopchain.auth.invitations import invite

    invitation, _token = invite(db_session, org.id, owner.id, "invited@access.test", "staff")
    delivery, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    (bag,) = bags.create_bags(db_session, org.id, None, lot.code, 1)
    sample = transformations.take_sample(db_session, org.id, None, lot.code, None, date(2026, 6, 2))
    cupping = sessions.open_session(
        db_session,
        org.id,
        None,
        {
            "held_on": date(2026, 6, 3),
            "protocol": "sca_2004",
            "guest_cuppers": ["Ana"],
            "lot_codes": [lot.code],
        },
    )
    [(cupping_sample, _lot)] = sessions.samples_of(db_session, cupping)
    shipment = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "S-1", "crop": "coffee", "buyer_name": "B", "buyer_country": "DE"},
    )
    evidence = record_evidence(
        db_session,
        org.id,
        None,
        plot.id,
        {"result": "deforestation_free", "source": "map", "observed_on": date(2026, 1, 5)},
    )
    certificate = registry.issue_certificate(
        db_session,
        org.id,
        None,
        kind="lot",
        reference=lot.code,
        override_reason="Access test",
        may_override=True,
    )
    # After the certificate (whose PDF is a stand-in here, so it cannot be signed).
    from coopchain.certs.keys import generate_key

    signing_key = generate_key(db_session, org.id, None)
    assessment = ForestAssessment(organization_id=org.id, dataset_ids=[], total=0)
    db_session.add(assessment)
    db_session.flush()
    grading = gradings.record_green_grading(
        db_session,
        org.id,
        None,
        lot.code,
        {"moisture_pct": "11", "graded_on": date(2026, 6, 3)},
    )
    from coopchain.farms.protected_areas import create_area

    area = create_area(
        db_session,
        org.id,
        None,
        {"name": "BPAM", "geometry": factories.square(side=0.1), "approximate": True},
    )
    from coopchain.payments.core import Line, record_payment

    payment = record_payment(
        db_session,
        org.id,
        None,
        producer_id=producer.id,
        lines=[Line(kind="advance", amount=100, delivery_id=delivery.id)],
        method="cash",
        paid_on=date(2026, 6, 2),
    )
    from coopchain.payments import debts as member_debts
    from coopchain.payments import premiums as premium_rules
    from coopchain.payments import runs as payment_runs

    rule = premium_rules.create_rule(
        db_session,
        org.id,
        None,
        {"name": "SD", "kind": "retention", "amount_per_kg": "0.1", "valid_from": "2026-01-01"},
    )
    debt = member_debts.record_debt(
        db_session,
        org.id,
        None,
        producer.id,
        {
            "kind": "loan",
            "principal": "10.00",
            "granted_on": "2026-01-01",
            "description": "Loan",
            "schedule": [{"due_on": "2026-02-01", "amount": "10.00"}],
        },
    )
    run = payment_runs.confirm(
        db_session, org.id, None, {"producer_id": producer.id}, date(2026, 7, 1), "PEN", "cash"
    )
    from coopchain.job_rows import Job

    job = Job(organization_id=org.id, kind="forest.assessment", arguments={"assessment_id": 0})
    db_session.add(job)
    db_session.flush()
    values = {
        "job_id": job.id,
        "run_id": run.id,
        "rule_id": rule.id,
        "debt_id": debt.id,
        "area_id": area.id,
        "delivery_id": delivery.id,
        "transformation_id": sample.id,
        "serial": bag.serial,
        "producer_id": producer.id,
        "plot_id": plot.id,
        "agreement_id": agreement.id,
        "certifier_id": certifier.id,
        "key_id": signing_key.id,
        "token_id": token.id,
        "membership_id": owner_membership.id,
        "invitation_id": invitation.id,
        "code": lot.code,
        "filename": "app.css",
        "number": cupping.number,
        "blind_code": cupping_sample.blind_code,
        "kind": "green",
        "grading_id": grading.id,
        "reference": shipment.reference,
        "evidence_id": evidence.id,
        "verify_code": certificate.verify_code,
        "assessment_id": assessment.id,
        "token": bag.public_token,
        "fmt": "svg",
        "_rest": f"00000000000000/10/{lot.code}",
        "digest": "0" * 16,
        "settlement_id": _settlement(db_session, org, shipment).id,
    }
    from coopchain.fieldtools.uploads import keep_upload

    csv_export = b"_uuid,socio,parcela,linderos\nu-1,M-1,Alta,-5.701234 -77.412345 1100 4\n"
    upload_token = keep_upload(db_session, org.id, csv_export, "kobo", "linderos.csv")
    #: Routes whose <number> is a certificate's, not a cupping session's.
    certificate_values = values | {"number": certificate.number}
    #: Routes whose <number> is a payment's, and <token> its receipt's.
    payment_values = values | {"number": payment.number, "token": payment.receipt_token}
    with app.test_request_context():
        from flask import url_for

        urls = {}
        for rule in app.url_map.iter_rules():
            chosen = certificate_values if "certificate" in rule.endpoint else values
            chosen = payment_values if "payment" in rule.endpoint else chosen
            if rule.endpoint == "core.set_language":
                urls[rule.endpoint] = url_for(rule.endpoint, code="en")
            elif rule.endpoint == "public_trace.lot":
                urls[rule.endpoint] = url_for(rule.endpoint, token=lot.public_token)
            elif rule.endpoint == "farms.field_import_review":
                urls[rule.endpoint] = url_for(rule.endpoint, token=upload_token)
            elif rule.endpoint in ("verify.certificate", "verify.signing_certificate"):
                urls[rule.endpoint] = url_for(rule.endpoint, code=values["verify_code"])
            else:
                urls[rule.endpoint] = url_for(
                    rule.endpoint, **{a: chosen[a] for a in rule.arguments}
                )
        return urls


def _settlement(db_session, org, shipment):
    """A settlement row for the settlement routes' URLs (who may open them does not depend on
    its figures)."""
    from decimal import Decimal

    from coopchain.payments.models import Settlement

    row = Settlement(
        organization_id=org.id,
        shipment_id=shipment.id,
        price=Decimal("3.25"),
        price_currency="USD",
        price_unit="lb",
        exchange_rate=Decimal("3.7"),
        rate_on=date(2026, 10, 1),
        total=Decimal("100.00"),
    )
    db_session.add(row)
    db_session.flush()
    return row


def _call(client, endpoint, url, headers=None):
    method = RULES[endpoint][0]
    return client.open(url, method=method, headers=headers or {})


@pytest.mark.parametrize("endpoint", sorted(e for e, (_m, roles) in RULES.items() if roles))
def test_anonymous_is_refused(client, urls, endpoint):
    response = _call(client, endpoint, urls[endpoint])
    if endpoint.startswith("api."):
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert "/login" in response.location


@pytest.mark.parametrize("endpoint", sorted(e for e, (_m, roles) in RULES.items() if roles))
def test_roles(client, urls, login, api, endpoint):
    """Each role gets 403 where it has no right, and gets through where it has."""
    for role in sorted(ALL):
        if endpoint.startswith("api."):
            response = _call(client, endpoint, urls[endpoint], api(role))
        else:
            client.delete_cookie("session")
            login(role)
            response = _call(client, endpoint, urls[endpoint])
        allowed = role in RULES[endpoint][1]
        if allowed:
            assert response.status_code not in (401, 403), (role, response.status_code)
            assert response.status_code < 500, (role, response.status_code)
            assert not (response.status_code == 302 and "/login?next=" in response.location)
        else:
            assert response.status_code == 403, (role, response.status_code)


def test_session_cookie_does_not_open_the_api(client, login):
    login("admin")
    assert client.get("/api/v1/producers").status_code == 401


def test_public_routes_answer_without_login(client):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


ID_ARGUMENTS = {
    "job_id",
    "key_id",
    "run_id",
    "rule_id",
    "debt_id",
    "producer_id",
    "plot_id",
    "agreement_id",
    "token_id",
    "membership_id",
    "invitation_id",
    "delivery_id",
    "transformation_id",
    "serial",
    "code",
    "number",
    "grading_id",
    "reference",
    "evidence_id",
    "assessment_id",
}
#: Endpoints whose URL names a row; read off a throwaway app so new routes are covered.
ROW_ENDPOINTS = sorted(
    rule.endpoint
    for rule in create_app(
        {"COOPCHAIN_ENV": "test", "DATABASE_URL": "sqlite://"}
    ).url_map.iter_rules()
    # The verify page is public by design: its unguessable code is the key, not the login.
    if rule.arguments & ID_ARGUMENTS
    and rule.endpoint
    not in ("core.set_language", "verify.certificate", "verify.signing_certificate")
)


@pytest.mark.parametrize("endpoint", ROW_ENDPOINTS)
def test_rows_of_another_organisation_are_out_of_reach(
    client, urls, login, api, other_org, endpoint
):
    """An admin of another organisation gets 404 for every URL naming this one's rows."""
    if endpoint.startswith("api."):
        response = _call(client, endpoint, urls[endpoint], api("admin", other_org))
    else:
        login("admin", other_org)
        response = _call(client, endpoint, urls[endpoint])
    assert response.status_code == 404, response.status_code
