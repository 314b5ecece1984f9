"""A producer's statement as documents: a plain dict, the A4 PDF (WeasyPrint) and the .xlsx.

Pure: from a Statement to bytes (DESIGN.md §3). `private` says whether the reader may see the
producer's name (auth/access PRIVATE_DATA); without it the statement names the member code.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coopchain import formatting
from coopchain.clock import utcnow
from coopchain.pdf import aligned_rows, render_pdf
from coopchain.spreadsheets.writer import write_workbook

#: What each line is, as the producer reads it.
LINE_KINDS = {
    "delivery": _l("Delivery"),
    "settlement_share": _l("Settlement share"),
    "advance": _l("Advance"),
    "balance": _l("Balance payment"),
    "settlement": _l("Settlement payment"),
    "premium": _l("Premium"),
    "deduction": _l("Deduction"),
}
TOTALS = (
    ("kg", _l("Delivered (kg)")),
    ("value", _l("Value of the deliveries")),
    ("settlement_shares", _l("Settlement shares")),
    ("advances", _l("Advances")),
    ("balance_payments", _l("Balance payments")),
    ("settlement_payments", _l("Settlement payments")),
    ("premiums", _l("Premiums")),
    ("deductions", _l("Deductions")),
    ("handed_over", _l("Handed over")),
    ("balance", _l("Balance owed to the producer")),
)


def statement_data(statement, organization_name: str, *, private: bool) -> dict:
    producer = statement.producer
    return {
        "organization_name": organization_name,
        "member_code": producer.member_code,
        "name": producer.full_name if private else None,
        "community": producer.community,
        "season": statement.season,
        "currency": statement.currency,
        "generated_at": utcnow(),
        "lines": [
            {
                "on": line.on,
                "kind": line.kind,
                "label": str(LINE_KINDS.get(line.kind, line.kind)),
                "reference": line.reference,
                "ticket": line.ticket,
                "description": line.description,
                "kg": line.kg,
                "price_per_kg": line.price_per_kg,
                "earned": line.earned,
                "paid": line.paid,
                "balance": line.balance,
            }
            for line in statement.lines
        ],
        "totals": [(key, str(label), statement.totals[key]) for key, label in TOTALS],
    }


#: Characters per column of the statement's lines (DejaVu Sans Mono at 7 pt: 125 fit between
#: the margins): date, line, reference, kg, price per kg, owed, paid, running balance.
LINE_COLUMNS = (10, 24, 22, 10, 8, 12, 12, 13)
RIGHT = (3, 4, 5, 6, 7)


def statement_rows(data: dict) -> list:
    """The statement's lines as aligned monospace rows (pdf.aligned_rows: one cell per line
    keeps a 500-line statement within its 2 s; bench_settlement.py). No spans: each one is
    another text box to lay out and draw."""

    def amount(value):
        return formatting.money(value) if value else ""

    rows = []
    for line in data["lines"]:
        label = [(line["label"], None)]
        if line["description"]:
            label.append((line["description"], None))
        reference = [(line["reference"] or "", None)]
        if line["ticket"] and line["ticket"] != line["reference"]:
            reference.append((line["ticket"], None))
        rows.append(
            [
                [(formatting.day(line["on"]), None)],
                label,
                reference,
                [(formatting.kg(line["kg"]) if line["kg"] is not None else "", None)],
                [
                    (
                        formatting.money(line["price_per_kg"])
                        if line["price_per_kg"] is not None
                        else "",
                        None,
                    )
                ],
                [(amount(line["earned"]), None)],
                [(amount(line["paid"]), None)],
                [(formatting.money(line["balance"]), None)],
            ]
        )
    return aligned_rows(rows, LINE_COLUMNS, right=RIGHT)


def statement_pdf(data: dict, locale: str | None = None) -> bytes:
    formatting.use_locale(locale)
    head = [
        [[(str(text), None)]]
        for text in (
            _("Date"),
            _("Line"),
            _("Reference"),
            _("kg"),
            _("Price per kg"),
            _("Owed"),
            _("Paid"),
            _("Running balance"),
        )
    ]
    return render_pdf(
        "pdf/statement.html",
        locale=locale,
        r=data,
        rows=statement_rows(data),
        head_row=aligned_rows([head], LINE_COLUMNS, right=RIGHT)[0],
    )


def signed_statement_pdf(session, org_id: int, data: dict, locale: str | None = None) -> bytes:
    """The statement PDF, PAdES-signed with the organisation's key when it has one
    (certs/keys.sign_document)."""
    from coopchain.certs.keys import sign_document

    reason = f"Statement {data['member_code']} {data['season']}"
    return sign_document(session, org_id, statement_pdf(data, locale), reason=reason)


def statement_xlsx(data: dict) -> bytes:
    headers = [
        _("Date"),
        _("Line"),
        _("Reference"),
        _("Ticket"),
        _("kg"),
        _("Price per kg"),
        _("Owed"),
        _("Paid"),
        _("Running balance"),
    ]
    rows = [
        [
            line["on"],
            line["label"] + (f" · {line['description']}" if line["description"] else ""),
            line["reference"],
            line["ticket"],
            line["kg"],
            line["price_per_kg"],
            line["earned"],
            line["paid"],
            line["balance"],
        ]
        for line in data["lines"]
    ]
    totals = [[label, value] for _key, label, value in data["totals"]]
    who = data["name"] or data["member_code"]
    totals.insert(
        0, [_("Producer"), f"{data['member_code']} {who if data['name'] else ''}".strip()]
    )
    totals.insert(1, [_("Season"), data["season"]])
    totals.insert(2, [_("Currency"), data["currency"]])
    return write_workbook([(_("Statement"), headers, rows), (_("Totals"), ["", ""], totals)])
