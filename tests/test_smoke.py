def test_dashboard_shows_counts(client, login, db_session, org):
    from tests import factories

    producer = factories.producer(db_session, org)
    factories.plot(db_session, org, producer)
    login("staff")
    page = client.get("/")
    assert page.status_code == 200
    assert b'data-count="producers">1<' in page.data
