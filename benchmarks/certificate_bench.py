"""Certificate benchmark (issues 5, 20): a shipment certificate with 500 origin plots, signed,
in ≤ 2.5 s and ≤ 1.3 × bare WeasyPrint rendering the same final HTML.

    .venv/bin/python -m benchmarks.certificate_bench [--plots 500] [--repeats 3] [--out FILE]

No database: the compliance subject of a synthetic 40 ft coffee shipment is built directly
(compliance_report.Subject with real Origin, PlotBalance and CuppingScore values and stand-in
plots, evidence and shipment), the real rules evaluate it, and the benchmark times what the registry
does once it has the report: ``certificate_context`` + ``render_certificate_pdf`` (A4,
PDF/A-3b) + the PAdES signature with a generated RSA-3072 key (certs/signing.py), median of
the repeats. The floor: bare WeasyPrint (``HTML(string=…).write_pdf``) on the same final HTML,
median of as many repeats, interleaved with them so both see the same machine load.
Peak memory: the tracemalloc peak of one extra run (traced
separately, tracing slows Python down) and the process's ru_maxrss. Prints a markdown table and
writes it to docs/BENCHMARKS.md (its certificate-bench section) unless --no-doc. ``--out``
keeps the last PDF to look at.
"""

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from flask_babel import force_locale

from coopchain import create_app
from coopchain.certs import compliance, signing
from coopchain.certs.certificate_pdf import (
    PDF_VARIANT,
    certificate_context,
    render_certificate_html,
    render_certificate_pdf,
)
from coopchain.certs.compliance_report import ComplianceReport, Subject
from coopchain.farms.rules import OrganicStatus
from coopchain.lots.mass_balance import BalanceFlag, PlotBalance
from coopchain.lots.origins import Origin
from coopchain.quality.lot_quality import CuppingScore
from coopchain.quality.rules import Classification, Protocol

from .common import load_average, machine, machine_markdown, write_section

TARGET_S = 2.5
#: The certificate's own cost over WeasyPrint's (context, template, aligned rows, signature).
RATIO_TARGET = 1.3
#: The share of each delivery that went into the shipped lots: ~19 t, one 40 ft container.
SHARE = Decimal("0.06")
FIRST = ("Rosa", "Juan", "María", "José", "Ñusta", "Ángel", "Lucía", "Teófilo", "Inés", "Raúl")
LAST = ("Huamán", "Quispe", "Peña", "Córdova", "Muñoz", "Tantaleán", "Vásquez", "Chávez")
COMMUNITIES = ("Nuevo Edén", "San Martín de Alao", "Alto Naranjillo", "Aguas Claras")


