"""The organic-compliance certificate PDF (issue 5 item 4), read back as an auditor would: its
text (pdftotext), its pages, its QR code (zxing-cpp) and its PDF/A-3b identification.

Most tests build the compliance report without the database, from the engine's own types
(compliance_report.Subject / ComplianceReport, lots.origins.Origin, PlotBalance, CuppingScore)
with stand-ins for plots, forest evidence and shipment; the last ones go through the registry
with real rows. Poppler and zxing-cpp read the PDFs back: missing locally, the tests skip; missing
in CI (CI=true), they fail.
"""

import os
import re
import shutil
import subprocess
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from coopchain import pdf as documents
from coopchain.certs import certificate_pdf, compliance, registry
from coopchain.certs.compliance_report import ComplianceReport, Finding, Severity, Subject
from coopchain.clock import today
from coopchain.farms.rules import OrganicStatus
from coopchain.forest.evidence import record_evidence
from coopchain.lots.mass_balance import BalanceFlag, PlotBalance
from coopchain.lots.origins import Origin
from coopchain.pdf import RefuseAllFetcher
from coopchain.quality.lot_quality import CuppingScore
from coopchain.quality.rules import Classification, Protocol
from tests import factories

HOSTILE = '<img src="file:///etc/passwd">'
VERIFY_URL = "https://coopchain.example.org/verify/Zq3-x9Zk_Vb7mQ1wLr8tYg"
NUMBER = "CC-COOPAM-2026-000042"


# --- reading PDFs back ------------------------------------------------------------------------


def require_tool(name: str) -> None:
    """Skip when a reader is missing locally; fail in CI, which installs them."""
    if shutil.which(name):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is missing, but CI must run the certificate tests.", pytrace=False)
    pytest.skip(f"{name} not installed (apt-get install poppler-utils)")


