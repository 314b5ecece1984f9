"""Settings read from the environment, with defaults that suit a laptop demo.

Every setting is an attribute of `Config`; `create_app(config=...)` overlays a dict on top
(tests use that). Values that DOMAIN.md marks *unverified* are settings, never constants.
"""

import os
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

#: Secret keys that must never run in production: the demo one and Flask's documentation one.
INSECURE_SECRET_KEYS = {"", "dev", "demo-not-secret", "changeme"}


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def load_config() -> dict:
    """Return the settings as a plain dict (read at call time so tests can monkeypatch env)."""
    env = os.environ.get("COOPCHAIN_ENV", "production")
    return {
        #: "production", "demo" or "test"; only demo and test may run without a real SECRET_KEY.
        "COOPCHAIN_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
        "DATABASE_URL": os.environ.get(
            "COOPCHAIN_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'coopchain.sqlite'}"
        ),
        # Uploads above this are refused with 413 before they reach any parser.
        "MAX_CONTENT_LENGTH": int(os.environ.get("COOPCHAIN_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies need HTTPS; set COOPCHAIN_HTTPS=1 behind a TLS-terminating proxy.
        "SESSION_COOKIE_SECURE": _env_bool("COOPCHAIN_HTTPS", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _env_bool("COOPCHAIN_HTTPS", False),
        "PREFERRED_URL_SCHEME": "https" if _env_bool("COOPCHAIN_HTTPS", False) else "http",
        "TRUST_PROXY": _env_bool("COOPCHAIN_TRUST_PROXY", False),
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,  # forms stay valid through a long day at the collection centre
        "BABEL_DEFAULT_LOCALE": "es",
        "LANGUAGES": ("es", "en"),
        "LOGIN_RATE_LIMIT": os.environ.get("COOPCHAIN_LOGIN_RATE_LIMIT", "10 per minute"),
        "RATELIMIT_STORAGE_URI": os.environ.get("COOPCHAIN_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_ENABLED": True,
        "PAGE_SIZE": 25,
        "DEMO_PASSWORD": os.environ.get("COOPCHAIN_DEMO_PASSWORD", "demo"),
        # Expected yield per crop in kg/ha/yr when a plot has none of its own (unverified:
        # a setting). Coffee: dry parchment of a smallholder shade farm; pitahaya: fresh fruit.
        "DEFAULT_EXPECTED_YIELD": {
            "coffee": Decimal(os.environ.get("COOPCHAIN_YIELD_COFFEE", "700")),
            "pitahaya": Decimal(os.environ.get("COOPCHAIN_YIELD_PITAHAYA", "8000")),
        },
    }
