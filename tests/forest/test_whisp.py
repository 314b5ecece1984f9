"""FAO Whisp results imported from its CSV (DOMAIN.md §7, issue 7 item 4): each row's
risk_pcrop becomes the plot's forest evidence of kind "whisp", all rows or none, every problem
named by row and column."""

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from coopchain.clock import today
from coopchain.farms.models import ForestEvidence
from coopchain.forest import evidence as forest
from coopchain.forest import whisp
from coopchain.ledger.models import LedgerEvent
from tests import factories

#: A Whisp output's columns as openforis_whisp writes them (a few of its ~200).
HEADER = [
    "plotId",
    "external_id",
    "Area",
    "Unit",
    "GFC_TC_2020",
    "GFC_loss_after_2020",
    "TMF_def_after_2020",
    "Ind_01_treecover",
    "Ind_02_commodities",
    "Ind_03_disturbance_before_2020",
    "Ind_04_disturbance_after_2020",
    "risk_pcrop",
    "risk_acrop",
    "geo",
]
RAN_ON = date(2026, 9, 15)


@pytest.fixture(autouse=True)
def english(request):
    """Service messages in English, whatever the translations say (pages ask for /lang/en)."""
    request.getfixturevalue("app_context")  # force_locale needs the app context first
    with force_locale("en"):
        yield


def row(plot_id, risk="low", **cells) -> dict:
    indicators = {
        "low": ("no", "no", "no", "no"),
        "more_info_needed": ("yes", "no", "no", "no"),
        "high": ("yes", "no", "no", "yes"),
    }.get(risk, ("yes", "yes", "yes", "yes"))
    return {
        "plotId": "1",
        "external_id": str(plot_id),
        "Area": "1.2",
        "Unit": "ha",
        "GFC_TC_2020": "0.9",
        "GFC_loss_after_2020": "0.0",
        "TMF_def_after_2020": "0.0",
        "Ind_01_treecover": indicators[0],
        "Ind_02_commodities": indicators[1],
        "Ind_03_disturbance_before_2020": indicators[2],
        "Ind_04_disturbance_after_2020": indicators[3],
        "risk_pcrop": risk,
        "risk_acrop": risk,
        "geo": '{"type": "Point", "coordinates": [-77.41, -5.70]}',
        **cells,
    }


def whisp_csv(rows, header=HEADER, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(name, "") for name in header])
    return out.getvalue().encode(encoding)


@pytest.fixture
def plots(db_session, org):
    producer = factories.producer(db_session, org)
    return [factories.plot(db_session, org, producer) for _ in range(3)]


@pytest.fixture
def their_plot(db_session, other_org):
    return factories.plot(db_session, other_org, factories.producer(db_session, other_org))


def run(db_session, org, data, **kwargs):
    kwargs = {"filename": "whisp_results.csv", "observed_on": RAN_ON, **kwargs}
    return whisp.import_whisp_csv(db_session, org.id, None, data, **kwargs)


def refused(db_session, org, data, **kwargs) -> whisp.WhispImportFailed:
    with pytest.raises(whisp.WhispImportFailed) as caught:
        run(db_session, org, data, **kwargs)
    return caught.value


def evidence_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(ForestEvidence))


def ledger_count(db_session) -> int:
    return db_session.scalar(
        select(func.count())
        .select_from(LedgerEvent)
        .where(LedgerEvent.kind == "forest.evidence_recorded")
    )


# --- the import -------------------------------------------------------------------------------


def test_each_row_becomes_the_plots_evidence(db_session, org, plots):
    free, unclear, lost = plots
    data = whisp_csv(
        [
            row(free.id),
            row(unclear.id, "more_info_needed"),
            row(lost.id, "high", GFC_loss_after_2020="0.35"),
        ]
    )

    summary = run(db_session, org, data)

    assert summary == {"deforestation_free": 1, "more_info_needed": 1, "loss_after_cutoff": 1}
    latest = forest.latest_evidence(db_session, org.id, [p.id for p in plots])
    assert [latest[p.id].result for p in plots] == [
        "deforestation_free",
        "more_info_needed",
        "loss_after_cutoff",
    ]
    assert {latest[p.id].kind for p in plots} == {"whisp"}
    assert latest[lost.id].loss_after_cutoff_ha == Decimal("0.35")
    assert latest[free.id].loss_after_cutoff_ha is None
    assert latest[free.id].observed_on == RAN_ON
    assert latest[free.id].source == "FAO Whisp · whisp_results.csv"
    measured = latest[unclear.id].measurements
    assert measured["Ind_01_treecover"] == "yes" and measured["risk_pcrop"] == "more_info_needed"
    assert measured["Area"] == 1.2 and measured["GFC_loss_after_2020"] == 0.0
    assert "geo" not in measured and "GFC_TC_2020" not in measured  # outlines and raw layers