def pages_text(pdf: bytes, tmp_path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    require_tool("pdftotext")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def text_of(pdf: bytes, tmp_path) -> str:
    return "\n".join(pages_text(pdf, tmp_path))


def flat(text: str) -> str:
    """Whitespace collapsed, for sentences that wrap."""
    return " ".join(text.split())


def pdf_objects(pdf: bytes) -> str:
    """The file's bytes plus every Flate stream inflated (object streams hold the catalog), as
    Latin-1 text for regular expressions: no PDF library needed."""
    chunks = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            pass  # not Flate (or a font program): nothing to read there
    return b"\n".join(chunks).decode("latin-1")


# --- a report without the database ------------------------------------------------------------


@dataclass
class StandInLot:
    code: str
    crop: str = "coffee"
    product_form: str = "green"
    quantity_kg: Decimal = Decimal("1380")


def make_origin(
    n: int,
    *,
    code=None,
    name=None,
    consent=False,
    plot_name=None,
    kg=Decimal("412.5"),
    agreement_active=True,
    status=OrganicStatus.ORGANIC,
    plot_id=None,
    delivery=None,
) -> tuple[Origin, Decimal]:
    origin = Origin(
        delivery_id=delivery or n,
        ticket_number=f"T-{delivery or n:05d}",
        delivered_on=date(2026, 6, 1),
        product_form="dry_parchment",
        delivered_kg=kg,
        origin_lot_code=f"CAF-2026-{n:06d}",
        plot_id=plot_id or n,
        plot_name=plot_name or f"Parcela {n}",
        plot_area_ha=Decimal("1.25") + n % 7,
        altitude_m=1200 + n,
        crop="coffee",
        producer_id=n,
        producer_code=code or f"CAF-{n:04d}",
        producer_name=name or f"Rosa Huamán {n}",
        public_name_consent=consent,
        community="Nuevo Edén",
        organic_status=status,
        organic_since=date(2018, 1, 1),
        agreement_active=agreement_active,
        agreement_numbers=(f"AC-{n:04d}",),
        kg=kg,
    )
    return origin, kg


def stand_in_plot(plot_id: int) -> SimpleNamespace:
    return SimpleNamespace(
        id=plot_id,
        area_ha=None,
        organic_certificate_number=f"CU-PE-{plot_id:05d}",
        organic_certificate_valid_until=date(2027, 3, 31),
    )


def evidence(result="deforestation_free", observed_on=date(2025, 11, 3), kind="field"):
    return SimpleNamespace(result=result, observed_on=observed_on, kind=kind)


def make_report(
    origins,
    *,
    findings=(),
    evidence_of=None,
    balances=(),
    cupping=None,
    shipment=None,
    lots=None,
    kind=None,
) -> ComplianceReport:
    plot_ids = sorted({o.plot_id for o, _kg in origins})
    lots = lots or [StandInLot("CAF-2026-000900")]
    subject = Subject(
        kind=kind or ("shipment" if shipment else "lot"),
        reference=shipment.reference if shipment else lots[0].code,
        crop="coffee",
        judged_on=date(2026, 9, 20),
        lots=lots,
        origins=list(origins),
        organic_status=OrganicStatus.ORGANIC,
        downgraded=False,
        plots={p: stand_in_plot(p) for p in plot_ids},
        evidence=(evidence_of if evidence_of is not None else {p: evidence() for p in plot_ids}),
        balances=list(balances),
        cupping=cupping if cupping is not None else {lot.code: None for lot in lots},
        shipment=shipment,
        net_kg=sum((kg for _o, kg in origins), Decimal("0")),
        bags=20 if shipment else 0,
    )
    return ComplianceReport(subject, list(findings), [name for name, _r in compliance.RULES])


def make_meta(**fields) -> dict:
    return {
        "number": NUMBER,
        "verify_url": VERIFY_URL,
        "issued_at": datetime(2026, 9, 18, 15, 30, tzinfo=UTC),
        "issued_by": "Ana Peña",
        "organization": {
            "name": "Cooperativa Agraria Alto Mayo",
            "code": "COOPAM",
            "country": "PE",
        },
        "language": "en",
        "override_reason": None,
        "replaces": None,
        **fields,
    }


def render(report, language="en", **meta) -> bytes:
    with force_locale(language):
        context = certificate_pdf.certificate_context(report, make_meta(language=language, **meta))
        return certificate_pdf.render_certificate_pdf(context)


# --- what the certificate prints --------------------------------------------------------------


def test_the_origin_table_shows_what_an_auditor_asks_of_each_plot(tmp_path):
    origins = [
        make_origin(1, kg=Decimal("612.5")),
        make_origin(2, kg=Decimal("250"), agreement_active=False),
        make_origin(3, kg=Decimal("137.25"), status=OrganicStatus.IN_CONVERSION),
    ]
    report = make_report(
        origins,
        evidence_of={
            1: evidence(),
            2: evidence("more_info_needed", date(2025, 10, 1), "manual"),
        },
    )

    text = text_of(render(report), tmp_path)

    for code, plot, kg in (
        ("CAF-0001", "Parcela 1", "612.5"),
        ("CAF-0002", "Parcela 2", "250"),
        ("CAF-0003", "Parcela 3", "137.25"),
    ):
        row = next(line for line in text.splitlines() if code in line)
        assert plot in row and kg in row, row
    assert "AC-0001 · active" in text and "AC-0002 · NOT active" in text
    # Area, altitude, organic status with the day it became organic, the plot's certificate.
    assert "2.25 ha · 1,201 m" in text
    assert "organic · 01/01/2018" in text and "in conversion · 01/01/2018" in text
    assert "CU-PE-00001 · 31/03/2027" in text
    # Forest: the latest evidence's result and date; a plot without evidence says so.
    assert "no loss · field" in text and "03/11/2025" in text
    assert "field check · manual" in text and "01/10/2025" in text
    assert "no evidence" in text
    # Totals of the table and the key figures.
    assert "3 plots" in text and "999.75" in text


def test_a_name_is_printed_only_with_the_producers_consent(tmp_path):
    report = make_report(
        [
            make_origin(1, name="Rosa Consentida", consent=True),
            make_origin(2, name="Juan Reservado", consent=False),
        ]
    )
    with force_locale("en"):
        context = certificate_pdf.certificate_context(report, make_meta())

    text = text_of(render(report), tmp_path)

    assert "CAF-0001 · Rosa Consentida" in text
    assert "CAF-0002" in text and "Juan Reservado" not in text
    # Not in the data either: the template could not leak what it never receives.
    assert "Juan Reservado" not in repr(context)


def test_a_hostile_name_is_text_and_nothing_is_fetched(tmp_path, monkeypatch):
    fetched = []

    class SpyFetcher(RefuseAllFetcher):
        def fetch(self, url, headers=None):
            fetched.append(url)
            return super().fetch(url, headers)

    # Every document renders through coopchain.pdf.render_pdf and its fetcher.
    monkeypatch.setattr(documents, "RefuseAllFetcher", SpyFetcher)
    report = make_report([make_origin(1, name=HOSTILE, consent=True, plot_name=HOSTILE)])

    pdf = render(report, override_reason=None, issued_by=HOSTILE)
    text = text_of(pdf, tmp_path)

    assert text.count(HOSTILE) >= 3  # producer, plot, issuer: printed as they were typed
    assert fetched == []  # no <img> was made of it, so nothing was even asked for
    assert "root:" not in text


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/static/logo.png",
        "https://example.org/x.css",
        "data:image/png;base64,iVBORw0KGgo=",
    ],
)
def test_the_fetcher_refuses_every_url(url):
    with pytest.raises(ValueError, match="not allowed"):
        RefuseAllFetcher().fetch(url)


