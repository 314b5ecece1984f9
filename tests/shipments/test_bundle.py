"""A shipment's signed document bundle: the certificate, the packing list and the EUDR GeoJSON
in one zip, a manifest of their sha256 hashes, and the manifest signed with the
organisation's key (a detached CMS signature that openssl and asn1crypto verify)."""

import hashlib
import io
import json
import shutil
import subprocess
import zipfile

import pytest

from coopchain.certs import bundle, keys, registry, signing
from coopchain.clock import utcnow
from coopchain.shipments import services as shipments
from tests.shipments.conftest import VALID_CONTAINER, new_shipment


@pytest.fixture
def certified(db_session, org, green_lot):
    lot, _bags = green_lot
    shipment = new_shipment(db_session, org, reference="C-BN-1", container_number=VALID_CONTAINER)
    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    key = keys.generate_key(db_session, org.id, None)
    certificate = registry.issue_certificate(
        db_session,
        org.id,
        None,
        kind="shipment",
        reference="C-BN-1",
        override_reason="Bundle test",
        may_override=True,
    )
    return key, certificate


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_bundle_holds_the_documents_a_signed_manifest_and_the_signer(
    client, api, certified, tmp_path
):
    key, certificate = certified
    response = client.get("/api/v1/shipments/C-BN-1/bundle.zip", headers=api("auditor"))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/zip"
    assert "bundle-C-BN-1.zip" in response.headers["Content-Disposition"]
    files = unzip(response.data)

    assert set(files) == {
        f"certificate-{certificate.number}.pdf",
        "packing-list-C-BN-1.pdf",
        "packing-list-C-BN-1.xlsx",
        "eudr-C-BN-1.geojson",
        "dds-C-BN-1.json",
        "epcis-C-BN-1.jsonld",
        bundle.MANIFEST,
        bundle.SIGNATURE,
        bundle.SIGNER,
    }
    # The EU statement as the importer files it, and the chain as GS1 EPCIS 2.0.
    # (No EORI recorded here: the statement cannot be filed, and the bundle says why.)
    dds = json.loads(files["dds-C-BN-1.json"])
    assert dds["valid"] is False and "eori" in json.dumps(dds["problems"]).lower()
    assert json.loads(files["epcis-C-BN-1.jsonld"])["type"] == "EPCISDocument"
    # The certificate is the registered file, byte for byte.
    assert files[f"certificate-{certificate.number}.pdf"] == certificate.pdf
    # Every document's hash is in the manifest, and only the documents'.
    manifest = files[bundle.MANIFEST].decode()
    listed = dict(reversed(line.split("  ", 1)) for line in manifest.splitlines())
    documents = set(files) - {bundle.MANIFEST, bundle.SIGNATURE, bundle.SIGNER}
    assert set(listed) == documents
    for name in documents:
        assert listed[name] == hashlib.sha256(files[name]).hexdigest(), name
    # The manifest's signature verifies with the organisation's certificate, and only for it.
    assert files[bundle.SIGNER].decode() == key.certificate_pem
    signature, pem = files[bundle.SIGNATURE], key.certificate_pem.encode()
    assert signing.verify_detached(files[bundle.MANIFEST], signature, pem)
    assert not signing.verify_detached(files[bundle.MANIFEST] + b"x", signature, pem)
    stranger = signing.generate("Someone else", "PE", utcnow())
    assert not signing.verify_detached(files[bundle.MANIFEST], signature, stranger.certificate_pem)
    # The packing list is PAdES-signed too.
    check = signing.check_pdf(files["packing-list-C-BN-1.pdf"], pem, utcnow())
    assert check.ok and check.fingerprint == key.fingerprint


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_verifies_the_manifest_signature(client, login, certified, tmp_path):
    login("staff")
    response = client.get("/shipments/C-BN-1/bundle.zip")
    assert response.status_code == 200
    for name, data in unzip(response.data).items():
        (tmp_path / name).write_bytes(data)
    command = [
        "openssl",
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        str(tmp_path / bundle.SIGNATURE),
        "-content",
        str(tmp_path / bundle.MANIFEST),
        "-CAfile",
        str(tmp_path / bundle.SIGNER),
        "-out",
        "/dev/null",
        # The key was made on the pinned day: verify as of then, not the machine's clock.
        "-attime",
        str(int(utcnow().timestamp())),
    ]  # fmt: skip  (one flag and its value per pair reads like the command line)
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    (tmp_path / bundle.MANIFEST).write_bytes(b"0" * 64 + b"  forged.pdf\n")
    assert subprocess.run(command, capture_output=True, check=False).returncode != 0


