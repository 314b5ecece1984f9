"""Forest evidence per plot: recorded, listed, voided; the latest live one counts.

Until CoopChain measures forest loss from rasters itself (issue: forest evidence), staff record
evidence by hand with its source and date (issue: shipments). The compliance engine reads
`latest_evidence` (DOMAIN.md §2: no loss after 2020-12-31).
"""

from datetime import date
from decimal import InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.clock import today, utcnow
from coopchain.db import owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.farms.models import EvidenceKind, ForestEvidence, ForestResult
from coopchain.farms.plots import get_plot
from coopchain.formatting import AmbiguousNumber, read_decimal
from coopchain.ledger.services import append

#: Kinds staff may type in; raster and Whisp evidence come from their importers.
HAND_KINDS = (EvidenceKind.MANUAL, EvidenceKind.FIELD)


def record_evidence(session: Session, org_id: int, user_id, plot_id: int, data: dict):
    plot = get_plot(session, org_id, plot_id)
    errors: dict[str, list[str]] = {}
    kind = data.get("kind") or EvidenceKind.MANUAL
    if kind not in set(HAND_KINDS):
        errors["kind"] = [str(_l("Manual review or field visit."))]
    result = data.get("result")
    if result not in set(ForestResult):
        errors["result"] = [str(_l("Choose a result."))]
    source = (data.get("source") or "").strip()
    if not source or len(source) > 300:
        errors["source"] = [
            str(_l("Name the source (map, dataset, visit report), at most 300 characters."))
        ]
    observed_on = data.get("observed_on")
    if not isinstance(observed_on, date) or observed_on > today():
        errors["observed_on"] = [str(_l("A date that is not in the future."))]
    loss = data.get("loss_after_cutoff_ha")
    if loss in ("", None):
        loss = None
    else:
        try:
            loss = read_decimal(str(loss))
            if loss < 0 or loss > 100000:
                raise InvalidOperation
        except AmbiguousNumber as exc:
            errors["loss_after_cutoff_ha"] = [exc.message()]
            loss = None
        except (ValueError, InvalidOperation):
            errors["loss_after_cutoff_ha"] = [str(_l("Hectares, 0 or more."))]
            loss = None
    if (
        result == ForestResult.LOSS_AFTER_CUTOFF
        and not loss
        and "loss_after_cutoff_ha" not in errors
    ):
        errors["loss_after_cutoff_ha"] = [str(_l("How many hectares were lost after 2020?"))]
    notes = (data.get("notes") or "").strip() or None
    if notes and len(notes) > 1000:
        errors["notes"] = [str(_l("At most 1000 characters."))]
    if errors:
        raise DomainError(str(_l("Some fields need attention.")), errors)
    evidence = ForestEvidence(
        organization_id=org_id,
        plot_id=plot.id,
        kind=kind,
        result=result,
        loss_after_cutoff_ha=loss if result == ForestResult.LOSS_AFTER_CUTOFF else None,
        source=source,
        observed_on=observed_on,
        notes=notes,
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
            "kind": kind,
            "result": result,
            "source": source,
            "observedOn": observed_on,
            "lossAfterCutoffHa": evidence.loss_after_cutoff_ha,
        },
        action="OBSERVE",
        user_id=user_id,
    )
    return evidence


def evidence_of(session: Session, org_id: int, plot_id: int) -> list[ForestEvidence]:
    """A plot's evidence, newest first, voided included (the history)."""
    return list(
        session.scalars(
            owned(ForestEvidence, org_id)
            .where(ForestEvidence.plot_id == plot_id)
            .order_by(ForestEvidence.observed_on.desc(), ForestEvidence.id.desc())
        )
    )


def latest_evidence(session: Session, org_id: int, plot_ids) -> dict[int, ForestEvidence]:
    """The latest live evidence per plot (by observation date, then entry)."""
    latest: dict[int, ForestEvidence] = {}
    rows = session.scalars(
        owned(ForestEvidence, org_id)
        .where(
            ForestEvidence.plot_id.in_(list(plot_ids)),
            ForestEvidence.voided_at.is_(None),
        )
        .order_by(ForestEvidence.observed_on, ForestEvidence.id)
    )
    for evidence in rows:
        latest[evidence.plot_id] = evidence
    return latest


def void_evidence(session: Session, org_id: int, user_id, evidence_id: int, reason: str):
    evidence = session.scalar(owned(ForestEvidence, org_id).where(ForestEvidence.id == evidence_id))
    if evidence is None:
        raise NotFound(str(_l("No such forest evidence.")))
    if evidence.voided_at is not None:
        raise Conflict(str(_l("This evidence is already voided.")))
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise DomainError(
            str(_l("Give a reason.")), {"reason": [str(_l("Required, at most 500 characters."))]}
        )
    now = utcnow()
    evidence.voided_at, evidence.void_reason = now, reason
    session.flush()
    append(
        session,
        org_id,
        "forest.evidence_voided",
        ("plot", evidence.plot_id),
        {"evidence": evidence.id, "errorDeclaration": {"declarationTime": now, "reason": reason}},
        action="DELETE",
        user_id=user_id,
    )
    return evidence


def forest_summary(session: Session, org_id: int, plot_ids) -> dict:
    """How many of these plots' latest evidence says what: {result: count}, plus "missing"
    for plots without any (the lot page's one-line forest status)."""
    latest = latest_evidence(session, org_id, plot_ids)
    counts: dict[str, int] = {}
    for plot_id in plot_ids:
        result = latest[plot_id].result if plot_id in latest else "missing"
        counts[result] = counts.get(result, 0) + 1
    return {"counts": counts, "plots": len(plot_ids)}
