"""The organisation's locale as an admin sets it, and Spanish that agrees in number and gender."""

from decimal import Decimal

from flask_babel import force_locale, pgettext
from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.ledger.models import LedgerEvent
from tests import factories


def test_an_admin_sets_the_locale_and_every_page_follows(client, login, db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    delivery, _lot = factories.delivery(
        db_session, org, producer, plot, gross_kg=Decimal("4524.36")
    )
    login("admin")
    page = client.get(f"/deliveries/{delivery.id}").get_data(as_text=True)
    assert "4,504.36" in page and "01/06/2026" in page  # es_PE, the default

    settings = client.get("/settings/locale").get_data(as_text=True)
    assert 'value="es_PE" checked' in settings and "4,504.36 · 02/12/2026" in settings
    response = client.post("/settings/locale", data={"locale": "es_ES"})
    assert response.status_code == 302

    page = client.get(f"/deliveries/{delivery.id}").get_data(as_text=True)
    assert "4.504,36" in page and "4,504.36" not in page
    db_session.expire_all()
    assert db_session.get(Organization, org.id).locale == "es_ES"
    event = db_session.scalar(
        select(LedgerEvent).where(LedgerEvent.kind == "organization.locale_set")
    )
    assert event is not None and event.payload["data"] == {"locale": "es_ES", "previous": "es_PE"}


def test_an_unknown_locale_is_refused_by_name(client, login, db_session, org):
    login("admin")
    response = client.post("/settings/locale", data={"locale": "xx_YY"})
    assert response.status_code == 422
    assert '<a href="#locale">' in response.get_data(as_text=True)
    assert db_session.get(Organization, org.id).locale == "es_PE"


def test_one_bag_is_one_bag_in_both_languages(client, login, db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    _delivery, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    login("staff")
    page = client.post(
        f"/lots/{lot.code}/bags", data={"count": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "1 saco creado:" in page and "1 sacos" not in page
    client.get("/lang/en")
    page = client.post(
        f"/lots/{lot.code}/bags", data={"count": "2"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "2 bags created:" in page


def test_valid_agrees_with_what_is_valid(app_context):
    with force_locale("es"):
        assert pgettext("certificate", "valid") == "válido"  # el certificado
        assert pgettext("grading", "valid") == "válida"  # la clasificación
