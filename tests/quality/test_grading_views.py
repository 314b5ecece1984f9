"""Green coffee and pitahaya gradings through the staff pages: what the lab records and what
the lot page then shows."""

import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from coopchain.quality.models import GreenGrading, PitahayaGrading
from tests import factories


def lot_url(code: str) -> str:
    return f"/lots/{quote(code, safe='')}"


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def latest_green(page: str) -> dict | None:
    found = re.search(
        r'class="facts latest-green" data-grade="(\w+)" data-full-defects="(\d+)"', page
    )
    return {"grade": found[1], "full_defects": int(found[2])} if found else None


def green_form(**fields) -> dict:
    return {"graded_on": "2026-06-20", "sample_g": "350", "moisture_pct": "11", **fields}


@pytest.fixture
def lab(client, login):
    """Logged in as the quality lab, pages in English."""
    login("quality")
    client.get("/lang/en")


@pytest.fixture
def pitahaya_lot(db_session, org, farm):
    producer, _plot = farm
    plot = factories.plot(db_session, org, producer, crop="pitahaya", name="Pitahayal")
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="fresh_fruit")
    return lot


def test_form_offers_every_defect_type_grouped_by_category(client, lab, green_lot):
    page = client.get(f"{lot_url(green_lot.code)}/green-gradings/new").text
    category_1 = page.index("Category 1 defects")
    category_2 = page.index("Category 2 defects")
    assert category_1 < page.index("Full black") < category_2
    assert category_2 < page.index("Broken / chipped / cut")
    assert 'name="defect_counts.slight_insect_damage"' in page
    assert 'name="screen_sizes.18"' in page
    assert 'name="sample_g"' in page and 'value="350"' in page


def test_green_grading_through_the_form_shows_the_grade_on_the_lot_page(
    client, lab, db_session, green_lot
):
    response = client.post(
        f"{lot_url(green_lot.code)}/green-gradings/new",
        data=green_form(
            **{"defect_counts.broken": "7", "defect_counts.partial_black": "3"},
            water_activity="0.55",
        ),
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.text
    assert re.search(r"Green grading recorded: [^,<]+, 2 full defects\.", page)
    assert latest_green(page) == {"grade": "specialty", "full_defects": 2}
    assert "(category 1: 0 · category 2: 2)" in page
    assert "11.0 %" in page and "0.55" in page
    assert count(db_session, GreenGrading) == 1


def test_one_full_black_bean_costs_the_specialty_grade(client, lab, green_lot):
    page = client.post(
        f"{lot_url(green_lot.code)}/green-gradings/new",
        data=green_form(**{"defect_counts.full_black": "1"}, water_activity="0.55"),
        follow_redirects=True,
    ).text
    assert latest_green(page) == {"grade": "premium", "full_defects": 1}
    assert "Category-1 full defects: 1 (none allowed)." in page


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("defect_counts.broken", "-2", "defect_counts.broken"),
        ("moisture_pct", "abc", "moisture_pct"),
        ("screen_sizes.18", "140", "screen_sizes.18"),
        ("graded_on", "20/06/2026", "graded_on"),
    ],
)
def test_invalid_green_values_are_named_and_nothing_is_written(
    client, lab, db_session, green_lot, field, value, named
):
    response = client.post(
        f"{lot_url(green_lot.code)}/green-gradings/new", data=green_form(**{field: value})
    )
    assert response.status_code == 422
    page = response.text
    # The message sits inside the field's own label, right after its input.
    field_block = re.search(
        rf'<label class="field invalid"[^>]*>.*?name="{re.escape(named)}".*?</label>', page, re.S
    )
    assert field_block and 'class="error"' in field_block[0]
    assert f'value="{value}"' in page  # what the user typed comes back
    assert count(db_session, GreenGrading) == 0


def test_a_bad_date_does_not_hide_the_other_bad_fields(client, lab, db_session, green_lot):
    response = client.post(
        f"{lot_url(green_lot.code)}/green-gradings/new",
        data=green_form(graded_on="tomorrow", moisture_pct="abc"),
    )
    assert response.status_code == 422
    page = response.text
    assert page.count('class="field invalid"') == 2
    assert count(db_session, GreenGrading) == 0


