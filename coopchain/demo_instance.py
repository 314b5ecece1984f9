"""The demo's own secret, generated once into instance/demo.json, and how the CLI knows it is
talking to the demo.

`make run` runs with COOPCHAIN_ENV=demo: the first start writes a random SECRET_KEY to
instance/demo.json (mode 0600, gitignored with instance/) with a fingerprint of the database it
serves. Later commands typed without any variable (`.venv/bin/coopchain create-token …`, as the
README shows) are treated as the demo only when all of these hold: COOPCHAIN_ENV is unset, no
SECRET_KEY is set, and the configured database is one the demo itself created. A production
server sets SECRET_KEY (it cannot start without one), so it never reads this file, and an
explicit COOPCHAIN_ENV=production never does either.
"""

import hashlib
import json
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MARKER_NAME = "demo.json"


def instance_dir() -> Path:
    """instance/ of the checkout (COOPCHAIN_INSTANCE_DIR to put it elsewhere, e.g. in tests)."""
    return Path(os.environ.get("COOPCHAIN_INSTANCE_DIR") or PROJECT_ROOT / "instance")


def _fingerprint(database_url: str) -> str:
    # A hash, so a PostgreSQL password in the URL is never written to the file.
    return hashlib.sha256(database_url.encode()).hexdigest()


def read_marker(directory: Path) -> dict | None:
    try:
        data = json.loads((directory / MARKER_NAME).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("secret_key"), str):
        return None
    return data


def serves_demo_database(directory: Path, database_url: str) -> bool:
    """True when instance/demo.json says the demo created this database."""
    marker = read_marker(directory)
    return bool(marker) and _fingerprint(database_url) in marker.get("databases", [])


def inferred_env(directory: Path, database_url: str) -> str:
    """COOPCHAIN_ENV when none is given: "demo" for the demo's own database with no
    SECRET_KEY set, else "production" (which then demands a real SECRET_KEY)."""
    if os.environ.get("SECRET_KEY"):
        return "production"
    return "demo" if serves_demo_database(directory, database_url) else "production"


def demo_secret(directory: Path, database_url: str) -> str:
    """The demo's SECRET_KEY: read from instance/demo.json, or generated and written there
    once; the database is recorded so later commands know it is the demo's."""
    marker = read_marker(directory) or {"secret_key": secrets.token_urlsafe(48), "databases": []}
    fingerprint = _fingerprint(database_url)
    if fingerprint not in marker.get("databases", []):
        marker["databases"] = [*marker.get("databases", []), fingerprint]
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / MARKER_NAME
        # Created readable by its owner only: it holds the key that signs demo sessions.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(marker, handle, indent=1)
    return marker["secret_key"]
