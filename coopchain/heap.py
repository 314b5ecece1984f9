"""Startup objects frozen out of the garbage collector, for the web server (coopchain.wsgi) and
the job worker (`coopchain worker`).
"""

import gc


def settle_startup_heap() -> None:
    """Move every object alive now into the collector's permanent generation (gc.freeze).

    Why: a worker that has loaded the app holds some 300,000 objects (modules, SQLAlchemy's
    mappers, templates, Babel's locale data) that live as long as the process. CPython's full
    collection walks every tracked object, so each one cost a request about 130 ms on the 2-core
    machine: the lot page's and the origins' p95 (docs/BENCHMARKS.md, issue 19). Frozen objects
    are skipped by every collection; what requests create is collected as before. Python's
    documentation recommends exactly this after startup (gc.freeze, Python 3.7+).
    """
    gc.collect()
    gc.freeze()