def test_one_ledger_event_per_plot(db_session, org, plots):
    run(db_session, org, whisp_csv([row(p.id) for p in plots]))

    events = db_session.scalars(
        select(LedgerEvent).where(LedgerEvent.kind == "forest.evidence_recorded")
    ).all()
    assert sorted(e.subject_id for e in events) == sorted(str(p.id) for p in plots)
    data = events[0].payload["data"]
    assert (data["kind"], data["whispRisk"], data["observedOn"]) == ("whisp", "low", "2026-09-15")
    assert data["measurements"]["Ind_04_disturbance_after_2020"] == "no"
    assert {e.action for e in events} == {"OBSERVE"}


def test_high_risk_without_hectares_says_so(db_session, org, plots):
    header = [name for name in HEADER if name != "GFC_loss_after_2020"]
    run(db_session, org, whisp_csv([row(plots[0].id, "high")], header=header))

    (saved,) = forest.evidence_of(db_session, org.id, plots[0].id)
    assert saved.result == "loss_after_cutoff" and saved.loss_after_cutoff_ha is None
    assert saved.notes == "Hectares lost not given by Whisp."


def test_percent_statistics_become_hectares(db_session, org, plots):
    data = whisp_csv(
        [row(plots[0].id, "high", Unit="percent", Area="2.0", GFC_loss_after_2020="25")]
    )
    run(db_session, org, data)

    (saved,) = forest.evidence_of(db_session, org.id, plots[0].id)
    assert saved.loss_after_cutoff_ha == Decimal("0.5")


def test_the_analysis_date_defaults_to_today(db_session, org, plots):
    run(db_session, org, whisp_csv([row(plots[0].id)]), observed_on=None)
    assert forest.evidence_of(db_session, org.id, plots[0].id)[0].observed_on == today()


# --- refused files: every problem named, nothing written --------------------------------------


def test_unknown_and_other_organisations_plots_are_named(db_session, org, plots, their_plot):
    data = whisp_csv([row(plots[0].id), row(999999), row(their_plot.id)])

    failed = refused(db_session, org, data)

    assert [(e.row, e.column, e.message) for e in failed.errors] == [
        (3, "external_id", "Plot 999999 is not one of yours."),
        (4, "external_id", f"Plot {their_plot.id} is not one of yours."),
    ]
    assert failed.fields["rows"][0] == {
        "sheet": "whisp_results.csv",
        "row": 3,
        "column": "external_id",
        "message": "Plot 999999 is not one of yours.",
    }
    assert evidence_count(db_session) == 0 and ledger_count(db_session) == 0


def test_a_missing_column_is_named(db_session, org, plots):
    for missing in ("risk_pcrop", "external_id"):
        header = [name for name in HEADER if name != missing]
        failed = refused(db_session, org, whisp_csv([row(plots[0].id)], header=header))
        (problem,) = failed.errors
        assert (problem.row, problem.column) == (1, missing)
        assert f'"{missing}" is missing' in problem.message


def test_a_bad_risk_value_is_named_with_its_row(db_session, org, plots):
    data = whisp_csv([row(plots[0].id), row(plots[1].id, "medium")])

    (problem,) = refused(db_session, org, data).errors

    assert (problem.row, problem.column) == (3, "risk_pcrop")
    assert '"medium" is not a Whisp risk' in problem.message
    assert evidence_count(db_session) == 0


def test_every_bad_row_is_reported_at_once_and_nothing_written(db_session, org, plots):
    data = whisp_csv(
        [
            row(plots[0].id),
            row("unknown"),
            row("abc", "maybe"),
            row(plots[0].id),
            row(plots[1].id, "more_info_needed"),
        ]
    )

    failed = refused(db_session, org, data, observed_on=today() + timedelta(days=1))

    assert [(e.row, e.column) for e in failed.errors] == [
        (3, "external_id"),
        (4, "external_id"),
        (4, "risk_pcrop"),
        (5, "external_id"),
    ]
    assert failed.errors[0].message == "No plot id."
    assert failed.errors[3].message == f"Plot {plots[0].id} repeats row 2."
    assert "observed_on" in failed.fields
    assert evidence_count(db_session) == 0 and ledger_count(db_session) == 0


def test_excel_saved_files_are_read(db_session, org, plots):
    """Excel adds a byte-order mark to "CSV UTF-8" and, in a Spanish locale, separates with
    semicolons and writes decimal commas; tab-separated text pasted from a sheet also works."""
    semicolons = b"\xef\xbb\xbf" + whisp_csv(
        [row(plots[0].id, "high", GFC_loss_after_2020="0,35")], delimiter=";"
    )
    run(db_session, org, semicolons)
    run(db_session, org, whisp_csv([row(plots[1].id)], delimiter="\t"))

    latest = forest.latest_evidence(db_session, org.id, [plots[0].id, plots[1].id])
    assert latest[plots[0].id].loss_after_cutoff_ha == Decimal("0.35")
    assert latest[plots[0].id].measurements["GFC_loss_after_2020"] == 0.35
    assert latest[plots[1].id].result == "deforestation_free"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04rest-of-a-workbook", "not a CSV file"),
        ("external_id,risk_pcrop\n1,bajo riesgo en Cañete\n".encode("cp1252"), "not UTF-8"),
        (b"x" * (whisp.MAX_BYTES + 1), "the limit is 20 MB"),
        (",".join(HEADER).encode() + b"\n", "no rows"),
    ],
)
def test_unusable_files_are_refused_whole(db_session, org, data, words):
    failed = refused(db_session, org, data)
    (message,) = failed.fields["file"]
    assert words in message and failed.errors == []


