"""The producer statement PDF: every line with its figures in aligned columns, the header on
every page, and the organisation's PAdES signature once it has a key."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from flask_babel import force_locale

from coopchain.certs import keys, signing
from coopchain.clock import utcnow
from coopchain.payments.statement_docs import signed_statement_pdf, statement_pdf
from tests.certs.test_certificate_pdf import pages_text


def statement(lines: int) -> dict:
    rows, balance = [], Decimal("0")
    for i in range(lines):
        delivery = i % 2 == 0
        earned = Decimal("1234.56") if delivery else None
        paid = None if delivery else Decimal("300.00")
        balance += (earned or 0) - (paid or 0)
        rows.append(
            {
                "on": date(2026, 3, 1 + i % 28),
                "kind": "delivery" if delivery else "advance",
                "label": "Delivery" if delivery else "Advance",
                "reference": f"CAF-2026-{i:06d}" if delivery else f"PAY-2026-{i:05d}",
                "ticket": f"T-{i:05d}" if delivery else None,
                "description": None if delivery else "Cash advance for the harvest",
                "kg": Decimal("88.2") if delivery else None,
                "price_per_kg": Decimal("14.00") if delivery else None,
                "earned": earned,
                "paid": paid,
                "balance": balance,
            }
        )
    return {
        "organization_name": "Cooperativa Agraria Alto Mayo",
        "member_code": "CAF-0042",
        "name": "Ñusta Muñoz",
        "community": "Alto Naranjillo",
        "season": 2026,
        "currency": "PEN",
        "generated_at": datetime(2026, 11, 16, 15, tzinfo=UTC),
        "lines": rows,
        "totals": [("balance", "Balance owed to the producer", balance)],
    }


def test_every_line_is_printed_with_its_figures_and_the_header_on_every_page(app_context, tmp_path):
    with force_locale("en"):
        pages = pages_text(statement_pdf(statement(120), "es_PE"), tmp_path)
    text = "\n".join(pages)

    assert len(pages) >= 2
    for i in range(0, 120, 2):
        row = next(line for line in text.splitlines() if f"CAF-2026-{i:06d}" in line)
        # Date, reference, kg, price, owed and the running balance on the line, in es_PE.
        assert "88.2" in row and "14.00" in row and "1,234.56" in row, row
    # A description wider than its column wraps at a space onto the next line.
    assert re.search(r"Cash advance for the\n\s+harvest", text) and "T-00118" in text
    assert "56,073.60" in text  # the last running balance: 60 × 1,234.56 − 60 × 300.00
    for page in pages:
        assert re.search(r"Owed\s+Paid\s+Running", page)  # the header row repeats


def test_the_statement_is_signed_with_the_organisations_key(app_context, db_session, org):
    data = statement(4)
    assert signed_statement_pdf(db_session, org.id, data, "es_PE").startswith(b"%PDF")
    key = keys.generate_key(db_session, org.id, None)
    pdf = signed_statement_pdf(db_session, org.id, data, "es_PE")
    check = signing.check_pdf(pdf, key.certificate_pem.encode(), utcnow())
    assert check.ok and check.fingerprint == key.fingerprint
