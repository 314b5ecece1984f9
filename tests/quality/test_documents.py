"""A cupping session's documents: the sheets workbook and the PDF panel report, as built and
as staff and API clients get them."""

import io
import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from coopchain.errors import NotFound
from coopchain.quality import cupping_sessions as sessions
from coopchain.quality.panel_report import panel_report_context, render_panel_report_pdf
from coopchain.quality.session_xlsx import session_workbook
from tests import factories

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOSTILE_NOTE = '=HYPERLINK("http://evil.example/x","click me")'

#: CI installs poppler-utils (.ci/run), so there these tests always run.
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None and not os.environ.get("CI"),
    reason="pdftotext (Debian poppler-utils) not installed",
)


def pdf_text(data: bytes, tmp_path, name: str = "report.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def sca(**scores) -> dict:
    """An SCA 2004 sheet of 8.00s with full cups (86.00), changed by `scores`."""
    sheet = {name: "8.00" for name in ("fragrance_aroma", "flavor", "aftertaste", "acidity")}
    sheet |= {"body": "8.00", "balance": "8.00", "overall": "8.00"}
    sheet |= {"uniformity": 10, "clean_cup": 10, "sweetness": 10, "taint_cups": 0}
    return sheet | {"fault_cups": 0} | scores


@pytest.fixture
def panel(db_session, org, farm, green_lot):
    """An open SCA session: one member (María Ñuñez) and two guests, two samples.

    Sample 1 (green_lot): Ríos 84.00 (one taint), Ñuñez 85.00, Peña 84.50 → mean 84.50.
    Sample 2: Ríos 90.25, Ñuñez 89.75 → mean 90.00; Peña did not cup it."""
    producer, plot = farm
    _delivery, second_lot = factories.delivery(
        db_session, org, producer, plot, product_form="green"
    )
    member = factories.user(db_session, org, "quality")
    member.name = "María Ñuñez"
    db_session.flush()
    cs = sessions.open_session(
        db_session,
        org.id,
        None,
        {
            "held_on": date(2026, 6, 20),
            "protocol": "sca_2004",
            "cupper_user_ids": [member.id],
            "guest_cuppers": ["Carmen Ríos", "José Peña"],
        },
    )
    first = sessions.add_sample(db_session, org.id, None, cs, green_lot.code)
    second = sessions.add_sample(db_session, org.id, None, cs, second_lot.code)
    cupper = {c.name: c for c in sessions.cuppers_of(db_session, cs)}

    def save(sample, name, scores, **extra):
        data = {"sample_id": sample.id, "cupper_id": cupper[name].id, "scores": scores}
        sessions.save_sheet(db_session, org.id, None, cs, data | extra)

    save(
        first,
        "Carmen Ríos",
        sca(taint_cups=1),
        descriptors=["=1+2", "panela"],
        notes=HOSTILE_NOTE,
    )
    save(first, "María Ñuñez", sca(fragrance_aroma="7.00"), descriptors=["cítrico"])
    save(first, "José Peña", sca(fragrance_aroma="6.50"))
    save(second, "Carmen Ríos", sca(flavor="10.00", overall="10.00", acidity="8.25"))
    save(second, "María Ñuñez", sca(flavor="9.75", overall="10.00"))
    return cs, first, second, green_lot, second_lot


@pytest.fixture
def closed(db_session, org, panel):
    sessions.close_session(db_session, org.id, None, panel[0])
    return panel


def _table(sheet) -> tuple[list, list[tuple]]:
    rows = list(sheet.iter_rows())
    return [c.value for c in rows[0]], rows[1:]


# --- workbook ---------------------------------------------------------------------------------


def test_the_workbook_has_one_row_per_sheet_with_final_scores_as_numbers(db_session, closed):
    cs, first, second, lot1, lot2 = closed
    book = load_workbook(io.BytesIO(session_workbook(db_session, cs)))

    headers, rows = _table(book["Sheets"])
    assert book["Sheets"].freeze_panes == "A2" and book["Sheets"]["A1"].font.b
    assert len(rows) == 5
    col = {name: i for i, name in enumerate(headers)}
    assert {"fragrance_aroma", "uniformity", "taint_cups", "fault_cups"} <= col.keys()
    finals = {}
    for row in rows:
        final = row[col["final_score"]]
        assert final.data_type == "n", "final score must be a number, not text"
        finals[(row[col["blind_code"]].value, row[col["cupper"]].value)] = final.value
        assert row[col["session_number"]].value == cs.number
        assert row[col["protocol"]].value == "sca_2004"
    assert finals == {
        (first.blind_code, "Carmen Ríos"): 84,
        (first.blind_code, "María Ñuñez"): 85,
        (first.blind_code, "José Peña"): 84.5,
        (second.blind_code, "Carmen Ríos"): 90.25,
        (second.blind_code, "María Ñuñez"): 89.75,
    }
    rios = next(r for r in rows if r[col["cupper"]].value == "Carmen Ríos")
    assert rios[col["lot_code"]].value == lot1.code
    assert rios[col["taint_cups"]].value == 1 and rios[col["taint_cups"]].data_type == "n"
    assert rios[col["defects"]].value == 2 and rios[col["total"]].value == 86
    pena = next(r for r in rows if r[col["cupper"]].value == "José Peña")
    assert pena[col["fragrance_aroma"]].value == 6.5
    assert pena[col["fragrance_aroma"]].data_type == "n"


def test_the_results_sheet_has_means_and_the_calibration_block(db_session, closed):
    cs, first, second, lot1, lot2 = closed
    book = load_workbook(io.BytesIO(session_workbook(db_session, cs)))

    headers, rows = _table(book["Results"])
    col = {name: i for i, name in enumerate(headers)}
    by_code = {r[col["blind_code"]].value: r for r in rows[:2]}
    one, two = by_code[first.blind_code], by_code[second.blind_code]
    assert one[col["lot_code"]].value == lot1.code and two[col["lot_code"]].value == lot2.code
    assert one[col["mean"]].value == 84.5 and one[col["mean"]].data_type == "n"
    assert one[col["spread"]].value == 1
    assert one[col["classification"]].value == "very_good"
    assert (one[col["cuppers"]].value, two[col["cuppers"]].value) == (3, 2)
    assert two[col["mean"]].value == 90 and two[col["classification"]].value == "outstanding"
    assert one[col["session_status"]].value == "closed"

    values = [[c.value for c in r] for r in rows]
    start = next(i for i, r in enumerate(values) if r[0] == "calibration")
    header = values[start + 1]
    assert header[:3] == ["cupper", first.blind_code, second.blind_code]
    assert rows[start][0].font.b and rows[start + 1][0].font.b
    calibration = {r[0]: r[1:4] for r in values[start + 2 :]}
    # Mean absolute deviation (0.50 + 0.25) / 2 = 0.375 → 0.38, half up.
    assert calibration["Carmen Ríos"] == [-0.5, 0.25, 0.38]
    assert calibration["María Ñuñez"] == [0.5, -0.25, 0.38]
    assert calibration["José Peña"] == [0, None, 0]


def test_text_typed_by_cuppers_cannot_become_a_formula(db_session, closed):
    book = load_workbook(io.BytesIO(session_workbook(db_session, closed[0])))
    headers, rows = _table(book["Sheets"])
    col = {name: i for i, name in enumerate(headers)}
    rios = next(r for r in rows if r[col["cupper"]].value == "Carmen Ríos")

    assert rios[col["notes"]].value == "'" + HOSTILE_NOTE
    assert rios[col["descriptors"]].value == "'=1+2, panela"
    every_cell = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in every_cell if c.data_type == "f"]