def test_accents_survive_in_spanish(tmp_path):
    report = make_report(
        [make_origin(1, name="Ñusta Muñoz Ávila", consent=True, plot_name="Señor de Huamán")]
    )

    text = text_of(render(report, "es"), tmp_path)

    assert "Ñusta Muñoz Ávila" in text and "Señor de Huamán" in text
    assert "Ana Peña" in text and "orgánico" in text
    assert "Página 1 de 2" in text or "Página 1 de 1" in text


def test_english_and_spanish_variants(tmp_path):
    report = make_report([make_origin(1)])

    english = pages_text(render(report, "en"), tmp_path)
    spanish = pages_text(render(report, "es"), tmp_path)

    assert f"Page 1 of {len(english)}" in english[0]
    assert f"Página 1 de {len(spanish)}" in spanish[0]
    assert "Organic-compliance certificate" in english[0]
    assert "organic" in english[0] and "orgánico" in spanish[0]
    assert "Peso neto" in spanish[0] and "Net weight" in english[0]


def test_520_plots_break_across_pages_with_the_header_repeated(tmp_path):
    origins = [
        make_origin(n, name=f"Productora {n}", consent=n % 2 == 0, kg=Decimal(1000 - n))
        for n in range(1, 521)
    ]
    pages = pages_text(render(make_report(origins)), tmp_path)
    text = "\n".join(pages)

    assert len(pages) >= 8
    for n in range(1, 521):
        assert f"CAF-{n:04d}" in text, n
    # Consent decides, row by row.
    assert "Productora 520" in text and "Productora 519" not in text
    table_pages = [i for i, page in enumerate(pages) if "CAF-0" in page]
    assert len(table_pages) >= 7
    for i in table_pages:
        # The header row is repeated on every page of the table.
        assert re.search(r"Producer\s+Plot\s+Organic status", pages[i]), i
    for n in range(1, 521):
        # A row is never split: its first line (code) and second (agreement) share a page.
        [page] = [i for i, p in enumerate(pages) if re.search(rf"CAF-{n:04d}\b", p)]
        assert f"AC-{n:04d} · active" in pages[page], n
    for i, page in enumerate(pages, start=1):
        # The running header and footer on every page.
        assert f"Certificate {NUMBER}" in page and "Cooperativa Agraria Alto Mayo" in page
        assert f"Page {i} of {len(pages)}" in page


def test_every_finding_and_the_override_reason_are_printed(tmp_path):
    findings = [
        Finding(
            "FOR-MISSING",
            Severity.BLOCKING,
            "1 origin plots have no forest evidence.",
            ("CAF-0002 · Parcela 2",),
            evidence="The latest forest evidence of each plot.",
        ),
        Finding(
            "MB-OVER",
            Severity.WARNING,
            "1 origin plots delivered more than their area can yield.",
            ("CAF-0001 · Parcela 1",),
            ("T-00001",),
        ),
    ]
    reason = "Field visit on 2026-09-02 confirmed shade coffee; <b>report</b> FV-88 on file."
    report = make_report([make_origin(1), make_origin(2)], findings=findings)

    text = flat(
        text_of(render(report, override_reason=reason, replaces="CC-COOPAM-2026-000041"), tmp_path)
    )

    assert (
        "Issued despite blocking findings by decision of an administrator: " + reason
    ) in text  # the reason as typed, markup and all
    assert "1 blocking, 1 warning." in text
    assert "FOR-MISSING BLOCKING 1 origin plots have no forest evidence." in text
    assert "Plots: CAF-0002 · Parcela 2" in text
    assert "MB-OVER WARNING" in text and "Deliveries: T-00001" in text
    assert "replaces certificate CC-COOPAM-2026-000041, which is revoked" in text


