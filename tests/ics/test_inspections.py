"""Internal inspections per member and year (DOMAIN.md §3): recorded with their sanctions,
refused field by field, and reported as inspected / not inspected for the certifier."""

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from coopchain.clock import today
from coopchain.errors import DomainError
from coopchain.ics.inspections import inspection_report, record_inspection
from coopchain.ics.models import IcsInspection
from coopchain.ledger.models import LedgerEvent
from tests import factories


@pytest.fixture
def members(db_session, org):
    return [factories.producer(db_session, org) for _ in range(3)]


def this_year() -> date:
    """A day of the pinned year that is not in the future (a week ago, or 1 January)."""
    return max(date(today().year, 1, 1), today() - timedelta(days=7))


def inspect(db_session, org, producer, **fields):
    data = {
        "inspected_on": this_year(),
        "inspector": "Rosa Tello",
        "result": "compliant",
        **fields,
    }
    return record_inspection(db_session, org.id, None, producer.id, data)


def test_the_report_names_who_was_inspected_this_year_and_who_not(db_session, org, members):
    first, second, third = members
    inspect(db_session, org, first)
    inspect(
        db_session,
        org,
        second,
        result="major_nonconformity",
        sanction="suspension",
        sanction_reason="Herbicide found in the store",
        sanction_until=this_year() + timedelta(days=90),
    )
    inspect(db_session, org, third, inspected_on=date(today().year - 1, 11, 5))

    report = inspection_report(db_session, org.id, today().year)

    assert {m.member_code for m in report.inspected} == {first.member_code, second.member_code}
    assert [m.member_code for m in report.not_inspected] == [third.member_code]
    [sanctioned] = report.sanctioned
    assert sanctioned.member_code == second.member_code
    assert sanctioned.sanctions[0]["sanction"] == "suspension"
    last_year = inspection_report(db_session, org.id, today().year - 1)
    assert [m.member_code for m in last_year.inspected] == [third.member_code]


def test_an_inspection_is_a_ledger_event(db_session, org, members):
    row = inspect(db_session, org, members[0])
    event = db_session.scalars(
        select(LedgerEvent).where(LedgerEvent.kind == "producer.inspected")
    ).one()
    assert event.payload["data"]["inspection_id"] == row.id


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"inspector": " "}, "inspector"),
        ({"result": "fine"}, "result"),
        ({"sanction": "warning"}, "sanction_reason"),
        ({"sanction": "fine", "sanction_reason": "x"}, "sanction"),
        ({"inspected_on": today() + timedelta(days=1)}, "inspected_on"),
        ({"sanction_until": date(2026, 1, 1)}, "sanction_until"),
        (
            {
                "sanction": "suspension",
                "sanction_reason": "x",
                "inspected_on": date(2026, 3, 2),
                "sanction_until": date(2026, 3, 1),
            },
            "sanction_until",
        ),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_written(db_session, org, members, fields, named):
    with pytest.raises(DomainError) as caught:
        inspect(db_session, org, members[0], **fields)
    assert named in caught.value.fields
    assert db_session.scalar(select(func.count(IcsInspection.id))) == 0


def test_another_organisations_member_is_not_found(db_session, org, other_org):
    stranger = factories.producer(db_session, other_org)
    with pytest.raises(DomainError) as caught:
        inspect(db_session, org, stranger)
    assert caught.value.status == 404


def test_the_page_form_xlsx_and_api(client, login, api, db_session, org, members):
    first, second, _third = members
    login("staff")
    form = client.get(f"/producers/{first.id}/inspections/new")
    assert form.status_code == 200 and first.member_code in form.text
    bad = client.post(
        f"/producers/{first.id}/inspections/new",
        data={
            "inspected_on": this_year().isoformat(),
            "inspector": "Rosa",
            "result": "compliant",
            "sanction": "exclusion",
        },
    )
    assert bad.status_code == 422 and 'name="sanction_reason"' in bad.text
    ok = client.post(
        f"/producers/{first.id}/inspections/new",
        data={
            "inspected_on": this_year().isoformat(),
            "inspector": "Rosa",
            "result": "compliant",
            "sanction": "none",
        },
    )
    assert ok.status_code == 302
    page = client.get(f"/ics/inspections?year={today().year}").text
    assert first.member_code in page and second.member_code in page and 'class="flagged"' in page
    book = load_workbook(io.BytesIO(client.get(f"/ics/inspections.xlsx?year={today().year}").data))
    rows = {r[1]: r for r in book["Inspections"].iter_rows(min_row=2, values_only=True)}
    assert rows[first.member_code][4] == "yes" and rows[second.member_code][4] == "no"

    headers = api("staff")
    created = client.post(
        "/api/v1/ics/inspections",
        json={
            "producer_id": second.id,
            "inspected_on": this_year().isoformat(),
            "inspector": "Luis",
            "result": "minor_nonconformity",
            "sanction": "warning",
            "sanction_reason": "Records incomplete",
        },
        headers=headers,
    )
    assert created.status_code == 201 and created.get_json()["sanction"] == "warning"
    refused = client.post(
        "/api/v1/ics/inspections",
        json={
            "producer_id": second.id,
            "inspected_on": this_year().isoformat(),
            "inspector": "Luis",
            "result": "compliant",
            "sanction": "warning",
        },
        headers=headers,
    )
    assert refused.status_code == 422 and "sanction_reason" in refused.get_json()["fields"]
    listed = client.get(f"/api/v1/ics/inspections?year={today().year}", headers=api("auditor"))
    body = listed.get_json()
    assert body["inspected"] == 2 and body["not_inspected"] == 1