# --- panel report -----------------------------------------------------------------------------


def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, str | int | bool | Decimal | date | type(None))


def test_the_report_context_is_plain_data(db_session, org, closed):
    cs, first, _second, lot1, _lot2 = closed
    context = panel_report_context(db_session, org.id, cs.number)

    assert _plain(context)
    assert context["number"] == cs.number and context["status"] == "closed"
    assert context["provisional"] is False
    sample = context["samples"][0]
    assert (sample["blind_code"], sample["lot_code"]) == (first.blind_code, lot1.code)
    assert sample["mean"] == Decimal("84.50") and sample["classification"] == "very_good"
    assert len(sample["sheets"]) == 3


def test_another_organisations_session_is_not_found(db_session, other_org, closed):
    with pytest.raises(NotFound):
        panel_report_context(db_session, other_org.id, closed[0].number)


@needs_pdftotext
def test_the_report_shows_results_lots_and_cuppers_with_accents(db_session, org, closed, tmp_path):
    cs, first, second, lot1, lot2 = closed
    context = panel_report_context(db_session, org.id, cs.number)
    with force_locale("en"):
        data = render_panel_report_pdf(context)
    text = pdf_text(data, tmp_path)

    assert data.startswith(b"%PDF")
    assert f"Cupping panel report {cs.number}" in text
    for code in (first.blind_code, second.blind_code, lot1.code, lot2.code):
        assert code in text
    assert "84.50" in text and "90.00" in text
    assert "Very good" in text and "Outstanding" in text
    assert "Carmen Ríos" in text and "María Ñuñez" in text and "José Peña" in text
    assert "cítrico" in text and HOSTILE_NOTE in text  # shown as text, as typed
    assert "Page 1 of " in text
    assert "Provisional" not in text


@needs_pdftotext
def test_the_report_numbers_follow_the_organisations_locale(db_session, org, closed, tmp_path):
    context = panel_report_context(db_session, org.id, closed[0].number)
    with force_locale("es"):
        text = pdf_text(render_panel_report_pdf(context), tmp_path)
    assert "84.50" in text and "84,50" not in text  # Peru (es_PE), the default
    org.locale = "es_ES"
    db_session.flush()
    context = panel_report_context(db_session, org.id, closed[0].number)
    with force_locale("es"):
        text = pdf_text(render_panel_report_pdf(context), tmp_path)
    assert "84,50" in text and "90,00" in text and "84.50" not in text