def test_a_clean_report_says_so_and_prints_no_override(tmp_path):
    text = flat(text_of(render(make_report([make_origin(1)])), tmp_path))

    assert "No blocking findings" in text and "No findings: every rule below holds." in text
    assert "Issued despite" not in text and "replaces certificate" not in text


def test_blocking_findings_without_an_override_are_never_dressed_as_valid(tmp_path):
    finding = Finding("ORG-ORIGIN", Severity.BLOCKING, "1 deliveries were not organic.")
    report = make_report([make_origin(1)], findings=[finding])

    text = flat(text_of(render(report), tmp_path))

    assert "Blocking findings: not valid as a certificate" in text
    assert "No blocking findings" not in text


def test_a_shipment_certificate_names_the_consignment_and_its_documents(tmp_path):
    shipment = SimpleNamespace(
        reference="EXP-2026-014",
        status="loading",
        buyer_name="Kaffeerösterei Grün GmbH",
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
    lots = [StandInLot("CAF-2026-000901"), StandInLot("CAF-2026-000902")]
    cupping = {
        "CAF-2026-000901": CuppingScore(
            score=Decimal("86.25"),
            classification=Classification.EXCELLENT,
            protocols=(Protocol.SCA_2004,),
            derived=False,
            session_number="CS-2026-0042",
            held_on=date(2026, 8, 14),
            cupper_count=5,
        ),
        "CAF-2026-000902": CuppingScore(
            score=Decimal("84.1"),
            classification=Classification.VERY_GOOD,
            protocols=(Protocol.CVA_2024,),
            derived=True,
            coverage=Decimal("0.92"),
            measured_lots=("CAF-2026-000101",),
        ),
    }
    report = make_report([make_origin(1)], shipment=shipment, lots=lots, cupping=cupping)

    text = flat(text_of(render(report), tmp_path))

    for expected in (
        "EXP-2026-014",
        "Kaffeerösterei Grün GmbH",
        "Germany (DE)",
        "FOB",
        "MSCU1234565 / PE-889911",
        "MSC Aurora",
        "Paita → Hamburg",
        "COI.PE.2026.0001234",
        "123-4567890123-456789",
        "25DEXXXXXXXX12",
        "ABCD1234",
        "Bags 20",
        "Net weight 412.5 kg",
    ):
        assert expected in text, expected
    # Cupping: score, measured (session) or derived (coverage), protocol.
    assert "86.25 Excellent Measured: session CS-2026-0042, 14/08/2026, 5 cuppers" in text
    assert "84.10 Very good Derived" in text and "92.0 % of the kilograms cupped" in text


def test_the_mass_balance_lists_the_plots_outside_the_tolerance(tmp_path):
    def balance(plot_id, ratio, flag):
        return PlotBalance(
            plot_id=plot_id,
            plot_name=f"Parcela {plot_id}",
            crop="coffee",
            producer_id=plot_id,
            producer_code=f"CAF-{plot_id:04d}",
            producer_name="x",
            area_ha=Decimal("1"),
            expected_yield_kg_ha=Decimal("1000"),
            expected_kg=Decimal("1000"),
            delivered_kg={"dry_parchment": ratio * 10},
            deliveries=1,
            delivered_equivalent_kg=ratio * 10,
            ratio_pct=ratio,
            flag=flag,
        )

    report = make_report(
        [make_origin(1), make_origin(2)],
        balances=[
            balance(1, Decimal("92.5"), BalanceFlag.OK),
            balance(2, Decimal("158.7"), BalanceFlag.OVER),
        ],
    )

    text = text_of(render(report), tmp_path)

    over = next(
        line
        for line in text.splitlines()
        if "over the expected yield" in line and "CAF-0002" in line
    )
    assert "1,587" in over and "158.7" in over
    # The counts sit beside the season totals (two columns): "1 plot" ends each count.
    assert re.search(r"within tolerance\s+1 plot\b(?!s)", text)
    assert re.search(r"over the expected yield\s+1 plot\b(?!s)", text)
    assert "2,512 kg" in text  # delivered in the seasons, all plots
    # Plots within the tolerance are counted, not listed.
    assert "92.5" not in text


def test_the_context_is_plain_data():
    report = make_report([make_origin(1, consent=True)], balances=[])
    with force_locale("en"):
        context = certificate_pdf.certificate_context(report, make_meta())
    plain = (str, int, Decimal, date, bool, type(None))

    def walk(value, where="context"):
        if isinstance(value, dict):
            for key, item in value.items():
                assert isinstance(key, str), where
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")
        else:
            assert isinstance(value, plain), f"{where} is {type(value).__name__}"

    walk(context)
    assert context["origins"][0]["producer_name"] == "Rosa Huamán 1"


def test_the_pdf_is_pdf_a_3b_with_its_metadata(tmp_path):
    pdf = render(make_report([make_origin(1)]))
    objects = pdf_objects(pdf)

    assert re.search(r'pdfaid:part(="|>)3', objects)
    assert re.search(r'pdfaid:conformance(="|>)B', objects)
    # The catalog (pydyf writes each object of an object stream on one line) carries the
    # PDF/A output intent with its sRGB profile.
    assert re.search(
        r"/Type\s*/Catalog[^\n]*/OutputIntents\s*\[\s*<<[^\n]*/S\s*/GTS_PDFA1[^\n]*"
        r"/DestOutputProfile\s+\d+ 0 R",
        objects,
    )
    require_tool("pdfinfo")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert f"Title:           Organic-compliance certificate {NUMBER}" in info.stdout
    assert "Author:          Cooperativa Agraria Alto Mayo" in info.stdout
    assert "Page size:       595.276 x 841.89 pts (A4)" in info.stdout
    meta = subprocess.run(["pdfinfo", "-meta", str(path)], capture_output=True, text=True)
    assert 'pdfaid:part="3"' in meta.stdout and 'pdfaid:conformance="B"' in meta.stdout


def test_the_qr_code_decodes_to_the_verify_url(tmp_path):
    require_tool("pdftoppm")
    import zxingcpp
    from PIL import Image

    path = tmp_path / "certificate.pdf"
    path.write_bytes(render(make_report([make_origin(1)])))
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "p")],
        check=True,
    )
    [image] = sorted(tmp_path.glob("p*.png"))
    found = [code.text for code in zxingcpp.read_barcodes(Image.open(image))]

    assert found == [VERIFY_URL]


