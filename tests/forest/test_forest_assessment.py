"""Raster assessments through the database: datasets registered, every plot measured in
batches, resumed after an interruption without measuring a plot twice, a failure naming the
file, and the pages and command that drive them (issue: forest evidence)."""

import re
import shutil
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from coopchain.errors import DomainError, NotFound
from coopchain.farms.models import ForestEvidence
from coopchain.forest import assessment as fa
from coopchain.forest.datasets import register_dataset
from coopchain.forest.evidence import latest_evidence
from coopchain.forest.models import AssessmentStatus, ForestDataset
from coopchain.ledger.models import LedgerEvent
from tests import factories
from tests.forest.raster_fixtures import NORTH, RES, WEST, write_hansen

#: The test tile: 360 × 360 one-arc-second pixels (0.1°) from (-77.0, -5.0) south-eastwards.
SIZE = 360


def square_at(col: int, row: int, pixels: int = 4) -> dict:
    """A square plot over `pixels` × `pixels` whole pixels from (col, row)."""
    west, north = WEST + col * RES, NORTH - row * RES
    east, south = west + pixels * RES, north - pixels * RES
    ring = [[west, north], [east, north], [east, south], [west, south], [west, north]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def rasters(tmp_path):
    """Loss in 2022 (code 22) in the block rows/cols 10–29; tree cover 80 % except the
    south-east quarter (0 %); everything else untouched."""
    loss = np.zeros((SIZE, SIZE))
    loss[10:30, 10:30] = 22
    cover = np.full((SIZE, SIZE), 80)
    cover[180:, 180:] = 0
    write_hansen(tmp_path, loss, cover)
    return tmp_path


@pytest.fixture
def plots(db_session, org):
    """Four plots: lost after 2020, shade coffee under cover, open ground, outside the tile."""
    producer = factories.producer(db_session, org)
    made = {
        "lost": factories.plot(db_session, org, producer, geometry=square_at(12, 12)),
        "shade": factories.plot(db_session, org, producer, geometry=square_at(100, 100)),
        "open": factories.plot(db_session, org, producer, geometry=square_at(250, 250)),
        "outside": factories.plot(db_session, org, producer, geometry=square_at(SIZE + 50, 20)),
    }
    db_session.flush()
    return made


def register(db_session, org, folder, kind, name):
    return register_dataset(
        db_session,
        org.id,
        None,
        {
            "kind": kind,
            "version": "GFC-2023-v1.11",
            "paths": [str(folder / name)],
            "downloaded_on": date(2026, 11, 1),
        },
    )


@pytest.fixture
def datasets(db_session, org, rasters):
    return [
        register(db_session, org, rasters, "hansen_lossyear", "lossyear"),
        register(db_session, org, rasters, "hansen_treecover2000", "treecover2000"),
    ]


def sessionmaker_of(db_session):
    """The runner opens a session per batch; in tests every batch joins the test's
    transaction (a savepoint), so commits are visible here and rolled back afterwards."""
    from sqlmodel import Session

    return lambda: Session(
        bind=db_session.connection(),
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )


def test_a_dataset_is_registered_with_its_tiles_checked(db_session, org, datasets):
    lossyear = datasets[0]
    assert lossyear.tile_count == 1
    assert (
        db_session.scalar(
            select(func.count()).where(LedgerEvent.kind == "forest.dataset_registered")
        )
        == 2
    )


def test_a_missing_file_is_named_and_nothing_is_registered(db_session, org, tmp_path):
    with pytest.raises(DomainError) as refused:
        register(db_session, org, tmp_path, "hansen_lossyear", "nowhere")
    assert "nowhere" in refused.value.fields["paths"][0]
    assert db_session.scalar(select(func.count(ForestDataset.id))) == 0


def test_an_assessment_needs_both_hansen_layers(db_session, org, datasets):
    with pytest.raises(DomainError) as refused:
        fa.start_assessment(db_session, org.id, None, [datasets[0].id])
    assert "dataset_ids" in refused.value.fields


def test_another_organisations_dataset_cannot_be_used(db_session, org, other_org, datasets):
    with pytest.raises(NotFound):
        fa.start_assessment(db_session, other_org.id, None, [d.id for d in datasets])


def test_every_plot_gets_its_result_and_measurements(db_session, org, plots, datasets):
    assessment = fa.start_assessment(db_session, org.id, None, [d.id for d in datasets])
    assert assessment.total == 4
    seen = []
    done = fa.run_assessment(
        sessionmaker_of(db_session),
        org.id,
        assessment.id,
        batch_size=3,
        progress=lambda n, total: seen.append((n, total)),
    )
    assert done.status == AssessmentStatus.FINISHED
    assert seen == [(3, 4), (4, 4), (4, 4)]  # one report per batch, then the finish
    latest = latest_evidence(db_session, org.id, [p.id for p in plots.values()])
    results = {name: latest[plot.id].result for name, plot in plots.items()}
    assert results == {
        "lost": "loss_after_cutoff",
        "shade": "more_info_needed",
        "open": "deforestation_free",
        "outside": "no_data",
    }
    lost = latest[plots["lost"].id]
    assert lost.kind == "raster"
    assert lost.assessment_id == assessment.id
    assert lost.loss_after_cutoff_ha > Decimal("0")
    assert Decimal(lost.measurements["loss_after_share"]) == Decimal("1")
    assert lost.measurements["canopy_threshold_pct"] == 10
    assert "hansen_lossyear GFC-2023-v1.11" in lost.source
    assert fa.assessment_results(db_session, done) == {
        "loss_after_cutoff": 1,
        "more_info_needed": 1,
        "deforestation_free": 1,
        "no_data": 1,
    }


def test_an_interrupted_run_resumes_without_measuring_a_plot_twice(
    db_session, org, plots, datasets
):
    assessment = fa.start_assessment(db_session, org.id, None, [d.id for d in datasets])

    def stop_after_first_batch(done, _total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fa.run_assessment(
            sessionmaker_of(db_session),
            org.id,
            assessment.id,
            batch_size=2,
            progress=stop_after_first_batch,
        )
    db_session.expire_all()
    assert fa.get_assessment(db_session, org.id, assessment.id).done == 2
    finished = fa.run_assessment(sessionmaker_of(db_session), org.id, assessment.id)
    assert finished.status == AssessmentStatus.FINISHED
    per_plot = db_session.execute(
        select(ForestEvidence.plot_id, func.count())
        .where(ForestEvidence.assessment_id == assessment.id)
        .group_by(ForestEvidence.plot_id)
    ).all()
    assert sorted(count for _plot, count in per_plot) == [1, 1, 1, 1]


def test_a_vanished_raster_fails_the_run_naming_the_file_and_resume_finishes_it(
    db_session, org, plots, datasets, rasters
):
    assessment = fa.start_assessment(db_session, org.id, None, [d.id for d in datasets])
    shutil.move(rasters / "lossyear", rasters / "moved")
    with pytest.raises(DomainError) as failed:
        fa.run_assessment(sessionmaker_of(db_session), org.id, assessment.id)
    assert "lossyear" in failed.value.message
    db_session.expire_all()
    stopped = fa.get_assessment(db_session, org.id, assessment.id)
    assert stopped.status == AssessmentStatus.FAILED
    assert "lossyear" in stopped.error
    shutil.move(rasters / "moved", rasters / "lossyear")
    fa.resume_assessment(db_session, org.id, None, assessment.id)
    assert fa.run_assessment(sessionmaker_of(db_session), org.id, assessment.id).done == 4


def test_a_selection_measures_only_those_plots(db_session, org, plots, datasets):
    chosen = [plots["shade"].id]
    assessment = fa.start_assessment(db_session, org.id, None, [d.id for d in datasets], chosen)
    fa.run_assessment(sessionmaker_of(db_session), org.id, assessment.id)
    measured = db_session.scalars(
        select(ForestEvidence.plot_id).where(ForestEvidence.assessment_id == assessment.id)
    ).all()
    assert measured == chosen


def test_admin_runs_an_assessment_from_the_forest_page(client, login, db_session, plots, datasets):
    login("admin")
    assert client.get("/forest").status_code == 200
    response = client.post(
        "/forest/assessments",
        data={
            "dataset_ids": [str(d.id) for d in datasets],
            "canopy_threshold_pct": "10",
        },
    )
    # The page answers at once with the job's progress page; the job ran (immediate mode).
    assert response.status_code == 302
    assert "/jobs/" in response.location
    job_page = client.get(response.location)
    assert b'data-status="finished"' in job_page.data
    result_link = re.search(rb'data-job="result-link" href="([^"]+)"', job_page.data)
    page = client.get(result_link.group(1).decode())
    assert page.status_code == 200
    assert b'data-status="finished"' in page.data
    assert b'data-result="loss_after_cutoff"' in page.data
    overview = client.get("/forest").data
    assert b'data-group="loss_after_cutoff"' in overview
    assert f'data-plot-id="{plots["lost"].id}"'.encode() in overview


def test_staff_cannot_start_an_assessment(client, login, datasets):
    login("staff")
    response = client.post("/forest/assessments", data={"dataset_ids": [datasets[0].id]})
    assert response.status_code == 403


def test_the_summary_xlsx_has_every_plot_with_its_status(
    client, login, db_session, org, plots, datasets
):
    assessment = fa.start_assessment(db_session, org.id, None, [d.id for d in datasets])
    fa.run_assessment(sessionmaker_of(db_session), org.id, assessment.id)
    login("auditor")
    response = client.get("/forest/summary.xlsx?lang=en")
    assert response.status_code == 200
    sheet = load_workbook(__import__("io").BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4
    names = {plot.name: name for name, plot in plots.items()}
    statuses = {names[row[1]]: row[3] for row in rows}
    assert statuses["lost"] == "loss after the cutoff"
    assert statuses["outside"] != "Deforestation-free"


def test_a_dataset_form_with_a_bad_path_names_it(client, login, tmp_path):
    login("admin")
    response = client.post(
        "/forest/datasets/new?lang=en",
        data={
            "kind": "hansen_lossyear",
            "version": "v1",
            "paths": str(tmp_path / "missing.tif"),
            "downloaded_on": "2026-11-01",
        },
    )
    assert response.status_code == 422
    assert b"missing.tif" in response.data


def test_the_command_registers_and_assesses_with_a_progress_bar(tmp_path, monkeypatch, rasters):
    """As an operator runs it: a real SQLite file, the installed command."""
    from click.testing import CliRunner

    from coopchain import create_app
    from coopchain.cli import cli
    from coopchain.db import session_scope

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("COOPCHAIN_DATABASE_URL", url)
    monkeypatch.setenv("COOPCHAIN_ENV", "test")
    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    invoke("migrate")
    invoke(
        "create-org",
        "COOPAM",
        "Coop",
        "--admin-email",
        "a@x.coop",
        "--admin-password",
        "a-long-passphrase-1",
    )
    app = create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": url})
    with app.app_context(), session_scope(app) as session:
        from coopchain.auth.models import Organization

        org = session.scalar(select(Organization))
        producer = factories.producer(session, org)
        for col in (12, 100, 250):
            factories.plot(session, org, producer, geometry=square_at(col, col))
    for kind, name in (("hansen_lossyear", "lossyear"), ("hansen_treecover2000", "treecover2000")):
        assert "1 tile(s)" in invoke(
            "register-forest-dataset",
            "--org",
            "COOPAM",
            "--kind",
            kind,
            "--version",
            "v1",
            "--downloaded-on",
            "2026-11-01",
            str(rasters / name),
        )
    output = invoke(
        "assess-forest", "--org", "COOPAM", "--dataset", "1", "--dataset", "2", "--batch-size", "2"
    )
    assert "Assessment 1: 3 plot(s); job 1." in output
    assert "Plots" in output  # the progress bar's label
    assert "3 plot(s) measured" in output


def test_a_run_still_moving_is_not_resumed_twice_from_the_page(db_session, org, plots, datasets):
    assessment = fa.start_assessment(db_session, org.id, None, [d.id for d in datasets])
    with pytest.raises(DomainError, match="still running"):
        fa.resume_assessment(db_session, org.id, None, assessment.id)
    # The operator who stopped it on the command line may take it up at once.
    fa.resume_assessment(db_session, org.id, None, assessment.id, even_if_running=True)
