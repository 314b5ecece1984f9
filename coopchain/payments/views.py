"""Staff pages for payments: the list (/payments), one payment with its lines, its receipt PDF
and the void form (treasurers and admins)."""

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from coopchain.auth.access import (
    PAY,
    READ,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.formatting import TEMPLATE_HELPERS
from coopchain.payments import core
from coopchain.payments.blueprint import bp
from coopchain.payments.queries import lines_of, list_payments, producer_of
from coopchain.payments.receipt import (
    payment_receipt_context,
    receipt_url,
    render_payment_receipt,
)
from coopchain.payments.schemas import PaymentListArgs, PaymentVoidIn


@bp.get("/payments")
@requires(READ)
def payment_list():
    try:
        args = PaymentListArgs().load(request.args.to_dict())
    except ValidationError:
        args = PaymentListArgs().load({})
    rows, total = list_payments(
        get_session(),
        current_org_id(),
        producer_id=args["producer_id"],
        delivery_id=args["delivery_id"],
        date_from=args["date_from"],
        date_to=args["date_to"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return render_template(
        "payments/payment_list.html",
        rows=rows,
        total=total,
        page=args["page"],
        pages=max(1, -(-total // args["per_page"])),
        args=args,
        url_for_page=lambda n: url_for(
            "payments.payment_list", **{**request.args.to_dict(), "page": n}
        ),
        **TEMPLATE_HELPERS,
    )


@bp.get("/payments/<number>")
@requires(READ)
def payment_detail(number: str):
    db, org = get_session(), current_org_id()
    payment = core.get_payment(db, org, number)
    return render_template(
        "payments/payment_detail.html",
        payment=payment,
        producer=producer_of(db, payment),
        lines=lines_of(db, payment),
        receipt_url=receipt_url(payment.receipt_token),
        can_void=current_principal().role in PAY,
        sees_private=current_principal().sees_private_data,
        **TEMPLATE_HELPERS,
    )


@bp.get("/payments/<number>/receipt.pdf")
@requires(READ)
def payment_receipt(number: str):
    context = payment_receipt_context(get_session(), current_org_id(), number)
    return send_file(
        io.BytesIO(render_payment_receipt(context)),
        mimetype="application/pdf",
        download_name=f"receipt-{context['number']}.pdf",
    )


@bp.post("/payments/<number>/void")
@requires(PAY)
def payment_void(number: str):
    db, org = get_session(), current_org_id()
    payment = core.get_payment(db, org, number)  # 404 for another organisation's number
    back = url_for("payments.payment_detail", number=payment.number)
    try:
        data = PaymentVoidIn().load({"reason": request.form.get("reason", "")})
        core.void_payment(db, org, current_user_id(), payment.number, data["reason"])
    except ValidationError:
        flash(_("Give a reason to void the payment."), "error")
        return redirect(back), 303
    except DomainError as exc:
        discard_changes()  # a redirect is a success status: nothing half-done may commit
        flash(exc.message, "error")
        return redirect(back), 303
    flash(_("Payment %(number)s voided.", number=payment.number), "success")
    return redirect(back), 303