# --- through the registry, with the database ---------------------------------------------------


@pytest.fixture
def certified_origin(db_session, org):
    """A lot from an organic plot with a valid certificate and an active agreement, from a
    consenting producer with accents in the name; forest evidence is up to each test."""
    producer = factories.producer(
        db_session, org, first_name="Ñusta", last_name="Muñoz Ávila", public_name_consent=True
    )
    plot = factories.plot(
        db_session,
        org,
        producer,
        name="Señor de Huamán",
        organic_certificate_number="PE-BIO-149-0042",
        organic_certificate_valid_until=date(today().year + 2, 12, 31),
    )
    factories.agreement(db_session, org, [producer])
    _delivery, lot = factories.delivery(
        db_session, org, producer, plot, delivered_on=date(2026, 6, 1)
    )
    return lot, producer, plot


def test_a_lot_certificate_through_the_registry(db_session, org, certified_origin, tmp_path):
    lot, producer, plot = certified_origin
    record_evidence(
        db_session,
        org.id,
        None,
        plot.id,
        {
            "kind": "field",
            "result": "deforestation_free",
            "source": "Visit report V-12",
            "observed_on": date(2026, 5, 1),
        },
    )

    certificate = registry.issue_certificate(
        db_session, org.id, None, kind="lot", reference=lot.code, language="es"
    )

    text = text_of(certificate.pdf, tmp_path)
    row = next(line for line in text.splitlines() if producer.member_code in line)
    assert "Ñusta Muñoz Ávila" in row and "Señor de Huamán" in row and "500" in row
    assert lot.code in text and certificate.number in text
    assert "01/05/2026" in text and "PE-BIO-149-0042" in text
    assert "Issued despite" not in text and "Emitido pese" not in text
    assert re.search(r'pdfaid:part(="|>)3', pdf_objects(certificate.pdf))


def test_an_override_through_the_registry_is_printed(db_session, org, certified_origin, tmp_path):
    lot, _producer, _plot = certified_origin  # no forest evidence: FOR-MISSING blocks
    with pytest.raises(registry.BlockingFindings):
        registry.issue_certificate(db_session, org.id, None, kind="lot", reference=lot.code)

    certificate = registry.issue_certificate(
        db_session,
        org.id,
        None,
        kind="lot",
        reference=lot.code,
        language="en",
        override_reason="Satellite review pending; field visit FV-88 found intact forest.",
        may_override=True,
    )

    text = flat(text_of(certificate.pdf, tmp_path))
    assert (
        "Issued despite blocking findings by decision of an administrator: Satellite review "
        "pending; field visit FV-88 found intact forest."
    ) in text
    assert "FOR-MISSING" in text and "no evidence" in text
