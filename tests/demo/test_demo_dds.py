"""The demo's clean export shipment (Bremen) end to end through the EUDR due diligence
statement: dds.json and dds.xml built and within the EU limits, submitted to the local stub of
the EU system, and the reference and verification numbers it returns on the certificate, the
packing list and the public bag page."""

import subprocess

import pytest
from lxml import etree
from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.certs import registry
from coopchain.certs.models import Certificate
from coopchain.clock import today
from coopchain.demo import sample_bag_token
from coopchain.demo.calendar import calendar_for
from coopchain.demo.clean_shipment import bremen_reference
from coopchain.eudr import filing
from coopchain.eudr import xml as ddsxml
from coopchain.eudr.accounts import save_account
from coopchain.eudr.statement import check_statement
from coopchain.eudr.statements import shipment_statements
from coopchain.shipments.packing import packing_list_context, render_packing_list_pdf
from tests.eudr.stub_eu import StubEU
from tests.helpers import change_settings

REFERENCE = bremen_reference(calendar_for(today()).harvest_year)


@pytest.fixture
def stub():
    server = StubEU().start()
    yield server
    server.stop()
    assert server.failures == []


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


def test_the_demo_export_shipment_is_filed_and_its_numbers_are_printed(
    db_session, client, stub, tmp_path
):
    coffee = db_session.scalar(select(Organization).where(Organization.code == "COOPAM"))
    shipment, plan = shipment_statements(db_session, coffee.id, REFERENCE)
    [statement] = plan.statements
    check_statement(statement)
    body = statement["statement"]
    assert (body["activityType"], body["countryOfActivity"]) == ("IMPORT", "DE")
    assert len(body["commodities"][0]["producers"]) > 1
    xml = etree.fromstring(ddsxml.to_bytes(ddsxml.submit_request(statement)))
    assert xml.findtext(f"{{{ddsxml.DDS_NS}}}statement/{{{ddsxml.DDS_NS}}}activityType") == (
        "IMPORT"
    )

    change_settings(db_session, eudr_base_urls={"acceptance": stub.base_url})
    save_account(
        db_session,
        coffee.id,
        None,
        {
            "operator_role": "OPERATOR",
            "activity_type": "IMPORT",
            "country_of_activity": "DE",
            "eori": "DE4711000000815",
            "environment": "acceptance",
            "username": stub.username,
            "client_id": stub.client_id,
        },
        stub.key,
    )
    client_eu = filing.client_for(db_session, coffee.id)
    filing.submit(db_session, coffee.id, None, REFERENCE, client_eu)
    [row] = filing.refresh(db_session, coffee.id, None, REFERENCE, client_eu)
    assert stub.calls == ["submitDds", "getDds"]
    number, verification = row.reference_number, row.verification_number
    assert (shipment.eudr_dds_reference, shipment.eudr_dds_verification) == (number, verification)

    old = db_session.scalar(select(Certificate).where(Certificate.subject_ref == REFERENCE))
    new = registry.reissue_certificate(
        db_session, coffee.id, None, old.number, "DDS numbers returned", language="en"
    )
    certificate = pdf_text(new.pdf, tmp_path)
    assert number in certificate and verification in certificate

    packing = pdf_text(
        render_packing_list_pdf(packing_list_context(db_session, coffee.id, REFERENCE)), tmp_path
    )
    assert number in packing and verification in packing

    page = client.get(f"/b/{sample_bag_token(db_session)}?lang=en").get_data(as_text=True)
    assert "EU due diligence statement" in page and number in page
