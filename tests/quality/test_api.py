"""Cupping sessions, score sheets and gradings through the JSON API with a personal token."""

import pytest

from coopchain.auth.services import create_api_token
from coopchain.quality.rules import CVA_ATTRIBUTES, SCA_ATTRIBUTES, SCA_CUP_ATTRIBUTES
from tests import factories

HELD_ON = "2026-06-20"
PERFECT_SCA = {name: "10.00" for name in SCA_ATTRIBUTES} | {n: 10 for n in SCA_CUP_ATTRIBUTES}


@pytest.fixture
def member(db_session, org):
    """member(role) → (user, headers with a bearer token for that user)."""

    def make(role: str = "quality", organization=None):
        organization = organization or org
        user = factories.user(db_session, organization, role)
        user.name = f"{role.title()} {user.id}"  # a panel seats each name once
        _token, plaintext = create_api_token(db_session, user, organization.id, "test")
        db_session.flush()
        return user, {"Authorization": f"Bearer {plaintext}", "Accept-Language": "en"}

    return make


@pytest.fixture
def lab(member):
    """Two lab members: the first opens sessions, both cup."""
    return member("quality"), member("quality")


def open_session(client, headers, cuppers, protocol="sca_2004", **body) -> dict:
    response = client.post(
        "/api/v1/cupping-sessions",
        headers=headers,
        json={
            "held_on": HELD_ON,
            "protocol": protocol,
            "cupper_user_ids": [user.id for user in cuppers],
            **body,
        },
    )
    assert response.status_code == 201, response.json
    return response.json


def add_sample(client, headers, number: str, lot_code: str) -> dict:
    response = client.post(
        f"/api/v1/cupping-sessions/{number}/samples", headers=headers, json={"lot_code": lot_code}
    )
    assert response.status_code == 201, response.json
    return response.json


def put_sheet(client, headers, number: str, **body):
    return client.put(f"/api/v1/cupping-sessions/{number}/sheets", headers=headers, json=body)


