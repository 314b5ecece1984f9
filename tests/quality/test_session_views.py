"""The cupping pages: opening a session, taking samples, a cupper's sheet, closing, reopening,
and the blind codes that keep lot codes away from the cuppers until the session is closed."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coopchain.quality import cupping_sessions as cupping
from coopchain.quality.models import CuppingSample, CuppingSession, CuppingSheet
from tests import factories

DAY = "2026-06-15"
#: A hand-worked SCA 2004 sheet: 8.25 + 8.5 + 8 + 8.25 + 8 + 8 + 8.25 = 57.25; uniformity and
#: clean cup 5 cups (10 + 10), sweetness 4 cups (8): total 85.25; one taint cup (−2): 83.25.
SCA_SHEET = {
    "fragrance_aroma": "8.25",
    "flavor": "8,5",  # a Spanish tablet's decimal comma
    "aftertaste": "8",
    "acidity": "8.25",
    "body": "8.00",
    "balance": "8",
    "overall": "8.25",
    "uniformity_cups": ["1", "2", "3", "4", "5"],
    "clean_cup_cups": ["1", "2", "3", "4", "5"],
    "sweetness_cups": ["1", "2", "4", "5"],
    "taint_cups": "1",
    "fault_cups": "0",
    "descriptors": "Panela, citric, panela",
    "notes": "sweet finish",
}


def count(db_session, model, *where) -> int:
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


def text_of(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


@pytest.fixture
def lab(client, login, db_session):
    """Logged in as a quality user (pages in English); returns the user."""
    user = login("quality")
    user.name = "Carmen Ríos"
    db_session.flush()
    client.get("/lang/en")
    return user


def open_session(client, user, *, protocol="sca_2004", lots=(), guests="Visiting Q grader"):
    response = client.post(
        "/cupping/new",
        data={
            "held_on": DAY,
            "protocol": protocol,
            "cupper_user_ids": [str(user.id)],
            "guest_cuppers": guests,
            "notes": "harvest 2026",
            "lot_codes": "\n".join(lots),
        },
    )
    assert response.status_code == 302, text_of(response)
    number = response.headers["Location"].rsplit("/", 1)[-1]
    assert re.fullmatch(r"CUP-2026-\d{4}", number)
    return number


def session_of(db_session, number) -> CuppingSession:
    return db_session.scalar(select(CuppingSession).where(CuppingSession.number == number))


def only_sample(db_session, number) -> CuppingSample:
    cs = session_of(db_session, number)
    (sample,) = db_session.scalars(select(CuppingSample).where(CuppingSample.session_id == cs.id))
    return sample


def cupper_of(db_session, number, user):
    cs = session_of(db_session, number)
    return next(c for c in cupping.cuppers_of(db_session, cs) if c.user_id == user.id)


def sheet_url(number, sample) -> str:
    return f"/cupping/{number}/samples/{sample.blind_code}/sheet"


def save_sheet(client, number, sample, cupper, values=None):
    return client.post(
        sheet_url(number, sample), data={"cupper_id": cupper.id, **(values or SCA_SHEET)}
    )


def close_with_one_sheet(client, db_session, user, lot) -> tuple[str, CuppingSample]:
    number = open_session(client, user, lots=[lot.code])
    sample = only_sample(db_session, number)
    assert (
        save_sheet(client, number, sample, cupper_of(db_session, number, user)).status_code == 302
    )
    assert client.post(f"/cupping/{number}/close").status_code == 302
    return number, sample


# --- opening ----------------------------------------------------------------------------------


def test_a_session_is_opened_through_the_form(client, db_session, lab, green_lot):
    form = client.get(f"/cupping/new?lot={green_lot.code}").get_data(as_text=True)
    # The current user is on the panel by default; the lot of the link is pre-filled.
    assert re.search(rf'value="{lab.id}"\s+checked', form)
    assert green_lot.code in form

    number = open_session(client, lab, lots=[green_lot.code])

    page = client.get(f"/cupping/{number}", follow_redirects=True)
    assert page.status_code == 200
    text = text_of(page)
    assert number in text and "SCA 2004" in text
    assert "Carmen Ríos" in text and "Visiting Q grader" in text
    sample = only_sample(db_session, number)
    assert re.search(rf"\b{sample.blind_code}\b", text)
    listing = text_of(client.get("/cupping"))
    assert number in listing and "open" in listing


def test_a_refused_session_form_writes_nothing(client, db_session, lab, green_lot):
    response = client.post(
        "/cupping/new",
        data={"held_on": "not a date", "protocol": "sca_1999", "lot_codes": green_lot.code},
    )
    assert response.status_code == 422
    text = text_of(response)
    assert "Nothing was saved" in text
    assert "Not a valid date." in text and "Choose SCA 2004 or CVA 2024." in text
    assert "At least one cupper." in text
    assert count(db_session, CuppingSession) == 0

    # A good form with an unknown lot: the session is not opened either.
    response = client.post(
        "/cupping/new",
        data={
            "held_on": DAY,
            "protocol": "sca_2004",
            "cupper_user_ids": [str(lab.id)],
            "lot_codes": f"{green_lot.code}\nNO-SUCH-LOT",
        },
    )
    assert response.status_code == 422
    assert "NO-SUCH-LOT: No lot with code NO-SUCH-LOT." in text_of(response)
    assert count(db_session, CuppingSession) == 0
    db_session.refresh(green_lot)
    assert green_lot.available_kg == Decimal("500")


# --- samples ----------------------------------------------------------------------------------


def test_adding_a_sample_takes_the_configured_weight_from_the_lot(
    client, db_session, lab, green_lot
):
    number = open_session(client, lab)
    page = text_of(client.get(f"/cupping/{number}"))
    assert "A sample of 0.3 kg" in page  # the SAMPLE_KG setting, said on the page

    response = client.post(f"/cupping/{number}/samples", data={"lot_code": green_lot.code})
    assert response.status_code == 302
    db_session.refresh(green_lot)
    assert green_lot.available_kg == Decimal("499.700")
    sample = only_sample(db_session, number)
    assert f"added as sample {sample.blind_code}" in text_of(client.get(f"/cupping/{number}"))

    # The same lot twice is refused on the page, and nothing more is taken.
    again = client.post(f"/cupping/{number}/samples", data={"lot_code": green_lot.code})
    assert again.status_code == 422
    assert "is already in this session" in text_of(again)
    db_session.refresh(green_lot)
    assert green_lot.available_kg == Decimal("499.700")


def test_only_green_coffee_or_dry_parchment_is_cupped(client, db_session, org, farm, lab):
    producer, plot = farm
    _delivery, cherry = factories.delivery(db_session, org, producer, plot, product_form="cherry")
    number = open_session(client, lab)
    response = client.post(f"/cupping/{number}/samples", data={"lot_code": cherry.code})
    assert response.status_code == 422
    assert "Only green coffee or dry parchment is cupped." in text_of(response)
    db_session.refresh(cherry)
    assert cherry.available_kg == cherry.quantity_kg


# --- the score sheet --------------------------------------------------------------------------


def test_a_saved_sheet_shows_the_servers_final_score(client, db_session, lab, green_lot):
    number = open_session(client, lab, lots=[green_lot.code])
    sample, cupper = only_sample(db_session, number), cupper_of(db_session, number, lab)

    form = client.get(sheet_url(number, sample)).get_data(as_text=True)
    assert 'id="sheet-form"' in form and 'data-protocol="sca_2004"' in form
    assert f'name="cupper_id" value="{cupper.id}"' in form  # the current user's own sheet

    response = save_sheet(client, number, sample, cupper)
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert f"Sheet for sample {sample.blind_code} saved: final score 83.25." in page

    saved = db_session.scalar(select(CuppingSheet).where(CuppingSheet.sample_id == sample.id))
    assert saved.total == Decimal("85.25") and saved.defects == 2
    assert saved.final_score == Decimal("83.25")
    assert saved.scores["sweetness"] == "8" and saved.scores["flavor"] == "8.50"
    assert saved.descriptors == ["panela", "citric"]

    # Opening the sheet again shows what was saved, and the live box starts from it.
    again = client.get(sheet_url(number, sample) + f"?cupper={cupper.id}").get_data(as_text=True)
    assert 'value="8.50"' in again
    assert len(re.findall(r'name="sweetness_cups" value="\d"[^>]*checked', again)) == 4
    assert re.search(r'id="live-final">83.25<', again)


def test_a_cva_sheet_adds_up_exactly(client, db_session, lab, green_lot):
    number = open_session(client, lab, protocol="cva_2024", lots=[green_lot.code])
    sample, cupper = only_sample(db_session, number), cupper_of(db_session, number, lab)
    assert 'name="mouthfeel"' in client.get(sheet_url(number, sample)).get_data(as_text=True)
    # Σ = 7 × 7 + 8 = 57: 0.65625 × 57 + 52.75 = 90.15625; one non-uniform cup: 88.15625.
    values = {
        name: "7"
        for name in (
            "fragrance",
            "aroma",
            "flavor",
            "aftertaste",
            "acidity",
            "sweetness",
            "mouthfeel",
        )
    }
    values |= {"overall": "8", "non_uniform_cups": "1", "defective_cups": "0"}
    response = save_sheet(client, number, sample, cupper, values)
    assert response.status_code == 302
    assert "final score 88.16." in text_of(client.get(response.headers["Location"]))
    saved = db_session.scalar(select(CuppingSheet).where(CuppingSheet.sample_id == sample.id))
    assert saved.final_score == Decimal("88.15625")


def test_an_off_step_score_is_refused_with_the_field_named(client, db_session, lab, green_lot):
    number = open_session(client, lab, lots=[green_lot.code])
    sample, cupper = only_sample(db_session, number), cupper_of(db_session, number, lab)
    response = save_sheet(client, number, sample, cupper, {**SCA_SHEET, "acidity": "8.30"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "A score from 6.00 to 10.00 in steps of 0.25." in text_of(response)
    assert 'href="#acidity"' in page
    assert re.search(r'class="field invalid">\s*<span>Acidity', page)
    assert 'value="8.30"' in page  # what the cupper typed comes back to be corrected
    assert len(re.findall(r'name="sweetness_cups" value="\d"[^>]*checked', page)) == 4
    assert count(db_session, CuppingSheet) == 0


def test_an_auditor_reads_but_cannot_change_anything(client, db_session, login, lab, green_lot):
    number = open_session(client, lab, lots=[green_lot.code])
    sample, cupper = only_sample(db_session, number), cupper_of(db_session, number, lab)
    login("auditor")
    assert client.get("/cupping").status_code == 200
    assert client.get(f"/cupping/{number}").status_code == 200
    sheet_page = client.get(sheet_url(number, sample))
    assert sheet_page.status_code == 200 and 'id="sheet-form"' not in sheet_page.get_data(
        as_text=True
    )

    assert save_sheet(client, number, sample, cupper).status_code == 403
    assert (
        client.post(f"/cupping/{number}/samples", data={"lot_code": green_lot.code}).status_code
        == 403
    )
    assert client.post(f"/cupping/{number}/close").status_code == 403
    assert client.get("/cupping/new").status_code == 403
    assert count(db_session, CuppingSheet) == 0
    assert session_of(db_session, number).is_open


def test_a_closed_session_refuses_sheets(client, db_session, lab, green_lot):
    number, sample = close_with_one_sheet(client, db_session, lab, green_lot)
    cupper = cupper_of(db_session, number, lab)

    page = client.get(sheet_url(number, sample))
    assert 'id="sheet-form"' not in page.get_data(as_text=True)
    assert "83.25" in text_of(page)  # read-only: the saved sheet

    response = save_sheet(client, number, sample, cupper, {**SCA_SHEET, "overall": "10"})
    assert response.status_code == 409
    assert "is closed; reopen it with a reason" in text_of(response)
    saved = db_session.scalar(select(CuppingSheet).where(CuppingSheet.sample_id == sample.id))
    assert saved.final_score == Decimal("83.25")


def test_closing_needs_a_sheet_for_every_sample(client, db_session, lab, green_lot):
    number = open_session(client, lab, lots=[green_lot.code])
    response = client.post(f"/cupping/{number}/close")
    assert response.status_code == 409
    assert "No sheet yet for samples" in text_of(response)
    assert session_of(db_session, number).is_open


def test_closed_session_shows_results_and_calibration(client, db_session, lab, green_lot):
    number = open_session(client, lab, lots=[green_lot.code])
    sample = only_sample(db_session, number)
    cs = session_of(db_session, number)
    mine, guest = cupping.cuppers_of(db_session, cs)
    save_sheet(client, number, sample, mine)  # 83.25
    save_sheet(client, number, sample, guest, {**SCA_SHEET, "overall": "8.75"})  # 83.75
    assert client.post(f"/cupping/{number}/close").status_code == 302

    text = text_of(client.get(f"/cupping/{number}"))
    # Mean 83.50, spread 0.50, very good, two cuppers; each cupper ∓0.25 from the mean.
    assert f"{sample.blind_code} 83.50 Very good 0.50 2 {green_lot.code}" in text
    assert "Carmen Ríos 83.25 (−0.25)" in text
    assert "Visiting Q grader 83.75 (+0.25)" in text
    assert "Reopen for a correction" in text


def test_reopening_needs_a_reason(client, db_session, lab, green_lot):
    number, _sample = close_with_one_sheet(client, db_session, lab, green_lot)

    response = client.post(f"/cupping/{number}/reopen", data={"reason": "  "})
    assert response.status_code == 422
    assert "Give a reason." in text_of(response)
    assert not session_of(db_session, number).is_open

    response = client.post(f"/cupping/{number}/reopen", data={"reason": "Sample 2 mislabelled"})
    assert response.status_code == 302
    db_session.expire_all()
    assert session_of(db_session, number).is_open
    text = text_of(client.get(f"/cupping/{number}"))
    assert "reopened" in text and "Sample 2 mislabelled" in text


def test_the_session_list_filters_by_status(client, db_session, lab, green_lot):
    closed, _sample = close_with_one_sheet(client, db_session, lab, green_lot)
    still_open = open_session(client, lab)
    client.get(f"/cupping/{still_open}")  # (the "opened" message is shown there)
    text = text_of(client.get("/cupping?status=closed"))
    assert closed in text and still_open not in text
    text = text_of(client.get("/cupping"))
    assert closed in text and still_open in text


# --- blind codes ------------------------------------------------------------------------------


def test_cuppers_see_blind_codes_until_the_session_is_closed(
    client, db_session, login, lab, green_lot
):
    number = open_session(client, lab, lots=[green_lot.code])
    sample = only_sample(db_session, number)
    assert green_lot.code in text_of(client.get(f"/cupping/{number}"))  # the creator holds the key

    other = login("quality")  # another member of the lab
    client.get("/lang/en")
    page = client.get(f"/cupping/{number}").get_data(as_text=True)
    assert sample.blind_code in page
    assert green_lot.code not in page and "Sample key" not in page
    sheet_page = client.get(sheet_url(number, sample)).get_data(as_text=True)
    assert green_lot.code not in sheet_page

    cupper = cupper_of(db_session, number, lab)
    assert save_sheet(client, number, sample, cupper).status_code == 302
    assert client.post(f"/cupping/{number}/close").status_code == 302
    page = client.get(f"/cupping/{number}").get_data(as_text=True)
    assert "Sample key" in page and green_lot.code in page
    assert green_lot.code in client.get(sheet_url(number, sample)).get_data(as_text=True)
    assert other.id != lab.id


def test_an_administrator_sees_the_key_while_open(client, db_session, login, lab, green_lot):
    number = open_session(client, lab, lots=[green_lot.code])
    login("admin")
    assert green_lot.code in client.get(f"/cupping/{number}").get_data(as_text=True)


def test_another_organisations_session_is_not_found(client, db_session, login, lab, other_org):
    number = open_session(client, lab)
    login("quality", other_org)
    assert client.get(f"/cupping/{number}").status_code == 404
    assert client.post(f"/cupping/{number}/close").status_code == 404
