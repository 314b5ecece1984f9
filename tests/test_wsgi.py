"""The app as gunicorn serves it (coopchain.wsgi): built once, its startup objects frozen out
of the garbage collector so a full collection never walks them during a request (issue 19)."""

import os
import subprocess
import sys

PROBE = """
import gc
import coopchain.wsgi as served
frozen = gc.get_freeze_count()
print(type(served.app).__name__, frozen)
"""


def test_the_served_app_starts_with_its_startup_objects_frozen(tmp_path):
    env = {
        **os.environ,
        "COOPCHAIN_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    kind, frozen = done.stdout.split()
    assert kind == "Flask"
    # The app, its modules and their data: far more than an interpreter's own few thousand.
    assert int(frozen) > 50_000
