"""Settings read from the environment, with defaults that suit a laptop demo.

`load_config()` reads every setting into the dict Flask keeps; `create_app(config=...)`
overlays a dict on top (tests use that). What the domain services need of it is `Settings`:
one frozen object built once per app and carried by every database session
(`db.settings_of(session)`), so services never read the app or the environment. Values that
DOMAIN.md marks *unverified* are settings, never constants.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from coopchain.demo_instance import PROJECT_ROOT as PROJECT_ROOT
from coopchain.demo_instance import inferred_env, instance_dir
from coopchain.eudr.secrets import derive_key

#: Secret keys that must never run in production: the demo one and Flask's documentation one.
INSECURE_SECRET_KEYS = {"", "dev", "demo-not-secret", "changeme"}


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def load_config() -> dict:
    """Return the settings as a plain dict (read at call time so tests can monkeypatch env)."""
    database_url = os.environ.get(
        "COOPCHAIN_DATABASE_URL", f"sqlite:///{instance_dir() / 'coopchain.sqlite'}"
    )
    # Unset: the demo's own database without a SECRET_KEY is the demo (demo_instance.py), so
    # the README's commands work after `make run`; anything else is production.
    env = os.environ.get("COOPCHAIN_ENV") or inferred_env(instance_dir(), database_url)
    redis_url = os.environ.get("COOPCHAIN_REDIS_URL", "").strip()
    return {
        #: "production", "demo" or "test"; only demo and test may run without a real SECRET_KEY.
        "COOPCHAIN_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
        "DATABASE_URL": database_url,
        # On SQLite, how long a write waits for another writer (a long job) to let go of the
        # lock before the request gives up with 503 "busy, nothing saved" (views.py).
        "SQLITE_BUSY_TIMEOUT_MS": int(os.environ.get("COOPCHAIN_SQLITE_BUSY_TIMEOUT_MS", "5000")),
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
        "RATELIMIT_STORAGE_URI": os.environ.get("COOPCHAIN_RATELIMIT_STORAGE")
        or redis_url
        or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": {
            "key_prefix": os.environ.get("COOPCHAIN_REDIS_PREFIX", "coopchain:") + "limits"
        },
        "RATELIMIT_ENABLED": True,
        # Redis down: Flask-Limiter counts in this process (and logs a warning) until it answers
        # again, so the login limit keeps limiting instead of answering 500 (docs/OPERATIONS.md).
        # Should its memory counting ever fail too, the error is logged and the request let
        # through rather than turned into a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "PAGE_SIZE": 25,
        "DEMO_PASSWORD": os.environ.get("COOPCHAIN_DEMO_PASSWORD", "demo"),
        # Expected yield per crop in kg/ha/yr when a plot has none of its own (unverified:
        # a setting). Coffee: dry parchment of a smallholder shade farm; pitahaya: fresh fruit.
        "DEFAULT_EXPECTED_YIELD": {
            "coffee": Decimal(os.environ.get("COOPCHAIN_YIELD_COFFEE", "700")),
            "pitahaya": Decimal(os.environ.get("COOPCHAIN_YIELD_PITAHAYA", "8000")),
        },
        "CURRENCY": os.environ.get("COOPCHAIN_CURRENCY", "PEN"),
        # Address the public sees (scheme + host [+ path], no trailing slash): QR codes printed
        # on bags and certificates point here, so it must be the real public address, not the
        # host a request happened to come in on.
        # Required in production (public_url.py refuses labels and certificates without it); in
        # the demo, empty means "the address the app is served on".
        "PUBLIC_BASE_URL": os.environ.get("COOPCHAIN_PUBLIC_BASE_URL", "").strip().rstrip("/"),
        # Where `coopchain run` serves (Flask's own variables, which `make run` sets): the demo's
        # public address outside a request (the demo command's printed bag page).
        "SERVE_HOST": os.environ.get("FLASK_RUN_HOST", "127.0.0.1"),
        "SERVE_PORT": int(os.environ.get("FLASK_RUN_PORT", "5000") or 5000),
        # Basemap of the staff maps (issue 15): a Leaflet URL template and its attribution.
        # Pages allow images from this host only (web/security_headers.py). The satellite
        # layer is offered when its template is set. Without network the maps still draw.
        "MAP_TILES": os.environ.get(
            "COOPCHAIN_MAP_TILES", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        ),
        "MAP_ATTRIBUTION": os.environ.get(
            "COOPCHAIN_MAP_ATTRIBUTION",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
            "contributors",
        ),
        "MAP_SATELLITE_TILES": os.environ.get("COOPCHAIN_MAP_SATELLITE_TILES", ""),
        "MAP_SATELLITE_ATTRIBUTION": os.environ.get("COOPCHAIN_MAP_SATELLITE_ATTRIBUTION", ""),
        # Walking a plot's boundary: a GPS fix less precise than this (metres) gets a warning.
        "GPS_MAX_ACCURACY_M": float(os.environ.get("COOPCHAIN_GPS_MAX_ACCURACY_M", "10")),
        # Redis shared by every web node and worker (docs/OPERATIONS.md): when set, the task
        # queue, rate-limit counters, the public page cache and its render lock live there;
        # unset, each process keeps them itself (one machine). Keys start with REDIS_PREFIX, so
        # several installations (or test runs) can share one Redis.
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": os.environ.get("COOPCHAIN_REDIS_PREFIX", "coopchain:"),
        # Seconds to connect to Redis and to wait for an answer: a hung Redis then costs a
        # request this long instead of the system's TCP timeout (minutes), and the pages carry
        # on without it (redis_outage.py). Redis answers a healthy call in a millisecond.
        "REDIS_TIMEOUT_S": float(os.environ.get("COOPCHAIN_REDIS_TIMEOUT_S", "1")),
        # The task queue (jobs.py): Redis by URL, else a SQLite file in instance/. Tests run
        # jobs in the caller (JOBS_IMMEDIATE) unless a test starts real workers.
        "JOBS_QUEUE_URL": os.environ.get("COOPCHAIN_QUEUE_URL", redis_url),
        "JOBS_QUEUE_NAME": os.environ.get("COOPCHAIN_QUEUE_NAME", "coopchain"),
        "JOBS_QUEUE_FILE": os.environ.get("COOPCHAIN_QUEUE_FILE", ""),
        # None: immediate exactly when the app's COOPCHAIN_ENV (after overrides) is "test".
        "JOBS_IMMEDIATE": (
            _env_bool("COOPCHAIN_JOBS_IMMEDIATE", False)
            if os.environ.get("COOPCHAIN_JOBS_IMMEDIATE") is not None
            else None
        ),
        # A worker renews its lease on a job every third of this (seconds); a job whose lease
        # ran out (its worker was killed) is sent again by the reaper, which looks every
        # JOBS_REAP_S. A job nobody took for JOBS_REQUEUE_AFTER_S (lost message) is sent again.
        "JOBS_LEASE_S": float(os.environ.get("COOPCHAIN_JOBS_LEASE_S", "60")),
        "JOBS_REAP_S": float(os.environ.get("COOPCHAIN_JOBS_REAP_S", "15")),
        "JOBS_REQUEUE_AFTER_S": float(os.environ.get("COOPCHAIN_JOBS_REQUEUE_AFTER_S", "300")),
        "JOBS_MAX_ATTEMPTS": int(os.environ.get("COOPCHAIN_JOBS_MAX_ATTEMPTS", "3")),
        # Threads of one `coopchain worker`.
        "JOBS_WORKER_THREADS": int(os.environ.get("COOPCHAIN_WORKER_THREADS", "2")),
        # A payment run over more deliveries than this is confirmed by a job.
        "JOBS_PAYMENT_RUN_DELIVERIES": int(
            os.environ.get("COOPCHAIN_JOBS_PAYMENT_RUN_DELIVERIES", "300")
        ),
        # A workbook import (registry, deliveries) of more rows than this runs as a job.
        "JOBS_IMPORT_ROWS": int(os.environ.get("COOPCHAIN_JOBS_IMPORT_ROWS", "1000")),
        # A shipment certificate, EUDR package or due diligence statement (staff downloads) of
        # more bags than this is made by a job. A container holds ~275-320 bags and its
        # documents take a few seconds: those stay in the request; a shipment of several
        # containers goes to a worker. The statement carries the package's plots, so both go
        # to a worker together.
        "JOBS_CERTIFICATE_BAGS": int(os.environ.get("COOPCHAIN_JOBS_CERTIFICATE_BAGS", "1000")),
        # A lot or shipment certificate whose origins span more plots than this is issued by a
        # job whatever its bags: WeasyPrint lays out one row per plot (500 take ~1.7-2.6 s,
        # docs/BENCHMARKS.md), and a request holds the database's write lock while it renders.
        "JOBS_CERTIFICATE_PLOTS": int(os.environ.get("COOPCHAIN_JOBS_CERTIFICATE_PLOTS", "500")),
        # A label sheet of more bags than this is made by a job.
        "JOBS_LABEL_BAGS": int(os.environ.get("COOPCHAIN_JOBS_LABEL_BAGS", "100")),
        # Extra modules registering tasks (comma-separated), for plug-ins outside TASK_MODULES.
        "JOBS_TASK_MODULES": tuple(
            m.strip() for m in os.environ.get("COOPCHAIN_JOB_MODULES", "").split(",") if m.strip()
        ),
        # Public trace pages (/b/<token>, /l/<token>): requests per client (Flask-Limiter
        # syntax; storage is RATELIMIT_STORAGE_URI, memory:// or redis://host:port). A buyer
        # checking a pallet scans a few dozen bags a minute; a script trying tokens is stopped.
        "PUBLIC_RATE_LIMIT": os.environ.get("COOPCHAIN_PUBLIC_RATE_LIMIT", "120 per minute"),
        # Grid cell of the public origin map in degrees (0.01° ≈ 1.1 km at the equator): coarse
        # enough that no farmhouse can be located from it.
        "PUBLIC_MAP_CELL_DEG": float(os.environ.get("COOPCHAIN_PUBLIC_MAP_CELL_DEG", "0.01")),
        # Plots listed one by one on a public page (largest first); the rest are summed up,
        # which keeps a page of a 2,000-delivery lot under 100 KB.
        "PUBLIC_MAX_PLOT_ROWS": int(os.environ.get("COOPCHAIN_PUBLIC_MAX_PLOT_ROWS", "50")),
        # Rendered public pages kept per worker (trace/page_cache.py), or in Redis for every
        # node when REDIS_URL (or this) is set (trace/shared_page_cache.py).
        "PUBLIC_PAGE_CACHE_URL": os.environ.get("COOPCHAIN_PAGE_CACHE_URL", redis_url),
        "PUBLIC_PAGE_CACHE_SIZE": int(os.environ.get("COOPCHAIN_PUBLIC_PAGE_CACHE_SIZE", "512")),
        # Scans are written in batches of this many, or when the oldest is this old (seconds).
        "SCAN_LOG_BATCH": int(os.environ.get("COOPCHAIN_SCAN_LOG_BATCH", "50")),
        "SCAN_LOG_MAX_AGE_S": float(os.environ.get("COOPCHAIN_SCAN_LOG_MAX_AGE_S", "10")),
        # Lot codes per crop; {year} and {seq} are required, {org} may be used. A JSON object
        # {"ORGCODE": {"coffee": "..."}} in COOPCHAIN_LOT_CODE_PATTERNS overrides per organisation.
        "LOT_CODE_PATTERNS": {
            "*": {"coffee": "CAF-{year}-{seq:06d}", "pitahaya": "PIT-{year}-{seq:06d}"},
            **json.loads(os.environ.get("COOPCHAIN_LOT_CODE_PATTERNS", "{}")),
        },
        # Net weight of one export bag or box per crop (DOMAIN.md §4: 69 kg in Peru, unverified;
        # pitahaya boxes unverified).
        "BAG_NET_KG": {
            "coffee": Decimal(os.environ.get("COOPCHAIN_BAG_KG_COFFEE", "69")),
            "pitahaya": Decimal(os.environ.get("COOPCHAIN_BAG_KG_PITAHAYA", "2.5")),
        },
        # Plausible yield (output kg / input kg) per processing step; outside it the user must
        # confirm. DOMAIN.md §4 gives parchment → green ~75–80 %; the rest are unverified.
        "PROCESS_YIELD_RANGES": {
            "cherry>wet_parchment": (Decimal("0.30"), Decimal("0.50")),
            "cherry>dry_parchment": (Decimal("0.15"), Decimal("0.25")),
            "cherry>green": (Decimal("0.12"), Decimal("0.21")),
            "wet_parchment>dry_parchment": (Decimal("0.45"), Decimal("0.65")),
            "wet_parchment>green": (Decimal("0.33"), Decimal("0.55")),
            "dry_parchment>green": (Decimal("0.70"), Decimal("0.85")),
        },
        # Mass balance: deliveries above area × expected yield × (1 + tolerance) are flagged.
        "MASS_BALANCE_TOLERANCE_PCT": Decimal(os.environ.get("COOPCHAIN_MASS_TOLERANCE", "20")),
        # Expected yields are in dry parchment (coffee) and fresh fruit (pitahaya); a delivery
        # in another form counts as this many kg of that form (unverified: settings).
        "YIELD_FORM_EQUIVALENTS": {
            "cherry": Decimal("0.20"),
            "wet_parchment": Decimal("0.55"),
            "dry_parchment": Decimal("1"),
            "green": Decimal("1.28"),
            "fresh_fruit": Decimal("1"),
        },
        # The dashboard flags an organic plot whose certificate lapses within this many days.
        "CERTIFICATE_WARNING_DAYS": int(os.environ.get("COOPCHAIN_CERTIFICATE_WARNING_DAYS", "60")),
        # Month a harvest season starts: 1 = calendar year (Peru's coffee harvest is Apr–Sep).
        "SEASON_START_MONTH": int(os.environ.get("COOPCHAIN_SEASON_START_MONTH", "1")),
        # Quantity a lab sample takes from a lot (issue: quality), in kg.
        "SAMPLE_KG": Decimal(os.environ.get("COOPCHAIN_SAMPLE_KG", "0.3")),
        # The unit a product form is priced in at intake: "kg" or "qq" (the 46 kg quintal
        # Peruvian parchment coffee is priced by, DOMAIN.md §11). JSON {"form": "qq"}; forms not
        # named are priced per kg.
        "PRICE_UNITS": {
            "dry_parchment": "qq",
            **json.loads(os.environ.get("COOPCHAIN_PRICE_UNITS", "{}") or "{}"),
        },
        # Whether staff may pay an advance at intake (admins and treasurers always may).
        "ADVANCE_AT_INTAKE": _env_bool("COOPCHAIN_ADVANCE_AT_INTAKE", True),
        # EU Information System, Operator API V3 (DOMAIN.md §8): base URLs the DDS client calls,
        # chosen per organisation (acceptance while testing credentials, then production).
        "EUDR_BASE_URLS": {
            "acceptance": os.environ.get(
                "COOPCHAIN_EUDR_ACCEPTANCE_URL",
                "https://acceptance.eudr.webcloud.ec.europa.eu/tracesnt/",
            ),
            "production": os.environ.get(
                "COOPCHAIN_EUDR_PRODUCTION_URL", "https://eudr.webcloud.ec.europa.eu/tracesnt/"
            ),
        },
        "EUDR_TIMEOUT_S": float(os.environ.get("COOPCHAIN_EUDR_TIMEOUT_S", "30")),
        # Pitahaya size codes by mean fruit weight in grams, [code, min, max] (DOMAIN.md §5:
        # thresholds unverified, so a setting). JSON list, e.g. [["A", 110, 150], …].
        "PITAHAYA_SIZE_CODES": json.loads(
            os.environ.get("COOPCHAIN_PITAHAYA_SIZE_CODES", "null") or "null"
        )
        or [
            ["A", "110", "150"],
            ["B", "150.1", "200"],
            ["C", "200.1", "260"],
            ["D", "260.1", "360"],
            ["E", "360.1", "2000"],
        ],
    }


def redis_client_options(config: Mapping) -> dict:
    """Keyword arguments of every redis-py client the web app makes (REDIS_TIMEOUT_S)."""
    timeout = config["REDIS_TIMEOUT_S"]
    return {"socket_connect_timeout": timeout, "socket_timeout": timeout}


#: Rate-limit storages that pass their options to a plain redis-py client.
REDIS_LIMIT_STORAGES = ("redis://", "rediss://", "redis+unix://")


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(
        {k: _frozen(v) if isinstance(v, Mapping) else v for k, v in mapping.items()}
    )


@dataclass(frozen=True)
class Settings:
    """The settings domain services and documents work with (see load_config for each)."""

    lot_code_patterns: Mapping[str, Mapping[str, str]]
    bag_net_kg: Mapping[str, Decimal]
    sample_kg: Decimal
    process_yield_ranges: Mapping[str, tuple[Decimal, Decimal]]
    mass_balance_tolerance_pct: Decimal
    yield_form_equivalents: Mapping[str, Decimal]
    default_expected_yield: Mapping[str, Decimal]
    season_start_month: int
    pitahaya_size_codes: tuple[tuple[str, str, str], ...]
    currency: str
    public_map_cell_deg: float
    public_max_plot_rows: int
    certificate_warning_days: int = 60
    #: Product form -> "kg" | "qq"; forms not named are priced per kg.
    price_units: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({"dry_parchment": "qq"})
    )
    advance_at_intake: bool = True
    #: "acceptance" | "production" -> base URL of the EU Information System (DOMAIN.md §8).
    eudr_base_urls: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    eudr_timeout_s: float = 30.0
    #: Fernet key for the EU credentials, derived from SECRET_KEY (eudr/secrets.py): services
    #: get this, never the SECRET_KEY itself.
    eudr_credentials_key: bytes = field(default=b"", repr=False)

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        return cls(
            lot_code_patterns=_frozen(config["LOT_CODE_PATTERNS"]),
            bag_net_kg=_frozen(config["BAG_NET_KG"]),
            sample_kg=Decimal(config["SAMPLE_KG"]),
            process_yield_ranges=_frozen(config["PROCESS_YIELD_RANGES"]),
            mass_balance_tolerance_pct=Decimal(config["MASS_BALANCE_TOLERANCE_PCT"]),
            yield_form_equivalents=_frozen(config["YIELD_FORM_EQUIVALENTS"]),
            default_expected_yield=_frozen(config["DEFAULT_EXPECTED_YIELD"]),
            season_start_month=int(config["SEASON_START_MONTH"]),
            pitahaya_size_codes=tuple(tuple(row) for row in config["PITAHAYA_SIZE_CODES"]),
            currency=config["CURRENCY"],
            public_map_cell_deg=float(config["PUBLIC_MAP_CELL_DEG"]),
            public_max_plot_rows=int(config["PUBLIC_MAX_PLOT_ROWS"]),
            certificate_warning_days=int(config["CERTIFICATE_WARNING_DAYS"]),
            price_units=_frozen(config.get("PRICE_UNITS", {"dry_parchment": "qq"})),
            advance_at_intake=bool(config.get("ADVANCE_AT_INTAKE", True)),
            eudr_base_urls=_frozen(config.get("EUDR_BASE_URLS", {})),
            eudr_timeout_s=float(config.get("EUDR_TIMEOUT_S", 30)),
            eudr_credentials_key=derive_key(config.get("SECRET_KEY") or ""),
        )
