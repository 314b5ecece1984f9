"""Payment run pages: choose deliveries, preview, confirm; a run's payments and bank file."""

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coopchain.auth.access import PAY, current_org_id, current_user_id, requires
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.payments import run_jobs, runs
from coopchain.payments.bank_file import bank_transfer_xlsx
from coopchain.payments.models import PaymentMethod
from coopchain.payments.runs_blueprint import bp
from coopchain.web.downloads import send_xlsx

METHODS = [{"value": m.value} for m in PaymentMethod]


def _form_page(values=None, errors=None, status=200):
    session, org_id = get_session(), current_org_id()
    return render_template(
        "payment_runs/list.html",
        runs=runs.list_runs(session, org_id),
        values=values or {"method": "bank_transfer", "currency": "PEN"},
        errors=errors or {},
        methods=METHODS,
    ), status


@bp.get("/payment-runs")
@requires(PAY)
def run_list():
    return _form_page()


@bp.post("/payment-runs/preview")
@requires(PAY)
def run_preview():
    session, org_id = get_session(), current_org_id()
    try:
        selection, paid_on, currency, method = runs.read_run_input(
            session, org_id, request.form, current_app.config["CURRENCY"]
        )
    except DomainError as exc:
        return _form_page(request.form, exc.fields, 422)
    found = runs.preview(session, org_id, selection, paid_on, currency)
    return render_template(
        "payment_runs/preview.html",
        preview=found,
        totals=found.totals(),
        method=method,
        values=request.form,
    )


@bp.post("/payment-runs/confirm")
@requires(PAY)
def run_confirm():
    session, org_id = get_session(), current_org_id()
    try:
        selection, paid_on, currency, method = runs.read_run_input(
            session, org_id, request.form, current_app.config["CURRENCY"]
        )
        threshold = current_app.config["JOBS_PAYMENT_RUN_DELIVERIES"]
        if run_jobs.needs_a_job(session, org_id, selection, threshold):
            job = run_jobs.submit(
                session, org_id, current_user_id(), selection, paid_on, currency, method
            )
            return redirect(url_for("core.job_detail", job_id=job.id))
        run = runs.confirm(session, org_id, current_user_id(), selection, paid_on, currency, method)
    except DomainError as exc:
        discard_changes()
        errors = exc.fields or {"_": [exc.message]}
        if exc.fields and exc.message:
            errors = {"_": [exc.message], **exc.fields}
        return _form_page(request.form, errors, exc.status)
    return redirect(url_for("pay_runs.run_detail", run_id=run.id))


@bp.get("/payment-runs/<int:run_id>")
@requires(PAY)
def run_detail(run_id: int):
    session, org_id = get_session(), current_org_id()
    run = runs.get_run(session, org_id, run_id)
    return render_template(
        "payment_runs/detail.html", run=run, payments=runs.run_payments(session, org_id, run.id)
    )


@bp.get("/payment-runs/<int:run_id>/bank-file.xlsx")
@requires(PAY)
def run_bank_file(run_id: int):
    session, org_id = get_session(), current_org_id()
    run = runs.get_run(session, org_id, run_id)
    data = bank_transfer_xlsx(run.number, runs.run_payments(session, org_id, run.id))
    return send_xlsx(data, f"{run.number}-{_('bank-transfers')}.xlsx")
