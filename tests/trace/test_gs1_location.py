"""The cooperative's GLN and GS1 Company Prefix, which make the EPCIS export's locations SGLNs:
checked (length, check digit, prefix), each change a ledger event, set by an admin on the
public-trace settings page."""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.errors import DomainError
from coopchain.ledger.models import LedgerEvent
from coopchain.trace.settings import set_gs1_location

GLN = "9506000000015"


def _stored(db_session, org):
    db_session.expire_all()
    row = db_session.get(Organization, org.id)
    return row.gln, row.gs1_company_prefix


def _events(db_session, org):
    return db_session.scalars(
        select(LedgerEvent)
        .where(LedgerEvent.kind == "organization.gs1_location_set")
        .where(LedgerEvent.subject_id == org.code)
        .order_by(LedgerEvent.seq)
    ).all()


def test_a_gln_and_its_prefix_are_stored_and_recorded(db_session, org):
    assert set_gs1_location(db_session, org.id, None, "950 6000 00001-5", "950600")
    assert _stored(db_session, org) == (GLN, "950600")
    assert not set_gs1_location(db_session, org.id, None, GLN, "950600")  # no change
    assert set_gs1_location(db_session, org.id, None, "", "")
    assert _stored(db_session, org) == (None, None)
    assert [e.payload["data"] for e in _events(db_session, org)] == [
        {"gln": GLN, "gs1_company_prefix": "950600"},
        {"gln": None, "gs1_company_prefix": None},
    ]


@pytest.mark.parametrize(
    "gln, prefix, field, message",
    [
        ("950600000001", "950600", "gln", "A GLN has 13 digits."),
        ("9506000000016", "950600", "gln", "GLN check digit should be 5, not 6."),
        ("95060000000١5", "950600", "gln", "A GLN has 13 digits."),  # an Arabic-Indic digit
        (GLN, "95060", "gs1_company_prefix", "A GS1 Company Prefix has 6 to 12 digits."),
        (GLN, "950700", "gs1_company_prefix", "The GLN must begin with the GS1 Company Prefix."),
        ("", "950600", "gln", "A GLN has 13 digits."),
        (GLN, "", "gs1_company_prefix", "A GS1 Company Prefix has 6 to 12 digits."),
    ],
)
def test_a_wrong_gln_or_prefix_is_refused_naming_the_field(
    app_context, db_session, org, gln, prefix, field, message
):
    with force_locale("en"), pytest.raises(DomainError) as raised:
        set_gs1_location(db_session, org.id, None, gln, prefix)
    assert raised.value.fields[field] == [message]
    assert _stored(db_session, org) == (None, None)
    assert not _events(db_session, org)


def test_an_admin_sets_them_on_the_settings_page(client, login, db_session, org):
    login("admin")
    client.get("/lang/en")
    response = client.post(
        "/settings/public-trace",
        data={"form": "gs1_location", "gln": GLN, "gs1_company_prefix": "950600"},
    )
    assert response.status_code == 302
    assert _stored(db_session, org) == (GLN, "950600")
    page = client.get("/settings/public-trace").text
    assert "GLN saved" in page and f'value="{GLN}"' in page

    refused = client.post(
        "/settings/public-trace",
        data={"form": "gs1_location", "gln": "9506000000016", "gs1_company_prefix": "950600"},
    )
    assert refused.status_code == 422
    assert "GLN check digit should be 5, not 6." in refused.text
    assert 'value="9506000000016"' in refused.text
    assert _stored(db_session, org) == (GLN, "950600")
