"""The public page cache in Redis, shared by every web node (REDIS_URL or PUBLIC_PAGE_CACHE_URL;
docs/OPERATIONS.md). Same interface and rules as the in-process PageCache (page_cache.py): a
page is served while its organisation's revision (newest ledger sequence number) and the day
are those it was rendered with.

The difference is how a node learns of a change: every session that commits ledger events
raises the organisation's revision in Redis right after its commit (on whichever node or
worker wrote them), and every node reads the revision there on each request, so a change on
one node makes the page stale on all of them at once. The revision key expires after
REVISION_KEY_TTL: a write by a process without Redis configured still shows within that time
(the next reader takes it from the database). The one-render-at-a-time lock is a Redis lock,
so fifty first scans spread over the nodes still render a cold page once.

Redis down (stopped, restarting, out of reach) must not turn a scan into an error page: every
call falls back to the in-process cache and lock (`local`, the PageCache a node without Redis
uses), which reads the revision from the database itself, so what it serves is as current as
on a single machine; redis_outage.py keeps requests from waiting on Redis meanwhile and logs
it. A write's revision that cannot reach Redis shows on the other nodes once their copy of the
revision key expires (REVISION_KEY_TTL_S), as for a process without Redis.
"""

import json
import logging
from contextlib import contextmanager
from datetime import date

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from coopchain.ledger.services import WRITTEN_HEADS
from coopchain.redis_outage import Outage
from coopchain.trace.page_cache import CachedPage, PageCache

#: Seconds a rendered page stays in Redis without being asked for (a day is always stale after).
PAGE_TTL_S = 26 * 3600
#: Seconds an organisation's revision key lives (see the module's docstring).
REVISION_KEY_TTL_S = 60
#: A render lock outlives a crashed renderer by at most this; a waiter gives up after WAIT.
RENDER_LOCK_S, RENDER_WAIT_S = 30, 15

#: Set the key to ARGV[1] if it is greater than what it holds (revisions only move forward,
#: whatever order two nodes' writes arrive in); refresh its expiry. Returns the value kept.
_RAISE_TO = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local value = tonumber(ARGV[1])
if value > current then current = value end
redis.call('SET', KEYS[1], current, 'EX', ARGV[2])
return current
"""

log = logging.getLogger(__name__)

PUBLISHER = "coopchain.trace.publish_revision"


class RedisPageCache:
    def __init__(self, url: str, prefix: str, local: PageCache, client_options: dict):
        self.redis = redis.Redis.from_url(url, **client_options)
        self.prefix = f"{prefix}public:"
        self._raise_to = self.redis.register_script(_RAISE_TO)
        self.local = local
        self.outage = Outage("public page cache")

    def _shared(self, call, fallback):
        """call() on Redis, or fallback() in this process while Redis does not answer."""
        if self.outage.skipping():
            return fallback()
        try:
            result = call()
        except redis.exceptions.RedisError as error:
            self.outage.failed(error)
            return fallback()
        self.outage.answered()
        return result

    def _page_key(self, key: tuple) -> str:
        return self.prefix + "page:" + "|".join(str(part) for part in key)

    def _revision_key(self, organization_id: int) -> str:
        return f"{self.prefix}revision:{organization_id}"

    @contextmanager
    def build_lock(self, key: tuple):
        lock = acquired = None
        if not self.outage.skipping():
            lock = self.redis.lock(
                self.prefix + "render:" + "|".join(str(part) for part in key),
                timeout=RENDER_LOCK_S,
                blocking_timeout=RENDER_WAIT_S,
            )
            try:
                acquired = lock.acquire()
            except redis.exceptions.RedisError as error:
                self.outage.failed(error)
        if acquired is None:  # no Redis: one render at a time in this process at least
            with self.local.build_lock(key):
                yield
            return
        try:
            yield  # not acquired in RENDER_WAIT_S: render anyway rather than fail the scan
        finally:
            if acquired:
                try:
                    lock.release()
                except redis.exceptions.LockError:  # expired meanwhile: someone else's now
                    pass
                except redis.exceptions.RedisError as error:  # expires on its own
                    self.outage.failed(error)

    def _revision(self, organization_id: int, read) -> int:
        known = self.redis.get(self._revision_key(organization_id))
        if known is not None:
            return int(known)
        return self._raise(organization_id, read(organization_id))

    def _raise(self, organization_id: int, value: int) -> int:
        key = self._revision_key(organization_id)
        return int(self._raise_to(keys=[key], args=[value, REVISION_KEY_TTL_S]))

    def note_revision(self, organization_id: int, value: int) -> bool:
        """A revision just read from the database or committed: raise it here and in Redis.
        False when Redis did not take it."""
        self.local.note_revision(organization_id, value)

        def publish() -> bool:
            self._raise(organization_id, value)
            return True

        return self._shared(publish, lambda: False)

    def get(self, key: tuple, day: date, read_revision) -> CachedPage | None:
        return self._shared(
            lambda: self._get(key, day, read_revision),
            lambda: self.local.get(key, day, read_revision),
        )

    def _get(self, key: tuple, day: date, read_revision) -> CachedPage | None:
        stored = self.redis.hgetall(self._page_key(key))
        if not stored:
            return None
        meta = json.loads(stored[b"meta"])
        if meta["day"] != day.isoformat():
            return None
        if self._revision(meta["organization_id"], read_revision) != meta["revision"]:
            return None
        return CachedPage(**{**meta, "day": day}, body=stored[b"body"], gzipped=stored[b"gzipped"])

    def put(self, key: tuple, page: CachedPage) -> None:
        self._shared(lambda: self._put(key, page), lambda: self.local.put(key, page))

    def _put(self, key: tuple, page: CachedPage) -> None:
        meta = {
            name: getattr(page, name)
            for name in ("organization_id", "revision", "etag", "lot_id", "bag_id", "shipment_id")
        }
        meta["day"] = page.day.isoformat()
        name = self._page_key(key)
        with self.redis.pipeline() as pipe:
            pipe.hset(
                name, mapping={"meta": json.dumps(meta), "body": page.body, "gzipped": page.gzipped}
            )
            pipe.expire(name, PAGE_TTL_S)
            pipe.execute()

    def drop(self, key: tuple) -> None:
        self.local.drop(key)
        self._shared(lambda: self.redis.delete(self._page_key(key)), lambda: None)

    def clear(self) -> None:
        self.local.clear()
        for name in self.redis.scan_iter(match=self.prefix + "*", count=500):
            self.redis.delete(name)


def install_publisher(app, cache: RedisPageCache) -> None:
    """Make every session of `app` raise the revisions of the organisations whose ledger it
    extended, once it commits (the listeners below do the work)."""
    sessionmaker = app.extensions["coopchain.db"].sessionmaker
    info = getattr(sessionmaker, "kw", {}).get("info")
    if info is not None:
        info[PUBLISHER] = cache.note_revision


@event.listens_for(OrmSession, "after_commit")
def _publish_revisions(session) -> None:
    # The heads of the events this session appended (ledger.services.append_many notes them).
    written = session.info.pop(WRITTEN_HEADS, {})
    publish = session.info.get(PUBLISHER)
    if publish is None:
        return
    for org, seq in written.items():
        if not publish(org, seq):  # the write stands; said once per commit (staff's pace)
            log.warning(
                "Revision %s of organisation %s not raised in Redis (it does not answer): other "
                "nodes may show its public pages unchanged for up to %s s",
                seq,
                org,
                REVISION_KEY_TTL_S,
            )


@event.listens_for(OrmSession, "after_rollback")
def _forget_revisions(session) -> None:
    session.info.pop(WRITTEN_HEADS, None)
