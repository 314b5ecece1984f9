"""Engine, one session per request, and the one place that commits.

A request opens a session on first use (`get_session()`); `after_request` commits it when the
response is a success and `teardown_appcontext` closes it, which rolls back anything not
committed (errors, 4xx responses). CLI commands use `session_scope()`, which commits once at
the end of the block. Services only `flush`.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import ARRAY, Select, any_, bindparam, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

from coopchain.config import Settings

#: Deterministic constraint names so Alembic migrations are the same on every machine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


#: How long a SQLite writer waits for the write lock before giving up ("database is locked").
DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5000


def make_engine(url: str, sqlite_busy_timeout_ms: int = DEFAULT_SQLITE_BUSY_TIMEOUT_MS) -> Engine:
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; the plain scheme would ask for psycopg2.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        pragmas = partial(_sqlite_pragmas, busy_timeout_ms=int(sqlite_busy_timeout_ms))
        event.listen(engine, "connect", pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection, _record, busy_timeout_ms: int) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so SAVEPOINTs
    # (and the test suite's savepoint per test) work (SQLAlchemy's pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the QR pages read while the office writes; busy_timeout serialises writers.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
    cursor.close()


#: Execution option asking for a transaction that writes: on SQLite it starts with
#: BEGIN IMMEDIATE, taking the write lock up front. A deferred transaction that read a lot and
#: then writes would fail with "database is locked" (WAL snapshot) when another writer got
#: there first; an immediate one waits its turn (busy_timeout) and then reads fresh rows, so
#: two clerks taking from one lot get "not enough left" instead of a crash (DESIGN.md §4).
WRITE_TRANSACTION = {"coopchain_writes": True}


def _sqlite_begin(connection) -> None:
    writes = connection.get_execution_options().get("coopchain_writes")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def begin_write(session: Session) -> Session:
    """Start `session`'s transaction as a writer (see WRITE_TRANSACTION); a no-op when it
    already began (e.g. inside the tests' outer transaction)."""
    if not session.in_transaction():
        session.connection(execution_options=WRITE_TRANSACTION)
    return session


#: SQLite's primary result codes for "another connection holds the lock" (SQLITE_BUSY, and
#: SQLITE_LOCKED for a table locked within a shared cache); extended codes such as
#: SQLITE_BUSY_SNAPSHOT keep the primary one in their low byte.
_SQLITE_BUSY_CODES = {5, 6}


def database_busy(exc: OperationalError) -> bool:
    """Whether `exc` says only that another connection held SQLite's lock past busy_timeout (a
    long job writing): the work was refused whole, and the same request may succeed later."""
    orig = exc.orig
    if not isinstance(orig, sqlite3.OperationalError):
        return False
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_BUSY_CODES
    return str(orig).startswith(("database is locked", "database table is locked"))


class Database:
    """The engine and session factory of one app (tests swap `sessionmaker`). Every session it
    makes carries the app's Settings (settings_of)."""

    def __init__(
        self,
        url: str,
        settings: Settings,
        sqlite_busy_timeout_ms: int = DEFAULT_SQLITE_BUSY_TIMEOUT_MS,
    ):
        self.engine = make_engine(url, sqlite_busy_timeout_ms)
        self.settings = settings
        self.sessionmaker = sessionmaker(
            bind=self.engine,
            class_=Session,
            expire_on_commit=False,
            info={"settings": settings},
        )


def settings_of(session: Session) -> Settings:
    """The settings the session's services work with: they travel with the unit of work, so
    a service needs no app and reads no environment (DESIGN.md §6)."""
    try:
        return session.info["settings"]
    except KeyError:
        raise RuntimeError(
            "this session carries no Settings (make it with the app's Database)"
        ) from None


def init_app(app: Flask) -> None:
    app.extensions["coopchain.db"] = Database(
        app.config["DATABASE_URL"],
        Settings.from_config(app.config),
        app.config.get("SQLITE_BUSY_TIMEOUT_MS", DEFAULT_SQLITE_BUSY_TIMEOUT_MS),
    )
    app.after_request(_commit_on_success)
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions["coopchain.db"]


def get_session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
        if has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS"):
            begin_write(g.db_session)
    return g.db_session


def discard_changes() -> None:
    """Roll back the request's writes: for a view that answers an error with a redirect."""
    if "db_session" in g:
        g.db_session.rollback()


def _commit_on_success(response):
    session = g.get("db_session")
    if session is not None and response.status_code < 400:
        try:
            session.commit()
        except (IntegrityError, OperationalError) as exc:
            # Errors raised here skip the app's handlers; send these through them (409, and
            # 503 for a busy database; any other OperationalError is raised again there).
            return current_app.make_response(current_app.handle_user_exception(exc))
    return response


def _close_session(_exc) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session for work outside a request (CLI, demo loader): commit once, or roll back."""
    db = (app or current_app).extensions["coopchain.db"]
    session = db.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def flushed_connection(session: Session):
    """The session's connection for Core reads that bypass the ORM, its pending changes flushed
    first as session.execute would (a consent withdrawn earlier in the same transaction is
    already what those reads see)."""
    if session.autoflush:
        session.flush()
    return session.connection()


def in_organization(model, org_id: int):
    """The one condition that scopes a query to the rows an organisation owns (DESIGN.md §4):
    every query of organisation data goes through it or through owned()."""
    return model.organization_id == org_id


def among(session: Session, column, ids):
    """`column IN ids` for lists of hundreds of ids. On PostgreSQL it is one array parameter
    (`= ANY(...)`): an IN of 200 ids is rendered by SQLAlchemy and parsed by psycopg afresh on
    every call, half of a 2 ms query; the array keeps one statement text. SQLite has no arrays,
    so there it stays an IN (callers keep SQLite's bound-parameter limit in mind)."""
    ids = list(ids)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(column.type)))
    return column.in_(ids)


def owned(model, org_id: int) -> Select:
    """select(model) of the rows `org_id` owns; add .where() for the rest."""
    return select(model).where(in_organization(model, org_id))
