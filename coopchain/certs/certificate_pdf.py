"""The organic-compliance certificate: an A4 PDF/A-3b an auditor can archive and check.

Two steps, as for the intake receipt and the panel report (DESIGN.md §3, §6):
`certificate_context` turns a compliance report (coopchain/certs/compliance.py) and the
registry's facts (number, verify URL, issuer, override) into plain values, and
`render_certificate_pdf` turns those into PDF bytes with WeasyPrint. The registry calls both
inside `force_locale(language)`, so every word is translated when the PDF is rendered; the
context holds codes (statuses, results, flags), not words.

Nothing is fetched while rendering: the fetcher refuses every URL (file://, http(s)://, even
data:), the QR code is inline SVG and the fonts are the system's. A value typed by a user (a
producer's name, a plot name, an override reason) is autoescaped text and can never make the
server read a file or call a host.

Privacy (issue: shipments): a producer's name is printed only with their public-name consent;
otherwise the row shows the member code alone.
"""

from datetime import UTC
from decimal import Decimal

from flask_babel import gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from coopchain.certs.certificate_rows import ORIGIN_WORDS, origin_head, origin_rows, origin_total
from coopchain.certs.claims import claims_of
from coopchain.farms.models import ForestResult
from coopchain.formatting import moment_with_zone, use_locale
from coopchain.lots.mass_balance import BalanceFlag
from coopchain.pdf import render_html, write_pdf
from coopchain.quality import display_names as quality_labels
from coopchain.trace.qr import qr_svg

TEMPLATE = "pdf/certificate.html"
#: Auditors archive certificates: PDF/A-3b (ISO 19005-3, visual appearance preserved).
PDF_VARIANT = "pdf/a-3b"

#: The forest evidence results in words (DOMAIN.md §2, §7: cutoff 2020-12-31).
#: Short forms for the origin table's forest column.
FOREST_SHORT_LABELS = {
    ForestResult.DEFORESTATION_FREE: _l("no loss"),
    ForestResult.LOSS_AFTER_CUTOFF: _l("LOSS"),
    ForestResult.MORE_INFO_NEEDED: _l("field check"),
    ForestResult.NO_DATA: _l("no data"),
}
FOREST_LABELS = {
    ForestResult.DEFORESTATION_FREE: _l("No loss after 2020-12-31"),
    ForestResult.LOSS_AFTER_CUTOFF: _l("Loss after 2020-12-31"),
    ForestResult.MORE_INFO_NEEDED: _l("Tree cover, field check needed"),
    ForestResult.NO_DATA: _l("No data"),
}
EVIDENCE_KIND_LABELS = {
    "manual": _l("manual"),
    "field": _l("field"),
    "whisp": _l("Whisp"),
    "raster": _l("rasters"),
}
BALANCE_LABELS = {
    BalanceFlag.OK: _l("within tolerance"),
    BalanceFlag.OVER: _l("over the expected yield"),
    BalanceFlag.NO_AREA: _l("no area"),
    BalanceFlag.NO_YIELD: _l("no expected yield"),
}
SEVERITY_LABELS = {"blocking": _l("Blocking"), "warning": _l("Warning")}
#: The names of the rules (compliance.RULES), as printed in "rules checked".
RULE_LABELS = {
    "agreement_active": _l("Conservation agreement active on each delivery date"),
    "organic_claim": _l("Organic on each delivery date, no commingling"),
    "organic_certificate": _l("Organic certificate of each plot valid on the judged date"),
    "eudr_geolocation": _l("EUDR geolocation of each coffee plot"),
    "forest_evidence": _l("Forest evidence: no loss after 2020-12-31"),
    "mass_balance": _l("Mass balance within tolerance"),
    "cupping_score": _l("Cupping score of coffee export lots"),
    "shipment_documents": _l("Shipment bags, container and documents"),
}
SHIPMENT_FIELDS = (
    "reference",
    "status",
    "buyer_name",
    "buyer_country",
    "incoterm",
    "port_of_loading",
    "port_of_destination",
    "planned_loading_on",
    "shipped_on",
    "vessel",
    "bill_of_lading",
    "container_number",
    "seal_number",
    "ico_marks",
    "eu_coi_number",
    "transaction_certificates",
    "nop_certificate_number",
    "senasa_certificate_number",
    "eudr_dds_reference",
    "eudr_dds_verification",
)


# --- context: plain values only ---------------------------------------------------------------


