"""The public certificate check, /verify/<code> (issue 5 item 5): no login, both languages,
the file check, revocation in clear words, nothing about producers, nothing about other codes."""

import re
from io import BytesIO

import pytest
from flask_babel import force_locale

from coopchain.certs import registry
from coopchain.formatting import moment_with_zone
from tests.certs.test_views import (  # noqa: F401 (fixtures)
    clean,
    issue,
    unchecked,
)

MB = 1024 * 1024


def on_the_cooperatives_clock(moment) -> str:
    """A moment as the English page prints it: "16 November 2026, 12:00 (America/Lima)"."""
    with force_locale("en"):
        return moment_with_zone(moment)


@pytest.fixture
def certificate(db_session, org, clean):  # noqa: F811 (the imported fixture)
    return issue(db_session, org, clean, language="en")


def upload(client, certificate, data: bytes, name="certificate.pdf", **extra):
    return client.post(
        f"/verify/{certificate.verify_code}?lang=en",
        data={"file": (BytesIO(data), name), **extra},
        content_type="multipart/form-data",
    )


def test_anyone_sees_the_certificate_without_logging_in(
    client,
    org,
    certificate,
    unchecked,  # noqa: F811 (the imported fixture)
):
    _lot, producer, plot = unchecked

    response = client.get(f"/verify/{certificate.verify_code}?lang=en")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert org.name in page and certificate.number in page
    assert certificate.subject_ref in page and certificate.sha256 in page
    assert on_the_cooperatives_clock(certificate.issued_at) in page
    assert ">VALID<" in page and "REVOKED" not in page
    # No personal data: neither the producer's name nor member code, nor the plot.
    for private in (producer.first_name, producer.last_name, producer.member_code, plot.name):
        assert private not in page
    assert "Log out" not in page and "/login" not in page


def test_the_language_follows_lang(client, certificate):
    english = client.get(f"/verify/{certificate.verify_code}?lang=en").get_data(as_text=True)
    spanish = client.get(f"/verify/{certificate.verify_code}?lang=es").get_data(as_text=True)

    assert '<html lang="en">' in english and '<html lang="es">' in spanish
    # The upload keeps the language, and the switch links keep the code.
    assert f'action="/verify/{certificate.verify_code}?lang=en"' in english
    assert f'href="/verify/{certificate.verify_code}?lang=en"' in spanish


def test_the_registered_file_matches(client, certificate):
    response = upload(client, certificate, certificate.pdf)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This file is exactly the registered certificate." in page
    assert "does not match" not in page


def test_another_file_does_not_match(client, certificate):
    altered = certificate.pdf + b"\n% one line more"

    page = upload(client, certificate, altered).get_data(as_text=True)

    assert "This file does not match." in page
    assert "exactly the registered certificate" not in page


def test_a_missing_file_is_asked_for(client, certificate):
    response = client.post(f"/verify/{certificate.verify_code}?lang=en", data={})
    assert response.status_code == 400
    assert "Choose the PDF file to check." in response.get_data(as_text=True)


def test_revocation_shows_in_big_clear_words(client, db_session, org, certificate):
    registry.revoke_certificate(db_session, org.id, None, certificate.number, "Buyer cancelled")

    page = client.get(f"/verify/{certificate.verify_code}?lang=en").get_data(as_text=True)

    assert re.search(r'class="verdict revoked".*?>REVOKED<', page, re.S)
    assert "Buyer cancelled" in page
    assert on_the_cooperatives_clock(certificate.revoked_at) in page
    assert ">VALID<" not in page


def test_reissue_revokes_what_the_old_qr_shows(client, db_session, org, certificate):
    new = registry.reissue_certificate(db_session, org.id, None, certificate.number, "Typo")

    old_page = client.get(f"/verify/{certificate.verify_code}?lang=en").get_data(as_text=True)
    new_page = client.get(f"/verify/{new.verify_code}?lang=en").get_data(as_text=True)

    assert "REVOKED" in old_page and new.number in old_page  # "Replaced by …" in the reason
    assert ">VALID<" in new_page and new.number in new_page


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_unknown_code_says_nothing_more(client, org, certificate, method):
    wrong = certificate.verify_code[:-1] + ("A" if certificate.verify_code[-1] != "A" else "B")

    response = client.open(f"/verify/{wrong}?lang=en", method=method)

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Certificate not found" in page
    for detail in (
        org.name,
        certificate.number,
        certificate.sha256,
        certificate.subject_ref,
        "CC-",
    ):
        assert detail not in page


def test_a_long_code_is_not_looked_up(client):
    assert client.get("/verify/" + "x" * 300).status_code == 404


def test_files_up_to_20_mb_are_checked(client, certificate):
    """Above the app-wide upload limit (10 MB) but within this page's own."""
    page = upload(client, certificate, b"%PDF-" + b"0" * (15 * MB)).get_data(as_text=True)
    assert "This file does not match." in page


@pytest.mark.parametrize("csrf", [False, True])
def test_a_file_over_20_mb_gets_a_friendly_answer(make_app, certificate, csrf):
    # With CSRF on, the form is read (and found too large) before the view runs.
    client = make_app(WTF_CSRF_ENABLED=csrf).test_client()

    response = upload(client, certificate, b"0" * (20 * MB + 1))

    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large: the limit is 20 MB." in page
    assert certificate.number in page  # still the certificate's page, ready for another try


def test_the_upload_is_csrf_protected(make_app, db_session, org, certificate):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = client.get(f"/verify/{certificate.verify_code}?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    refused = upload(client, certificate, certificate.pdf)
    accepted = upload(client, certificate, certificate.pdf, csrf_token=token)

    assert refused.status_code == 400
    assert "The page had expired." in refused.get_data(as_text=True)
    assert accepted.status_code == 200
    assert "exactly the registered certificate" in accepted.get_data(as_text=True)


def test_the_page_fits_a_phone(client, certificate):
    page = client.get(f"/verify/{certificate.verify_code}?lang=en").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "@media (max-width: 480px)" in page


def test_a_certificate_issued_over_blocking_findings_says_so_with_the_reason(
    client,
    db_session,
    org,
    unchecked,  # noqa: F811 (the imported fixture)
):
    """An auditor checking a certificate an administrator issued despite blocking findings
    sees that it was overridden, why, and what was found, not just a green VALID."""
    lot, _producer, _plot = unchecked
    reason = "SERNANP field visit on 3 June confirmed the plot; map evidence follows."
    overridden = issue(
        db_session, org, lot, language="en", override_reason=reason, may_override=True
    )

    page = client.get(f"/verify/{overridden.verify_code}?lang=en").get_data(as_text=True)

    assert "ISSUED OVER BLOCKING FINDINGS" in page and ">VALID<" not in page
    assert reason in page
    blocking = [f for f in overridden.findings if f["severity"] == "blocking"]
    assert blocking and all(f["code"] in page for f in blocking)


def test_the_issue_moment_is_on_the_cooperatives_clock_and_says_so(client, certificate):
    page = client.get(f"/verify/{certificate.verify_code}?lang=en").get_data(as_text=True)
    assert "(America/Lima)" in page
