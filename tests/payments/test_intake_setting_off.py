"""With COOPCHAIN_ADVANCE_AT_INTAKE off, staff record the ticket but not an advance; an admin
still may (issue: paying producers)."""

import pytest
from sqlalchemy import func, select

from coopchain.lots.models import Delivery
from coopchain.payments.models import Payment
from tests.payments.test_intake import form_of


@pytest.fixture
def app(make_app):
    return make_app(ADVANCE_AT_INTAKE=False)


def test_staff_may_not_pay_an_advance_when_the_setting_is_off(client, login, db_session, farm):
    producer, plot = farm
    login("staff")
    assert 'name="advance_amount"' not in client.get("/deliveries/new").data.decode()
    form = form_of(producer, plot, ticket_number="T-OFF1") | {"advance_amount": "100"}
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 422
    assert db_session.scalar(select(func.count()).select_from(Payment)) == 0
    assert db_session.scalar(select(Delivery).where(Delivery.ticket_number == "T-OFF1")) is None


def test_an_admin_may_pay_an_advance_when_the_setting_is_off(client, login, db_session, farm):
    producer, plot = farm
    login("admin")
    assert 'name="advance_amount"' in client.get("/deliveries/new").data.decode()
    form = form_of(producer, plot, ticket_number="T-OFF2") | {"advance_amount": "100"}
    assert client.post("/deliveries/new", data=form).status_code == 302
    assert db_session.scalar(select(func.count()).select_from(Payment)) == 1