def session(client, headers, number: str) -> dict:
    response = client.get(f"/api/v1/cupping-sessions/{number}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_a_panel_scores_closes_and_the_lot_shows_its_measured_score(client, lab, green_lot):
    (opener, headers), (second, _other) = lab
    created = open_session(client, headers, [opener, second], notes="Cosecha 2026")
    number = created["number"]
    assert number == "CUP-2026-0001" and created["status"] == "open"
    assert [c["user_id"] for c in created["cuppers"]] == [opener.id, second.id]
    assert created["samples"] == []

    sample = add_sample(client, headers, number, green_lot.code)
    assert sample["lot_code"] == green_lot.code  # the creator sees the lot
    assert len(sample["blind_code"]) == 3 and sample["result"] is None
    first, other = (c["id"] for c in created["cuppers"])

    perfect = put_sheet(
        client,
        headers,
        number,
        sample_id=sample["id"],
        cupper_id=first,
        scores=PERFECT_SCA,
        descriptors="Panela, citric",
        total="42",  # ignored: the server computes
    )
    assert perfect.status_code == 200, perfect.json
    assert perfect.json["total"] == "100.00" and perfect.json["final_score"] == "100.00"
    assert perfect.json["defects"] == "0.00" and perfect.json["descriptors"] == ["panela", "citric"]
    flawed = put_sheet(
        client,
        headers,
        number,
        blind_code=sample["blind_code"],
        cupper_id=other,
        scores={**PERFECT_SCA, "taint_cups": 1, "fault_cups": 1},
    )
    assert flawed.status_code == 200, flawed.json
    assert flawed.json["total"] == "100.00" and flawed.json["defects"] == "6.00"
    assert flawed.json["final_score"] == "94.00" and flawed.json["cupper_id"] == other

    shown = session(client, headers, number)
    (row,) = shown["samples"]
    assert [s["final_score"] for s in row["sheets"]] == ["100.00", "94.00"]
    assert row["sheets"][0]["scores"]["fragrance_aroma"] == "10.00"
    result = row["result"]
    assert result["mean"] == "97.00" and result["spread"] == "6.00"
    assert result["classification"] == "outstanding" and result["cupper_count"] == 2
    assert {d["cupper_id"]: d["deviation"] for d in result["deviations"]} == {
        first: "3.00",
        other: "-3.00",
    }

    closed = client.post(f"/api/v1/cupping-sessions/{number}/close", headers=headers)
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "closed"
    quality = client.get(f"/api/v1/lots/{green_lot.code}/quality", headers=headers).json
    assert quality["cupping"]["score"] == "97.00"
    assert quality["cupping"]["derived"] is False
    assert quality["cupping"]["session_number"] == number
    assert quality["cupping"]["cupper_count"] == 2
    assert quality["green_grading"] is None and quality["pitahaya_grading"] is None

    late = put_sheet(
        client, headers, number, sample_id=sample["id"], cupper_id=first, scores=PERFECT_SCA
    )
    assert late.status_code == 409 and late.json["error"] == "conflict"
    assert session(client, headers, number)["samples"][0]["sheets"][0]["final_score"] == "100.00"

    no_reason = client.post(f"/api/v1/cupping-sessions/{number}/reopen", headers=headers, json={})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["fields"]
    assert session(client, headers, number)["status"] == "closed"
    reopened = client.post(
        f"/api/v1/cupping-sessions/{number}/reopen",
        headers=headers,
        json={"reason": "Cupper 2 misread a cup"},
    )
    assert reopened.status_code == 200, reopened.json
    assert reopened.json["status"] == "open"
    assert reopened.json["reopen_reason"] == "Cupper 2 misread a cup"

    listed = client.get("/api/v1/cupping-sessions?status=open", headers=headers).json
    assert [s["number"] for s in listed["items"]] == [number] and listed["total"] == 1
    assert client.get("/api/v1/cupping-sessions?status=closed", headers=headers).json["total"] == 0


@pytest.mark.parametrize(
    ("score", "final", "exact"), [(9, "100.00", "100.00"), (1, "58.00", "58.00")]
)
def test_cva_sheet_ends_on_the_form_s_range(client, member, green_lot, score, final, exact):
    user, headers = member("quality")
    created = open_session(client, headers, [user], protocol="cva_2024", lot_codes=[green_lot.code])
    (sample,) = created["samples"]
    response = put_sheet(
        client,
        headers,
        created["number"],
        sample_id=sample["id"],
        cupper_id=created["cuppers"][0]["id"],
        scores={name: score for name in CVA_ATTRIBUTES},
    )
    assert response.status_code == 200, response.json
    assert response.json["final_score"] == final
    assert response.json["final_score_exact"] == exact


def test_cva_final_score_keeps_its_exact_value(client, member, green_lot):
    user, headers = member("quality")
    created = open_session(client, headers, [user], protocol="cva_2024", lot_codes=[green_lot.code])
    scores = {name: 7 for name in CVA_ATTRIBUTES} | {"fragrance": 8, "non_uniform_cups": 1}
    response = put_sheet(
        client,
        headers,
        created["number"],
        sample_id=created["samples"][0]["id"],
        cupper_id=created["cuppers"][0]["id"],
        scores=scores,
    )
    # 0.65625 · 57 + 52.75 − 2 = 88.15625
    assert response.json["final_score_exact"] == "88.15625"
    assert response.json["final_score"] == "88.16"


def test_off_step_score_is_refused_naming_the_field(client, member, green_lot):
    user, headers = member("quality")
    created = open_session(client, headers, [user], lot_codes=[green_lot.code])
    number = created["number"]
    response = put_sheet(
        client,
        headers,
        number,
        sample_id=created["samples"][0]["id"],
        cupper_id=created["cuppers"][0]["id"],
        scores={**PERFECT_SCA, "fragrance_aroma": 8.30, "flavor": "11"},
    )
    assert response.status_code == 422, response.json
    assert response.json["error"] == "invalid_score"
    assert set(response.json["fields"]) == {"fragrance_aroma", "flavor"}
    assert session(client, headers, number)["samples"][0]["sheets"] == []


def test_misspelt_score_field_is_refused(client, member, green_lot):
    user, headers = member("quality")
    created = open_session(client, headers, [user], lot_codes=[green_lot.code])
    response = put_sheet(
        client,
        headers,
        created["number"],
        sample_id=created["samples"][0]["id"],
        cupper_id=created["cuppers"][0]["id"],
        scores={**PERFECT_SCA, "taint_cup": 2},
    )
    assert response.status_code == 422
    assert set(response.json["fields"]) == {"scores.taint_cup"}


def test_auditor_reads_but_may_not_write(client, member, green_lot):
    user, headers = member("quality")
    created = open_session(client, headers, [user])
    _auditor, auditor = member("auditor")
    assert session(client, auditor, created["number"])["number"] == created["number"]
    denied = client.post(
        "/api/v1/cupping-sessions",
        headers=auditor,
        json={"held_on": HELD_ON, "protocol": "sca_2004", "cupper_user_ids": [user.id]},
    )
    assert denied.status_code == 403
    denied = client.post(
        f"/api/v1/lots/{green_lot.code}/green-gradings",
        headers=auditor,
        json={"moisture_pct": "11"},
    )
    assert denied.status_code == 403
    assert client.get("/api/v1/cupping-sessions", headers=auditor).json["total"] == 1


def test_another_organisation_s_session_is_not_found(client, member, other_org):
    user, headers = member("quality")
    number = open_session(client, headers, [user])["number"]
    _stranger, theirs = member("admin", other_org)
    assert client.get(f"/api/v1/cupping-sessions/{number}", headers=theirs).status_code == 404
    closing = client.post(f"/api/v1/cupping-sessions/{number}/close", headers=theirs)
    assert closing.status_code == 404
    assert client.get("/api/v1/cupping-sessions", headers=theirs).json["total"] == 0


def test_cuppers_taste_blind_until_the_session_closes(client, lab, member, green_lot):
    (opener, headers), (cupper, cupper_headers) = lab
    created = open_session(client, headers, [opener, cupper], lot_codes=[green_lot.code])
    number = created["number"]
    assert created["samples"][0]["lot_code"] == green_lot.code

    (blind,) = session(client, cupper_headers, number)["samples"]
    assert "lot_code" not in blind and "transformation_id" not in blind
    assert blind["blind_code"] == created["samples"][0]["blind_code"]
    _admin, admin = member("admin")
    assert session(client, admin, number)["samples"][0]["lot_code"] == green_lot.code

    for cupper_id in (c["id"] for c in created["cuppers"]):
        put_sheet(
            client,
            cupper_headers,
            number,
            blind_code=blind["blind_code"],
            cupper_id=cupper_id,
            scores=PERFECT_SCA,
        )
    closing = client.post(f"/api/v1/cupping-sessions/{number}/close", headers=cupper_headers)
    assert closing.status_code == 200, closing.json
    assert session(client, cupper_headers, number)["samples"][0]["lot_code"] == green_lot.code


def test_closing_needs_every_sample_scored(client, member, green_lot):
    user, headers = member("quality")
    created = open_session(client, headers, [user], lot_codes=[green_lot.code])
    closing = client.post(f"/api/v1/cupping-sessions/{created['number']}/close", headers=headers)
    assert closing.status_code == 409
    assert session(client, headers, created["number"])["status"] == "open"


# --- gradings ---------------------------------------------------------------------------------


GREEN_BODY = {
    "defect_counts": {"broken": 12, "full_black": 1, "slight_insect_damage": 9},
    "screen_sizes": {"18": 40, "17": 35, "16": 25},
    "moisture_pct": "11.2",
    "water_activity": 0.55,
    "graded_on": "2026-06-20",
}


def test_green_grading_returns_the_grade_and_full_defects(client, member, green_lot):
    _user, headers = member("quality")
    url = f"/api/v1/lots/{green_lot.code}/green-gradings"
    response = client.post(url, headers=headers, json=GREEN_BODY)
    assert response.status_code == 201, response.json
    graded = response.json
    # 12 broken = 2 full defects (5 each, fractions dropped), 1 full black = 1, 9 slight = 0
    assert graded["full_defects_by_type"] == {"broken": 2, "full_black": 1}
    assert graded["category_1"] == 1 and graded["category_2"] == 2
    assert graded["full_defects"] == 3
    assert graded["grade"] == "premium" and len(graded["reasons"]) == 1
    assert graded["moisture_pct"] == "11.20" and graded["lot_code"] == green_lot.code

    quality = client.get(f"/api/v1/lots/{green_lot.code}/quality", headers=headers).json
    assert quality["green_grading"]["id"] == graded["id"]
    assert quality["cupping"] is None

    void_url = f"/api/v1/lots/{green_lot.code}/gradings/green/{graded['id']}/void"
    assert client.post(void_url, headers=headers, json={}).status_code == 422
    voided = client.post(void_url, headers=headers, json={"reason": "Wrong lot weighed"})
    assert voided.status_code == 200, voided.json
    assert voided.json["void_reason"] == "Wrong lot weighed"
    listed = client.get(url, headers=headers).json
    assert listed["total"] == 1 and listed["items"][0]["voided_at"] is not None
    quality = client.get(f"/api/v1/lots/{green_lot.code}/quality", headers=headers).json
    assert quality["green_grading"] is None


def test_a_clean_sample_is_specialty(client, member, green_lot):
    _user, headers = member("quality")
    body = {**GREEN_BODY, "defect_counts": {"broken": 4}}
    response = client.post(
        f"/api/v1/lots/{green_lot.code}/green-gradings", headers=headers, json=body
    )
    assert response.json["grade"] == "specialty" and response.json["reasons"] == []
    assert response.json["full_defects"] == 0


def test_invalid_green_grading_names_the_field_and_records_nothing(client, member, green_lot):
    _user, headers = member("quality")
    url = f"/api/v1/lots/{green_lot.code}/green-gradings"
    response = client.post(url, headers=headers, json={**GREEN_BODY, "moisture_pct": "abc"})
    assert response.status_code == 422, response.json
    assert set(response.json["fields"]) == {"moisture_pct"}
    assert client.get(url, headers=headers).json["total"] == 0


def test_pitahaya_grading_on_a_coffee_lot_is_refused(client, member, green_lot):
    _user, headers = member("quality")
    response = client.post(
        f"/api/v1/lots/{green_lot.code}/pitahaya-gradings",
        headers=headers,
        json={"codex_class": "extra", "brix": 18, "mean_fruit_g": 300},
    )
    assert response.status_code == 422
    assert (
        client.get(f"/api/v1/lots/{green_lot.code}/pitahaya-gradings", headers=headers).json[
            "total"
        ]
        == 0
    )


def test_every_quality_path_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    expected = {
        "/api/v1/cupping-sessions": {"get", "post"},
        "/api/v1/cupping-sessions/{number}": {"get"},
        "/api/v1/cupping-sessions/{number}/samples": {"post"},
        "/api/v1/cupping-sessions/{number}/sheets": {"put"},
        "/api/v1/cupping-sessions/{number}/close": {"post"},
        "/api/v1/cupping-sessions/{number}/reopen": {"post"},
        "/api/v1/lots/{code}/quality": {"get"},
        "/api/v1/lots/{code}/green-gradings": {"get", "post"},
        "/api/v1/lots/{code}/pitahaya-gradings": {"get", "post"},
        "/api/v1/lots/{code}/gradings/{kind}/{grading_id}/void": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(spec["paths"].get(path, {})), path
    schemas = spec["components"]["schemas"]
    assert "final_score_exact" in schemas["CuppingSheetOut"]["properties"]
    assert "CuppingSessionIn" in schemas and "GreenGradingIn" in schemas
