"""The panel report of a cupping session: an A4 PDF a buyer or an auditor can file.

Two steps, as for the intake receipt (lots/receipt.py, DESIGN.md §3, §6): `panel_report_context`
reads the database into plain values, and `render_panel_report_pdf` turns them into PDF bytes
with WeasyPrint and the receipt's fetcher that refuses every URL. Labels are translated when the
PDF is rendered, in the current locale, so the context itself holds codes, not words.
"""

from decimal import Decimal

from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.clock import utcnow
from coopchain.formatting import integer, number, score
from coopchain.pdf import render_pdf
from coopchain.quality import display_names as labels
from coopchain.quality import rules
from coopchain.quality.cupping_sessions import cuppers_of, get_session, session_results
from coopchain.quality.session_xlsx import mean_abs_deviation

TEMPLATE = "pdf/panel_report.html"
#: Samples per calibration table: more columns would not fit the width of an A4 page.
CALIBRATION_COLUMNS = 8

#: Fields scored in quarter points (shown with two decimals); the others are whole numbers
#: (CVA shares some names with SCA, "flavor", "overall", but scores them 1–9).
DECIMAL_FIELDS = {rules.Protocol.SCA_2004: frozenset(rules.SCA_ATTRIBUTES)}


def panel_report_context(session: Session, org_id: int, number: str) -> dict:
    """Everything the report shows, as plain values (no ORM objects reach the template).
    Another organisation's session number raises NotFound."""
    cs = get_session(session, org_id, number)
    organization = session.get(Organization, org_id)
    cuppers = cuppers_of(session, cs)
    names = {c.id: c.name for c in cuppers}
    fields = list(rules.fields_of(cs.protocol))
    results = session_results(session, cs)

    samples = []
    for result in results:
        panel = result.panel
        samples.append(
            {
                "blind_code": result.sample.blind_code,
                "lot_code": result.lot.code,
                "product_form": str(result.lot.product_form),
                "cupper_count": panel.cupper_count if panel else 0,
                "mean": panel.mean if panel else None,
                "spread": panel.spread if panel else None,
                "classification": panel.classification.value if panel else None,
                "sheets": [
                    {
                        "cupper": names.get(sheet.cupper_id, ""),
                        "scores": {
                            name: rules.parse_decimal(sheet.scores.get(name)) for name in fields
                        },
                        "descriptors": list(sheet.descriptors or []),
                        "notes": sheet.notes,
                        "total": sheet.total,
                        "defects": sheet.defects,
                        "final": sheet.final_score,
                        "deviation": panel.deviations.get(sheet.cupper_id) if panel else None,
                    }
                    for sheet in result.sheets
                ],
            }
        )
    calibration = []
    for cupper in cuppers:
        deviations = [r.panel.deviations.get(cupper.id) if r.panel else None for r in results]
        calibration.append(
            {
                "cupper": cupper.name,
                "deviations": deviations,
                "sheets": sum(d is not None for d in deviations),
                "mean_abs_deviation": mean_abs_deviation(deviations),
            }
        )
    return {
        "organization_name": organization.name,
        "locale": organization.locale,
        "organization_code": organization.code,
        "number": cs.number,
        "held_on": cs.held_on,
        "protocol": str(cs.protocol),
        "status": str(cs.status),
        "provisional": cs.is_open,
        "notes": cs.notes,
        "closed_at": cs.closed_at,
        "reopened_at": cs.reopened_at,
        "reopen_reason": cs.reopen_reason,
        "cuppers": [{"name": c.name, "member": c.user_id is not None} for c in cuppers],
        "fields": fields,
        "samples": samples,
        "calibration": calibration,
        "generated_at": utcnow(),
    }


def render_panel_report_pdf(context: dict) -> bytes:
    """The report as A4 PDF bytes, in the current Babel locale."""

    def exact_score(value):
        # CVA totals have up to five decimals (84.78125): the panel report shows them whole.
        return "—" if value is None else number(value, "#,##0.00###")

    quarter_points = DECIMAL_FIELDS.get(context["protocol"], frozenset())

    def field_value(name, value):
        if value is None:
            return "—"
        return score(value) if name in quarter_points else integer(value)

    def signed(value):
        if value is None:
            return "—"
        sign = "+" if value > 0 else "−" if value < 0 else "±"
        return sign + score(abs(Decimal(value)))

    samples = context["samples"]
    calibration_blocks = [
        (start, samples[start : start + CALIBRATION_COLUMNS])
        for start in range(0, len(samples), CALIBRATION_COLUMNS)
    ]
    return render_pdf(
        TEMPLATE,
        locale=context.get("locale"),
        r=context,
        calibration_blocks=calibration_blocks,
        score=exact_score,
        cents=score,
        field_value=field_value,
        signed=signed,
        protocol_label=labels.protocol_label,
        classification_label=labels.classification_label,
        field_heading=labels.field_heading,
        field_name=labels.field_name,
    )
