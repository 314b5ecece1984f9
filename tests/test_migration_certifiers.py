"""Migration c3b9f1e07d52 turns the plots' free-text certifiers into records: one per
organisation and name once case, accents and spaces are folded, on SQLite and PostgreSQL, and
back again on downgrade (issue: trust, part 6)."""

import os
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text

from coopchain.cli import alembic_config
from coopchain.db import make_engine
from tests.helpers import scratch_postgres_database

POSTGRES_URL = os.environ.get("COOPCHAIN_TEST_POSTGRES_URL")
BEFORE, AFTER = "7a1c3e9d2b40", "c3b9f1e07d52"


@contextmanager
def _database(kind: str, tmp_path):
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.sqlite'}"
    else:
        with scratch_postgres_database(POSTGRES_URL, "coopchain_migration") as url:
            yield url


def _seed(connection) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    for org_id, code in ((1, "COOPAM"), (2, "APPAM")):
        connection.execute(
            text(
                "INSERT INTO organizations (id, code, name, kind, country, created_at) "
                "VALUES (:id, :code, :code, 'cooperative', 'PE', :now)"
            ),
            {"id": org_id, "code": code, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO producers (id, organization_id, member_code, first_name, last_name,"
                " public_name_consent, status, created_at, updated_at) VALUES (:id, :org, 'M-1',"
                " 'Rosa', 'Huamán', false, 'active', :now, :now)"
            ),
            {"id": org_id, "org": org_id, "now": now},
        )
    typed = [
        (1, "Control Union Peru"),
        (1, "Control Union Perú"),
        (1, "  control union PERÚ "),
        (1, "Control Union Perú"),
        (1, "BioLatina"),
        (1, None),
        (2, "Control Union Peru"),
    ]
    for plot_id, (org_id, certifier) in enumerate(typed, start=1):
        connection.execute(
            text(
                "INSERT INTO plots (id, organization_id, producer_id, name, crop, geometry_issues,"
                " shade_agroforestry, organic_certifier, created_at, updated_at) VALUES (:id,"
                " :org, :org, :name, 'coffee', '[]', false, :certifier, :now, :now)"
            ),
            {
                "id": plot_id,
                "org": org_id,
                "name": f"P{plot_id}",
                "certifier": certifier,
                "now": now,
            },
        )


@pytest.mark.parametrize(
    "kind",
    [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not POSTGRES_URL, reason="COOPCHAIN_TEST_POSTGRES_URL unset"),
        ),
    ],
)
def test_free_text_certifiers_become_one_record_per_body(kind, tmp_path):
    with _database(kind, tmp_path) as url:
        command.upgrade(alembic_config(url), BEFORE)
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                _seed(connection)
            command.upgrade(alembic_config(url), AFTER)
            with engine.connect() as connection:
                records = connection.execute(
                    text(
                        "SELECT id, organization_id, name, name_key, code, country FROM certifiers"
                        " ORDER BY organization_id, name_key"
                    )
                ).all()
                plots = dict(
                    connection.execute(text("SELECT id, organic_certifier_id FROM plots")).all()
                )
            assert [(r.organization_id, r.name, r.name_key) for r in records] == [
                (1, "BioLatina", "biolatina"),
                # Two plots typed it with the accent, one without, one in capitals: one record,
                # spelt as most plots had it.
                (1, "Control Union Perú", "control union peru"),
                (2, "Control Union Peru", "control union peru"),
            ]
            assert all(r.code is None and r.country is None for r in records)
            biolatina, union_1, union_2 = (r.id for r in records)
            assert plots == {
                1: union_1,
                2: union_1,
                3: union_1,
                4: union_1,
                5: biolatina,
                6: None,
                7: union_2,
            }

            command.downgrade(alembic_config(url), BEFORE)
            with engine.connect() as connection:
                back = dict(
                    connection.execute(text("SELECT id, organic_certifier FROM plots")).all()
                )
            assert back[3] == "Control Union Perú" and back[6] is None and back[5] == "BioLatina"
        finally:
            engine.dispose()