def certificate_context(report, meta: dict) -> dict:
    """Everything the certificate prints, as plain values (no ORM object reaches the template).

    `report` is a compliance_report.ComplianceReport; `meta` is what the registry decided: number,
    verify_url, issued_at, issued_by, organization {name, code, country}, language,
    override_reason, replaces."""
    subject = report.subject
    balances = [_balance_row(balance) for balance in subject.balances]
    by_plot: dict[int, list[dict]] = {}
    for balance in balances:
        by_plot.setdefault(balance["plot_id"], []).append(balance)
    origins = [_origin_row(row, by_plot) for row in subject.by_plot()]
    findings = [_finding_row(finding) for finding in report.findings]
    areas = [row["area_ha"] for row in origins if row["area_ha"] is not None]
    return {
        "number": meta["number"],
        "issued_at": meta["issued_at"],
        "issued_by": meta.get("issued_by"),
        "language": meta.get("language"),
        "organization": {
            "name": meta["organization"]["name"],
            "code": meta["organization"]["code"],
            "country": meta["organization"].get("country"),
            "locale": meta["organization"].get("locale"),
        },
        "verify_url": meta["verify_url"],
        "override_reason": meta.get("override_reason"),
        "replaces": meta.get("replaces"),
        "ledger_head": meta.get("ledger_head"),
        # The group's organic operator certificate and its control body (certs/keys.py).
        "operator_certificate": meta.get("operator_certificate"),
        # Who signs and with which key (drafts._signature_block); key None: unsigned.
        "signature": meta.get("signature")
        or {"signer_name": meta.get("issued_by"), "signer_role": None, "key_fingerprint": None},
        "subject": _subject_summary(subject),
        # What the certificate claims (organic, agreements, forest): the findings' verdict, as
        # on the public page and the labels (certs/claims.py).
        "claims": claims_of(report),
        "origins": origins,
        "totals": {
            "plots": len(origins),
            "producers": len({row["producer_code"] for row in origins}),
            "deliveries": sum(row["deliveries"] for row in origins),
            "kg": sum((row["kg"] for row in origins), Decimal("0")),
            "area_ha": sum(areas, Decimal("0")) if areas else None,
        },
        # Every plot's balance is in its origin row; section 2 lists the exceptions.
        "balance_exceptions": sorted(
            (b for b in balances if b["flag"] != BalanceFlag.OK),
            key=lambda b: (
                b["flag"] != BalanceFlag.OVER,
                -(b["ratio_pct"] or 0),
                b["producer_code"],
            ),
        ),
        "balance_counts": {
            flag.value: sum(1 for b in balances if b["flag"] == flag.value) for flag in BalanceFlag
        },
        "balance_totals": {
            "expected_kg": sum(
                (b["expected_kg"] for b in balances if b["expected_kg"] is not None),
                Decimal("0"),
            ),
            "delivered_kg": sum((b["delivered_kg"] for b in balances), Decimal("0")),
        },
        "tolerance_pct": subject.balance_tolerance_pct,
        "cupping": _cupping_rows(subject),
        "findings": findings,
        "blocking": sum(1 for f in findings if f["severity"] == "blocking"),
        "warnings": sum(1 for f in findings if f["severity"] == "warning"),
        "rules_checked": list(report.rules_checked),
    }


def _subject_summary(subject) -> dict:
    shipment = subject.shipment
    return {
        "kind": subject.kind,
        "reference": subject.reference,
        "crop": subject.crop,
        "judged_on": subject.judged_on,
        "organic_status": _code(subject.organic_status),
        "downgraded": bool(subject.downgraded),
        "net_kg": subject.net_kg,
        "bags": subject.bags,
        "lots": [
            {
                "code": lot.code,
                "crop": lot.crop,
                "product_form": _code(lot.product_form),
                "quantity_kg": lot.quantity_kg,
            }
            for lot in subject.lots
        ],
        "shipment": (
            {name: getattr(shipment, name, None) for name in SHIPMENT_FIELDS}
            | {"transaction_certificates": _tc_numbers(shipment)}
            if shipment is not None
            else None
        ),
    }


def _tc_numbers(shipment) -> list[str]:
    """The transaction certificates as a list (recorded comma-separated on the shipment)."""
    raw = getattr(shipment, "transaction_certificates", None) or ""
    return [part.strip() for part in raw.split(",") if part.strip()]


