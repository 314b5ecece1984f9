"""Lots benchmark (issue: lots): a lot's origins, its page and the delivery import at volume.

    make bench                                          # every size, SQLite and PostgreSQL
    .venv/bin/python -m benchmarks.lots_bench --sizes 200,2000 --databases sqlite --no-doc

The targets, on the 2-core machine, on both databases (issue: lots, tightened by issue 19 §2
once origins became one indexed read of materialised shares): the origins of an export lot that
descends from 2,000 deliveries through three levels of merges and a split in ≤ 20 ms (p95), and
from 20,000 in ≤ 150 ms; its lot page in ≤ 120 ms (p95) at 2,000; building the 20,000-delivery
genealogy (every merge, the process and the split, through the services) in ≤ 60 s; 10,000
deliveries registered from an xlsx in ≤ 30 s; and how the figures grow from 200 to 2,000 to
20,000 deliveries.

For each database and each size N, in an organisation of its own: N/10 producers, each with a
plot and an agreement; N deliveries registered in bulk (services.register_checked_deliveries);
then the export lot's genealogy: merges of 20 origin lots, merges of 10 of those (of half of
them when there are fewer than 20, so level 3 still merges two), one merge of all of them,
processing to green (yield 0.78) and a split in two. The first half of the split is the lot
measured. Everything goes through the services, so setup also pays every rule check. Each
size is built and measured in a forked process of its own.

Figures: origins_of cold (first call on a fresh engine: empty statement cache, connection
already open) and warm (median / p95 of 30 calls, each in a new session so it really queries);
origins_of(with_graph=True) as the lot page calls it; the lot page GET /lots/<code> as a
logged-in staff member (one warm-up, then median / p95 of 30). A figure over its target is
profiled (cProfile, top cumulative functions printed).
"""

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from alembic import command
from sqlalchemy import func, select

import coopchain.models  # noqa: F401  (every table on the metadata)
from coopchain import create_app
from coopchain.auth import services as auth
from coopchain.cli import alembic_config
from coopchain.clock import today
from coopchain.db import database
from coopchain.farms import agreements, plots, producers
from coopchain.heap import settle_startup_heap
from coopchain.lots import lots_xlsx, services, transformations
from coopchain.lots.models import Delivery, Lot
from coopchain.lots.origins import origins_of
from coopchain.spreadsheets import read_workbook, write_workbook

from .common import (
    DEFAULT_POSTGRES_URL,
    csv_arg,
    database_urls,
    load_average,
    machine,
    machine_markdown,
    refresh_statistics,
    summary_ms,
    write_section,
)

SECTION = "lots-bench"
SIZES = (200, 2_000, 20_000)
DATABASES = ("sqlite", "postgresql")
#: Timed calls per figure: with 30 the nearest-rank p95 is the 29th, not (as with 10) the
#: slowest, which any hiccup of the machine decides.
REPEATS = 30
#: The size the issue's origin and page targets are stated for.
TARGET_SIZE = 2_000
ORIGINS_TARGET_MS = 20
PAGE_TARGET_MS = 120
#: The size of issue 19's large targets: origins p95 and building the genealogy.
LARGE_SIZE = 20_000
ORIGINS_LARGE_TARGET_MS = 150
GENEALOGY_TARGET_S = 60
IMPORT_ROWS = 10_000
IMPORT_TARGET_S = 30
PASSWORD = "bench-password-1234"  # noqa: S105  (a throw-away account on a throw-away database)
PRODUCERS_PER_DELIVERY = Decimal("0.1")
MERGE_FIRST, MERGE_SECOND = 20, 10
GREEN_YIELD = Decimal("0.78")
KG = Decimal("0.001")


@dataclass
class SizeResult:
    database: str
    deliveries: int
    setup_s: float = 0.0
    genealogy_s: float = 0.0
    ancestry: int = 0
    origins_found: int = 0
    origins_cold_ms: float = 0.0
    origins: dict = field(default_factory=dict)
    graph: dict = field(default_factory=dict)
    page: dict | None = None
    page_first_ms: float | None = None
    page_note: str | None = None
    #: (what, printable profile, [(function, cumulative s)])
    profiles: list[tuple[str, str, list]] = field(default_factory=list)


