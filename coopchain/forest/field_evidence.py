"""Field evidence: a ranger or technician visits a plot and records what they saw, with the
sha256 of each photo (DOMAIN.md §7: shade coffee often reads as tree cover on the maps, so a
visit resolves "more info needed").

The photos stay with the cooperative; only their hashes are stored, so an auditor shown a
photo later can check it is one of those taken on the visit. A visit that resolves a plot's
open "more info needed" evidence names it (`resolves_id`); only administrators may resolve
(the caller says so with `may_resolve`), and the visit must be dated on or after that evidence,
so that the visit becomes the plot's latest evidence (forest.latest_evidence).
"""

import hashlib
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.clock import today
from coopchain.db import owned
from coopchain.errors import DomainError
from coopchain.farms.models import EvidenceKind, ForestEvidence, ForestResult
from coopchain.farms.plots import get_plot
from coopchain.forest.evidence import latest_evidence
from coopchain.formatting import AmbiguousNumber, read_decimal
from coopchain.ledger.services import append

MB = 1024 * 1024
MAX_PHOTOS = 20
MAX_PHOTO_BYTES = 15 * MB
#: What one visit's form may upload in all (the web server refuses more before parsing).
MAX_VISIT_UPLOAD_BYTES = 100 * MB
#: Formats a phone camera writes, recognised by their first bytes, not by the file's name.
IMAGE_MAGIC = {"JPEG": b"\xff\xd8\xff", "PNG": b"\x89PNG\r\n\x1a\n"}
#: What a visit can find: standing forest around the coffee (shade coffee) or loss after 2020.
VISIT_RESULTS = (ForestResult.DEFORESTATION_FREE, ForestResult.LOSS_AFTER_CUTOFF)
MAX_VISITOR = 120
MAX_NOTES = 1000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ResolveNotAllowed(DomainError):
    """Only administrators close an open "more info needed" (the view answers 403 first)."""

    code = "forbidden"
    status = 403


def record_field_visit(
    session: Session,
    org_id: int,
    user_id: int | None,
    plot_id: int,
    data: dict,
    photos: Iterable[tuple[str, bytes]] = (),
    *,
    may_resolve: bool = False,
) -> ForestEvidence:
    """Record a visit: `data` has visited_on (date), visitor, result, loss_after_cutoff_ha
    (for a loss), notes and optionally resolves_id (or resolve=True for the plot's open
    "more information needed"); `photos` are (file name, bytes), read one
    at a time and kept only as hashes. Every problem is reported at once (DomainError.fields).
    """
    plot = get_plot(session, org_id, plot_id)
    errors: dict[str, list[str]] = {}
    visited_on = data.get("visited_on")
    if not isinstance(visited_on, date) or visited_on > today():
        errors["visited_on"] = [str(_l("A date that is not in the future."))]
        visited_on = None
    visitor = " ".join(str(data.get("visitor") or "").split())
    if not visitor or len(visitor) > MAX_VISITOR:
        errors["visitor"] = [
            str(_l("Who visited (ranger, technician), at most %(n)s characters.", n=MAX_VISITOR))
        ]
    result = data.get("result")
    if result not in set(VISIT_RESULTS):
        errors["result"] = [
            str(_l("Standing forest and shade coffee, or forest loss after 2020-12-31."))
        ]
    loss = _hectares(data.get("loss_after_cutoff_ha"), errors)
    if (
        result == ForestResult.LOSS_AFTER_CUTOFF
        and not loss
        and not errors.get("loss_after_cutoff_ha")
    ):
        errors["loss_after_cutoff_ha"] = [str(_l("How many hectares were lost after 2020?"))]
    notes = (data.get("notes") or "").strip() or None
    if notes and len(notes) > MAX_NOTES:
        errors["notes"] = [str(_l("At most %(n)s characters.", n=MAX_NOTES))]
    hashed = hash_photos(photos, errors)
    resolves = None
    if data.get("resolve") or data.get("resolves_id") not in (None, ""):
        if not may_resolve:
            raise ResolveNotAllowed(
                str(_l('Only an administrator may resolve "more information needed".'))
            )
        wanted = data.get("resolves_id")
        if wanted in (None, ""):  # "resolve" alone: the plot's open question, if it has one
            question = open_more_info_needed(session, org_id, plot.id)
            wanted = question.id if question is not None else None
        resolves = _resolvable(session, org_id, plot.id, wanted, visited_on, errors)
        if resolves is not None and not hashed and "photos" not in errors:
            errors["photos"] = [
                str(_l('A visit that resolves "more information needed" needs its photos.'))
            ]
    if errors:
        raise DomainError(str(_l("Some fields need attention.")), errors)

    hashes = [photo["sha256"] for photo in hashed]
    evidence = ForestEvidence(
        organization_id=org_id,
        plot_id=plot.id,
        kind=EvidenceKind.FIELD,
        result=result,
        loss_after_cutoff_ha=loss if result == ForestResult.LOSS_AFTER_CUTOFF else None,
        source=str(_l("Field visit by %(visitor)s", visitor=visitor))[:300],
        observed_on=visited_on,
        notes=notes,
        measurements={"visitor": visitor, "photos": hashed},
        photo_sha256=hashes,
        resolves_id=resolves.id if resolves is not None else None,
        user_id=user_id,
    )
    session.add(evidence)
    session.flush()
    append(
        session,
        org_id,
        "forest.evidence_recorded",
        ("plot", plot.id),
        {
            "evidence": evidence.id,
            "kind": evidence.kind,
            "result": result,
            "source": evidence.source,
            "observedOn": visited_on,
            "lossAfterCutoffHa": evidence.loss_after_cutoff_ha,
            "visitor": visitor,
            "photoSha256": hashes,
            "resolves": evidence.resolves_id,
        },
        action="OBSERVE",
        user_id=user_id,
    )
    return evidence


