"""Sessions end on the server: a cookie copied before logout, a password change or the loss of
a membership opens nothing afterwards (issue: trust, part 4)."""

from sqlalchemy import select

from coopchain.auth.models import Membership, UserSession
from tests import factories


def _logged_in(app, user, password="pw-1234"):  # noqa: S107 (the factories' test password)
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.data
    return client


def _with_cookie_of(app, client):
    """A second browser holding a copy of `client`'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie(cookie.key, cookie.value)
    return thief


def test_a_cookie_saved_before_logout_opens_nothing_after_it(app, db_session, org):
    user = factories.user(db_session, org, "staff")
    client = _logged_in(app, user)
    thief = _with_cookie_of(app, client)
    assert thief.get("/producers").status_code == 200  # the copy works while the session lives

    client.post("/logout")

    assert thief.get("/producers").status_code == 302
    assert thief.get("/producers").location.startswith("/login")


def test_logout_ends_only_that_browser(app, db_session, org):
    user = factories.user(db_session, org, "staff")
    laptop, phone = _logged_in(app, user), _logged_in(app, user)
    laptop.post("/logout")
    assert phone.get("/producers").status_code == 200


def test_changing_the_password_ends_every_other_session(app, db_session, org):
    user = factories.user(db_session, org, "staff")
    laptop, phone = _logged_in(app, user), _logged_in(app, user)

    response = laptop.post(
        "/account/password",
        data={"current": "pw-1234", "new": "a-new-long-pw", "repeat": "a-new-long-pw"},
    )

    assert response.status_code == 302
    assert phone.get("/producers").status_code == 302  # the other browser is signed out
    assert laptop.get("/producers").status_code == 200  # the one that changed it stays in
    assert _logged_in(app, user, "a-new-long-pw").get("/producers").status_code == 200


def test_a_wrong_current_password_changes_nothing(app, db_session, org):
    user = factories.user(db_session, org, "staff")
    laptop, phone = _logged_in(app, user), _logged_in(app, user)
    response = laptop.post(
        "/account/password",
        data={"current": "not-it", "new": "a-new-long-pw", "repeat": "a-new-long-pw"},
    )
    assert response.status_code == 422
    assert "current" in response.data.decode()
    assert phone.get("/producers").status_code == 200
    _logged_in(app, user, "pw-1234")


def test_the_new_password_must_be_long_and_repeated(app, db_session, org):
    user = factories.user(db_session, org, "staff")
    laptop = _logged_in(app, user)
    short = laptop.post("/account/password", data={"current": "pw-1234", "new": "x", "repeat": "x"})
    typo = laptop.post(
        "/account/password",
        data={"current": "pw-1234", "new": "a-new-long-pw", "repeat": "a-new-long-px"},
    )
    assert short.status_code == typo.status_code == 422
    _logged_in(app, user, "pw-1234")


def test_removing_a_member_ends_their_sessions(app, db_session, org):
    admin, clerk = factories.user(db_session, org, "admin"), factories.user(db_session, org)
    admin_browser, clerk_browser = _logged_in(app, admin), _logged_in(app, clerk)
    membership_id = db_session.scalar(select(Membership.id).where(Membership.user_id == clerk.id))

    response = admin_browser.post(f"/members/{membership_id}/remove")

    assert response.status_code == 302
    assert clerk_browser.get("/producers").status_code == 302
    db_session.expire_all()
    assert db_session.get(Membership, membership_id) is None
    ended = db_session.scalars(select(UserSession).where(UserSession.user_id == clerk.id)).all()
    assert ended and all(s.ended_reason == "membership_removed" for s in ended)


def test_an_admin_cannot_remove_themselves_or_a_member_of_another_organisation(
    app, db_session, org, other_org
):
    admin = factories.user(db_session, org, "admin")
    stranger = factories.user(db_session, other_org, "staff")
    browser = _logged_in(app, admin)
    own = db_session.scalar(select(Membership.id).where(Membership.user_id == admin.id))
    theirs = db_session.scalar(select(Membership.id).where(Membership.user_id == stranger.id))

    assert browser.post(f"/members/{own}/remove").status_code == 303
    assert browser.post(f"/members/{theirs}/remove").status_code == 404
    db_session.expire_all()
    assert db_session.get(Membership, own) and db_session.get(Membership, theirs)


def test_the_cookie_holds_a_random_key_not_the_user_id(app, db_session, org):
    user = factories.user(db_session, org, "staff")
    client = _logged_in(app, user)
    serializer = app.session_interface.get_signing_serializer(app)
    stored = serializer.loads(client.get_cookie("session").value)
    assert stored["_user_id"] != str(user.id) and len(stored["_user_id"]) >= 32