def test_pitahaya_grading_shows_class_and_size_code(client, lab, db_session, pitahaya_lot):
    response = client.post(
        f"{lot_url(pitahaya_lot.code)}/pitahaya-gradings/new",
        data={
            "graded_on": "2026-06-20",
            "codex_class": "class_i",
            "brix": "19.5",
            "mean_fruit_g": "180",
            "defective_pct": "12",
            "defects": ["bruising", "thorns"],
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.text
    assert 'data-codex-class="class_i" data-size-code="B"' in page
    assert "19.5 °" in page and "180 g" in page
    assert "over the 10 % tolerance" in page
    assert "Bruising, Thorns left" in page
    assert count(db_session, PitahayaGrading) == 1


def test_pitahaya_grading_refused_on_a_coffee_lot(client, lab, db_session, green_lot):
    url = f"{lot_url(green_lot.code)}/pitahaya-gradings/new"
    shown = client.get(url, follow_redirects=True)
    assert shown.request.path == lot_url(green_lot.code)
    assert "Only pitahaya lots get a pitahaya grading." in shown.text
    response = client.post(url, data={"codex_class": "extra", "brix": "20", "mean_fruit_g": "200"})
    assert response.status_code == 422
    assert "Only pitahaya lots get a pitahaya grading." in response.text
    assert count(db_session, PitahayaGrading) == 0


def test_green_grading_refused_on_a_pitahaya_lot(client, lab, db_session, pitahaya_lot):
    response = client.post(f"{lot_url(pitahaya_lot.code)}/green-gradings/new", data=green_form())
    assert response.status_code == 422
    assert "Only green coffee or dry parchment gets a green grading." in response.text
    page = client.get(lot_url(pitahaya_lot.code)).text
    assert "Record green grading" not in page and "Record pitahaya grading" in page
    assert "quality-part cupping" not in page  # fruit is not cupped


def test_a_voided_grading_leaves_latest_and_is_struck_through(client, lab, db_session, green_lot):
    url = f"{lot_url(green_lot.code)}/green-gradings/new"
    client.post(url, data=green_form(graded_on="2026-06-01", water_activity="0.55"))
    client.post(url, data=green_form(graded_on="2026-06-02", **{"defect_counts.full_black": "2"}))
    newer = db_session.scalar(select(GreenGrading).order_by(GreenGrading.id.desc()))
    page = client.get(lot_url(green_lot.code)).text
    assert latest_green(page)["grade"] == "premium"

    void_url = f"{lot_url(green_lot.code)}/gradings/green/{newer.id}/void"
    refused = client.post(void_url, data={"reason": " "}, follow_redirects=True)
    assert "Give a reason." in refused.text
    assert latest_green(refused.text)["grade"] == "premium"

    page = client.post(
        void_url, data={"reason": "Sample mixed up with lot 12"}, follow_redirects=True
    ).text
    assert latest_green(page) == {"grade": "specialty", "full_defects": 0}
    row = re.search(
        rf'<tr class="voided" data-kind="green" data-grading="{newer.id}">.*?</tr>', page, re.S
    )
    assert row and "Sample mixed up with lot 12" in row[0]
    assert page.count('class="void-grading"') == 1  # only the grading still valid


def test_void_checks_the_grading_belongs_to_the_lot(client, lab, db_session, org, farm, green_lot):
    producer, plot = farm
    _d, other = factories.delivery(db_session, org, producer, plot, product_form="green")
    client.post(f"{lot_url(green_lot.code)}/green-gradings/new", data=green_form())
    grading = db_session.scalar(select(GreenGrading))
    response = client.post(
        f"{lot_url(other.code)}/gradings/green/{grading.id}/void", data={"reason": "x"}
    )
    assert response.status_code == 404
    assert (
        client.post(
            f"{lot_url(green_lot.code)}/gradings/roast/{grading.id}/void", data={"reason": "x"}
        ).status_code
        == 404
    )
    db_session.refresh(grading)
    assert grading.voided_at is None


def test_auditor_sees_quality_but_may_not_grade(client, login, db_session, green_lot):
    login("auditor")
    url = f"{lot_url(green_lot.code)}/green-gradings/new"
    assert client.get(url).status_code == 403
    assert client.post(url, data=green_form()).status_code == 403
    assert (
        client.post(
            f"{lot_url(green_lot.code)}/gradings/green/1/void", data={"reason": "x"}
        ).status_code
        == 403
    )
    page = client.get(lot_url(green_lot.code)).text
    assert 'id="quality"' in page and "Record green grading" not in page
    assert count(db_session, GreenGrading) == 0


def test_staff_may_not_grade_either(client, login, green_lot):
    login("staff")
    assert client.get(f"{lot_url(green_lot.code)}/green-gradings/new").status_code == 403


def test_another_organisations_lot_is_not_found(client, lab, db_session, other_org):
    producer = factories.producer(db_session, other_org)
    plot = factories.plot(db_session, other_org, producer)
    _d, foreign = factories.delivery(db_session, other_org, producer, plot, product_form="green")
    url = f"{lot_url(foreign.code)}/green-gradings/new"
    assert client.get(url).status_code == 404
    assert client.post(url, data=green_form()).status_code == 404
    assert count(db_session, GreenGrading) == 0
