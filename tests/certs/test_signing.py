"""Certificates signed by the cooperative: keys generated or uploaded and kept encrypted, PAdES
signatures a PDF library validates with the organisation's certificate as the trust root,
/verify checking the signature and naming the key, and revocation that leaves earlier
documents verifiable."""

import asyncio
import io
import re
from datetime import date

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from coopchain.certs import keys, registry, signing
from coopchain.certs.models import SigningKey
from coopchain.clock import today, utcnow
from coopchain.errors import DomainError
from coopchain.forest.evidence import record_evidence
from coopchain.ledger.models import LedgerEvent
from tests import factories
from tests.certs.test_certificate_pdf import flat, pdf_objects, text_of


@pytest.fixture
def lot(db_session, org):
    """A lot that passes every rule: organic plot with a valid certificate, active agreement,
    forest evidence."""
    producer = factories.producer(db_session, org, public_name_consent=True)
    plot = factories.plot(
        db_session,
        org,
        producer,
        organic_certificate_number="PE-BIO-149-0042",
        organic_certificate_valid_until=date(today().year + 2, 12, 31),
    )
    factories.agreement(db_session, org, [producer])
    _delivery, lot = factories.delivery(
        db_session, org, producer, plot, delivered_on=date(2026, 6, 1)
    )
    record_evidence(
        db_session,
        org.id,
        None,
        plot.id,
        {"result": "deforestation_free", "source": "map", "observed_on": date(2026, 5, 1)},
    )
    return lot


@pytest.fixture
def admin(db_session, org):
    return factories.user(db_session, org, "admin")


def issue(db_session, org, lot, user=None):
    return registry.issue_certificate(
        db_session,
        org.id,
        user.id if user else None,
        kind="lot",
        reference=lot.code,
        language="en",
    )


def validate(pdf: bytes, certificate_pem: str):
    """pyHanko's own validator, the organisation's certificate as the only trust root."""
    trust = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(certificate_pem.encode()).public_bytes(
            serialization.Encoding.DER
        )
    )
    reader = PdfFileReader(io.BytesIO(pdf))
    [embedded] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[trust], allow_fetching=False, moment=utcnow())
    return validate_pdf_signature(embedded, signer_validation_context=context)


def test_a_signed_certificate_validates_with_the_organisations_certificate(
    db_session, org, lot, admin, tmp_path
):
    key = keys.generate_key(db_session, org.id, admin.id)
    certificate = issue(db_session, org, lot, admin)

    assert certificate.signing_key_id == key.id
    status = validate(certificate.pdf, key.certificate_pem)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"
    # An incremental update: the PDF/A-3b revision WeasyPrint wrote is kept as it was.
    reader = PdfFileReader(io.BytesIO(certificate.pdf))
    assert reader.xrefs.total_revisions == 2
    assert re.search(r'pdfaid:part(="|>)3', pdf_objects(certificate.pdf))
    # The signature block names the signer, the role and the key.
    text = flat(text_of(certificate.pdf, tmp_path))
    assert admin.name in text and "admin" in text
    assert key.fingerprint[:32] in text  # the rest wraps beside the verification column
    assert "Digitally signed (PAdES) by the organisation" in text


def test_another_certificate_as_trust_root_is_not_trusted(db_session, org, lot):
    keys.generate_key(db_session, org.id, None)
    certificate = issue(db_session, org, lot)
    stranger = signing.generate("Someone else", "PE", utcnow())
    check = signing.check_pdf(certificate.pdf, stranger.certificate_pem, utcnow())
    assert check.signed and check.intact and not check.valid and not check.ok


def test_without_a_key_the_certificate_is_unsigned_and_says_so(db_session, org, lot, tmp_path):
    certificate = issue(db_session, org, lot)
    assert certificate.signing_key_id is None
    assert not PdfFileReader(io.BytesIO(certificate.pdf)).embedded_signatures
    assert "Not digitally signed" in flat(text_of(certificate.pdf, tmp_path))
    assert registry.signature_of(db_session, certificate) is None


