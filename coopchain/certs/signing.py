"""Signing documents with the organisation's key: pure functions from bytes to bytes.

- PAdES (ETSI EN 319 142, baseline B-B) signatures on PDFs with pyHanko, written as an
  *incremental update*: the PDF/A-3b bytes WeasyPrint wrote are kept untouched before the
  signature's revision, so the archival part stays what it was and a reader shows the signature
  as valid once it trusts the organisation's certificate. The signature field is invisible (a
  zero-size widget, which PDF/A allows without an appearance); the page prints its own
  signature block (signer, role, key fingerprint).
- Detached CMS (RFC 5652) signatures, e.g. of a document bundle's manifest, checkable with
  `openssl cms -verify -binary -inform DER -content manifest -in manifest.p7s -CAfile org.pem`.
- The private key at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived with HKDF
  from the application's SECRET_KEY, so a database dump alone does not give the key away.
  Changing SECRET_KEY makes stored keys unreadable (docs/OPERATIONS.md says so).

No database and no Flask here: certs/keys.py keeps the rows and the ledger.
"""

import asyncio
import base64
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import cms as asn1_cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

#: RSA 3072 (NIST SP 800-57: security to 2030 and beyond) signs in milliseconds.
RSA_BITS = 3072
#: A generated certificate's life: the key is revoked, not expired, when it is replaced.
VALID_DAYS = 10 * 365
SIGNATURE_FIELD = "CoopChainSignature"


class KeyMaterialError(ValueError):
    """An upload that is not a usable key and certificate; the message says which part."""


@dataclass(frozen=True)
class KeyMaterial:
    """A private key and its certificate (and any CA certificates), ready to sign."""

    key_pem: bytes
    certificate_pem: bytes
    chain_pem: bytes = b""

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate_pem)


@dataclass(frozen=True)
class SignatureCheck:
    """What a PDF's signature says: signed at all, bytes intact, valid against the trusted
    certificate, which certificate signed (fingerprint), and the reason when not valid."""

    signed: bool
    intact: bool = False
    valid: bool = False
    fingerprint: str | None = None
    signer: str | None = None
    signed_at: datetime | None = None
    covers_whole_file: bool = False
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.valid and self.covers_whole_file


# --- keys and certificates --------------------------------------------------------------------


def outside_event_loop(fn, *args, **kwargs):
    """Call one of pyHanko's synchronous functions. They run asyncio.run(), which is refused in a
    thread whose event loop is already running (an async server, Playwright's synchronous API
    loading the demo in the browser tests): there it runs in a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def fingerprint(certificate_pem: bytes) -> str:
    cert = x509.load_pem_x509_certificate(certificate_pem)
    return cert.fingerprint(hashes.SHA256()).hex()


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def generate(organization_name: str, country: str, now: datetime) -> KeyMaterial:
    """A new RSA key and a self-signed certificate naming the organisation, valid from a day
    before `now` (clock skew between machines) for VALID_DAYS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, organization_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization_name[:64]),
            x509.NameAttribute(NameOID.COUNTRY_NAME, (country or "PE")[:2]),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyMaterial(_key_pem(key), cert.public_bytes(serialization.Encoding.PEM))


def load_upload(data: bytes, password: str | None) -> KeyMaterial:
    """A key and certificate from a CA: PKCS#12 (.p12/.pfx) or PEM holding the private key
    (encrypted or not) and the certificate, CA certificates after it. Raises KeyMaterialError
    naming what is wrong; nothing is kept from a refused upload."""
    secret = password.encode() if password else None
    if b"-----BEGIN" in data:
        return _from_pem(data, secret)
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, secret)
    except ValueError as exc:
        raise KeyMaterialError("not a PEM or PKCS#12 file, or the password is wrong") from exc
    if key is None or cert is None:
        raise KeyMaterialError("the PKCS#12 file holds no private key and certificate")
    return _checked(key, cert, list(extra or []))


def _from_pem(data: bytes, secret: bytes | None) -> KeyMaterial:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise KeyMaterialError("the PEM file holds no certificate") from exc
    start = data.find(b"-----BEGIN")
    key = None
    for block in data[start:].split(b"-----END"):
        if b"PRIVATE KEY-----" not in block:
            continue
        begin = block.find(b"-----BEGIN")
        label = block[begin:].split(b"\n", 1)[0].replace(b"BEGIN", b"END")
        pem = block[begin:] + b"-----END" + label.split(b"-----END", 1)[1] + b"\n"
        try:
            key = serialization.load_pem_private_key(pem, secret)
        except (ValueError, TypeError) as exc:
            raise KeyMaterialError("the private key cannot be read: wrong password?") from exc
        break
    if key is None:
        raise KeyMaterialError("the PEM file holds no private key")
    signer = next((c for c in certs if _same_key(c, key)), None)
    if signer is None:
        raise KeyMaterialError("no certificate in the file belongs to the private key")
    return _checked(key, signer, [c for c in certs if c is not signer])


def _same_key(cert: x509.Certificate, key) -> bool:
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return cert.public_key().public_bytes(der, raw) == key.public_key().public_bytes(der, raw)


def _checked(key, cert: x509.Certificate, extra: list) -> KeyMaterial:
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyMaterialError("only RSA and elliptic-curve keys can sign PDFs here")
    if not _same_key(cert, key):
        raise KeyMaterialError("the certificate does not belong to the private key")
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in extra)
    return KeyMaterial(_key_pem(key), cert.public_bytes(serialization.Encoding.PEM), chain)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


# --- the key at rest ----------------------------------------------------------------------------


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"coopchain-signing-keys", info=b"fernet-v1"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_key(key_pem: bytes, secret_key: str) -> bytes:
    return _fernet(secret_key).encrypt(key_pem)


