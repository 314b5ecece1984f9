"""A member's debts: loans and input credit with their schedules, recorded and voided."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coopchain.auth.access import PAY, current_org_id, current_principal, current_user_id, requires
from coopchain.db import discard_changes, get_session, owned
from coopchain.errors import DomainError, NotFound
from coopchain.farms.models import Producer
from coopchain.payments import debts
from coopchain.payments.models import DebtKind, ProducerDebt
from coopchain.payments.runs_blueprint import PAY_READ, bp

KINDS = [{"value": k.value} for k in DebtKind]


def schedule_from_text(text: str) -> list[dict]:
    """ "2026-07-31 150.00" per line (a comma or semicolon also separates) → instalments."""
    rows = []
    for line in (text or "").splitlines():
        parts = line.replace(";", " ").replace(",", " ").split()
        if parts:
            rows.append({"due_on": parts[0], "amount": parts[1] if len(parts) > 1 else ""})
    return rows


def _page(producer_id: int, values=None, errors=None, status=200):
    session, org_id = get_session(), current_org_id()
    producer = session.scalar(owned(Producer, org_id).where(Producer.id == producer_id))
    if producer is None:
        raise NotFound(_("No such producer."))
    return render_template(
        "payment_runs/debts.html",
        producer=producer,
        debts=debts.debts_of(session, org_id, producer.id),
        kinds=KINDS,
        can_edit=current_principal().role in PAY,
        values=values or {"kind": "input_credit", "currency": "PEN"},
        errors=errors or {},
    ), status


@bp.get("/producers/<int:producer_id>/debts")
@requires(PAY_READ)
def producer_debts(producer_id: int):
    return _page(producer_id)


@bp.post("/producers/<int:producer_id>/debts")
@requires(PAY)
def producer_debt_new(producer_id: int):
    data = {**request.form.to_dict(), "schedule": schedule_from_text(request.form.get("schedule"))}
    try:
        debts.record_debt(get_session(), current_org_id(), current_user_id(), producer_id, data)
    except DomainError as exc:
        if exc.status == 404:
            raise
        discard_changes()
        errors = {("schedule" if k.startswith("schedule") else k): v for k, v in exc.fields.items()}
        return _page(producer_id, request.form, errors or {"_": [exc.message]}, exc.status)
    flash(_("Debt recorded."), "success")
    return redirect(url_for("pay_runs.producer_debts", producer_id=producer_id))


@bp.post("/producers/<int:producer_id>/debts/<int:debt_id>/void")
@requires(PAY)
def producer_debt_void(producer_id: int, debt_id: int):
    session, org_id = get_session(), current_org_id()
    owner = session.scalar(owned(ProducerDebt, org_id).where(ProducerDebt.id == debt_id))
    if owner is None or owner.producer_id != producer_id:
        raise NotFound(_("No such debt."))
    debts.void_debt(session, org_id, current_user_id(), debt_id, request.form.get("reason", ""))
    flash(_("Debt voided."), "success")
    return redirect(url_for("pay_runs.producer_debts", producer_id=producer_id))
