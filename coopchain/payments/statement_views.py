"""Staff pages for money: a producer's statement per season (page, PDF, .xlsx), and the reports
of what is owed to whom and of premiums paid per season and rule (.xlsx too).

Statements are read by every role; the producer's name only by roles that see private data
(auth/access PRIVATE_DATA). The reports are for the treasurer, the admin and auditors.
"""

import io

from flask import render_template, request, send_file
from flask_babel import gettext as _

from coopchain.auth.access import PAY, READ, Role, current_org_id, current_principal, requires
from coopchain.clock import today
from coopchain.db import get_session
from coopchain.formatting import kg as format_kg
from coopchain.formatting import money
from coopchain.payments import reports
from coopchain.payments.settle_blueprint import bp
from coopchain.payments.statement import producer_statement, seasons_of
from coopchain.payments.statement_docs import (
    LINE_KINDS,
    signed_statement_pdf,
    statement_data,
    statement_xlsx,
)
from coopchain.spreadsheets.writer import write_workbook
from coopchain.web.downloads import send_xlsx

#: Who reads the money reports: who pays, and the auditors (the certifier's premiums).
REPORTS = PAY | {Role.AUDITOR}


def requested_season(seasons: list[int]) -> int:
    """?season=YYYY when it is a year, else the newest season (this year when there is none)."""
    raw = request.args.get("season", "")
    if raw.isdigit() and 1990 <= int(raw) <= 2200:
        return int(raw)
    return seasons[0] if seasons else today().year


def statement_for(producer_id: int):
    db = get_session()
    seasons = seasons_of(db, current_org_id(), producer_id)
    season = requested_season(seasons)
    statement = producer_statement(db, current_org_id(), producer_id, season)
    principal = current_principal()
    data = statement_data(
        statement, principal.organization_name, private=principal.sees_private_data
    )
    return statement, data, seasons


def _filename(data: dict, ext: str) -> str:
    return f"statement-{data['member_code']}-{data['season']}.{ext}"


@bp.get("/producers/<int:producer_id>/statement")
@requires(READ)
def producer_statement_page(producer_id: int):
    statement, data, seasons = statement_for(producer_id)
    return render_template(
        "payments/statement.html",
        r=data,
        producer=statement.producer,
        seasons=seasons,
        kinds=LINE_KINDS,
        kg=format_kg,
        money=money,
    )


@bp.get("/producers/<int:producer_id>/statement.pdf")
@requires(READ)
def producer_statement_pdf(producer_id: int):
    _statement, data, _seasons = statement_for(producer_id)
    principal = current_principal()
    pdf = signed_statement_pdf(
        get_session(), principal.organization_id, data, principal.organization_locale
    )
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=_filename(data, "pdf"),
    )


@bp.get("/producers/<int:producer_id>/statement.xlsx")
@requires(READ)
def producer_statement_xlsx(producer_id: int):
    _statement, data, _seasons = statement_for(producer_id)
    return send_xlsx(statement_xlsx(data), _filename(data, "xlsx"))


def _season_arg() -> int:
    raw = request.args.get("season", "")
    return int(raw) if raw.isdigit() and 1990 <= int(raw) <= 2200 else today().year


@bp.get("/reports/owed")
@requires(REPORTS)
def owed_report():
    season = _season_arg()
    rows = reports.owed_report(get_session(), current_org_id(), season)
    return render_template(
        "payments/owed_report.html",
        season=season,
        rows=rows,
        private=current_principal().sees_private_data,
        kg=format_kg,
        money=money,
    )


@bp.get("/reports/owed.xlsx")
@requires(REPORTS)
def owed_report_xlsx():
    season = _season_arg()
    private = current_principal().sees_private_data
    rows = [
        [
            row.member_code,
            row.name if private else None,
            row.kg,
            row.value,
            row.settlement,
            row.paid,
            row.owed,
        ]
        for row in reports.owed_report(get_session(), current_org_id(), season)
    ]
    headers = [
        _("Member code"),
        _("Name"),
        _("Delivered (kg)"),
        _("Value"),
        _("Settlement"),
        _("Paid"),
        _("Owed"),
    ]
    return send_xlsx(write_workbook([(_("Owed"), headers, rows)]), f"owed-{season}.xlsx")


@bp.get("/reports/premiums")
@requires(REPORTS)
def premiums_report():
    rows = reports.premiums_report(get_session(), current_org_id())
    return render_template("payments/premiums_report.html", rows=rows, money=money)


@bp.get("/reports/premiums.xlsx")
@requires(REPORTS)
def premiums_report_xlsx():
    rows = [
        [r.season, r.rule, r.kind, r.producers, r.deliveries, r.amount, r.currency]
        for r in reports.premiums_report(get_session(), current_org_id())
    ]
    headers = [
        _("Season"),
        _("Rule"),
        _("Kind"),
        _("Producers"),
        _("Deliveries"),
        _("Amount"),
        _("Currency"),
    ]
    return send_xlsx(write_workbook([(_("Premiums"), headers, rows)]), "premiums.xlsx")
