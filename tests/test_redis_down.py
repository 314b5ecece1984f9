"""Redis configured but not answering (stopped, restarting, out of reach) is no error page: a
buyer's scan is rendered in the request and cached in the process, the public pages and the
login keep their limits counted in the process, a staff write commits, a job is recorded — and
the log says so, once a minute rather than once a request. With Redis answering, the shared
path is the one used (tests/jobs/test_two_nodes.py checks it across real processes).

Flask-Limiter's one Limiter is shared by every app of the run and takes the storage of the last
app it was bound to: the `redis_app` fixture puts it back as it was."""

import logging
import secrets
import shutil
import socket
import subprocess
import time
import uuid

import pytest
import redis
from sqlalchemy import select

from coopchain import create_app, job_resend, jobs
from coopchain.extensions import limiter
from coopchain.job_rows import Job, JobStatus
from coopchain.lots.models import Bag
from coopchain.redis_outage import Outage
from coopchain.trace import public_views
from coopchain.trace.shared_page_cache import PUBLISHER
from tests import factories
from tests.helpers import (
    TEST_CONFIG,
    joined_session,
    slow_jobs,  # noqa: F401  (registers test.steps)
)
from tests.trace import public_fixtures
from tests.trace.public_fixtures import get_page, visible_text

traced = public_fixtures.traced  # named here so pytest finds it

REAL_REDIS = "redis://127.0.0.1:6379/7"


def unreachable_redis() -> str:
    """A Redis URL on a port nothing listens on (taken free, then closed): connection refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def _redis_answers() -> bool:
    try:
        return redis.Redis.from_url(REAL_REDIS, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        return False


def bag_path(bag) -> str:
    return f"/b/{bag.public_token}"


def an_address() -> dict:
    return {"REMOTE_ADDR": f"10.{secrets.randbelow(254)}.{secrets.randbelow(254)}.7"}


@pytest.fixture
def redis_app(database_url, connection):
    """redis_app(url, **config): an app whose shared state (page cache, render lock, rate-limit
    counts, revisions) lives in the Redis at `url`, as config.py derives it from
    COOPCHAIN_REDIS_URL; its sessions join this test's connection and publish revisions."""
    saved = dict(limiter.__dict__)
    saved["_storage_options"] = dict(limiter._storage_options)
    prefix = f"coopchain-test-{uuid.uuid4().hex[:12]}:"

    def build(url: str, **config):
        app = create_app(
            {
                **TEST_CONFIG,
                "DATABASE_URL": database_url,
                "REDIS_URL": url,
                "REDIS_PREFIX": prefix,
                "PUBLIC_PAGE_CACHE_URL": url,
                "RATELIMIT_STORAGE_URI": url,
                "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": prefix + "limits"},
                **config,
            }
        )
        database = app.extensions["coopchain.db"]
        cache = app.extensions["coopchain.trace_pages"]

        def session():
            joined = joined_session(connection, database.settings)
            joined.info[PUBLISHER] = cache.note_revision  # as install_publisher does
            return joined

        database.sessionmaker = session
        return app

    yield build
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)
    if _redis_answers():
        client = redis.Redis.from_url(REAL_REDIS)
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)


def counting_builds(monkeypatch) -> list:
    """The public pages gathered (not served from a cache) from here on."""
    built, gather = [], public_views.page_facts

    def noted(session, target):
        built.append(target)
        return gather(session, target)

    monkeypatch.setattr(public_views, "page_facts", noted)
    return built


