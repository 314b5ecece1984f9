"""PlainSelect (coopchain/plain_select.py) reads a select as the driver's tuples: the same
values SQLAlchemy's own result gives, dates, decimals, booleans and NULLs included, on SQLite
and PostgreSQL."""

from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, select

from coopchain.db import in_organization
from coopchain.farms.models import Plot
from coopchain.plain_select import PlainSelect
from tests import factories

PLOTS = PlainSelect(
    lambda: (
        select(
            Plot.id,
            Plot.name,
            Plot.declared_area_ha,
            Plot.shade_agroforestry,
            Plot.organic_conversion_start,
            Plot.altitude_m,
        )
        .where(in_organization(Plot, bindparam("org_id")), Plot.altitude_m >= bindparam("above"))
        .order_by(Plot.id)
    )
)


def test_rows_are_what_sqlalchemy_reads(db_session, org):
    producer = factories.producer(db_session, org)
    kept = [
        factories.plot(db_session, org, producer),
        factories.plot(
            db_session,
            org,
            producer,
            declared_area_ha=Decimal("0.0125"),
            shade_agroforestry=False,
            organic_conversion_start=None,
            altitude_m=1800,
        ),
        factories.plot(db_session, org, producer, organic_conversion_start=date(2015, 1, 1)),
    ]
    factories.plot(db_session, org, producer, altitude_m=400)  # below: not read
    db_session.flush()

    rows = PLOTS.rows(db_session, org_id=org.id, above=1000)

    expected = db_session.execute(PLOTS._build().params(org_id=org.id, above=1000)).all()
    assert rows == [tuple(row) for row in expected]
    assert [row[0] for row in rows] == [plot.id for plot in kept]
    assert rows[1][2:5] == (Decimal("0.0125"), False, None)
    assert type(rows[0][2]) is Decimal and type(rows[0][4]) is date
    # The two plots converted on the same day share one date value.
    assert rows[0][4] == rows[2][4] == date(2015, 1, 1)


def test_no_rows_is_an_empty_list(db_session, org):
    assert PLOTS.rows(db_session, org_id=org.id, above=0) == []
