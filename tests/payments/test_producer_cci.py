"""The producer's bank account (CCI) is kept in the register, where payment runs and bank files
read it: entered on the producer form, stored as its 20 digits, private like the phone."""

from sqlalchemy import select

from coopchain.farms.models import Producer
from tests import factories


def _form(producer, **changes):
    data = {
        "member_code": producer.member_code,
        "first_name": producer.first_name,
        "last_name": producer.last_name,
        "status": producer.status,
    }
    return data | changes


def test_the_producer_form_keeps_the_cci_as_its_digits(client, login, db_session, org):
    producer = factories.producer(db_session, org)
    login("staff")
    response = client.post(
        f"/producers/{producer.id}/edit", data=_form(producer, cci="002-193 001234567890-12")
    )
    assert response.status_code == 302, response.data.decode()[:500]
    db_session.expire_all()
    assert db_session.get(Producer, producer.id).cci == "00219300123456789012"


def test_a_cci_without_twenty_digits_is_refused_and_nothing_changes(client, login, db_session, org):
    producer = factories.producer(db_session, org)
    login("staff")
    response = client.post(
        f"/producers/{producer.id}/edit?lang=en", data=_form(producer, cci="0021 9300 12")
    )
    assert response.status_code == 422
    assert "A CCI has 20 digits" in response.data.decode()
    db_session.expire_all()
    assert db_session.scalar(select(Producer.cci).where(Producer.id == producer.id)) is None


def test_the_cci_is_private_in_the_api(client, api, db_session, org):
    producer = factories.producer(db_session, org, cci="00219300123456789012")
    seen_by_staff = client.get(f"/api/v1/producers/{producer.id}", headers=api("staff")).json
    seen_by_lab = client.get(f"/api/v1/producers/{producer.id}", headers=api("quality")).json
    assert seen_by_staff["cci"] == "00219300123456789012"
    assert "cci" not in seen_by_lab
