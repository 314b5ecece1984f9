"""Login, rate limiting, cookies, CSRF, secret key and API tokens as a user meets them."""

import pytest

from coopchain import create_app
from tests import factories


def test_wrong_password_is_refused(client, db_session, org):
    user = factories.user(db_session, org, "staff")
    response = client.post("/login", data={"email": user.email, "password": "wrong"})
    assert response.status_code == 401
    assert client.get("/").status_code == 302


def test_login_redirects_to_next_but_never_offsite(client, db_session, org):
    user = factories.user(db_session, org, "staff")
    ok = client.post("/login?next=/producers", data={"email": user.email, "password": "pw-1234"})
    assert ok.location == "/producers"
    client.post("/logout")
    evil = client.post(
        "/login?next=//evil.example", data={"email": user.email, "password": "pw-1234"}
    )
    assert evil.location == "/"


def test_login_attempts_are_rate_limited(make_app, db_session, org):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [
        client.post("/login", data={"email": "x@y.z", "password": "no"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_session_cookie_is_httponly_and_samesite(client, db_session, org):
    user = factories.user(db_session, org, "staff")
    response = client.post("/login", data={"email": user.email, "password": "pw-1234"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_forms_require_a_csrf_token(make_app, db_session, org):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = factories.user(db_session, org, "staff")
    assert (
        client.post("/login", data={"email": user.email, "password": "pw-1234"}).status_code == 400
    )


def test_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"COOPCHAIN_ENV": "production", "DATABASE_URL": "sqlite://"})
    app = create_app(
        {"COOPCHAIN_ENV": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": "x" * 40}
    )
    assert app.config["SECRET_KEY"] == "x" * 40


def test_token_created_in_the_ui_opens_the_api_until_revoked(client, login):
    login("quality")
    page = client.post("/account/tokens", data={"name": "tablet"}).data.decode()
    token = page.split('id="new-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/plots", headers=headers).status_code == 200
    listing = client.get("/account/tokens").data.decode()
    assert token not in listing  # shown once only
    token_id = listing.split("/account/tokens/")[1].split("/revoke")[0]
    client.post(f"/account/tokens/{token_id}/revoke")
    assert client.get("/api/v1/plots", headers=headers).status_code == 401


def test_user_of_two_organisations_switches_between_them(client, login, db_session, org, other_org):
    from coopchain.auth.services import add_member

    factories.producer(db_session, other_org, member_code="THEIRS-1")
    user = login("staff")
    add_member(db_session, other_org.id, user, "auditor", by_user_id=None)
    assert "THEIRS-1" not in client.get("/producers").data.decode()
    client.post("/organization", data={"organization_id": other_org.id})
    assert "THEIRS-1" in client.get("/producers").data.decode()
    assert client.get("/producers/new").status_code == 403  # auditor there


def test_admin_cannot_drop_their_own_admin_role(client, login, db_session, org):
    from sqlalchemy import select

    from coopchain.auth.models import Membership

    admin = login("admin")
    mine = db_session.scalar(select(Membership).where(Membership.user_id == admin.id))
    response = client.post(f"/members/{mine.id}/role", data={"role": "auditor"})
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(Membership, mine.id).role == "admin"


def test_a_failed_password_change_does_not_echo_the_passwords(client, login):
    login("staff")
    page = client.post(
        "/account/password",
        data={"current": "Sup3r-Secret-pw", "new": "Other-Secret-pw", "repeat": "x"},
    )
    assert page.status_code == 422
    assert b"Sup3r-Secret-pw" not in page.data and b"Other-Secret-pw" not in page.data