def decrypt_key(token: bytes, secret_key: str) -> bytes:
    """The PEM private key; KeyMaterialError when SECRET_KEY is not the one it was stored
    under (or the row was altered)."""
    try:
        return _fernet(secret_key).decrypt(bytes(token))
    except InvalidToken as exc:
        raise KeyMaterialError("the stored key cannot be decrypted with this SECRET_KEY") from exc


# --- PAdES ----------------------------------------------------------------------------------------


def _load_key(key_pem: bytes):
    # The key was checked when it was stored (load_upload/generate): skipping RSA's slow
    # consistency checks saves ~0.1 s per load on a 3072-bit key, and pyHanko loads it twice.
    return serialization.load_pem_private_key(key_pem, None, unsafe_skip_rsa_key_validation=True)


def _signer(material: KeyMaterial):
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    loaded = _load_key(material.key_pem)

    class _LoadedKeySigner(signers.SimpleSigner):
        """pyHanko's signer with the key parsed once, not on every raw signature."""

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            chosen = getattr(hashes, digest_algorithm.upper())()
            if mechanism["algorithm"].native == "ecdsa" or isinstance(
                loaded, ec.EllipticCurvePrivateKey
            ):
                return loaded.sign(data, ec.ECDSA(chosen))
            return loaded.sign(data, padding.PKCS1v15(), chosen)

    cert = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(material.certificate_pem).public_bytes(
            serialization.Encoding.DER
        )
    )
    der_key = loaded.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    extra = [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
        for c in (x509.load_pem_x509_certificates(material.chain_pem) if material.chain_pem else [])
    ]
    return _LoadedKeySigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs([cert, *extra]),
    )


def sign_pdf(pdf: bytes, material: KeyMaterial, *, reason: str, name: str, location: str) -> bytes:
    """`pdf` with a PAdES B-B signature appended as an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason[:200],
        name=name[:200],
        location=location[:200],
    )
    out = outside_event_loop(signers.sign_pdf, writer, meta, signer=_signer(material))
    return out.getvalue()


def check_pdf(pdf: bytes, trusted_certificate_pem: bytes, moment: datetime) -> SignatureCheck:
    """The PDF's last signature checked with `trusted_certificate_pem` as the only trust root,
    at `moment` (when it was issued: a key revoked or expired since does not undo what it
    signed while valid). Never raises on a damaged or foreign file: `problem` says why."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # noqa: BLE001  (any unreadable file is "not signed", never a 500)
        return SignatureCheck(signed=False, problem=f"unreadable PDF: {type(exc).__name__}")
    if not signatures:
        return SignatureCheck(signed=False)
    trust = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(trusted_certificate_pem).public_bytes(
            serialization.Encoding.DER
        )
    )
    context = ValidationContext(
        trust_roots=[trust], allow_fetching=False, revocation_mode="soft-fail", moment=moment
    )
    embedded = signatures[-1]
    try:
        status = outside_event_loop(
            validate_pdf_signature, embedded, signer_validation_context=context
        )
    except Exception as exc:  # noqa: BLE001  (a malformed signature is reported, not raised)
        return SignatureCheck(signed=True, problem=f"signature unreadable: {type(exc).__name__}")
    cert = status.signing_cert
    der = cert.dump() if cert is not None else b""
    coverage = getattr(status.coverage, "name", "")
    return SignatureCheck(
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.valid and status.trusted),
        fingerprint=hashlib.sha256(der).hexdigest() if der else None,
        signer=cert.subject.human_friendly if cert is not None else None,
        signed_at=status.signer_reported_dt,
        covers_whole_file=coverage == "ENTIRE_FILE",
        problem=None if status.bottom_line else str(status.summary()),
    )


# --- detached CMS ---------------------------------------------------------------------------


def sign_detached(data: bytes, material: KeyMaterial) -> bytes:
    """A DER CMS SignedData over `data` (not included), with the signer's certificate."""
    from cryptography.hazmat.primitives.serialization import pkcs7

    key = _load_key(material.key_pem)
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(data)
        .add_signer(material.certificate, key, hashes.SHA256())
    )
    for cert in x509.load_pem_x509_certificates(material.chain_pem) if material.chain_pem else []:
        builder = builder.add_certificate(cert)
    return builder.sign(
        serialization.Encoding.DER,
        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
    )


def verify_detached(data: bytes, signature_der: bytes, certificate_pem: bytes) -> bool:
    """Does `signature_der` (CMS SignedData) sign exactly `data` with `certificate_pem`'s key?
    Checks the message digest attribute against `data` and the signature over the signed
    attributes (RFC 5652 §5.4)."""
    cert = x509.load_pem_x509_certificate(certificate_pem)
    try:
        content = asn1_cms.ContentInfo.load(signature_der)["content"]
        info = content["signer_infos"][0]
        attrs = info["signed_attrs"]
        digest = next(a["values"][0].native for a in attrs if a["type"].native == "message_digest")
        algorithm = info["digest_algorithm"]["algorithm"].native
    except (ValueError, KeyError, IndexError, StopIteration, TypeError):
        return False
    chosen = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
    if algorithm not in chosen:
        return False
    computed = hashes.Hash(chosen[algorithm])
    computed.update(data)
    if computed.finalize() != digest:
        return False
    # The signature covers the DER of the signed attributes as a SET (RFC 5652 §5.4).
    signed = attrs.untag().dump(force=True)
    public = cert.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(info["signature"].native, signed, padding.PKCS1v15(), chosen[algorithm])
        else:
            public.verify(info["signature"].native, signed, ec.ECDSA(chosen[algorithm]))
    except InvalidSignature:
        return False
    return True
