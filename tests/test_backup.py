"""Backup and restore round trips: back up → wipe → restore → the same data, chain intact.

Self-contained (no conftest): each test builds its own database. The PostgreSQL test runs in a
scratch database it creates and drops, never in COOPCHAIN_TEST_POSTGRES_URL's own tables.
"""

import hashlib
import os
import shutil
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import coopchain.models  # noqa: F401  (registers every table on SQLModel.metadata)
from coopchain import create_app
from coopchain.auth.models import Organization
from coopchain.backup import BackupError, backup, restore
from coopchain.cli import alembic_config, cli
from coopchain.db import make_engine, session_scope
from coopchain.demo import load_demo
from coopchain.farms.models import Producer
from coopchain.ledger.services import verify_chain
from tests.helpers import scratch_postgres_database

POSTGRES_URL = os.environ.get("COOPCHAIN_TEST_POSTGRES_URL")
# Changes the producers checksum; a DELETE would trip the foreign keys of plots and agreements.
RENAME_A_PRODUCER = (
    update(Producer).where(Producer.member_code == "CAF-0001").values(first_name="Changed")
)


@contextmanager
def engine_for(url: str):
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()  # an open SQLite handle or PG connection would outlive the test


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def load_demo_data(url: str) -> None:
    app = create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": url})
    with app.app_context(), session_scope(app) as session:
        load_demo(session, "demo")
    app.extensions["coopchain.db"].engine.dispose()


def snapshot(url: str) -> dict:
    """Rows per table, a checksum of the producers, and each organisation's ledger check."""
    with engine_for(url) as engine, Session(engine) as session:
        counts = {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in SQLModel.metadata.sorted_tables
        }
        producers = session.execute(
            select(Producer.member_code, Producer.first_name, Producer.last_name).order_by(
                Producer.organization_id, Producer.member_code
            )
        ).all()
        checksum = hashlib.sha256(repr([tuple(row) for row in producers]).encode()).hexdigest()
        ledger = {
            org.code: verify_chain(session, org.id)
            for org in session.scalars(select(Organization).order_by(Organization.code))
        }
    return {"counts": counts, "producers": checksum, "ledger": ledger}


def assert_demo_snapshot(snap: dict) -> None:
    """The fixture really holds data, so an empty-equals-empty round trip cannot pass."""
    assert snap["counts"]["producers"] == 40
    assert set(snap["ledger"]) == {"APAM", "COOPAM"}
    for checked, broken in snap["ledger"].values():
        assert checked > 0
        assert broken is None


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def drop_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def demo_sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file with the demo, built once for the module (it takes seconds)."""
    path = tmp_path_factory.mktemp("backup-demo") / "template.sqlite"
    url = sqlite_url(path)
    migrate(url)
    load_demo_data(url)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the one file we copy
    return path


@pytest.fixture
def demo_sqlite(demo_sqlite_template, tmp_path) -> str:
    """A copy of the demo database of this test's own, to back up, break and restore."""
    path = tmp_path / "live.sqlite"
    shutil.copyfile(demo_sqlite_template, path)
    return sqlite_url(path)


def test_sqlite_round_trip(demo_sqlite, tmp_path):
    before = snapshot(demo_sqlite)
    assert_demo_snapshot(before)
    archive = tmp_path / "backups" / "coopchain.sqlite"
    archive.parent.mkdir()

    backup(demo_sqlite, archive)
    # One self-contained file: no WAL sidecars, no leftover partial file.
    assert sorted(p.name for p in archive.parent.iterdir()) == ["coopchain.sqlite"]
    with closing(sqlite3.connect(archive)) as conn:
        # Rollback-journal mode, so the file opens anywhere, even read-only, without a -wal.
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)

    live = Path(make_url(demo_sqlite).database)
    drop_sqlite(live)
    migrate(demo_sqlite)
    assert snapshot(demo_sqlite)["counts"]["producers"] == 0

    restore(demo_sqlite, archive)
    assert snapshot(demo_sqlite) == before
    with closing(sqlite3.connect(live)) as conn:
        # The app's connections set WAL on connect; the restored file must still accept it.
        assert conn.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)