def test_the_certificate_names_control_body_operator_certificate_coi_and_tc(
    db_session, org, lot, admin, tmp_path
):
    certifier = factories.certifier(db_session, org, name="Control Union Perú", code="PE-BIO-149")
    keys.record_operator_certificate(
        db_session,
        org.id,
        admin.id,
        {
            "certifier_id": certifier.id,
            "number": "CU-829123",
            "valid_from": date(2026, 1, 1),
            "valid_until": date(today().year + 1, 12, 31),
        },
    )
    certificate = issue(db_session, org, lot, admin)
    text = flat(text_of(certificate.pdf, tmp_path))
    assert "Control Union Perú (PE-BIO-149)" in text
    assert "CU-829123" in text and "not valid on the judged date" not in text
    kinds = db_session.scalars(
        select(LedgerEvent.kind).where(LedgerEvent.organization_id == org.id)
    ).all()
    assert "operator_certificate.recorded" in kinds


def test_an_operator_certificate_ending_before_it_starts_is_refused(db_session, org):
    certifier = factories.certifier(db_session, org)
    with pytest.raises(DomainError) as refused:
        keys.record_operator_certificate(
            db_session,
            org.id,
            None,
            {
                "certifier_id": certifier.id,
                "number": "X",
                "valid_from": date(2026, 5, 1),
                "valid_until": date(2026, 4, 1),
            },
        )
    assert "valid_until" in refused.value.fields
    assert keys.list_operator_certificates(db_session, org.id) == []


def test_the_private_key_is_stored_encrypted(db_session, org, app):
    key = keys.generate_key(db_session, org.id, None)
    assert b"PRIVATE KEY" not in key.encrypted_key
    material = keys.material_of(key, app.config["SECRET_KEY"])
    assert signing.fingerprint(material.certificate_pem) == key.fingerprint
    with pytest.raises(signing.KeyMaterialError):
        keys.material_of(key, "another secret key of 24 characters")


def test_verify_reports_the_signature_and_the_key(client, db_session, org, lot):
    key = keys.generate_key(db_session, org.id, None)
    certificate = issue(db_session, org, lot)
    page = client.get(f"/verify/{certificate.verify_code}?lang=en").get_data(as_text=True)
    assert "signed by the organisation, signature valid" in page
    assert key.fingerprint in page and key.subject in page
    assert "This key is in use, not revoked." in page
    pem = client.get(f"/verify/{certificate.verify_code}/signer.pem")
    assert pem.status_code == 200 and pem.get_data(as_text=True) == key.certificate_pem


def test_a_stored_pdf_altered_after_signing_does_not_verify(client, db_session, org, lot):
    keys.generate_key(db_session, org.id, None)
    certificate = issue(db_session, org, lot)
    certificate.pdf = certificate.pdf.replace(b"/Producer", b"/Producex", 1)
    db_session.flush()
    page = client.get(f"/verify/{certificate.verify_code}?lang=en").get_data(as_text=True)
    assert "the signature does not verify" in page


def test_revoking_a_key_is_recorded_and_earlier_documents_still_verify(
    client, db_session, org, lot, admin
):
    old = keys.generate_key(db_session, org.id, admin.id)
    before = issue(db_session, org, lot)

    keys.revoke_key(db_session, org.id, admin.id, old.id, "Laptop stolen")

    assert old.revoked_at is not None and old.revoke_reason == "Laptop stolen"
    event = db_session.scalar(
        select(LedgerEvent)
        .where(LedgerEvent.organization_id == org.id, LedgerEvent.kind == "signing_key.revoked")
        .order_by(LedgerEvent.id.desc())
    )
    assert event is not None and event.payload["data"]["fingerprint"] == old.fingerprint
    signature = registry.signature_of(db_session, before)
    assert signature["valid"] and signature["revoked"]
    page = client.get(f"/verify/{before.verify_code}?lang=en").get_data(as_text=True)
    assert "signed by the organisation, signature valid" in page
    assert "This key was revoked on" in page and "Laptop stolen" in page
    # A revoked key signs nothing more: without another key the next one is unsigned …
    assert issue(db_session, org, lot).signing_key_id is None
    # … and a new key signs from then on.
    new = keys.generate_key(db_session, org.id, admin.id)
    assert issue(db_session, org, lot).signing_key_id == new.id
    with pytest.raises(Exception, match="already revoked"):
        keys.revoke_key(db_session, org.id, admin.id, old.id, "again")


