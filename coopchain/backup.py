"""Back up the database to one file and restore it (docs/OPERATIONS.md, "Backups").

SQLite: the backup is a plain SQLite file, written with sqlite3's online backup API, which
copies a consistent snapshot while the app keeps reading and writing. PostgreSQL: the backup
is a `pg_dump --format=custom` archive, restored with `pg_restore` in one transaction.
"""

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import click
from sqlalchemy.engine import URL, make_url


# A ClickException so `coopchain backup/restore` print the message and exit 1, no traceback.
class BackupError(click.ClickException):
    """The backup or restore did not happen; the message says why."""


def backup(database_url: str, path: Path) -> None:
    """Write a consistent copy of the database to `path` (replacing any file there)."""
    url = make_url(database_url)
    path = Path(path)
    # Write beside the target and rename at the end, so a failed run never leaves a truncated
    # file where last night's good backup was.
    partial = path.with_name(path.name + ".partial")
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url, must_exist=True), partial)
        elif url.get_backend_name() == "postgresql":
            _run_pg_tool(
                "pg_dump",
                ["--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
                url,
            )
        else:
            raise BackupError(f"Cannot back up a {url.get_backend_name()} database.")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def restore(database_url: str, path: Path) -> None:
    """Replace the database's contents with the backup at `path`; all or nothing."""
    url = make_url(database_url)
    path = Path(path)
    if url.get_backend_name() == "sqlite":
        _sqlite_restore(path, _sqlite_path(url, must_exist=False))
    elif url.get_backend_name() == "postgresql":
        # --single-transaction: a bad or foreign archive rolls back and leaves the data as it was.
        _run_pg_tool(
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"],
            url,
            path,
        )
    else:
        raise BackupError(f"Cannot restore a {url.get_backend_name()} database.")


def _sqlite_path(url: URL, must_exist: bool) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    path = Path(url.database)
    if must_exist and not path.is_file():
        # sqlite3.connect would create an empty file and "back up" nothing.
        raise BackupError(f"No SQLite database at {path}.")
    return path


def _sqlite_backup(db_path: Path, target: Path) -> None:
    try:
        with closing(sqlite3.connect(db_path, timeout=30)) as src:
            with closing(sqlite3.connect(target)) as dst:
                src.backup(dst)
                # The copy inherits WAL mode; switch it off so the backup is one self-contained
                # file (no -wal/-shm beside it).
                dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup of {db_path} failed: {exc}") from exc


def _sqlite_restore(backup_path: Path, db_path: Path) -> None:
    # Read-only, so checking a wrong file can neither modify it nor create a missing one.
    uri = f"{backup_path.resolve().as_uri()}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as src:
            # Check the file before touching the live database: a wrong file changes nothing.
            problem = _not_a_backup(src)
            if problem:
                raise BackupError(
                    f"{backup_path} is not a CoopChain SQLite backup ({problem}); "
                    "nothing was changed."
                )
            # Page by page under one write lock: other connections see the old data or the new.
            with closing(sqlite3.connect(db_path, timeout=30)) as dst:
                src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"Restoring {backup_path} into {db_path} failed: {exc}") from exc


def _not_a_backup(conn: sqlite3.Connection) -> str | None:
    """Why `conn` is not a usable backup, or None."""
    try:
        conn.execute("SELECT version_num FROM alembic_version").fetchall()
        (integrity,) = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.Error as exc:
        return str(exc)
    return None if integrity == "ok" else f"damaged: {integrity}"


def _run_pg_tool(tool: str, args: list[str], url: URL, *paths: Path) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} is not installed or not on PATH. Install the PostgreSQL client tools "
            "of the server's major version (Debian/Ubuntu: apt install postgresql-client)."
        )
    # libpq knows no "+psycopg" driver suffix. The password goes in the environment, not on
    # the command line, where every local user could read it with `ps`.
    libpq_url = url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False
    )
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    command = [executable, *args, f"--dbname={libpq_url}", *map(str, paths)]
    result = subprocess.run(command, capture_output=True, text=True, env=env)  # noqa: S603  (list args, no shell)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed (exit {result.returncode}): {result.stderr.strip()}")