@dataclass
class ImportResult:
    database: str
    rows: int
    seconds: float | None = None
    read_s: float | None = None
    workbook_mb: float = 0.0
    note: str | None = None


# --- data -------------------------------------------------------------------------------------


def _square(index: int, side: float = 0.001) -> dict:
    """A plot polygon near Alto Mayo, one per producer on a grid (≈ 1.2 ha)."""
    lon, lat = -77.45 + (index % 100) * 0.002, -5.75 + (index // 100) * 0.002
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def build_farms(session, org_id: int, count: int, prefix: str) -> list:
    """`count` producers, each with one coffee plot (organic since 2015) and an individual
    agreement in force; returns [(member code, plot)]."""
    signed, until = today() - timedelta(days=700), today() + timedelta(days=365)
    farmed = []
    for i in range(count):
        producer = producers.create_producer(
            session,
            org_id,
            None,
            {
                "member_code": f"{prefix}-{i:05d}",
                "first_name": "Rosa",
                "last_name": f"Huamán {i}",
                "national_id": f"4{i:07d}",
                "sex": "female",
                "community": "Nuevo Edén",
                "sector": None,
                "phone": "987654321",
                "joined_on": date(2016, 3, 1),
                "public_name_consent": i % 2 == 0,
                "status": "active",
            },
        )
        plot = plots.create_plot(
            session,
            org_id,
            None,
            {
                "producer_id": producer.id,
                "name": f"Parcela {i}",
                "crop": "coffee",
                "geometry": _square(i),
                "declared_area_ha": Decimal("1.2"),
                "altitude_m": 1200,
                "varieties": "Caturra",
                "shade_agroforestry": True,
                "planting_year": 2015,
                "organic_conversion_start": date(2015, 1, 1),
                "organic_certifier_id": None,
                "organic_certificate_number": None,
                "organic_certificate_valid_until": None,
                "expected_yield_kg_ha": None,
            },
        )
        agreements.create_agreement(
            session,
            org_id,
            None,
            {
                "number": f"AC-{prefix}-{i:05d}",
                "kind": "individual",
                "protected_area": "BP Alto Mayo",
                "signed_on": signed,
                "valid_until": until,
                "commitments": ["no_clearing"],
                "status": "active",
                "status_reason": None,
                "status_since": None,
                "producer_ids": [producer.id],
            },
        )
        farmed.append((producer.member_code, plot))
    return farmed


def delivery_values(i: int, prefix: str) -> dict:
    """The i-th ticket: dry parchment, 60–66 kg net, spread over the last 180 days of intake."""
    return {
        "ticket_number": f"{prefix}-{i:06d}",
        "product_form": "dry_parchment",
        "gross_kg": Decimal(60 + i % 7) + Decimal("0.5"),
        "tare_kg": Decimal("0.5"),
        "moisture_pct": Decimal("12.5"),
        "delivered_on": today() - timedelta(days=60 + i % 180),
        "price_per_kg": Decimal("14.2"),
        "notes": None,
    }


def _merge_groups(session, org_id, user_id, codes: list[str], size: int, on: date) -> list[str]:
    groups = [codes[i : i + size] for i in range(0, len(codes), size)]
    if len(groups) > 1 and len(groups[-1]) == 1:  # a merge needs two lots
        groups[-2].extend(groups.pop())
    made = []
    for group in groups:
        merged = transformations.merge(session, org_id, user_id, [(c, None) for c in group], on)
        made.append(session.scalar(select(Lot.code).where(Lot.transformation_id == merged.id)))
    return made


def build_genealogy(session, org_id: int, user_id: int) -> tuple[Lot, dict]:
    """Merge, merge, merge, process, split; returns the first split output and lot counts."""
    origin_codes = list(
        session.scalars(
            select(Lot.code)
            .where(Lot.organization_id == org_id, Lot.delivery_id.is_not(None))
            .order_by(Lot.id)
        )
    )
    day = today() - timedelta(days=50)
    level1 = _merge_groups(session, org_id, user_id, origin_codes, MERGE_FIRST, day)
    second = MERGE_SECOND if len(level1) >= 2 * MERGE_SECOND else max(2, -(-len(level1) // 2))
    level2 = _merge_groups(session, org_id, user_id, level1, second, day + timedelta(days=7))
    (level3,) = _merge_groups(session, org_id, user_id, level2, len(level2), day + timedelta(14))
    parchment = services.get_lot(session, org_id, level3)
    green_kg = (parchment.available_kg * GREEN_YIELD).quantize(KG)
    processed = transformations.process(
        session, org_id, user_id, level3, None, "green", green_kg, day + timedelta(days=21)
    )
    green = session.scalar(select(Lot).where(Lot.transformation_id == processed.id))
    half = (green.available_kg / 2).quantize(KG, rounding=ROUND_DOWN)
    made = transformations.split(
        session,
        org_id,
        user_id,
        green.code,
        [half, green.available_kg - half],
        day + timedelta(days=28),
    )
    target = session.scalar(
        select(Lot).where(Lot.transformation_id == made.id).order_by(Lot.id).limit(1)
    )
    return target, {"level1": len(level1), "level2": len(level2)}


def build_size(app, n: int, timings: dict | None = None) -> tuple[int, str, str]:
    """An organisation with N deliveries and the export lot; returns (lot id, code, login).
    `timings`, when given, receives the seconds spent building the genealogy."""
    prefix = f"B{n}"
    email = f"staff-{n}@bench.test"
    with app.app_context():
        session = database().sessionmaker()
        try:
            started = time.perf_counter()
            org = auth.create_organization(session, prefix, f"Bench {n}", "cooperative")
            user = auth.create_user(session, email, "Bench staff", PASSWORD)
            auth.add_member(session, org.id, user, "staff", by_user_id=None)
            farmed = build_farms(session, org.id, max(2, int(n * PRODUCERS_PER_DELIVERY)), prefix)
            session.commit()
            _progress(f"{len(farmed)} producers, plots, agreements", started)
            started = time.perf_counter()
            rows = [(delivery_values(i, prefix), farmed[i % len(farmed)][1]) for i in range(n)]
            services.register_checked_deliveries(session, org.id, user.id, rows)
            session.commit()
            refresh_statistics(session)
            _progress(f"{n} deliveries", started)
            started = time.perf_counter()
            target, levels = build_genealogy(session, org.id, user.id)
            session.commit()
            if timings is not None:
                timings["genealogy_s"] = time.perf_counter() - started
            refresh_statistics(session)
            _progress(
                f"genealogy: {levels['level1']} + {levels['level2']} + 1 merges, process, split",
                started,
            )
            return target.id, target.code, email
        finally:
            session.close()


# --- measurements -----------------------------------------------------------------------------


def _progress(what: str, started: float) -> None:
    print(f"    {what}: {time.perf_counter() - started:.1f} s", flush=True)


def _origins_call(db, lot_id: int, with_graph: bool = False):
    """One origins_of in a fresh session (nothing cached in an identity map); (s, result)."""
    session = db.sessionmaker()
    try:
        lot = session.get(Lot, lot_id)
        started = time.perf_counter()
        found = origins_of(session, lot, with_graph=with_graph)
        return time.perf_counter() - started, found
    finally:
        session.close()


def _short(path: str) -> str:
    for prefix in sorted({*(p + "/" for p in sys.path if p)}, key=len, reverse=True):
        path = path.replace(prefix, "")
    return path


def profile(call) -> tuple[str, list[tuple[str, float]]]:
    """Where one call spends its time. Returns the printable profile (the project's functions,
    templates and Fraction by cumulative time, then every function by its own time) and the
    project functions that take between 3 % and 95 % of the call, largest first."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"/coopchain/|templates/|fractions", 20)
    stats.sort_stats("tottime").print_stats(12)
    text = "\n".join(
        line
        for line in _short(out.getvalue()).splitlines()
        if line.strip() and not line.strip().startswith("List reduced")
    )
    total = max(ct for _cc, _nc, _tt, ct, _callers in stats.stats.values())
    parts = sorted(
        (
            (f"{_short(file)}:{line}({name})", ct)
            for (file, line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items()
            if ("/coopchain/" in file or "templates/" in file) and 0.03 <= ct / total <= 0.95
        ),
        key=lambda item: -item[1],
    )
    return text, [("total under cProfile", total), *parts[:8]]


def measure_origins(app, result: SizeResult, lot_id: int, always_profile: bool) -> None:
    with app.app_context():
        db = database()
        with db.sessionmaker() as session:
            session.scalar(select(func.count()).select_from(Delivery))  # open the connection
        seconds, found = _origins_call(db, lot_id)
        result.origins_cold_ms = seconds * 1000
        result.origins_found = len(found.origins)
        total = sum((origin.kg for origin in found.origins), Decimal("0"))
        if total != found.quantity_kg:
            raise AssertionError(f"origins add up to {total} kg, not {found.quantity_kg} kg")
        # Only the times are kept: holding every call's 2,000 origins alive would give the
        # garbage collector a heap no server request has.
        del found
        warm = [_origins_call(db, lot_id)[0] for _ in range(REPEATS)]
        graphs = [_origins_call(db, lot_id, with_graph=True)[0] for _ in range(REPEATS - 1)]
        seconds, with_graph = _origins_call(db, lot_id, with_graph=True)
        result.origins = summary_ms(warm)
        result.graph = summary_ms([*graphs, seconds])
        result.ancestry = len(with_graph.nodes)
        del with_graph
        limit = ORIGINS_LARGE_TARGET_MS if result.deliveries >= LARGE_SIZE else ORIGINS_TARGET_MS
        slow = result.origins["p95"] > limit or result.graph["p95"] > PAGE_TARGET_MS
        if always_profile or (slow and result.deliveries >= TARGET_SIZE):
            result.profiles.append(
                ("origins_of(with_graph=True)", *profile(lambda: _origins_call(db, lot_id, True)))
            )


def measure_page(app, result: SizeResult, code: str, email: str, always_profile: bool) -> None:
    """GET /lots/<code> as a logged-in staff member; outside any app context, so each request
    gets its own session and teardown like in production."""
    client = app.test_client()
    login = client.post("/login", data={"email": email, "password": PASSWORD})
    if login.status_code != 302:
        result.page_note = f"login failed (HTTP {login.status_code})"
        return
    path = f"/lots/{code}"

    def get():
        started = time.perf_counter()
        response = client.get(path)
        return time.perf_counter() - started, response

    samples = []
    for _ in range(REPEATS + 1):
        try:
            seconds, response = get()
        except Exception as exc:  # the page is being written concurrently: report, go on
            result.page_note = f"the page raised {type(exc).__name__}: {exc}"
            return
        if response.status_code != 200:
            registered = "lots.lot_detail" in app.view_functions
            result.page_note = f"HTTP {response.status_code}" + (
                "" if registered else ": the lot page (lots.lot_detail) is not registered yet"
            )
            return
        if code not in response.get_data(as_text=True):
            result.page_note = "HTTP 200 but the page does not show the lot code"
            return
        samples.append(seconds)
    result.page_first_ms = samples[0] * 1000
    result.page = summary_ms(samples[1:])
    if always_profile or (result.page["p95"] > PAGE_TARGET_MS and result.deliveries >= TARGET_SIZE):
        result.profiles.append((f"GET {path}", *profile(get)))


def in_own_process(function, *args):
    """`function(*args)` in a forked child of this small process: each size is built and
    measured in a process of its own, as a web worker serves pages, not in one that has already
    built and measured every smaller size and database before it (its heap then slowed the last
    figures by a quarter)."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(function, args)


def bench_size(config: dict, kind: str, n: int, always_profile: bool) -> SizeResult:
    print(f"  {kind}, {n:,} deliveries", flush=True)
    result = SizeResult(kind, n)
    setup_app = create_app(config)
    started = time.perf_counter()
    timings: dict = {}
    try:
        lot_id, code, email = build_size(setup_app, n, timings)
    finally:
        setup_app.extensions["coopchain.db"].engine.dispose()
    result.setup_s = time.perf_counter() - started
    result.genealogy_s = timings.get("genealogy_s", 0.0)
    # A fresh app (and engine) for the measurements: "cold" starts with an empty statement
    # cache, as after a restart, and setup leaves nothing behind in memory. Its startup objects
    # are frozen out of the garbage collector as the server does (coopchain.wsgi).
    app = create_app(config)
    settle_startup_heap()
    try:
        measure_origins(app, result, lot_id, always_profile)
        measure_page(app, result, code, email, always_profile)
    finally:
        app.extensions["coopchain.db"].engine.dispose()
    print_row(result)
    for title, text, _parts in result.profiles:
        print(f"\n    profile of one {title} ({kind}, {n:,} deliveries):")
        print("\n".join("      " + line for line in text.splitlines()) + "\n", flush=True)
    return result


def bench_import(config: dict, kind: str, rows: int = IMPORT_ROWS) -> ImportResult:
    """Time lots_xlsx.import_deliveries + commit for a `rows`-row workbook."""
    print(f"  {kind}, xlsx import of {rows:,} deliveries", flush=True)
    result = ImportResult(kind, rows)
    app = create_app(config)
    try:
        with app.app_context():
            db = database()
            with db.sessionmaker() as session:
                started = time.perf_counter()
                org = auth.create_organization(session, "IMPORT", "Bench import", "cooperative")
                org_id = org.id
                farmed = build_farms(session, org_id, rows // 10, "IMP")
                session.commit()
                refresh_statistics(session)
                _progress(f"{len(farmed)} producers, plots, agreements", started)
                sheet = []
                for i in range(rows):
                    member_code, plot = farmed[i % len(farmed)]
                    values = delivery_values(i, "X")
                    by_name = i % 2 == 0  # half the rows name the plot, half give its id
                    sheet.append(
                        [
                            values["ticket_number"],
                            member_code,
                            None if by_name else plot.id,
                            plot.name if by_name else None,
                            values["product_form"],
                            values["gross_kg"],
                            values["tare_kg"],
                            values["moisture_pct"],
                            values["delivered_on"],
                            values["price_per_kg"],
                            None,
                        ]
                    )
            data = write_workbook([("Deliveries", lots_xlsx.DELIVERY_COLUMNS, sheet)])
            result.workbook_mb = len(data) / 1e6
            with db.sessionmaker() as session:
                started = time.perf_counter()
                try:
                    created = lots_xlsx.import_deliveries(session, org_id, None, data)
                    session.commit()
                except lots_xlsx.ImportFailed as exc:
                    result.note = f"import refused: {str(exc)[:300]}"
                    return result
                result.seconds = time.perf_counter() - started
                if len(created) != rows:
                    result.note = f"imported {len(created)} of {rows} rows"
            started = time.perf_counter()
            read_workbook(data, lots_xlsx.delivery_sheet_specs())
            result.read_s = time.perf_counter() - started
    finally:
        app.extensions["coopchain.db"].engine.dispose()
    print(
        f"    import + commit {result.seconds:.1f} s (reading the workbook alone "
        f"{result.read_s:.1f} s), {result.workbook_mb:.2f} MB  "
        f"{verdict(result.seconds, IMPORT_TARGET_S)}",
        flush=True,
    )
    return result


# --- reporting --------------------------------------------------------------------------------


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "not measured"
    return "PASS" if value <= target else "FAIL"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


HEADERS = [
    "database",
    "deliveries",
    "lots in ancestry",
    "origins cold ms",
    "origins warm median ms",
    "origins warm p95 ms",
    "with graph median ms",
    "lot page median ms",
    "lot page p95 ms",
    "genealogy s",
    "setup s",
]


def _cells(r: SizeResult) -> list[str]:
    page = r.page or {}
    return [
        r.database,
        f"{r.deliveries:,}",
        f"{r.ancestry:,}",
        _ms(r.origins_cold_ms),
        _ms(r.origins["median"]),
        _ms(r.origins["p95"]),
        _ms(r.graph["median"]),
        _ms(page.get("median")) if r.page else (r.page_note or "—"),
        _ms(page.get("p95")),
        f"{r.genealogy_s:.1f}",
        f"{r.setup_s:.0f}",
    ]


def print_row(r: SizeResult) -> None:
    print(
        f"    {r.origins_found:,} origins in an ancestry of {r.ancestry:,} lots; origins "
        f"cold {_ms(r.origins_cold_ms)} ms, warm median {_ms(r.origins['median'])} / p95 "
        f"{_ms(r.origins['p95'])} ms, with graph {_ms(r.graph['median'])} / "
        f"{_ms(r.graph['p95'])} ms",
        flush=True,
    )
    if r.page:
        print(
            f"    lot page first {_ms(r.page_first_ms)} ms, median {_ms(r.page['median'])} / "
            f"p95 {_ms(r.page['p95'])} ms",
            flush=True,
        )
    else:
        print(f"    lot page: {r.page_note}", flush=True)


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _ratio(results, kind, pick, small, large) -> str | None:
    by_n = {r.deliveries: r for r in results if r.database == kind}
    if small not in by_n or large not in by_n:
        return None
    a, b = pick(by_n[small]), pick(by_n[large])
    return None if a is None or b is None or a == 0 else f"×{b / a:.1f}"


def growth(results: list[SizeResult], kinds: list[str]) -> list[str]:
    """One sentence per database: how origins and the page grow with the deliveries."""

    def page(r):
        return r.page["median"] if r.page else None

    sentences = []
    for kind in kinds:
        parts = []
        for label, pick in (
            ("origins (warm median)", lambda r: r.origins["median"]),
            ("origins with the graph", lambda r: r.graph["median"]),
            ("the lot page (median)", page),
        ):
            steps = [
                f"{ratio} from {small:,} to {large:,}"
                for small, large in ((200, 2_000), (2_000, 20_000))
                if (ratio := _ratio(results, kind, pick, small, large))
            ]
            if steps:
                parts.append(f"{label} grows {' and '.join(steps)}")
        if parts:
            sentences.append(f"- {kind}: " + "; ".join(parts) + ".")
    return sentences


def targets_table(results, imports, kinds) -> tuple[str, list[str]]:
    at = {r.database: r for r in results if r.deliveries == TARGET_SIZE}
    large = {r.database: r for r in results if r.deliveries == LARGE_SIZE}
    imported = {r.database: r for r in imports}
    failures = []
    rows = []

    def cell(kind, value, target, unit, name):
        if value is None:
            return "not measured"
        mark = verdict(value, target)
        if mark == "FAIL":
            failures.append(f"{name} on {kind}: {value:,.1f} {unit} (target ≤ {target} {unit})")
        return f"{value:,.1f} {unit} **{mark}**"

    specs = [
        (
            f"origins of the export lot from {TARGET_SIZE:,} deliveries ≤ {ORIGINS_TARGET_MS} ms "
            "(warm p95)",
            lambda k: at[k].origins["p95"] if k in at else None,
            ORIGINS_TARGET_MS,
            "ms",
            "origins",
        ),
        (
            f"its lot page renders ≤ {PAGE_TARGET_MS} ms (p95)",
            lambda k: at[k].page["p95"] if k in at and at[k].page else None,
            PAGE_TARGET_MS,
            "ms",
            "lot page",
        ),
        (
            f"origins of the export lot from {LARGE_SIZE:,} deliveries ≤ "
            f"{ORIGINS_LARGE_TARGET_MS} ms (warm p95)",
            lambda k: large[k].origins["p95"] if k in large else None,
            ORIGINS_LARGE_TARGET_MS,
            "ms",
            "origins at 20,000",
        ),
        (
            f"building the {LARGE_SIZE:,}-delivery genealogy ≤ {GENEALOGY_TARGET_S} s",
            lambda k: large[k].genealogy_s if k in large else None,
            GENEALOGY_TARGET_S,
            "s",
            "genealogy",
        ),
        (
            f"{IMPORT_ROWS:,} deliveries from xlsx ≤ {IMPORT_TARGET_S} s (import + commit)",
            lambda k: imported[k].seconds if k in imported else None,
            IMPORT_TARGET_S,
            "s",
            "xlsx import",
        ),
    ]
    for label, pick, target, unit, name in specs:
        rows.append([label, *(cell(k, pick(k), target, unit, name) for k in kinds)])
    for kind in kinds:
        if kind in at and at[kind].page is None:
            failures.append(f"lot page on {kind}: {at[kind].page_note}")
    return markdown_table(["target", *kinds], rows), failures


def where_time_goes(results: list[SizeResult]) -> list[str]:
    """For the profiled calls at the target size: the functions that take the time."""
    lines = []
    for r in results:
        if r.deliveries != TARGET_SIZE:
            continue
        for title, _text, parts in r.profiles:
            (_label, total), *functions = parts
            listed = ", ".join(f"`{name}` {seconds * 1000:,.0f} ms" for name, seconds in functions)
            lines.append(f"- {r.database}, one `{title}`: {total * 1000:,.0f} ms; {listed}.")
    if not lines:
        return []
    return [
        "### Where the time goes",
        "",
        f"Profiled (cProfile, which itself roughly doubles the time) at {TARGET_SIZE:,} "
        "deliveries; cumulative time of the project's functions and templates, so nested "
        "entries overlap:",
        "",
        *lines,
        "",
    ]


def report(info, results, imports, kinds, skipped: dict[str, str]) -> tuple[str, list[str]]:
    targets, failures = targets_table(results, imports, kinds)
    import_rows = [
        [
            r.database,
            f"{r.rows:,}",
            f"{r.workbook_mb:.2f} MB",
            f"{r.seconds:.1f}" if r.seconds is not None else (r.note or "—"),
            f"{r.read_s:.1f}" if r.read_s is not None else "—",
        ]
        for r in imports
    ]
    lines = [
        "## Lots: origins, lot page, delivery import (issue: lots)",
        "",
        "Written by `benchmarks/lots_bench.py` (`make bench`, or "
        "`.venv/bin/python -m benchmarks.lots_bench --help` for one database or size).",
        "",
        machine_markdown(info),
        "",
    ]
    busy = max(info.get("load_start") or 0, info.get("load_end") or 0)
    if busy >= 0.5 * (info["cpus"] or 1):
        lines += [
            f"**The machine was busy during this run** (load average up to {busy:.1f} on "
            f"{info['cpus']} CPUs: other processes competed for them), so these figures are "
            "higher and noisier than on a quiet machine.",
            "",
        ]
    for kind, why in skipped.items():
        lines += [f"**{kind} was not measured:** {why}", ""]
    lines += [
        "### Targets",
        "",
        targets,
        "",
        "### Origins and the lot page by number of deliveries",
        "",
        markdown_table(HEADERS, [_cells(r) for r in results]),
        "",
        "How each figure grows (linear in the deliveries would be ×10 per step):",
        "",
        *(growth(results, kinds) or ["- only one size was measured."]),
        "",
        *where_time_goes(results),
        "### Delivery import from xlsx",
        "",
        markdown_table(
            ["database", "rows", "workbook", "import + commit s", "reading the workbook alone s"],
            import_rows,
        ),
        "",
        "### How it is measured",
        "",
        f"- Per size N, an organisation with N/10 producers (a plot and an agreement each) and "
        f"N deliveries of 60–66 kg registered in bulk; then merges of {MERGE_FIRST} origin "
        f"lots, merges of {MERGE_SECOND} of those (of half of them at N = 200, so the third "
        "level still merges two), one merge of all of them, processing to green (yield 0.78) "
        "and a split in two. The lot measured is the first half of the split; its ancestry is "
        "N origin lots plus every intermediate lot (the *lots in ancestry* column). All sizes "
        "share one database per engine, so the tables hold the smaller sizes' rows too.",
        f"- *Origins*: `origins_of(session, lot)`. *Cold* is the first call on a fresh engine "
        f"(connection open, SQLAlchemy's statement cache empty); *warm* is {REPEATS} calls, "
        "each in a new session so nothing comes from the identity map. *With graph* is "
        "`origins_of(..., with_graph=True)`, what the lot page calls. p95 is nearest-rank: of "
        f"{REPEATS} calls, the {REPEATS - REPEATS // 20}th fastest.",
        f"- *Lot page*: `GET /lots/<code>` with Flask's test client as a logged-in staff "
        f"member (no network, no gunicorn), one warm-up request then {REPEATS} timed; each must "
        "answer 200 and show the lot code. Each size is built and measured in a forked process of "
        "its own; on PostgreSQL the bulk load is analyzed and checkpointed before it is read.",
        f"- *Import*: a {IMPORT_ROWS:,}-row workbook (half the rows name the plot, half give its "
        "id) into an organisation with 1,000 producers; `lots_xlsx.import_deliveries` then "
        "`commit`, timed together. Reading the workbook alone is timed separately, to show "
        "where the time goes.",
        "- *Genealogy s*: every merge, the process and the split through the services, each "
        "writing its output's origin shares (issue 19 §2), committed. *Setup s* (not a "
        "target) adds the farms and the deliveries; every rule is checked (each merge reads its "
        "inputs' origins for the organic rule).",
        "- On PostgreSQL the benchmark runs `ANALYZE` after each bulk load (deliveries, "
        "genealogy, the import's producers), as autovacuum would in production; this server "
        "may have autovacuum off (see the machine line). SQLite is not analyzed.",
        "- Other work on the machine (the load average above) slows every figure and makes "
        "p95 noisy: compare runs made under similar load.",
    ]
    return "\n".join(lines), failures


# --- main -------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.lots_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--sizes",
        type=lambda v: csv_arg(v, kind=int),
        default=os.environ.get("COOPCHAIN_BENCH_SIZES", ",".join(map(str, SIZES))),
        help="numbers of deliveries, comma separated (default 200,2000,20000; "
        "env COOPCHAIN_BENCH_SIZES)",
    )
    parser.add_argument(
        "--databases",
        type=lambda v: csv_arg(v, DATABASES),
        default=os.environ.get("COOPCHAIN_BENCH_DATABASES", ",".join(DATABASES)),
        help="sqlite, postgresql or both (env COOPCHAIN_BENCH_DATABASES)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("COOPCHAIN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="emptied and rebuilt on every run (env COOPCHAIN_BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--no-import", action="store_true", help="skip the xlsx import")
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/BENCHMARKS.md")
    parser.add_argument("--profile", action="store_true", help="profile every size, not only slow")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    return parser.parse_args(argv)  # string defaults go through `type` too


def main(argv=None) -> int:
    args = parse_args(argv)
    info = machine()
    workdir = tempfile.mkdtemp(prefix="coopchain-bench-")
    try:
        urls, skipped = database_urls(args.databases, args.postgres_url, workdir, info)
        if not urls:
            print("No database to measure; docs/BENCHMARKS.md left unchanged.")
            return 0
        results: list[SizeResult] = []
        imports: list[ImportResult] = []
        for kind, url in urls.items():
            print(f"{kind}: alembic upgrade head", flush=True)
            command.upgrade(alembic_config(url), "head")
            config = {
                "COOPCHAIN_ENV": "test",
                "DATABASE_URL": url,
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
            }
            for n in args.sizes:
                results.append(in_own_process(bench_size, config, kind, n, args.profile))
            if not args.no_import:
                # In a process of its own too: a 10,000-row workbook leaves a heap the next
                # database's sizes would otherwise inherit when forked from this process.
                imports.append(in_own_process(bench_import, config, kind))
        kinds = list(urls)
        info["load_end"] = load_average()
        body, failures = report(info, results, imports, kinds, skipped)
        print("\n" + markdown_table(HEADERS, [_cells(r) for r in results]))
        print("\n" + targets_table(results, imports, kinds)[0] + "\n")
        for line in growth(results, kinds):
            print(line)
        if not args.no_doc:
            print(f"\nwritten to {write_section(SECTION, body)}")
        for failure in failures:
            print(f"FAIL: {failure}")
        if skipped:
            print("\n*** PostgreSQL was NOT measured (see above); SQLite only. ***")
        return 1 if failures and args.strict else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
