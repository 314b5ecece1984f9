"""A shipment's document bundle: one zip an importer, a broker or a certifier can check alone.

The zip holds the shipment's documents, `MANIFEST.sha256` (one "<sha256>  <name>" line per
document, the format `sha256sum -c MANIFEST.sha256` reads), `MANIFEST.sha256.p7s` (a detached
CMS signature of the manifest with the organisation's key) and `signer.pem` (that key's
certificate). Check with:

    sha256sum -c MANIFEST.sha256
    openssl cms -verify -binary -inform DER -in MANIFEST.sha256.p7s \\
        -content MANIFEST.sha256 -CAfile signer.pem -out /dev/null

The documents come from DOCUMENTS, a list of (label, producer) entries: a producer takes
(session, org_id, reference) and returns [(file name, bytes)], [] when the document does not
apply to this shipment (no EUDR package for pitahaya). The EU due diligence statement(s) and
the GS1 EPCIS 2.0 document are two of them. Reads only; nothing is written.
"""

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.certs import keys, signing
from coopchain.certs.eudr import part_bytes
from coopchain.certs.eudr_shipment import OutsideEudr, shipment_package
from coopchain.certs.models import SubjectKind
from coopchain.certs.registry import latest_valid_certificate
from coopchain.clock import utcnow
from coopchain.errors import Conflict
from coopchain.eudr import xml as ddsxml
from coopchain.eudr.statement import DdsInvalid
from coopchain.eudr.statements import shipment_statements
from coopchain.ledger.epcis_export import shipment_document
from coopchain.public_url import public_base_url
from coopchain.shipments.packing import (
    packing_list_context,
    packing_list_workbook,
    render_packing_list_pdf,
)

MANIFEST = "MANIFEST.sha256"
SIGNATURE = "MANIFEST.sha256.p7s"
SIGNER = "signer.pem"

Producer = Callable[[Session, int, str], list[tuple[str, bytes]]]


def _certificate(session: Session, org_id: int, reference: str) -> list[tuple[str, bytes]]:
    """The shipment's newest valid certificate, byte for byte the registered (signed) file."""
    certificate = latest_valid_certificate(session, org_id, SubjectKind.SHIPMENT, reference)
    return [(f"certificate-{certificate.number}.pdf", bytes(certificate.pdf))]


def _packing_list(session: Session, org_id: int, reference: str) -> list[tuple[str, bytes]]:
    context = packing_list_context(session, org_id, reference)
    pdf = keys.sign_document(
        session, org_id, render_packing_list_pdf(context), reason=f"Packing list {reference}"
    )
    return [
        (f"packing-list-{reference}.pdf", pdf),
        (f"packing-list-{reference}.xlsx", packing_list_workbook(context)),
    ]


def _eudr(session: Session, org_id: int, reference: str) -> list[tuple[str, bytes]]:
    try:
        package = shipment_package(session, org_id, reference)
    except OutsideEudr:
        return []  # pitahaya: not an EUDR commodity (DOMAIN.md §2)
    count = len(package.parts)
    return [
        (
            f"eudr-{reference}{f'-part{n}of{count}' if count > 1 else ''}.geojson",
            part_bytes(part),
        )
        for n, part in enumerate(package.parts, start=1)
    ]


def _dds(session: Session, org_id: int, reference: str) -> list[tuple[str, bytes]]:
    """The EU due diligence statement(s) as the importer files them: the API's JSON (with the
    split explained) and each part's SubmitDdsRequest XML (DOMAIN.md §8). A statement that
    breaks an EU rule is listed with the rules it breaks instead, so the bundle says why there
    is nothing to file; none for a shipment outside the EUDR (pitahaya)."""
    name = f"dds-{reference}.json"
    try:
        _shipment, plan = shipment_statements(session, org_id, reference)
    except OutsideEudr:
        return []
    except DdsInvalid as exc:
        problems = {"reference": reference, "valid": False, "message": exc.message}
        return [(name, json.dumps({**problems, "problems": exc.fields}, indent=2).encode())]
    count = len(plan.statements)
    summary = {"reference": reference, "valid": True, "split": plan.split}
    summary["split_reasons"] = plan.split_reasons
    files = [(name, json.dumps({**summary, "statements": plan.statements}, indent=2).encode())]
    for n, statement in enumerate(plan.statements, start=1):
        suffix = f"-part{n}of{count}" if count > 1 else ""
        body = ddsxml.to_bytes(ddsxml.submit_request(statement))
        files.append((f"dds-{reference}{suffix}.xml", body))
    return files


def _epcis(session: Session, org_id: int, reference: str) -> list[tuple[str, bytes]]:
    """The shipment's chain as a GS1 EPCIS 2.0 document (DOMAIN.md §9)."""
    document = shipment_document(session, org_id, reference, public_base_url())
    return [(f"epcis-{reference}.jsonld", json.dumps(document, indent=2).encode())]


#: What a bundle holds, in order.
DOCUMENTS: list[tuple[str, Producer]] = [
    ("certificate", _certificate),
    ("packing_list", _packing_list),
    ("eudr", _eudr),
    ("dds", _dds),
    ("epcis", _epcis),
]


def manifest_of(files: list[tuple[str, bytes]]) -> bytes:
    """sha256sum's format: "<hex>  <name>\\n" per file, in bundle order."""
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files).encode()


def build_zip(
    files: list[tuple[str, bytes]], material: signing.KeyMaterial, when: datetime
) -> bytes:
    """The zip: documents, manifest, its detached CMS signature and the signer's certificate.
    Pure: the same files, key and moment give the same documents and manifest."""
    manifest = manifest_of(files)
    entries = [
        *files,
        (MANIFEST, manifest),
        (SIGNATURE, signing.sign_detached(manifest, material)),
        (SIGNER, material.certificate_pem + material.chain_pem),
    ]
    stamp = when.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


def shipment_bundle(
    session: Session,
    org_id: int,
    reference: str,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[str, bytes]:
    """(file name, zip bytes) of shipment `reference`'s bundle. Refused (Conflict) without a
    signing key: an unsigned manifest proves nothing; NotFound/DomainError from a document's
    builder say what is missing (no valid certificate, no bags, plots not EUDR-valid).
    `progress(done, total)` hears of each document made (a job's progress)."""
    signer = _signer(session, org_id)
    files = []
    for done, (_label, producer) in enumerate(DOCUMENTS, start=1):
        files.extend(producer(session, org_id, reference))
        if progress is not None:
            progress(done, len(DOCUMENTS))
    return f"bundle-{reference}.zip", build_zip(files, signer[1], utcnow())


def refuse_unless_ready(session: Session, org_id: int, reference: str) -> None:
    """Raise what shipment_bundle would raise first (no signing key: Conflict; no valid
    certificate: NotFound), before a job is started to build it."""
    _signer(session, org_id)
    latest_valid_certificate(session, org_id, SubjectKind.SHIPMENT, reference)


def _signer(session: Session, org_id: int):
    signer = keys.signer_for(session, org_id)
    if signer is None:
        raise Conflict(
            str(
                _l(
                    "No signing key: the bundle's manifest is signed with the organisation's "
                    "key, which an administrator sets up under Signing and organic "
                    "certification."
                )
            )
        )
    return signer