def test_sqlite_backup_while_a_transaction_is_open(demo_sqlite, tmp_path):
    """The backup is a committed snapshot, not whatever a writer has half done."""
    before = snapshot(demo_sqlite)
    archive = tmp_path / "backup.sqlite"
    with engine_for(demo_sqlite) as engine, engine.connect() as conn:
        conn.execute(RENAME_A_PRODUCER)
        backup(demo_sqlite, archive)  # the rename above is not committed yet
        conn.rollback()
    restored = sqlite_url(tmp_path / "restored.sqlite")
    restore(restored, archive)
    assert snapshot(restored) == before


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"PGDMP this is not a SQLite database\n" * 100)


def _sqlite_without_alembic(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE producers (id INTEGER PRIMARY KEY)")
        conn.commit()


@pytest.mark.parametrize("make_file", [_not_sqlite, _sqlite_without_alembic])
def test_sqlite_restore_refuses_a_file_that_is_not_a_backup(demo_sqlite, tmp_path, make_file):
    before = snapshot(demo_sqlite)
    bogus = tmp_path / "bogus.bin"
    make_file(bogus)
    original = bogus.read_bytes()

    with pytest.raises(BackupError, match="not a CoopChain SQLite backup"):
        restore(demo_sqlite, bogus)

    assert snapshot(demo_sqlite) == before
    assert bogus.read_bytes() == original


def test_sqlite_backup_of_a_missing_database_fails(tmp_path):
    with pytest.raises(BackupError, match="No SQLite database"):
        backup(sqlite_url(tmp_path / "absent.sqlite"), tmp_path / "backup.sqlite")
    assert not (tmp_path / "absent.sqlite").exists()
    assert not (tmp_path / "backup.sqlite").exists()


def test_missing_pg_dump_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr("coopchain.backup.shutil.which", lambda _name: None)
    with pytest.raises(BackupError, match="pg_dump is not installed"):
        backup("postgresql+psycopg://postgres@127.0.0.1:5432/nowhere", tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []


def test_cli_backup_then_restore(demo_sqlite, tmp_path):
    before = snapshot(demo_sqlite)
    archive = tmp_path / "cli-backup.sqlite"
    runner = CliRunner()
    env = {"COOPCHAIN_ENV": "test", "COOPCHAIN_DATABASE_URL": demo_sqlite}

    result = runner.invoke(cli, ["backup", str(archive)], env=env)
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output

    with engine_for(demo_sqlite) as engine, engine.begin() as conn:
        conn.execute(RENAME_A_PRODUCER)
    assert snapshot(demo_sqlite) != before

    result = runner.invoke(cli, ["restore", "--yes", str(archive)], env=env)
    assert result.exit_code == 0, result.output
    assert "Restored from" in result.output
    assert snapshot(demo_sqlite) == before

    # A wrong file: a one-line error and exit 1, not a traceback; the data stays.
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup")
    result = runner.invoke(cli, ["restore", "--yes", str(bogus)], env=env)
    assert result.exit_code == 1
    assert "not a CoopChain SQLite backup" in result.output
    assert snapshot(demo_sqlite) == before


@pytest.fixture
def scratch_postgres() -> str:
    """A fresh database beside COOPCHAIN_TEST_POSTGRES_URL's, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip(
            "COOPCHAIN_TEST_POSTGRES_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    with scratch_postgres_database(POSTGRES_URL, "coopchain_backup") as url:
        yield url


def test_postgres_round_trip(scratch_postgres, tmp_path):
    migrate(scratch_postgres)
    load_demo_data(scratch_postgres)
    before = snapshot(scratch_postgres)
    assert_demo_snapshot(before)
    archive = tmp_path / "coopchain.dump"

    backup(scratch_postgres, archive)
    assert archive.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    with engine_for(scratch_postgres) as engine:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        assert inspect(engine).get_table_names() == []

    restore(scratch_postgres, archive)
    assert snapshot(scratch_postgres) == before

    # Restoring over live data (the usual case) also works: --clean drops what is there first.
    restore(scratch_postgres, archive)
    assert snapshot(scratch_postgres) == before

    # A file that is not an archive fails in pg_restore before anything changes.
    bogus = tmp_path / "bogus.dump"
    bogus.write_text("not a backup")
    with pytest.raises(BackupError, match="pg_restore failed"):
        restore(scratch_postgres, bogus)
    assert snapshot(scratch_postgres) == before