def test_a_pkcs12_from_a_ca_is_uploaded_with_its_password(db_session, org, lot):
    material = signing.generate("Cooperativa CA-signed", "PE", utcnow())
    key = serialization.load_pem_private_key(material.key_pem, None)
    p12 = pkcs12.serialize_key_and_certificates(
        b"coop",
        key,
        material.certificate,
        None,
        serialization.BestAvailableEncryption(b"s3cret"),
    )
    with pytest.raises(DomainError) as refused:
        keys.upload_key(db_session, org.id, None, p12, "wrong")
    assert "password" in refused.value.fields["file"][0]
    assert keys.list_keys(db_session, org.id) == []

    stored = keys.upload_key(db_session, org.id, None, p12, "s3cret")
    assert stored.source == "uploaded" and stored.subject == "Cooperativa CA-signed"
    certificate = issue(db_session, org, lot)
    assert validate(certificate.pdf, stored.certificate_pem).bottom_line


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "Choose a file."),
        (b"not a key at all", "not a PEM or PKCS#12 file"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "no certificate"),
    ],
)
def test_an_unusable_upload_is_refused_naming_the_field(db_session, org, data, problem):
    with pytest.raises(DomainError) as refused:
        keys.upload_key(db_session, org.id, None, data, None)
    assert problem in refused.value.fields["file"][0]


def test_a_pem_whose_certificate_is_not_the_keys_is_refused(db_session, org):
    one = signing.generate("One", "PE", utcnow())
    two = signing.generate("Two", "PE", utcnow())
    with pytest.raises(DomainError) as refused:
        keys.upload_key(db_session, org.id, None, one.key_pem + two.certificate_pem, None)
    assert "belongs to the private key" in refused.value.fields["file"][0]


def test_the_admin_page_generates_uploads_and_revokes(client, login, db_session, org):
    login("admin")
    page = client.get("/settings/signing")
    assert page.status_code == 200 and b"signing-none" in page.data
    assert client.post("/settings/signing/keys/generate").status_code == 302
    [key] = keys.list_keys(db_session, org.id)
    page = client.get("/settings/signing").get_data(as_text=True)
    assert key.fingerprint in page
    bad = client.post(
        "/settings/signing/keys/upload",
        data={"file": (io.BytesIO(b"garbage"), "key.p12")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and len(keys.list_keys(db_session, org.id)) == 1
    empty = client.post(f"/settings/signing/keys/{key.id}/revoke", data={"reason": ""})
    assert empty.status_code == 422 and key.revoked_at is None
    done = client.post(f"/settings/signing/keys/{key.id}/revoke", data={"reason": "Rotated"})
    assert done.status_code == 302
    db_session.expire_all()
    assert db_session.get(SigningKey, key.id).revoke_reason == "Rotated"
    pem = client.get(f"/settings/signing/keys/{key.id}/certificate.pem")
    assert pem.get_data(as_text=True).startswith("-----BEGIN CERTIFICATE-----")


def test_a_pdf_is_signed_and_checked_inside_a_running_event_loop(app_context):
    """pyHanko's synchronous API calls asyncio.run(), refused where an event loop already runs
    (Playwright's loading the demo for the browser tests failed with 'asyncio.run() cannot be
    called from a running event loop')."""
    from coopchain.pdf import write_pdf

    material = signing.generate("Cooperativa", "PE", utcnow())
    unsigned = write_pdf("<html><body><p>Hola</p></body></html>")

    async def inside_a_loop():
        signed = signing.sign_pdf(unsigned, material, reason="r", name="n", location="PE")
        return signed, signing.check_pdf(signed, material.certificate_pem, utcnow())

    signed, check = asyncio.run(inside_a_loop())
    assert len(signed) > len(unsigned) and check.ok