@needs_pdftotext
def test_an_open_session_report_is_provisional(db_session, org, farm, panel, tmp_path):
    cs = panel[0]
    _delivery, lot = factories.delivery(db_session, org, *farm, product_form="green")
    unscored = sessions.add_sample(db_session, org.id, None, cs, lot.code)
    context = panel_report_context(db_session, org.id, cs.number)
    with force_locale("en"):
        text = pdf_text(render_panel_report_pdf(context), tmp_path)
    assert context["provisional"] is True
    assert "Provisional — session open" in text
    assert "84.50" in text  # still rendered, with the results so far
    assert unscored.blind_code in text and "Not scored yet" in text


@needs_pdftotext
def test_a_reopened_session_report_gives_the_reason(db_session, org, closed, tmp_path):
    cs = closed[0]
    sessions.reopen_session(db_session, org.id, None, cs, "Hoja de Peña mal transcrita")
    context = panel_report_context(db_session, org.id, cs.number)
    with force_locale("en"):
        text = pdf_text(render_panel_report_pdf(context), tmp_path)
    assert "Provisional — session open" in text
    assert "Hoja de Peña mal transcrita" in text


# --- routes -----------------------------------------------------------------------------------


def test_staff_pages_send_the_documents_of_their_organisation_only(
    client, login, other_org, closed
):
    number = closed[0].number
    login("auditor")
    sheets = client.get(f"/cupping/{number}/sheets.xlsx")
    assert sheets.status_code == 200 and sheets.mimetype == XLSX
    assert load_workbook(io.BytesIO(sheets.data)).sheetnames == ["Sheets", "Results"]
    report = client.get(f"/cupping/{number}/report.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    assert report.data.startswith(b"%PDF")

    client.delete_cookie("session")
    login("admin", other_org)
    assert client.get(f"/cupping/{number}/sheets.xlsx").status_code == 404
    assert client.get(f"/cupping/{number}/report.pdf").status_code == 404


def test_the_api_sends_the_documents_of_the_tokens_organisation_only(
    client, api, other_org, closed
):
    number = closed[0].number
    headers = api("quality")
    sheets = client.get(f"/api/v1/cupping-sessions/{number}/sheets.xlsx", headers=headers)
    assert sheets.status_code == 200 and sheets.mimetype == XLSX
    report = client.get(f"/api/v1/cupping-sessions/{number}/report.pdf", headers=headers)
    assert report.status_code == 200 and report.mimetype == "application/pdf"

    foreign = api("admin", other_org)
    missing = client.get(f"/api/v1/cupping-sessions/{number}/report.pdf", headers=foreign)
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
    missing = client.get(f"/api/v1/cupping-sessions/{number}/sheets.xlsx", headers=foreign)
    assert missing.status_code == 404
    assert client.get(f"/api/v1/cupping-sessions/{number}/sheets.xlsx").status_code == 401


def test_openapi_describes_the_session_documents(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for name in ("sheets.xlsx", "report.pdf"):
        operation = paths[f"/api/v1/cupping-sessions/{{number}}/{name}"]["get"]
        (number,) = operation["parameters"]
        assert number["name"] == "number" and number["schema"] == {"type": "string"}


@needs_pdftotext
def test_a_cva_session_shows_its_own_fields_as_whole_numbers(db_session, org, green_lot, tmp_path):
    cs = sessions.open_session(
        db_session,
        org.id,
        None,
        {"held_on": date(2026, 6, 21), "protocol": "cva_2024", "guest_cuppers": ["Ñusta Ríos"]},
    )
    sample = sessions.add_sample(db_session, org.id, None, cs, green_lot.code)
    (cupper,) = sessions.cuppers_of(db_session, cs)
    nines = {name: 9 for name in ("fragrance", "aroma", "flavor", "aftertaste", "acidity")}
    nines |= {"sweetness": 9, "mouthfeel": 9, "overall": 9}
    data = {"sample_id": sample.id, "cupper_id": cupper.id, "scores": nines}
    sessions.save_sheet(db_session, org.id, None, cs, data)

    book = load_workbook(io.BytesIO(session_workbook(db_session, cs)))
    headers, (row,) = _table(book["Sheets"])
    values = dict(zip(headers, [c.value for c in row], strict=True))
    assert values["mouthfeel"] == 9 and values["non_uniform_cups"] == 0
    assert values["final_score"] == 100 and "fragrance_aroma" not in values

    context = panel_report_context(db_session, org.id, cs.number)
    with force_locale("en"):
        text = pdf_text(render_panel_report_pdf(context), tmp_path)
    assert "Coffee Value Assessment" in text and "Ñusta Ríos" in text
    assert "100.00" in text and "Outstanding" in text
    assert "9.00" not in text  # 1–9 scores are whole numbers, not quarter points