def _origin_row(row: dict, balances: dict[int, list[dict]]) -> dict:
    origin, plot, evidence = row["origin"], row["plot"], row["evidence"]
    area = (
        origin.plot_area_ha if origin.plot_area_ha is not None else getattr(plot, "area_ha", None)
    )
    return {
        "producer_code": origin.producer_code,
        # The name only with the producer's consent to publish it (issue: shipments).
        "producer_name": origin.producer_name if origin.public_name_consent else None,
        "plot_name": origin.plot_name,
        "area_ha": area,
        "altitude_m": origin.altitude_m,
        "organic_status": _code(row["organic_status"]),
        "organic_since": origin.organic_since,
        "organic_certificate_number": getattr(plot, "organic_certificate_number", None),
        "organic_certificate_valid_until": getattr(plot, "organic_certificate_valid_until", None),
        "agreement_numbers": sorted(row["agreements"]),
        "agreement_active": bool(row["agreement_active"]),
        "forest_result": _code(evidence.result) if evidence is not None else None,
        "forest_observed_on": evidence.observed_on if evidence is not None else None,
        "forest_kind": _code(evidence.kind) if evidence is not None else None,
        # One per season the plot's deliveries fall in (compliance._balances).
        "balances": [
            {"ratio_pct": b["ratio_pct"], "flag": b["flag"]}
            for b in balances.get(origin.plot_id, [])
        ],
        "deliveries": row["deliveries"],
        "kg": row["kg"],
    }


def _balance_row(balance) -> dict:
    return {
        "plot_id": balance.plot_id,
        "producer_code": balance.producer_code,
        "plot_name": balance.plot_name,
        "area_ha": balance.area_ha,
        "expected_kg": balance.expected_kg,
        "delivered_kg": balance.delivered_equivalent_kg,
        "deliveries": balance.deliveries,
        "ratio_pct": balance.ratio_pct,
        "flag": _code(balance.flag),
    }


def _cupping_rows(subject) -> list[dict]:
    rows = []
    for lot in subject.lots:
        score = subject.cupping.get(lot.code)
        rows.append(
            {
                "lot_code": lot.code,
                "product_form": _code(lot.product_form),
                "score": score.score if score else None,
                "classification": _code(score.classification) if score else None,
                "derived": bool(score.derived) if score else None,
                "protocols": [_code(p) for p in score.protocols] if score else [],
                "session_number": score.session_number if score else None,
                "held_on": score.held_on if score else None,
                "cupper_count": score.cupper_count if score else None,
                "coverage": score.coverage if score else None,
                "measured_lots": list(score.measured_lots) if score else [],
            }
        )
    return rows


def _finding_row(finding) -> dict:
    data = finding.to_dict()
    return {
        "code": data["code"],
        "severity": data["severity"],
        "message": str(data["message"]),
        "plots": [str(p) for p in data["plots"]],
        "deliveries": [str(d) for d in data["deliveries"]],
        "evidence": str(data["evidence"] or ""),
    }


def _code(value):
    """An enum's value (plain str), anything else unchanged."""
    return getattr(value, "value", value)


# --- rendering --------------------------------------------------------------------------------


def render_certificate_pdf(context: dict) -> bytes:
    """The certificate as A4 PDF/A-3b bytes, in the current Babel locale."""
    return write_pdf(render_certificate_html(context), pdf_variant=PDF_VARIANT)


def render_certificate_html(context: dict) -> str:
    """The certificate's final HTML, as WeasyPrint lays it out."""

    def label(mapping, code):
        return "—" if code is None else str(mapping.get(code, code))

    def qr(url: str) -> Markup:
        # qr_svg writes only numbers and fixed markup (never the text it encodes): safe markup.
        return Markup(qr_svg(url))  # noqa: S704

    ctx = context
    # Numbers in the aligned rows are written in the organisation's formats, as render_pdf
    # writes the rest.
    use_locale(ctx["organization"].get("locale"))
    words = {
        "forest": lambda code: label(FOREST_SHORT_LABELS, code),
        "evidence": lambda code: label(EVIDENCE_KIND_LABELS, code),
        "status": lambda code: gettext(code),
        "text": lambda text: ORIGIN_WORDS[text],
    }
    return render_html(
        TEMPLATE,
        locale=ctx["organization"].get("locale"),
        c=ctx,
        title=_("Organic-compliance certificate %(number)s", number=ctx["number"]),
        created=ctx["issued_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        moment=moment_with_zone,
        forest_label=lambda code: label(FOREST_LABELS, code),
        forest_short=lambda code: label(FOREST_SHORT_LABELS, code),
        evidence_kind=lambda code: label(EVIDENCE_KIND_LABELS, code),
        balance_label=lambda code: label(BALANCE_LABELS, code),
        severity_label=lambda code: label(SEVERITY_LABELS, code),
        rule_label=lambda code: label(RULE_LABELS, code),
        protocol_label=lambda code: quality_labels.protocol_label(code, short=True),
        classification_label=quality_labels.classification_label,
        qr=qr,
        origin_rows=origin_rows(ctx["origins"], lambda kind, code: str(words[kind](code))),
        head_row=origin_head(),
        total_row=origin_total(ctx["totals"]),
    )
