"""Forest assessments: measure every plot (or a selection) against the rasters the cooperative
registered (forest/datasets.py) (issue: forest evidence; DOMAIN.md §7).

The statistics themselves are pure (forest/rasters.py). Here they are applied in
batches: each batch's evidence rows, ledger events and the assessment's progress are committed
together, so a run that stops — a worker restarted, Ctrl-C on the command line — resumes with
the plots that have no evidence from it yet, and never measures a plot twice.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.clock import utcnow
from coopchain.db import begin_write, in_organization, owned
from coopchain.errors import DomainError, NotFound
from coopchain.farms.models import EvidenceKind, ForestEvidence, ForestResult, Plot
from coopchain.forest.datasets import _datasets
from coopchain.forest.models import AssessmentStatus, ForestAssessment, ForestDataset
from coopchain.forest.plot_shapes import PlotShape
from coopchain.forest.raster_results import PlotForest
from coopchain.forest.raster_tiles import REQUIRED_KINDS, RasterError
from coopchain.forest.rasters import Layer, assess_plots
from coopchain.ledger.services import append, append_many

#: A running assessment whose progress has not moved for this long was interrupted (a batch
#: of 250 plots takes seconds).
STALE_AFTER = timedelta(minutes=2)
#: Plots measured and committed together: small enough that an interruption loses little and
#: the progress moves often, large enough that opening the rasters is paid rarely.
BATCH_SIZE = 250


def _problems(message: str, field: str, detail: str | None = None) -> DomainError:
    return DomainError(message, {field: [detail or message]})


def start_assessment(
    session: Session, org_id: int, user_id, dataset_ids, plot_ids=None, canopy_threshold_pct=None
) -> ForestAssessment:
    """A new assessment over `plot_ids` (every plot with a geometry when None). It needs the two
    Hansen layers (loss year and tree cover 2000), may add the JRC GFC2020 map, and takes at
    most one dataset of each kind."""
    datasets = _datasets(session, org_id, dataset_ids or [])
    kinds = [d.kind for d in datasets]
    if any(kind not in kinds for kind in REQUIRED_KINDS):
        raise _problems(
            str(
                _l(
                    "Choose a Hansen loss-year and a Hansen tree-cover-2000 dataset: loss and "
                    "tree cover are measured from them (JRC GFC2020 is optional)."
                )
            ),
            "dataset_ids",
        )
    if len(set(kinds)) != len(kinds):
        raise _problems(str(_l("Choose at most one dataset of each kind.")), "dataset_ids")
    threshold = 10 if canopy_threshold_pct in (None, "") else canopy_threshold_pct
    if not isinstance(threshold, int) or not 1 <= threshold <= 100:
        raise _problems(
            str(_l("Canopy threshold: a whole percentage from 1 to 100.")), "canopy_threshold_pct"
        )
    query = select(Plot.id).where(in_organization(Plot, org_id), Plot.geometry.is_not(None))
    if plot_ids is not None:
        wanted = sorted({int(i) for i in plot_ids})
        found = list(session.scalars(query.where(Plot.id.in_(wanted))))
        if not wanted or len(found) != len(wanted):
            raise _problems(str(_l("Some plots are not yours or have no geometry.")), "plot_ids")
        plot_ids = wanted
    total = (
        len(plot_ids)
        if plot_ids is not None
        else session.scalar(select(func.count()).select_from(query.subquery()))
    )
    assessment = ForestAssessment(
        organization_id=org_id,
        dataset_ids=[d.id for d in datasets],
        plot_ids=plot_ids,
        canopy_threshold_pct=threshold,
        total=total,
        user_id=user_id,
    )
    session.add(assessment)
    session.flush()
    append(
        session,
        org_id,
        "forest.assessment_started",
        ("forest_assessment", assessment.id),
        {
            "datasets": assessment.dataset_ids,
            "plots": plot_ids or "all",
            "total": total,
            "canopyThresholdPct": threshold,
        },
        user_id=user_id,
    )
    return assessment


def get_assessment(session: Session, org_id: int, assessment_id: int) -> ForestAssessment:
    found = session.scalar(
        owned(ForestAssessment, org_id).where(ForestAssessment.id == assessment_id)
    )
    if found is None:
        raise NotFound(str(_l("No such forest assessment.")))
    return found


def list_assessments(session: Session, org_id: int, limit: int = 20) -> list[ForestAssessment]:
    return list(
        session.scalars(
            owned(ForestAssessment, org_id).order_by(ForestAssessment.id.desc()).limit(limit)
        )
    )


def pending_plot_ids(session: Session, assessment: ForestAssessment, limit: int) -> list[int]:
    """The next plots of the assessment that it has not measured yet (by id)."""
    measured = select(ForestEvidence.plot_id).where(ForestEvidence.assessment_id == assessment.id)
    query = select(Plot.id).where(
        in_organization(Plot, assessment.organization_id),
        Plot.geometry.is_not(None),
        Plot.id.not_in(measured),
    )
    if assessment.plot_ids is not None:
        query = query.where(Plot.id.in_(assessment.plot_ids))
    return list(session.scalars(query.order_by(Plot.id).limit(limit)))


def _source(datasets: list[ForestDataset]) -> str:
    return "; ".join(f"{d.kind} {d.version}" for d in datasets)[:300]


def _measurements(result: PlotForest, threshold: int) -> dict:
    def number(value):
        return None if value is None else str(value)

    return {
        "area_ha": number(result.area_ha),
        "covered_share": number(result.covered_share),
        "loss_after_ha": number(result.loss_after_ha),
        "loss_after_share": number(result.loss_after_share),
        "loss_before_ha": number(result.loss_before_ha),
        "loss_before_share": number(result.loss_before_share),
        "tree_cover_2000_share": number(result.tree_cover_2000_share),
        "forest_2020_share": number(result.forest_2020_share),
        "canopy_threshold_pct": threshold,
        "datasets": list(result.datasets),
        "problems": list(result.problems),
    }


def _write_batch(session, assessment, datasets, results: list[PlotForest]) -> None:
    observed_on = max(d.downloaded_on for d in datasets)
    rows = []
    for result in results:
        loss = result.loss_after_ha if result.result == ForestResult.LOSS_AFTER_CUTOFF else None
        rows.append(
            ForestEvidence(
                organization_id=assessment.organization_id,
                plot_id=result.plot_id,
                kind=EvidenceKind.RASTER,
                result=result.result,
                loss_after_cutoff_ha=loss,
                source=_source(datasets),
                observed_on=observed_on,
                assessment_id=assessment.id,
                measurements=_measurements(result, assessment.canopy_threshold_pct),
                user_id=assessment.user_id,
            )
        )
    session.add_all(rows)
    session.flush()
    append_many(
        session,
        assessment.organization_id,
        [
            {
                "kind": "forest.evidence_recorded",
                "subject": ("plot", row.plot_id),
                "action": "OBSERVE",
                "payload": {
                    "evidence": row.id,
                    "kind": row.kind,
                    "result": row.result,
                    "assessment": assessment.id,
                    "lossAfterCutoffHa": row.loss_after_cutoff_ha,
                    "observedOn": row.observed_on,
                },
            }
            for row in rows
        ],
        user_id=assessment.user_id,
    )
    assessment.done += len(rows)
    assessment.updated_at = utcnow()
    session.add(assessment)


def _shapes(session: Session, org_id: int, plot_ids: list[int]) -> list[PlotShape]:
    rows = session.execute(
        select(Plot.id, Plot.geometry, Plot.declared_area_ha).where(
            in_organization(Plot, org_id), Plot.id.in_(plot_ids)
        )
    )
    return [PlotShape(plot_id, geometry, area) for plot_id, geometry, area in rows]


def run_assessment(
    sessionmaker: Callable[[], Session],
    org_id: int,
    assessment_id: int,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> ForestAssessment:
    """Measure the assessment's pending plots batch by batch, committing each batch; resumable.
    A raster that cannot be read marks the assessment failed (with the file named) and raises.

    Each batch is read and measured without holding the write lock (on SQLite the office keeps
    working meanwhile), then written in a short transaction that locks the assessment row and
    keeps only plots still unmeasured: two runs of one assessment never record a plot twice."""
    while True:
        session = sessionmaker()
        try:
            assessment = get_assessment(session, org_id, assessment_id)
            if assessment.status != AssessmentStatus.RUNNING:
                return assessment
            datasets = _datasets(session, org_id, assessment.dataset_ids)
            batch = pending_plot_ids(session, assessment, batch_size)
            shapes = _shapes(session, org_id, batch)
            threshold = assessment.canopy_threshold_pct
            session.rollback()  # end the read; nothing is held while the rasters are read
            results = assess_plots(
                [Layer(d.kind, d.version, tuple(d.paths)) for d in datasets],
                shapes,
                canopy_threshold_pct=threshold,
            )
            begin_write(session)
            assessment = _locked(session, org_id, assessment_id)
            if assessment.status != AssessmentStatus.RUNNING:
                return assessment
            if not batch:
                _finish(session, assessment)
            else:
                measured = set(
                    session.scalars(
                        select(ForestEvidence.plot_id).where(
                            ForestEvidence.assessment_id == assessment.id,
                            ForestEvidence.plot_id.in_(batch),
                        )
                    )
                )
                fresh = [r for r in results if r.plot_id not in measured]
                _write_batch(session, assessment, datasets, fresh)
            session.commit()
            if progress:
                progress(assessment.done, assessment.total)
            if not batch:
                return assessment
        except RasterError as exc:
            session.rollback()
            _fail(sessionmaker, org_id, assessment_id, exc.message)
            raise
        finally:
            session.close()


def _locked(session: Session, org_id: int, assessment_id: int) -> ForestAssessment:
    """The assessment row, locked for this transaction (FOR UPDATE on PostgreSQL; SQLite's
    BEGIN IMMEDIATE already serialises writers) and read fresh."""
    found = session.scalar(
        select(ForestAssessment)
        .where(ForestAssessment.id == assessment_id, in_organization(ForestAssessment, org_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFound(str(_l("No such forest assessment.")))
    return found


def _finish(session: Session, assessment: ForestAssessment) -> None:
    assessment.status = AssessmentStatus.FINISHED
    assessment.finished_at = assessment.updated_at = utcnow()
    # The total may have moved (plots added or given a geometry during the run).
    assessment.total = max(assessment.total, assessment.done)
    session.add(assessment)
    append(
        session,
        assessment.organization_id,
        "forest.assessment_finished",
        ("forest_assessment", assessment.id),
        {"plots": assessment.done},
        user_id=assessment.user_id,
    )


def _fail(sessionmaker, org_id: int, assessment_id: int, message: str) -> None:
    session = sessionmaker()
    try:
        begin_write(session)
        assessment = get_assessment(session, org_id, assessment_id)
        assessment.status = AssessmentStatus.FAILED
        assessment.error = message[:1000]
        assessment.updated_at = utcnow()
        session.add(assessment)
        session.commit()
    finally:
        session.close()


def is_stale(assessment: ForestAssessment) -> bool:
    """Running, but its progress has not moved for STALE_AFTER: its worker stopped."""
    return (
        assessment.status == AssessmentStatus.RUNNING
        and utcnow() - assessment.updated_at > STALE_AFTER
    )


def resume_assessment(
    session: Session, org_id: int, user_id, assessment_id: int, *, even_if_running=False
):
    """Make a failed or interrupted assessment runnable again (run_assessment then continues
    with the plots it has not measured). One still moving is refused unless `even_if_running`
    (the operator at the command line knows they stopped it): a second run would only share
    the work, never record a plot twice, but a double click should not start one."""
    assessment = _locked(session, org_id, assessment_id)
    if assessment.status == AssessmentStatus.FINISHED:
        raise DomainError(str(_l("This assessment is finished: start a new one.")))
    running = assessment.status == AssessmentStatus.RUNNING
    if running and not even_if_running and not is_stale(assessment):
        raise DomainError(str(_l("This assessment is still running.")))
    assessment.status, assessment.error = AssessmentStatus.RUNNING, None
    session.add(assessment)
    append(
        session,
        org_id,
        "forest.assessment_resumed",
        ("forest_assessment", assessment.id),
        {"done": assessment.done, "total": assessment.total},
        user_id=user_id,
    )
    return assessment


def assessment_results(session: Session, assessment: ForestAssessment) -> dict[str, int]:
    """How many plots this assessment found in each result (voided ones left out)."""
    rows = session.execute(
        select(ForestEvidence.result, func.count(ForestEvidence.id))
        .where(
            ForestEvidence.assessment_id == assessment.id,
            in_organization(ForestEvidence, assessment.organization_id),
            ForestEvidence.voided_at.is_(None),
        )
        .group_by(ForestEvidence.result)
    )
    return dict(rows.all())


def share_pct(value) -> Decimal | None:
    """A stored share (0–1, as text) as a percentage for pages and exports."""
    if value in (None, ""):
        return None
    return (Decimal(str(value)) * 100).quantize(Decimal("0.1"))
