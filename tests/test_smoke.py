def test_dashboard_shows_counts(client, login, db_session, org):
    from tests import factories

    producer = factories.producer(db_session, org)
    factories.plot(db_session, org, producer)
    login("staff")
    page = client.get("/")
    assert page.status_code == 200
    assert b'data-count="producers">1<' in page.data


def test_a_constraint_violation_at_commit_is_a_409_not_a_crash(make_app, api, db_session):
    """Two requests racing past the duplicate check are caught by the unique constraint."""
    from coopchain.farms import producers

    app = make_app()
    headers = api("staff")
    original = producers.producer_by_code
    producers.producer_by_code = lambda *args: None  # simulate the race: the check sees nothing
    try:
        client = app.test_client()
        body = {"member_code": "RACE-1", "first_name": "A", "last_name": "B"}
        assert client.post("/api/v1/producers", json=body, headers=headers).status_code == 201
        second = client.post("/api/v1/producers", json=body, headers=headers)
    finally:
        producers.producer_by_code = original
    assert second.status_code == 409 and second.json["error"] == "conflict"