def hash_photos(photos: Iterable[tuple[str, bytes]], errors: dict) -> list[dict]:
    """[{"file", "sha256", "bytes"}] for each distinct photo, in the order given; each refused
    file is named in errors["photos"]. The same photo chosen twice counts once."""
    hashed: list[dict] = []
    seen: set[str] = set()
    problems: list[str] = []
    count = 0
    for filename, content in photos:
        count += 1
        if count > MAX_PHOTOS:
            continue  # counted, not read: the message below says how many are allowed
        name = display_name(filename)
        if len(content) > MAX_PHOTO_BYTES:
            problems.append(
                str(_l("%(file)s is larger than %(mb)s MB.", file=name, mb=MAX_PHOTO_BYTES // MB))
            )
            continue
        if not any(content.startswith(magic) for magic in IMAGE_MAGIC.values()):
            problems.append(str(_l("%(file)s is not a JPEG or PNG photo.", file=name)))
            continue
        digest = hashlib.sha256(content).hexdigest()
        if digest not in seen:
            seen.add(digest)
            hashed.append({"file": name, "sha256": digest, "bytes": len(content)})
    if count > MAX_PHOTOS:
        problems.insert(
            0, str(_l("At most %(n)s photos per visit; %(m)s were chosen.", n=MAX_PHOTOS, m=count))
        )
    if problems:
        errors["photos"] = problems
    return hashed


def display_name(filename: str | None, limit: int = 120, default: str | None = None) -> str:
    """A file's name as its owner knows it, without folders or control characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = " ".join(_CONTROL.sub(" ", name).split())
    return name[:limit] or default or str(_l("(a file without a name)"))


def open_more_info_needed(session: Session, org_id: int, plot_id: int) -> ForestEvidence | None:
    """The plot's latest live evidence when it says more_info_needed and no live field visit
    resolves it yet: what an administrator's visit may resolve."""
    latest = latest_evidence(session, org_id, [plot_id]).get(plot_id)
    if latest is None or latest.result != ForestResult.MORE_INFO_NEEDED:
        return None
    return None if _resolved_by(session, latest.organization_id, latest.id) is not None else latest


def _resolvable(session, org_id, plot_id, raw_id, visited_on, errors) -> ForestEvidence | None:
    try:
        evidence_id = int(raw_id)
        if not 0 < evidence_id < 2**31:  # ids are 32-bit; larger ones name nothing
            raise ValueError
    except (TypeError, ValueError):
        errors["resolves_id"] = [
            str(_l('This plot has no open "more information needed" to resolve.'))
        ]
        return None
    target = session.scalar(
        owned(ForestEvidence, org_id).where(
            ForestEvidence.id == evidence_id, ForestEvidence.plot_id == plot_id
        )
    )
    if target is None:
        errors["resolves_id"] = [str(_l("That evidence is not this plot's."))]
        return None
    if target.voided_at is not None:
        errors["resolves_id"] = [str(_l("That evidence was voided; there is nothing to resolve."))]
        return None
    if target.result != ForestResult.MORE_INFO_NEEDED:
        errors["resolves_id"] = [
            str(_l('Only "more information needed" evidence can be resolved by a visit.'))
        ]
        return None
    earlier = _resolved_by(session, org_id, target.id)
    if earlier is not None:
        message = _l(
            "Already resolved by the field visit of %(date)s.", date=earlier.observed_on.isoformat()
        )
        errors["resolves_id"] = [str(message)]
        return None
    if visited_on is not None and visited_on < target.observed_on:
        message = _l(
            "The visit must be on or after %(date)s, the date of the evidence it resolves.",
            date=target.observed_on.isoformat(),
        )
        errors["visited_on"] = [str(message)]
        return None
    return target


def _resolved_by(session, org_id: int, evidence_id: int) -> ForestEvidence | None:
    return session.scalar(
        owned(ForestEvidence, org_id)
        .where(
            ForestEvidence.resolves_id == evidence_id,
            ForestEvidence.voided_at.is_(None),
        )
        .limit(1)
    )


def _hectares(raw, errors: dict) -> Decimal | None:
    if raw in ("", None):
        return None
    try:
        value = read_decimal(str(raw))
        if value < 0 or value > 100000:
            raise InvalidOperation
    except AmbiguousNumber as exc:
        errors["loss_after_cutoff_ha"] = [exc.message()]
        return None
    except (ValueError, InvalidOperation):
        errors["loss_after_cutoff_ha"] = [str(_l("Hectares, 0 or more."))]
        return None
    return value
