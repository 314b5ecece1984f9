"""Databases that other processes can see: tests that start real workers and web servers
cannot use the suite's rolled-back connection, so they get a fresh database of their own,
migrated to head, on SQLite (a file) and, when configured, PostgreSQL (a database named after
the suite's with a suffix, emptied first)."""

import os
import subprocess
import sys
import time
from pathlib import Path

from alembic import command
from sqlalchemy import make_url, text

from coopchain.cli import alembic_config
from coopchain.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("COOPCHAIN_TEST_POSTGRES_URL")


def fresh_database(kind: str, tmp_path: Path, suffix: str) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / f'{suffix}.sqlite'}"
    else:
        base = make_url(POSTGRES_URL)
        name = f"{base.database}_{suffix}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        url = base.set(database=name).render_as_string(hide_password=False)
    command.upgrade(alembic_config(url), "head")
    return url


def coopchain_process(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    """`coopchain <args>` as an operator starts it, from this checkout, its output in `log`."""
    return python_process(["-c", "from coopchain.cli import cli; cli()", *args], env, log)


def python_process(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    """`python <args>` (e.g. -m gunicorn …) with this checkout's coopchain and `env`."""
    full_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COOPCHAIN_ENV": "test",
        "COOPCHAIN_JOBS_IMMEDIATE": "0",
        "COOPCHAIN_JOB_MODULES": "tests.helpers.slow_jobs",
        **env,
    }
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, *args],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def wait_for(predicate, timeout: float, what: str, every: float = 0.1):
    """Poll `predicate` until it returns something truthy; fail naming `what` after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")
