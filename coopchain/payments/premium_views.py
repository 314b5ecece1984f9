"""Premium rules (admins add and end them) and the Fairtrade Premium fund (income and uses)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coopchain.auth.access import (
    ADMIN,
    PAY,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.payments import fund, premiums
from coopchain.payments.models import FundEntryKind, PremiumKind
from coopchain.payments.runs_blueprint import PAY_READ, bp

KINDS = [{"value": k.value} for k in PremiumKind]
FUND_KINDS = [{"value": k.value} for k in FundEntryKind]


def _rules_page(values=None, errors=None, status=200):
    session, org_id = get_session(), current_org_id()
    return render_template(
        "payment_runs/premium_rules.html",
        rules=premiums.list_rules(session, org_id),
        kinds=KINDS,
        can_edit=current_principal().role in ADMIN,
        values=values or {"currency": "PEN"},
        errors=errors or {},
    ), status


@bp.get("/premium-rules")
@requires(PAY_READ)
def premium_rules():
    return _rules_page()


@bp.post("/premium-rules")
@requires(ADMIN)
def premium_rule_new():
    try:
        rule = premiums.create_rule(
            get_session(), current_org_id(), current_user_id(), request.form
        )
    except DomainError as exc:
        discard_changes()
        return _rules_page(request.form, exc.fields or {"_": [exc.message]}, exc.status)
    flash(_("Premium rule %(name)s added.", name=rule.name), "success")
    return redirect(url_for("pay_runs.premium_rules"))


@bp.post("/premium-rules/<int:rule_id>/end")
@requires(ADMIN)
def premium_rule_end(rule_id: int):
    rule = premiums.end_rule(get_session(), current_org_id(), current_user_id(), rule_id)
    flash(_("Premium rule %(name)s ended.", name=rule.name), "success")
    return redirect(url_for("pay_runs.premium_rules"))


def _fund_page(values=None, errors=None, status=200):
    session, org_id = get_session(), current_org_id()
    return render_template(
        "payment_runs/premium_fund.html",
        balances=fund.balances(session, org_id),
        entries=fund.entries(session, org_id),
        kinds=FUND_KINDS,
        can_edit=current_principal().role in PAY,
        values=values or {"kind": "income", "currency": "USD"},
        errors=errors or {},
    ), status


@bp.get("/premium-fund")
@requires(PAY_READ)
def premium_fund():
    return _fund_page()


@bp.post("/premium-fund")
@requires(PAY)
def premium_fund_entry():
    try:
        fund.record_entry(get_session(), current_org_id(), current_user_id(), request.form)
    except DomainError as exc:
        discard_changes()
        return _fund_page(request.form, exc.fields or {"_": [exc.message]}, exc.status)
    flash(_("Fund entry recorded."), "success")
    return redirect(url_for("pay_runs.premium_fund"))
