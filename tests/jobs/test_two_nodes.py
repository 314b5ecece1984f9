"""Two web processes (gunicorn) and two `coopchain worker` processes sharing PostgreSQL and
Redis, as docs/OPERATIONS.md deploys them on separate machines: the public rate limit is
counted across both web processes, a change through one makes the cached public page stale on
the other at once, and jobs are taken by either worker.

Runs when COOPCHAIN_TEST_POSTGRES_URL is set and Redis answers on 127.0.0.1:6379 (CI has both,
.ci/run starts Redis); skips saying so otherwise. Redis database 7 and a key prefix and queue
name of its own keep parallel runs apart."""

import socket
import urllib.error
import urllib.request
import uuid

import pytest
import redis

from coopchain import create_app, jobs
from coopchain.auth.services import create_api_token
from coopchain.db import session_scope
from coopchain.job_rows import Job, JobStatus
from tests import factories
from tests.jobs.real_databases import (
    POSTGRES_URL,
    coopchain_process,
    fresh_database,
    python_process,
    wait_for,
)

REDIS_URL = "redis://127.0.0.1:6379/7"
LIMIT = 8


def _redis_answers() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        return False


pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and _redis_answers()),
    reason="needs PostgreSQL (COOPCHAIN_TEST_POSTGRES_URL) and Redis on 127.0.0.1:6379",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, headers=None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (local)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _post(url: str, body: bytes, token: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (local)
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def cluster(tmp_path):
    url = fresh_database("postgresql", tmp_path, "nodes")
    prefix = f"coopchain-test-{uuid.uuid4().hex[:12]}:"
    env = {
        "COOPCHAIN_DATABASE_URL": url,
        "COOPCHAIN_REDIS_URL": REDIS_URL,
        "COOPCHAIN_REDIS_PREFIX": prefix,
        "COOPCHAIN_QUEUE_NAME": prefix + "queue",
        "COOPCHAIN_PUBLIC_RATE_LIMIT": f"{LIMIT} per hour",
        "COOPCHAIN_PUBLIC_BASE_URL": "http://localhost:5000",
        "COOPCHAIN_WORKER_THREADS": "1",
    }
    app = create_app(
        {
            "COOPCHAIN_ENV": "test",
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": prefix,
            "JOBS_IMMEDIATE": False,
            "JOBS_QUEUE_URL": REDIS_URL,
            "JOBS_QUEUE_NAME": prefix + "queue",
            "JOBS_TASK_MODULES": ("tests.helpers.slow_jobs",),
        }
    )
    processes, ports = [], []
    for n in (1, 2):
        port = _free_port()
        ports.append(port)
        processes.append(
            python_process(
                ["-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "coopchain.wsgi:app"],
                env,
                tmp_path / f"web{n}.log",
            )
        )
        processes.append(coopchain_process(["worker"], env, tmp_path / f"worker{n}.log"))
    yield app, [f"http://127.0.0.1:{p}" for p in ports], processes, tmp_path
    for process in processes:
        process.terminate()
        process.wait(15)
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    app.extensions["coopchain.db"].engine.dispose()


def test_two_web_nodes_and_two_workers_share_postgresql_and_redis(cluster):
    app, (node_a, node_b), processes, tmp_path = cluster
    with app.app_context(), session_scope(app) as session:
        org = factories.organization(session, "NODES")
        producer = factories.producer(session, org)
        plot = factories.plot(session, org, producer)
        delivery, lot = factories.delivery(session, org, producer, plot, product_form="green")
        _row, token = create_api_token(session, factories.user(session, org, "admin"), org.id, "t")
        delivery_id, lot_token = delivery.id, lot.public_token
    for node in (node_a, node_b):
        wait_for(lambda n=node: _healthy(n), 120, f"{node} to answer")
    hits = 0

    # A page cached by node B is stale there as soon as node A's change is committed.
    status, before = _get(f"{node_b}/l/{lot_token}")
    hits += 1
    assert status == 200
    status, again = _get(f"{node_b}/l/{lot_token}")
    hits += 1
    assert (status, again) == (200, before)
    void = b'{"reason": "Weighed twice"}'
    assert _post(f"{node_a}/api/v1/deliveries/{delivery_id}/void", void, token) == 200
    status, after = _get(f"{node_b}/l/{lot_token}")
    hits += 1
    assert status != 200 and after != before  # the voided lot's page, on the very next request

    # The rate limit counts both nodes' requests for this client together.
    answered = {node_a: 0, node_b: 0}
    while hits < LIMIT:
        node = (node_a, node_b)[hits % 2]
        status, _body = _get(f"{node}/l/{lot_token}")
        assert status != 429, f"refused after {hits} requests"
        answered[node] += 1
        hits += 1
    assert all(count < LIMIT for count in answered.values())
    assert _get(f"{node_a}/l/{lot_token}")[0] == 429
    assert _get(f"{node_b}/l/{lot_token}")[0] == 429

    # Jobs sent from anywhere are taken by either worker.
    wait_for(lambda: _both_workers_ready(tmp_path), 120, "both workers to start")
    with app.app_context(), session_scope(app) as session:
        job_ids = [
            jobs.submit(
                session,
                org.id,
                None,
                "test.steps",
                {"steps": 2, "step_s": 0.4, "log_path": str(tmp_path / f"job{n}.log")},
            ).id
            for n in range(6)
        ]
    finished = wait_for(lambda: _all_done(app, job_ids), 120, "the six jobs to finish")
    assert {job.status for job in finished} == {JobStatus.FINISHED}
    workers = {p.pid for p in processes if "worker" in p.args}
    assert {job.result["worker_pid"] for job in finished} == workers


def _healthy(node: str) -> bool:
    try:
        return _get(f"{node}/healthz")[0] == 200
    except OSError:
        return False


def _both_workers_ready(tmp_path) -> bool:
    return all(
        (tmp_path / f"worker{n}.log").exists()
        and "Worker on queue" in (tmp_path / f"worker{n}.log").read_text()
        for n in (1, 2)
    )


def _all_done(app, job_ids) -> list[Job] | None:
    with session_scope(app) as session:
        found = [session.get(Job, job_id) for job_id in job_ids]
    return (
        found
        if all(job.status in (JobStatus.FINISHED, JobStatus.FAILED) for job in found)
        else None
    )