def test_without_a_signing_key_the_bundle_is_refused_saying_why(
    client, api, db_session, org, certified
):
    key, _certificate = certified
    keys.revoke_key(db_session, org.id, None, key.id, "Rotated")
    response = client.get("/api/v1/shipments/C-BN-1/bundle.zip", headers=api("staff"))
    assert response.status_code == 409
    assert "signing key" in response.get_json()["message"]


def test_without_a_valid_certificate_the_bundle_is_not_found(
    client, api, db_session, org, green_lot
):
    lot, _bags = green_lot
    new_shipment(db_session, org, reference="C-BN-2")
    shipments.allocate(db_session, org.id, None, "C-BN-2", lot_codes=[lot.code])
    keys.generate_key(db_session, org.id, None)
    response = client.get("/api/v1/shipments/C-BN-2/bundle.zip", headers=api("staff"))
    assert response.status_code == 404
    assert "No valid certificate" in response.get_json()["message"]


def test_the_bundle_lists_its_documents_in_one_place():
    """Each document is one (label, producer) entry."""
    assert [label for label, _producer in bundle.DOCUMENTS] == [
        "certificate",
        "packing_list",
        "eudr",
        "dds",
        "epcis",
    ]


# --- a large shipment's bundle as a job -------------------------------------------------------


def _a_signed_bundle(files: dict[str, bytes], key) -> None:
    manifest = files[bundle.MANIFEST].decode()
    listed = dict(reversed(line.split("  ", 1)) for line in manifest.splitlines())
    documents = set(files) - {bundle.MANIFEST, bundle.SIGNATURE, bundle.SIGNER}
    assert listed == {name: hashlib.sha256(files[name]).hexdigest() for name in documents}
    pem = key.certificate_pem.encode()
    assert signing.verify_detached(files[bundle.MANIFEST], files[bundle.SIGNATURE], pem)


def test_a_large_shipments_bundle_is_built_by_a_job(client, app, login, api, certified):
    """Above JOBS_CERTIFICATE_BAGS bags the download's page offers a job and the API names the
    POST that starts one; the job's file is the bundle, signed, with the documents the
    download holds."""
    key, certificate = certified
    headers = api("auditor")
    direct = unzip(client.get("/api/v1/shipments/C-BN-1/bundle.zip", headers=headers).data)
    app.config["JOBS_CERTIFICATE_BAGS"] = 0
    login("auditor")
    offer = client.get("/shipments/C-BN-1/bundle.zip")
    assert offer.mimetype == "text/html"
    assert 'action="/shipments/C-BN-1/bundle/jobs"' in offer.get_data(as_text=True)
    started = client.post("/shipments/C-BN-1/bundle/jobs")
    assert started.status_code == 302 and "/jobs/" in started.location
    status = client.get(started.location + ".json").get_json()
    assert (status["kind"], status["status"]) == ("shipment.bundle", "finished"), status
    assert (status["done"], status["total"]) == (len(bundle.DOCUMENTS),) * 2  # one per document
    made = unzip(client.get(status["result_url"]).data)
    assert set(made) == set(direct)
    for name in (f"certificate-{certificate.number}.pdf", "eudr-C-BN-1.geojson"):
        assert made[name] == direct[name], name
    _a_signed_bundle(made, key)

    refused = client.get("/api/v1/shipments/C-BN-1/bundle.zip", headers=headers)
    assert refused.status_code == 409
    assert refused.get_json()["start"] == "/api/v1/shipments/C-BN-1/bundle/jobs"
    accepted = client.post("/api/v1/shipments/C-BN-1/bundle/jobs", headers=headers)
    assert accepted.status_code == 202 and accepted.get_json()["kind"] == "shipment.bundle"
    file = client.get(f"/api/v1/jobs/{accepted.get_json()['id']}/file", headers=headers)
    assert file.mimetype == "application/zip"
    _a_signed_bundle(unzip(file.data), key)


def test_a_bundle_job_is_not_started_without_a_key_or_a_certificate(
    client, app, api, login, db_session, org, certified
):
    """Nor offered: the download's page says what is missing, as the download does."""
    app.config["JOBS_CERTIFICATE_BAGS"] = 0
    headers = api("staff")
    key, certificate = certified
    registry.revoke_certificate(db_session, org.id, None, certificate.number, "Bundle test")
    assert client.post("/api/v1/shipments/C-BN-1/bundle/jobs", headers=headers).status_code == 404
    login("staff")
    page = client.get("/shipments/C-BN-1/bundle.zip")
    assert page.status_code == 404 and "/bundle/jobs" not in page.get_data(as_text=True)
    keys.revoke_key(db_session, org.id, None, key.id, "Rotated")
    refused = client.post("/api/v1/shipments/C-BN-1/bundle/jobs", headers=headers)
    assert refused.status_code == 409 and "signing key" in refused.get_json()["message"]
    assert client.get("/api/v1/jobs", headers=headers).get_json()["total"] == 0