def warnings_about(caplog, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


# --- Redis down ---------------------------------------------------------------------------------


def test_a_bag_page_is_served_and_cached_in_the_process_while_redis_is_down(
    redis_app, traced, monkeypatch, caplog
):
    client = redis_app(unreachable_redis()).test_client()
    built = counting_builds(monkeypatch)

    with caplog.at_level(logging.WARNING):
        pages = [get_page(client, bag_path(traced.bag)) for _ in range(3)]

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert traced.lot.code in visible_text(pages[0].text)
    assert len(built) == 1  # rendered once, then served from this process's cache
    # Logged once, not once per request.
    (warning,) = warnings_about(caplog, "public page cache")
    assert "ConnectionError" in warning


def test_the_public_limit_still_refuses_in_the_process_while_redis_is_down(
    redis_app, traced, caplog
):
    app = redis_app(unreachable_redis(), RATELIMIT_ENABLED=True, PUBLIC_RATE_LIMIT="3 per hour")
    client, address = app.test_client(), an_address()

    with caplog.at_level(logging.WARNING):
        answers = [get_page(client, bag_path(traced.bag), environ_base=address) for _ in range(4)]
        other = get_page(client, bag_path(traced.bag), environ_base=an_address())

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 3600
    assert other.status_code == 200
    assert len(warnings_about(caplog, "public pages' rate limit")) == 1


def test_a_staff_write_commits_and_the_page_changes_while_redis_is_down(
    redis_app, db_session, org, traced, caplog
):
    client = redis_app(unreachable_redis()).test_client()
    user = factories.user(db_session, org, "staff")
    assert get_page(client, bag_path(traced.bag)).status_code == 200  # cached in the process
    login = client.post("/login", data={"email": user.email, "password": "pw-1234"})
    assert login.status_code == 302

    with caplog.at_level(logging.WARNING):
        voided = client.post(f"/bags/{traced.bag.serial}/void", data={"reason": "Saco roto"})

    assert voided.status_code == 303
    db_session.expire_all()
    bag = db_session.scalar(select(Bag).where(Bag.id == traced.bag.id))
    assert bag.voided_at is not None
    assert warnings_about(caplog, "not raised in Redis")
    assert get_page(client, bag_path(traced.bag)).status_code == 410  # not the cached page


def test_login_works_and_stays_limited_in_the_process_while_redis_is_down(
    redis_app, db_session, org, caplog
):
    app = redis_app(unreachable_redis(), RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per hour")
    client = app.test_client()
    user = factories.user(db_session, org, "staff")
    db_session.flush()

    with caplog.at_level(logging.WARNING):
        statuses = [
            client.post("/login", data={"email": "x@y.z", "password": "no"}).status_code,
            client.post("/login", data={"email": "x@y.z", "password": "no"}).status_code,
            client.post("/login", data={"email": user.email, "password": "pw-1234"}).status_code,
            client.post("/login", data={"email": user.email, "password": "pw-1234"}).status_code,
        ]

    assert statuses == [401, 401, 302, 429]
    assert warnings_about(caplog, "falling back to in-memory storage")  # Flask-Limiter's


def test_a_job_submitted_while_the_queue_is_down_is_recorded_for_the_reaper(
    redis_app, db_session, org, caplog, resender
):
    url = unreachable_redis()
    app = redis_app(url, JOBS_IMMEDIATE=False, JOBS_QUEUE_URL=url)
    with app.app_context(), caplog.at_level(logging.ERROR):
        job = jobs.submit(db_session, org.id, None, "test.steps", {"steps": 1})
        db_session.commit()  # sending after the commit fails: logged, not raised

    db_session.refresh(job)
    assert job.status == JobStatus.QUEUED
    assert db_session.get(Job, job.id) is not None
    assert warnings_about(caplog, "could not be sent to the queue")


@pytest.fixture
def resender(monkeypatch):
    """A resender of this test's own, trying every 0.1 s instead of every 5 s."""
    mine = job_resend.Resender(interval=0.1)
    monkeypatch.setattr(jobs, "RESENDER", mine)
    return mine


def _redis_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        + ["--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            if client.ping():
                return server
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    server.kill()
    pytest.fail("redis-server did not start")


def test_a_job_is_sent_once_redis_is_back_not_after_the_reapers_five_minutes(
    redis_app, db_session, org, resender
):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    url = unreachable_redis()
    app = redis_app(url, JOBS_IMMEDIATE=False, JOBS_QUEUE_URL=url)
    with app.app_context():
        job = jobs.submit(db_session, org.id, None, "test.steps", {"steps": 1})
        db_session.commit()  # the send fails: Redis is down
    assert resender.pending() == [job.id]

    server = _redis_server(int(url.rsplit(":", 1)[1].split("/")[0]))
    try:
        deadline = time.monotonic() + 10
        while resender.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert resender.pending() == []
        assert jobs.queue(app).huey.pending_count() == 1  # its message, once
    finally:
        server.kill()
        server.wait()


def test_a_job_still_unsent_after_requeue_after_is_left_to_the_reaper(
    redis_app, db_session, org, resender, caplog
):
    url = unreachable_redis()
    app = redis_app(url, JOBS_IMMEDIATE=False, JOBS_QUEUE_URL=url, JOBS_REQUEUE_AFTER_S=0.3)
    with app.app_context(), caplog.at_level(logging.WARNING):
        job = jobs.submit(db_session, org.id, None, "test.steps", {"steps": 1})
        db_session.commit()
        assert resender.pending() == [job.id]
        deadline = time.monotonic() + 10
        while resender.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert resender.pending() == []
    assert warnings_about(caplog, f"Job {job.id} still not sent: left to the reaper")


def test_redis_is_left_alone_for_a_while_and_the_warning_repeats_once_a_minute(caplog):
    now = [1000.0]
    outage = Outage("test", retry_after_s=5, log_every_s=60, clock=lambda: now[0])
    error = ConnectionError("refused")

    with caplog.at_level(logging.WARNING, "coopchain.redis_outage"):
        outage.failed(error)
        skipped = outage.skipping()
        now[0] += 6
        retried = not outage.skipping()
        outage.failed(error)  # still down: counted, not logged
        now[0] += 60
        outage.failed(error)
        outage.answered()

    assert (skipped, retried, outage.skipping()) == (True, True, False)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 3
    assert "(1 failure(s)" in messages[0] and "(2 failure(s)" in messages[1]
    assert messages[2] == "Redis answers again for the test"


# --- Redis up -----------------------------------------------------------------------------------


@pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379")
def test_with_redis_up_two_nodes_share_pages_revisions_and_counts(
    redis_app, db_session, org, traced, monkeypatch
):
    one = redis_app(REAL_REDIS, RATELIMIT_ENABLED=True, PUBLIC_RATE_LIMIT="3 per hour")
    other = redis_app(REAL_REDIS, RATELIMIT_ENABLED=True, PUBLIC_RATE_LIMIT="3 per hour")
    first, second, address = one.test_client(), other.test_client(), an_address()
    built = counting_builds(monkeypatch)

    assert get_page(first, bag_path(traced.bag), environ_base=address).status_code == 200
    assert get_page(second, bag_path(traced.bag), environ_base=address).status_code == 200
    assert len(built) == 1  # the second node took the page the first one put in Redis

    user = factories.user(db_session, org, "staff")
    first.post("/login", data={"email": user.email, "password": "pw-1234"})
    first.post(f"/bags/{traced.bag.serial}/void", data={"reason": "Saco roto"})
    # The first node's write raised the revision in Redis: the second's copy is stale at once.
    assert get_page(second, bag_path(traced.bag), environ_base=address).status_code == 410
    # The fourth request of this address, whichever node it reached.
    assert get_page(first, bag_path(traced.bag), environ_base=address).status_code == 429
    assert not one.extensions["coopchain.trace_pages"].outage.skipping()