def test_whisps_own_row_number_is_not_a_plot_id(db_session, org, plots):
    failed = refused(db_session, org, whisp_csv([row(plots[0].id)]), id_column="plotId")
    assert "Whisp's own row number" in failed.fields["id_column"][0]


def test_another_id_column_can_be_named(db_session, org, plots):
    header = [*HEADER, "parcela"]
    data = whisp_csv([row("", parcela=str(plots[0].id))], header=header)

    assert run(db_session, org, data, id_column="parcela") == {"deforestation_free": 1}


def test_hostile_cells_are_kept_as_plain_text(db_session, org, plots):
    script = '<script>alert("x")</script>'
    data = whisp_csv([row(plots[0].id, Ind_01_treecover=script, TMF_def_after_2020="=1+1")])

    run(db_session, org, data)

    measured = forest.evidence_of(db_session, org.id, plots[0].id)[0].measurements
    assert measured["Ind_01_treecover"] == script and measured["TMF_def_after_2020"] == "=1+1"


def test_the_whisp_input_carries_only_plot_ids(db_session, org, plots, their_plot):
    collection = whisp.whisp_input_geojson(db_session, org.id)

    assert [f["properties"] for f in collection["features"]] == [{"plot_id": p.id} for p in plots]
    assert collection["features"][0]["geometry"]["type"] == "Polygon"


# --- the page ---------------------------------------------------------------------------------


def upload(client, data, filename="whisp_results.csv", **form):
    return client.post(
        "/forest/whisp-import",
        data={"file": (io.BytesIO(data), filename), "observed_on": "2026-09-15", **form},
        content_type="multipart/form-data",
    )


def test_staff_import_from_the_page(client, login, db_session, org, plots):
    login("staff")
    client.get("/lang/en")
    assert "Import Whisp results" in client.get("/forest/whisp-import").get_data(as_text=True)

    response = upload(client, whisp_csv([row(plots[0].id), row(plots[1].id, "more_info_needed")]))

    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Whisp results recorded for 2 plots: 1 deforestation-free, 1 needing more" in page
    assert forest.latest_evidence(db_session, org.id, [plots[1].id])[plots[1].id].kind == "whisp"


def test_the_page_lists_every_problem_and_keeps_nothing(client, login, db_session, org, plots):
    login("staff")
    client.get("/lang/en")

    response = upload(client, whisp_csv([row(plots[0].id), row(999999), row(plots[1].id, "??")]))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported: 2 problems to fix." in page
    assert "Plot 999999 is not one of yours." in page and "is not a Whisp risk" in page
    assert evidence_count(db_session) == 0


def test_a_file_problem_is_shown_next_to_the_file_field(client, login, plots):
    login("staff")
    client.get("/lang/en")

    response = upload(client, b"")

    assert response.status_code == 422
    assert '<span class="error">The file is empty.</span>' in response.get_data(as_text=True)


def test_a_hostile_file_name_is_shown_as_text(client, login, db_session, org, plots):
    login("staff")
    client.get("/lang/en")
    upload(client, whisp_csv([row(plots[0].id)]), filename='<img src=x onerror="alert(1)">.csv')

    page = client.get(f"/plots/{plots[0].id}/forest-evidence").get_data(as_text=True)

    assert "FAO Whisp · &lt;img src=x" in page and "<img src=x" not in page


def test_auditors_may_not_import(client, login, db_session, plots):
    login("auditor")
    assert client.get("/forest/whisp-import").status_code == 403
    assert upload(client, whisp_csv([row(plots[0].id)])).status_code == 403
    assert evidence_count(db_session) == 0


def test_the_plots_for_whisp_download(client, login, plots):
    login("auditor")
    response = client.get("/forest/whisp-plots.geojson")

    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    features = json.loads(response.data)["features"]
    assert {f["properties"]["plot_id"] for f in features} == {p.id for p in plots}


def test_a_file_above_the_app_wide_upload_limit_is_read(client, login, db_session, org, plots):
    """12 MB (the app refuses uploads over 10 MB elsewhere), most of it one plot outline in
    Whisp's geo column: far past csv's default field limit."""
    login("staff")
    outline = '{"type": "Polygon", "coordinates": [[' + "[-77.412345, -5.701234], " * 520_000
    data = whisp_csv([row(plots[0].id, geo=outline + "[-77.412345, -5.701234]]]}")])
    assert len(data) > 12 * 1024 * 1024

    assert upload(client, data).status_code == 302
    assert forest.evidence_of(db_session, org.id, plots[0].id)[0].kind == "whisp"
