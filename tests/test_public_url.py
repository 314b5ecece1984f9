"""The public address printed on QR codes, labels and certificates: in the demo it follows the
address the app is served on (a `make run` on port 5101 prints port 5101); in production it is
the setting, and without it nothing that prints an address is issued."""

import subprocess

import pytest
from sqlalchemy import select

from coopchain.certs.models import Certificate
from coopchain.lots.bags import create_bags
from coopchain.trace.qr import bag_qr_data, bag_url
from tests import factories
from tests.certs.test_views import clean, organic_plot, unchecked  # noqa: F401 (fixtures)
from tests.trace.test_labels import require_tool

SECRET = "s" * 40
SERVED_AT = "http://127.0.0.1:5101"


@pytest.fixture
def demo_app(make_app):
    return make_app("demo", COOPCHAIN_ENV="demo", SECRET_KEY=SECRET, PUBLIC_BASE_URL="")


@pytest.fixture
def production_app(make_app):
    return make_app("production", COOPCHAIN_ENV="production", SECRET_KEY=SECRET, PUBLIC_BASE_URL="")


def signed_in(app, db_session, org, role="admin", base_url=SERVED_AT):
    client = app.test_client()
    user = factories.user(db_session, org, role)
    db_session.flush()
    response = client.post(
        "/login", data={"email": user.email, "password": "pw-1234"}, base_url=base_url
    )
    assert response.status_code == 302
    client.get("/lang/en", base_url=base_url)
    return client


def pdf_text(data: bytes) -> str:
    require_tool("pdftotext")
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode()


def test_demo_certificate_footer_follows_the_port_it_is_served_on(
    demo_app,
    db_session,
    org,
    clean,  # noqa: F811 (the imported fixture)
):
    client = signed_in(demo_app, db_session, org)

    response = client.post(
        f"/lots/{clean.code}/certificates", data={"language": "en"}, base_url=SERVED_AT
    )

    assert response.status_code == 302, response.get_data(as_text=True)
    certificate = db_session.scalar(
        select(Certificate).where(Certificate.subject_ref == clean.code)
    )
    text = pdf_text(certificate.pdf)
    assert f"{SERVED_AT}/verify/{certificate.verify_code}"[:60] in text.replace("\n", "")
    assert "localhost:5000" not in text


def test_demo_bag_qr_leads_to_the_host_the_request_came_to(demo_app, db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    _delivery, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    (bag,) = create_bags(db_session, org.id, None, lot.code, 1)

    with demo_app.test_request_context("/", base_url="http://192.168.1.20:8080"):
        assert bag_qr_data(org, lot, bag) == f"http://192.168.1.20:8080/b/{bag.public_token}"


def test_demo_outside_a_request_uses_the_configured_host_and_port(make_app):
    app = make_app(
        "demo-cli",
        COOPCHAIN_ENV="demo",
        SECRET_KEY=SECRET,
        PUBLIC_BASE_URL="",
        SERVE_HOST="0.0.0.0",  # noqa: S104 (a setting's value, nothing binds)
        SERVE_PORT=8080,
    )
    with app.app_context():
        # 0.0.0.0 is where it listens, not an address a browser can open.
        assert bag_url("tok") == "http://localhost:8080/b/tok"


def test_a_configured_public_address_wins_over_the_request(make_app):
    app = make_app(
        "demo-set",
        COOPCHAIN_ENV="demo",
        SECRET_KEY=SECRET,
        PUBLIC_BASE_URL="https://trace.coopam.pe",
    )
    with app.test_request_context("/", base_url=SERVED_AT):
        assert bag_url("tok") == "https://trace.coopam.pe/b/tok"


def test_production_without_a_public_address_refuses_certificates(
    production_app,
    db_session,
    org,
    clean,  # noqa: F811 (the imported fixture)
):
    client = signed_in(production_app, db_session, org)

    response = client.post(
        f"/lots/{clean.code}/certificates", data={"language": "en"}, base_url=SERVED_AT
    )

    assert response.status_code == 409
    assert "COOPCHAIN_PUBLIC_BASE_URL" in response.get_data(as_text=True)
    assert db_session.scalar(select(Certificate)) is None  # nothing issued, nothing kept


def test_production_without_a_public_address_refuses_labels_and_qr_codes(
    production_app, db_session, org
):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    _delivery, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    (bag,) = create_bags(db_session, org.id, None, lot.code, 1)
    client = signed_in(production_app, db_session, org)

    for path in (f"/lots/{lot.code}/labels.pdf", f"/bags/{bag.serial}/qr.png"):
        response = client.get(path, base_url=SERVED_AT)
        assert response.status_code == 409, path
        assert "COOPCHAIN_PUBLIC_BASE_URL" in response.get_data(as_text=True)


def test_production_api_says_why_in_json(production_app, db_session, org):
    from coopchain.auth.services import create_api_token

    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    _delivery, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    create_bags(db_session, org.id, None, lot.code, 1)
    user = factories.user(db_session, org, "admin")
    _token, plaintext = create_api_token(db_session, user, org.id, "test")
    db_session.flush()

    response = production_app.test_client().get(
        f"/api/v1/lots/{lot.code}/labels.pdf", headers={"Authorization": f"Bearer {plaintext}"}
    )

    assert response.status_code == 409
    assert response.json["error"] == "public_base_url_missing"
