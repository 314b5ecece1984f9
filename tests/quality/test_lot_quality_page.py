"""The quality section of a lot page: a measured cupping score with its session, a derived one
(merged from cupped lots) labelled as such, and nothing cupped yet."""

import re
from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest
from flask import url_for

from coopchain.lots import transformations
from coopchain.quality import cupping_sessions as sessions
from coopchain.quality import rules
from tests import factories

HELD_ON = date(2026, 6, 15)


def lot_url(code: str) -> str:
    return f"/lots/{quote(code, safe='')}"


def sca_scores(final: str) -> dict:
    """A clean SCA 2004 sheet (all cups uniform, clean, sweet) whose final score is `final`."""
    quarters = int((Decimal(final) - 30 - 7 * rules.SCA_MIN) / rules.SCA_STEP)
    scores = {}
    for name in rules.SCA_ATTRIBUTES:
        step = min(quarters, 16)  # 6.00 + 16 quarters = 10.00
        scores[name] = str(rules.SCA_MIN + step * rules.SCA_STEP)
        quarters -= step
    assert quarters == 0
    return {**scores, "uniformity": 10, "clean_cup": 10, "sweetness": 10}


def cup(db_session, org, scored: list, held_on=HELD_ON):
    """A closed SCA session: each (lot, finals) scored by one sheet per final in the list."""
    panel = max(len(finals) for _lot, finals in scored)
    cs = sessions.open_session(
        db_session,
        org.id,
        None,
        {
            "held_on": held_on,
            "protocol": "sca_2004",
            "guest_cuppers": [f"Cupper {n}" for n in range(1, panel + 1)],
        },
    )
    cuppers = sessions.cuppers_of(db_session, cs)
    for lot, finals in scored:
        sample = sessions.add_sample(db_session, org.id, None, cs, lot.code)
        for cupper, final in zip(cuppers, finals, strict=False):
            sessions.save_sheet(
                db_session,
                org.id,
                None,
                cs,
                {"sample_id": sample.id, "cupper_id": cupper.id, "scores": sca_scores(final)},
            )
    sessions.close_session(db_session, org.id, None, cs)
    return cs


def green(db_session, org, farm):
    producer, plot = farm
    return factories.delivery(db_session, org, producer, plot, product_form="green")[1]


def merged(db_session, org, inputs) -> object:
    made = transformations.merge(
        db_session, org.id, None, [(lot.code, Decimal(kg)) for lot, kg in inputs], HELD_ON
    )
    return transformations.parts_of(db_session, made)[1][0]


def score_line(page: str) -> str:
    found = re.search(r'<p class="cupping-score".*?</p>', page, re.S)
    assert found, "no cupping score on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", found[0]).split())


@pytest.fixture
def viewer(client, login):
    login("quality")
    client.get("/lang/en")


def test_measured_score_names_its_session(client, viewer, db_session, org, green_lot):
    cs = cup(db_session, org, [(green_lot, ["84.25", "84.25", "85.75"])])
    page = client.get(lot_url(green_lot.code)).text
    line = score_line(page)
    assert line.startswith("84.75 · ")
    assert f"session {cs.number} (15/06/2026, 3 cuppers)" in line
    assert 'data-derived="no"' in page and 'data-classification="very_good"' in page
    assert "derived-note" not in page
    app = client.application
    if "quality.session_detail" in app.view_functions:  # the session pages may come later
        with app.test_request_context():
            href = url_for("quality.session_detail", number=cs.number)
        assert f'<a href="{href}">{cs.number}</a>' in page
    client.get("/lang/es")
    # The Spanish page writes the score as the cooperative does (es_PE), not as Spain does.
    assert score_line(client.get(lot_url(green_lot.code)).text).startswith("84.75 · muy bueno")


def test_latest_session_wins(client, viewer, db_session, org, green_lot):
    cup(db_session, org, [(green_lot, ["86.00"])], held_on=date(2026, 6, 1))
    later = cup(db_session, org, [(green_lot, ["81.50"])], held_on=date(2026, 6, 20))
    line = score_line(client.get(lot_url(green_lot.code)).text)
    assert line.startswith("81.50 · ") and later.number in line and "1 cupper)" in line


def test_a_merge_of_cupped_lots_shows_a_derived_score(
    client, viewer, db_session, org, farm, green_lot
):
    other = green(db_session, org, farm)
    cup(db_session, org, [(green_lot, ["84.00", "84.00"]), (other, ["86.00", "86.00"])])
    blend = merged(db_session, org, [(green_lot, "300"), (other, "100")])
    page = client.get(lot_url(blend.code)).text
    line = score_line(page)
    # kg-weighted: (300 × 84 + 100 × 86) / 400, never the plain mean 85.00
    assert line.startswith("84.50 · ") and "derived" in line and "session" not in line
    assert 'data-derived="yes"' in page
    assert "the kg-weighted mean of its inputs' scores, not measured" in page
    note = re.search(r'<p class="note derived-note">.*?</p>', page, re.S)[0]
    assert green_lot.code in note and other.code in note
    assert "Covers" not in note  # every kilogram was cupped


def test_a_partly_cupped_merge_says_how_much_the_estimate_covers(
    client, viewer, db_session, org, farm, green_lot
):
    uncupped = green(db_session, org, farm)
    cup(db_session, org, [(green_lot, ["84.00"])])
    blend = merged(db_session, org, [(green_lot, "300"), (uncupped, "100")])
    page = client.get(lot_url(blend.code)).text
    assert score_line(page).startswith("84.00 · ")
    note = re.search(r'<p class="note derived-note">.*?</p>', page, re.S)[0]
    assert "Covers 75.0 % of the lot" in note
    assert green_lot.code in note and uncupped.code not in note


def test_an_uncupped_lot_says_so(client, viewer, db_session, green_lot):
    page = client.get(lot_url(green_lot.code)).text
    assert "Not cupped yet." in page and "cupping-score" not in page
    assert "No green grading yet." in page and "Record green grading" in page
    app = client.application
    if "quality.session_new" in app.view_functions:
        with app.test_request_context():
            href = url_for("quality.session_new", lot=green_lot.code)
        assert f'<a href="{href}">Cup this lot</a>' in page


def test_staff_sees_quality_without_the_lab_links(client, login, db_session, green_lot):
    login("staff")
    client.get("/lang/en")
    page = client.get(lot_url(green_lot.code)).text
    assert 'id="quality"' in page and "Not cupped yet." in page
    assert "Cup this lot" not in page and "Record green grading" not in page


def test_a_coffee_cherry_lot_is_not_offered_for_cupping_or_grading(
    client, viewer, db_session, org, farm
):
    producer, plot = farm
    _d, cherry = factories.delivery(db_session, org, producer, plot, product_form="cherry")
    page = client.get(lot_url(cherry.code)).text
    assert "Not cupped yet." in page
    assert "Cup this lot" not in page
    assert "green-grading" not in page and "Record green grading" not in page