def synthetic_report(n_plots: int = 500, seed: int = 5) -> ComplianceReport:
    """A shipment's compliance report with `n_plots` origin plots from n_plots // 2.5
    producers, 1–3 deliveries each, a few findings (forest field check, mass balance over)."""
    rng = random.Random(seed)  # noqa: S311  (synthetic data, not secrets)
    n_producers = max(1, n_plots * 2 // 5)
    origins, plots, evidence, balances = [], {}, {}, []
    delivery = 0
    for i in range(n_plots):
        plot_id = i + 1
        producer = i % n_producers
        code = f"CAF-{producer + 1:04d}"
        name = f"{FIRST[producer % len(FIRST)]} {LAST[producer % len(LAST)]} {producer + 1}"
        plot_name = f"Parcela {plot_id} · {rng.choice(('La Peña', 'El Cóndor', 'Añazco'))}"
        area = Decimal(rng.randint(50, 390)) / 100
        since = date(2016 + i % 6, 1 + i % 12, 1)
        plots[plot_id] = SimpleNamespace(
            id=plot_id,
            name=plot_name,
            crop="coffee",
            declared_area_ha=area,
            geometry={"type": "Point", "coordinates": [-77.4 + i * 1e-3, -5.7]},
            geometry_issues=[],
            area_ha=area,
            organic_certificate_number=f"CU-{829_000 + producer}",
            organic_certificate_valid_until=date(2027, 3, 31),
        )
        result = "more_info_needed" if i % 97 == 13 else "deforestation_free"
        evidence[plot_id] = SimpleNamespace(
            result=result, observed_on=date(2025, 11, 3), kind="manual" if i % 3 else "field"
        )
        delivered = Decimal("0")
        for _k in range(1 + i % 3):
            delivery += 1
            kg = Decimal(rng.randint(3000, 60000)) / 100
            delivered += kg
            origins.append(
                (
                    Origin(
                        delivery_id=delivery,
                        ticket_number=f"T-{delivery:05d}",
                        delivered_on=date(2026, 6, 1 + delivery % 28),
                        product_form="dry_parchment",
                        delivered_kg=kg,
                        origin_lot_code=f"CAF-2026-{delivery:06d}",
                        plot_id=plot_id,
                        plot_name=plot_name,
                        plot_area_ha=area,
                        altitude_m=1100 + (i * 7) % 700,
                        crop="coffee",
                        producer_id=producer + 1,
                        producer_code=code,
                        producer_name=name,
                        public_name_consent=producer % 3 == 0,
                        community=COMMUNITIES[producer % len(COMMUNITIES)],
                        organic_status=OrganicStatus.ORGANIC,
                        organic_since=since,
                        agreement_active=True,
                        agreement_numbers=(f"AC-{producer + 1:04d}",),
                        kg=kg * SHARE,
                    ),
                    kg * SHARE,
                )
            )
        expected = area * 1000
        ratio = (delivered / expected * 100).quantize(Decimal("0.01"))
        balances.append(
            PlotBalance(
                plot_id=plot_id,
                plot_name=plot_name,
                crop="coffee",
                producer_id=producer + 1,
                producer_code=code,
                producer_name=name,
                area_ha=area,
                expected_yield_kg_ha=Decimal("1000"),
                expected_kg=expected,
                delivered_kg={"dry_parchment": delivered},
                deliveries=1 + i % 3,
                delivered_equivalent_kg=delivered,
                ratio_pct=ratio,
                flag=BalanceFlag.OVER if ratio > 120 else BalanceFlag.OK,
            )
        )
    lots = [
        SimpleNamespace(
            code=f"CAF-2026-9{n:05d}",
            crop="coffee",
            product_form="green",
            quantity_kg=Decimal("23000"),
        )
        for n in range(3)
    ]
    cupping = {
        lots[0].code: CuppingScore(
            score=Decimal("86.25"),
            classification=Classification.EXCELLENT,
            protocols=(Protocol.SCA_2004,),
            derived=False,
            session_number="CS-2026-0042",
            held_on=date(2026, 8, 14),
            cupper_count=5,
        ),
        lots[1].code: CuppingScore(
            score=Decimal("84.10"),
            classification=Classification.VERY_GOOD,
            protocols=(Protocol.SCA_2004, Protocol.CVA_2024),
            derived=True,
            coverage=Decimal("0.92"),
            measured_lots=("CAF-2026-000101", "CAF-2026-000102"),
        ),
        lots[2].code: None,
    }
    shipment = SimpleNamespace(
        reference="EXP-2026-014",
        status="loading",
        crop="coffee",
        buyer_name="Kaffeerösterei Grün & Söhne GmbH",
        buyer_country="DE",
        incoterm="FOB",
        port_of_loading="Paita",
        port_of_destination="Hamburg",
        planned_loading_on=date(2026, 9, 20),
        shipped_on=None,
        vessel="MSC Aurora",
        bill_of_lading="MEDUPA123456",
        container_number="MSCU1234565",
        seal_number="PE-889911",
        ico_marks="15/1234/0014",
        eu_coi_number="COI.PE.2026.0001234",
        nop_certificate_number="123-4567890123-456789",
        senasa_certificate_number=None,
        eudr_dds_reference="25DEXXXXXXXX12",
        eudr_dds_verification="ABCD1234",
    )
    net = sum((kg for _o, kg in origins), Decimal("0"))
    subject = Subject(
        kind="shipment",
        reference=shipment.reference,
        crop="coffee",
        judged_on=date(2026, 9, 20),
        lots=lots,
        origins=origins,
        organic_status=OrganicStatus.ORGANIC,
        downgraded=False,
        plots=plots,
        evidence=evidence,
        balances=balances,
        cupping=cupping,
        shipment=shipment,
        net_kg=net,
        bags=int(net // 69),  # 69 kg bags
    )
    return compliance.evaluate(subject)


def meta(language: str = "es") -> dict:
    return {
        "number": "CC-COOPAM-2026-000123",
        "verify_url": "https://coopchain.example.org/verify/3q2-x9Zk_Vb7mQ1wLr8tYg",
        "issued_at": datetime(2026, 9, 18, 15, 30, tzinfo=UTC),
        "issued_by": "Ana Peña",
        "organization": {
            "name": "Cooperativa Agraria Alto Mayo",
            "code": "COOPAM",
            "country": "PE",
        },
        "language": language,
        "override_reason": None,
        "replaces": None,
    }


def render_once(report, language: str, key: signing.KeyMaterial | None = None) -> bytes:
    """What the registry does once it has the report: render, and sign when given a key."""
    with force_locale(language):
        pdf = render_certificate_pdf(certificate_context(report, meta(language)))
    if key is None:
        return pdf
    return signing.sign_pdf(pdf, key, reason="Benchmark", name="Bench", location="PE")


def bare_weasyprint(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf(pdf_variant=PDF_VARIANT)


def page_count(pdf: bytes) -> int | None:
    pdfinfo = shutil.which("pdfinfo")  # poppler-utils; the count is left out without it
    if pdfinfo is None:
        return None
    try:
        info = subprocess.run(  # noqa: S603  (a fixed argument list: poppler's pdfinfo)
            [pdfinfo, "-"], input=pdf, capture_output=True, check=True, timeout=30
        ).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return None
    for line in info.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--language", default="es", choices=("es", "en"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/BENCHMARKS.md")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)

    info = machine()
    app = create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": "sqlite://"})
    with app.test_request_context():
        report = synthetic_report(args.plots)
        key = signing.generate("Cooperativa Agraria Alto Mayo", "PE", datetime.now(UTC))
        pdf = render_once(report, args.language, key)  # warm-up: templates, fonts, Babel data
        with force_locale(args.language):
            html = render_certificate_html(certificate_context(report, meta(args.language)))
        bare_weasyprint(html)
        samples, cpu, floor, sign = [], [], [], []
        for _ in range(args.repeats):
            started, started_cpu = time.perf_counter(), time.process_time()
            pdf = render_once(report, args.language, key)
            samples.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            started = time.perf_counter()
            unsigned = bare_weasyprint(html)
            floor.append(time.perf_counter() - started)
            started = time.perf_counter()
            signing.sign_pdf(unsigned, key, reason="Benchmark", name="Bench", location="PE")
            sign.append(time.perf_counter() - started)
        tracemalloc.start()
        render_once(report, args.language)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    info["load_end"] = load_average()
    if args.out:
        args.out.write_bytes(pdf)
    median = statistics.median(samples)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    pages = page_count(pdf)
    rows = report.subject.by_plot()
    floor_median = statistics.median(floor)
    ratio = median / floor_median
    met = median <= TARGET_S and ratio <= RATIO_TARGET
    verdict = "✅" if median <= TARGET_S else "❌"
    ratio_verdict = "✅" if ratio <= RATIO_TARGET else "❌"
    # CPU time next to wall time: rendering is single-threaded, so on a busy machine the gap
    # between the two is time spent waiting for a CPU, not work.
    lines = [
        "## Certificate against bare WeasyPrint (issue 19 §3)",
        "",
        "Written by `benchmarks/certificate_bench.py` (`make bench`). A signed shipment "
        f"certificate with {args.plots} origin plots, against bare WeasyPrint rendering the same "
        "final HTML (the floor), interleaved in one run.",
        "",
        machine_markdown(info),
        "",
        "| Certificate | Origin plots | Origin rows (deliveries) | Pages | PDF size | Median "
        f"of {args.repeats} (wall) | Slowest | Median CPU | Target | tracemalloc peak "
        "| ru_maxrss | bare WeasyPrint, same HTML | ratio | of which signing |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|",
        f"| shipment, {args.language}, PDF/A-3b | {len(rows)} | {len(report.subject.origins)} "
        f"| {pages if pages is not None else '?'} | {len(pdf) / 1024:.0f} KiB "
        f"| {median:.2f} s | {max(samples):.2f} s | {statistics.median(cpu):.2f} s "
        f"| ≤ {TARGET_S} s {verdict} | {peak / 2**20:.0f} MiB | {rss_mib:.0f} MiB "
        f"| {floor_median:.2f} s | {ratio:.2f} (≤ {RATIO_TARGET}) {ratio_verdict} "
        f"| {statistics.median(sign) * 1000:.0f} ms |",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_doc:
        print(f"\nwritten to {write_section('certificate-bench', body)}")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
