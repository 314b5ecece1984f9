"""Startup objects frozen out of the garbage collector, for the web server (coopchain.wsgi) and
the job worker (`coopchain worker`).
"""

import gc


def settle_startup_heap() -> None:
    """Move every object alive now into the collector's permanent generation (gc.freeze), and
    collect less often.

    Why: a worker that has loaded the app holds some 300,000 objects (modules, SQLAlchemy's
    mappers, templates, Babel's locale data) that live as long as the process. CPython's full
    collection walks every tracked object, so each one cost a request about 130 ms on the 2-core
    machine: the lot page's and the origins' p95 (docs/BENCHMARKS.md, issue 19). Frozen objects
    are skipped by every collection; what requests create is collected as before. Python's
    documentation recommends exactly this after startup (gc.freeze, Python 3.7+).
    """
    gc.collect()
    gc.freeze()
    # With the startup objects frozen the collector counts almost nothing as long-lived, so a
    # full collection followed every tenth young one, each walking everything a request had
    # built so far: a lot of 20,000 origins spent a third of its time there. Collect the young
    # generation every 50,000 allocations instead of 700 (a request's objects are nearly all
    # freed by reference counting; cycles wait a little longer), and each older generation
    # after 20 collections of the one below instead of 10.
    gc.set_threshold(50_000, 20, 20)
