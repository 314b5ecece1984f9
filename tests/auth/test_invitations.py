"""Adding someone to an organisation is an invitation they accept (issue: trust, part 3): an
admin can neither attach another organisation's account nor learn whether an email has one."""

import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from coopchain.auth.models import Membership, User
from coopchain.clock import utcnow
from tests import factories


def _invite(client, email, role="staff"):
    return client.post("/members", data={"email": email, "role": role})


def _link(page: str) -> str:
    return re.search(r'id="invitation-link"[^>]*>(http://[^<]+)<', page).group(1)


def _path(link: str) -> str:
    return link.removeprefix("http://localhost")


def _membership(db_session, user_id, org_id):
    db_session.expire_all()
    return db_session.scalar(
        select(Membership).where(
            Membership.user_id == user_id, Membership.organization_id == org_id
        )
    )


def test_the_answer_is_the_same_whether_or_not_the_email_has_an_account(
    app, db_session, org, other_org
):
    factories.user(db_session, other_org, "admin", email="ana@otra.pe")
    # Two admins of two organisations alike, so neither page lists the other's invitation.
    third = factories.organization(db_session, "TERCA")
    pages = []
    for organization, email in ((org, "ana@otra.pe"), (third, "nadie@otra.pe")):
        admin = factories.user(
            db_session, organization, "admin", email=f"admin@{organization.code.lower()}.pe"
        )
        browser = app.test_client()
        browser.post("/login", data={"email": admin.email, "password": "pw-1234"})
        response = _invite(browser, email)
        assert response.status_code == 200
        pages.append(
            re.sub(
                r"ana@otra\.pe|nadie@otra\.pe|/invitations/[\w-]+|COOPAM|TERCA|coopam|terca|"
                r'name="csrf_token" value="[^"]+"|nonce="[^"]+"|/members/(invitations/)?\d+',
                "X",
                response.data.decode(),
            )
        )
    assert pages[0] == pages[1]


def test_an_existing_account_is_not_attached_until_its_owner_accepts(
    app, client, login, db_session, org, other_org
):
    ana = factories.user(db_session, other_org, "admin", email="ana@otra.pe")
    login("admin")
    link = _link(_invite(client, "ana@otra.pe", role="auditor").data.decode())
    assert _membership(db_session, ana.id, org.id) is None

    ana_browser = app.test_client()
    ana_browser.post("/login", data={"email": "ana@otra.pe", "password": "pw-1234"})
    page = ana_browser.get(_path(link))
    assert page.status_code == 200 and "COOPAM" in page.data.decode()
    accepted = ana_browser.post(_path(link) + "/accept")

    assert accepted.status_code == 302
    assert _membership(db_session, ana.id, org.id).role == "auditor"
    assert ana_browser.get(_path(link)).status_code == 410  # used once


def test_someone_else_cannot_accept_an_invitation_for_another_email(
    app, client, login, db_session, org, other_org
):
    intruder = factories.user(db_session, other_org, "staff", email="intruso@otra.pe")
    login("admin")
    link = _link(_invite(client, "ana@otra.pe").data.decode())

    browser = app.test_client()
    browser.post("/login", data={"email": intruder.email, "password": "pw-1234"})
    assert browser.post(_path(link) + "/accept").status_code == 403
    assert _membership(db_session, intruder.id, org.id) is None


def test_a_new_person_creates_their_account_from_the_link(app, client, login, db_session, org):
    login("admin")
    link = _link(_invite(client, "New.Clerk@coop.pe").data.decode())

    newcomer = app.test_client()
    assert newcomer.get(_path(link)).status_code == 200
    short = newcomer.post(_path(link), data={"name": "Clerk", "password": "x", "repeat": "x"})
    assert short.status_code == 422
    created = newcomer.post(
        _path(link), data={"name": "Clerk", "password": "long-enough", "repeat": "long-enough"}
    )

    assert created.status_code == 302
    assert newcomer.get("/producers").status_code == 200  # signed in
    user = db_session.scalar(select(User).where(User.email == "new.clerk@coop.pe"))
    assert _membership(db_session, user.id, org.id).role == "staff"
    again = app.test_client().post(
        "/login", data={"email": "new.clerk@coop.pe", "password": "long-enough"}
    )
    assert again.status_code == 302


def test_an_expired_or_withdrawn_invitation_opens_nothing(app, client, login, db_session, org):
    login("admin")
    expired = _link(_invite(client, "late@coop.pe").data.decode())
    withdrawn_page = _invite(client, "gone@coop.pe").data.decode()
    withdrawn = _link(withdrawn_page)
    invitation_id = re.search(r"/members/invitations/(\d+)/withdraw", withdrawn_page).group(1)
    assert client.post(f"/members/invitations/{invitation_id}/withdraw").status_code == 302

    newcomer = app.test_client()
    body = {"name": "X", "password": "long-enough", "repeat": "long-enough"}
    assert newcomer.post(_path(withdrawn), data=body).status_code == 410
    with time_machine.travel(utcnow() + timedelta(days=15)):
        assert newcomer.get(_path(expired)).status_code == 410
        assert newcomer.post(_path(expired), data=body).status_code == 410
    assert (
        db_session.scalar(select(User).where(User.email.in_(["late@coop.pe", "gone@coop.pe"])))
        is None
    )


def test_a_guessed_link_is_not_found(app):
    assert app.test_client().get("/invitations/not-a-real-token").status_code == 404


def test_inviting_a_current_member_says_so(client, login, db_session, org):
    from coopchain.auth.models import Invitation

    clerk = factories.user(db_session, org, "staff")
    login("admin")
    response = _invite(client, clerk.email)
    assert response.status_code == 422 and clerk.email in response.data.decode()
    assert db_session.scalar(select(Invitation).where(Invitation.email == clerk.email)) is None


def test_an_account_holder_cannot_take_over_by_creating_the_account_again(
    app, client, login, db_session, org, other_org
):
    ana = factories.user(db_session, other_org, "admin", email="ana@otra.pe")
    login("admin")
    link = _link(_invite(client, "ana@otra.pe").data.decode())
    response = app.test_client().post(
        _path(link), data={"name": "Mallory", "password": "long-enough", "repeat": "long-enough"}
    )
    assert response.status_code == 422
    db_session.expire_all()
    assert db_session.get(User, ana.id).name != "Mallory"
    assert _membership(db_session, ana.id, org.id) is None
