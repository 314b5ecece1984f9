"""The bank-transfer file of a payment run (.xlsx): one row per transfer, for the bank's upload."""

from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from coopchain.payments.models import Payment, PaymentMethod


def bank_transfer_xlsx(run_number: str, payments: list) -> bytes:
    """`payments` is [(Payment, Producer)]; only live bank transfers of more than zero are
    listed. Amounts are numbers with two decimals, the CCI text (a number would lose its
    leading zeros)."""
    book = Workbook()
    sheet = book.active
    sheet.title = run_number[:31]
    headers = [_("Producer"), _("Member code"), "CCI", _("Amount"), _("Currency"), _("Reference")]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for payment, producer in payments:
        payment: Payment
        if payment.voided_at is not None or payment.method != PaymentMethod.BANK_TRANSFER:
            continue
        if payment.amount == 0:  # settled by offsetting a debt: nothing to transfer
            continue
        name = f"{producer.first_name} {producer.last_name}"
        sheet.append(
            [
                name,
                producer.member_code,
                payment.cci,
                payment.amount,
                payment.currency,
                payment.number,
            ]
        )
        sheet.cell(sheet.max_row, 3).number_format = "@"
        sheet.cell(sheet.max_row, 4).number_format = "0.00"
    for column, width in zip("ABCDEF", (32, 14, 24, 14, 10, 26), strict=True):
        sheet.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()
