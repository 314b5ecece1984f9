"""A shipment's statement read from the database, the EU account with its key encrypted, and
filing through the stub: uuids, status, numbers onto the shipment, the 72-hour window, and a
ledger event for every change. Both databases."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from coopchain.clock import utcnow
from coopchain.errors import Conflict, DomainError
from coopchain.eudr import filing
from coopchain.eudr.accounts import auth_key_of, get_account, save_account
from coopchain.eudr.statement import DdsInvalid
from coopchain.eudr.statements import shipment_statements
from coopchain.ledger.models import LedgerEvent
from coopchain.shipments import services as shipments
from tests.eudr.conftest import ACCOUNT, REF
from tests.helpers import change_settings


@pytest.fixture
def account(db_session, org, stub):
    change_settings(db_session, eudr_base_urls={"acceptance": stub.base_url})
    values = ACCOUNT | {"username": stub.username, "client_id": stub.client_id}
    return save_account(db_session, org.id, None, values, stub.key)


def events(db_session, org, kind):
    return db_session.scalars(
        select(LedgerEvent).where(LedgerEvent.organization_id == org.id, LedgerEvent.kind == kind)
    ).all()


def test_the_statement_reads_the_shipment_its_producers_and_their_kg(db_session, org, shipment):
    save_account(db_session, org.id, None, ACCOUNT, None)
    _shipment, plan = shipment_statements(db_session, org.id, REF)
    [request] = plan.statements
    body = request["statement"]
    assert (body["internalReferenceNumber"], body["activityType"]) == (REF, "IMPORT")
    [commodity] = body["commodities"]
    assert commodity["descriptors"]["goodsMeasure"]["netWeight"] == "276.000"
    assert len(commodity["producers"]) == 2
    assert {p["country"] for p in commodity["producers"]} == {"PE"}
    assert "276.000 kg net" in commodity["descriptors"]["descriptionOfGoods"]


def test_without_an_account_the_importer_s_statement_needs_its_eori(db_session, org, shipment):
    with pytest.raises(DdsInvalid) as caught:
        shipment_statements(db_session, org.id, REF)
    assert list(caught.value.fields) == ["eori"]


def test_pitahaya_has_no_statement(db_session, org):
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "P-1", "crop": "pitahaya", "buyer_name": "B", "buyer_country": "NL"},
    )
    with pytest.raises(DomainError) as caught:
        shipment_statements(db_session, org.id, "P-1")
    assert caught.value.code == "outside_eudr"


def test_the_key_is_stored_encrypted_and_never_in_the_ledger(db_session, org, account, stub):
    assert stub.key not in account.auth_key_encrypted
    assert auth_key_of(db_session, account) == stub.key
    [event] = events(db_session, org, "eudr.account_set")
    assert stub.key not in str(event.payload)
    assert event.payload["data"]["auth_key"].startswith("(private")
    # Saving again without a key keeps the stored one.
    save_account(db_session, org.id, None, ACCOUNT | {"username": "x"}, "")
    assert auth_key_of(db_session, get_account(db_session, org.id)) == stub.key


def test_another_secret_key_cannot_read_the_stored_key(db_session, org, account):
    from coopchain.eudr.secrets import derive_key

    change_settings(db_session, eudr_credentials_key=derive_key("another"))
    assert auth_key_of(db_session, account) is None
    with pytest.raises(DomainError) as caught:
        filing.client_for(db_session, org.id)
    assert "credentials" in caught.value.fields


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"eori": "not an eori"}, "eori"),
        ({"country_of_activity": "DEU"}, "country_of_activity"),
        ({"environment": "test"}, "environment"),
        ({"operator_role": "REPRESENTATIVE_OPERATOR"}, "represented_eori"),
    ],
)
def test_bad_account_fields_are_refused_by_name(db_session, org, changes, field):
    with pytest.raises(DomainError) as caught:
        save_account(db_session, org.id, None, ACCOUNT | changes, None)
    assert field in caught.value.fields
    assert get_account(db_session, org.id) is None


def test_submit_then_refresh_puts_the_numbers_on_the_shipment(
    db_session, org, shipment, account, stub
):
    client = filing.client_for(db_session, org.id)
    [row] = filing.submit(db_session, org.id, None, REF, client)
    assert row.status == "SUBMITTED" and row.uuid in stub.statements
    [submitted] = events(db_session, org, "eudr.dds_submitted")
    assert submitted.payload["data"]["statements"][0]["uuid"] == row.uuid

    filing.refresh(db_session, org.id, None, REF, client)
    assert row.status == "AVAILABLE" and row.reference_number.startswith("26FR")
    assert shipment.eudr_dds_reference == row.reference_number
    assert shipment.eudr_dds_verification == row.verification_number
    [status] = events(db_session, org, "eudr.dds_status")
    assert status.payload["data"]["statements"][0]["referenceNumber"] == row.reference_number
    assert events(db_session, org, "shipment.updated")
    # A second filing while this one is live is refused.
    with pytest.raises(Conflict):
        filing.submit(db_session, org.id, None, REF, client)


def test_amend_and_withdraw_within_72_hours_only(db_session, org, shipment, account, stub):
    client = filing.client_for(db_session, org.id)
    [row] = filing.submit(db_session, org.id, None, REF, client)
    filing.amend(db_session, org.id, None, REF, row.uuid, client)
    assert row.amended_at is not None and stub.statements[row.uuid]["amended"]

    row.submitted_at = utcnow() - timedelta(hours=72, minutes=1)
    db_session.flush()
    for action in (filing.amend, filing.withdraw):
        with pytest.raises(Conflict) as caught:
            action(db_session, org.id, None, REF, row.uuid, client)
        assert "72 hours" in caught.value.message
    assert stub.calls == ["submitDds", "amendDds"]

    row.submitted_at = utcnow() - timedelta(hours=71)
    filing.withdraw(db_session, org.id, None, REF, row.uuid, client)
    assert row.status == "WITHDRAWN" and stub.statements[row.uuid]["status"] == "WITHDRAWN"
    assert events(db_session, org, "eudr.dds_withdrawn")
    # Withdrawn, it may be filed again.
    assert filing.submit(db_session, org.id, None, REF, client)


def test_the_eu_refusing_a_call_records_nothing(db_session, org, shipment, account, stub):
    stub.allow_failures = True
    client = filing.client_for(db_session, org.id)
    client.key = "wrong"
    with pytest.raises(DomainError) as caught:
        filing.submit(db_session, org.id, None, REF, client)
    assert caught.value.code == "eudr_service"
    assert filing.statements_of(db_session, org.id, shipment) == []


def test_a_part_refused_after_others_were_filed_names_what_the_eu_holds(
    db_session, org, shipment, account, stub, monkeypatch
):
    from coopchain.eudr.soap import EudrServiceError
    from coopchain.eudr.statement import DdsPlan

    client = filing.client_for(db_session, org.id)
    real = filing.shipment_statements

    def two_parts(session, org_id, reference):
        found, plan = real(session, org_id, reference)
        statement = plan.statements[0]
        return found, DdsPlan([statement, statement], [[], []], ["test"], [0, 0])

    calls = []

    def submit_dds(statement):
        calls.append(statement)
        if len(calls) == 2:
            raise EudrServiceError("submitDds: refused")
        return f"uuid-{len(calls)}"

    monkeypatch.setattr(client, "submit_dds", submit_dds)
    monkeypatch.setattr(filing, "shipment_statements", two_parts)
    with pytest.raises(EudrServiceError) as caught:
        filing.submit(db_session, org.id, None, REF, client)
    assert "Part 2 was refused" in caught.value.message and "1 (uuid-1)" in caught.value.message
