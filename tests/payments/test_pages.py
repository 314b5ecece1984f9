"""The staff pages of payments, the 80 mm receipt and the public receipt check /r/<token>
(issue: paying producers)."""

import subprocess
from datetime import date
from decimal import Decimal

import pytest

from coopchain.payments import core
from coopchain.payments.core import Line


@pytest.fixture
def paid(db_session, org, priced):
    return core.record_payment(
        db_session,
        org.id,
        None,
        producer_id=priced.producer_id,
        lines=[Line(kind="advance", amount=Decimal("1234.50"), delivery_id=priced.id)],
        method="bank_transfer",
        cci="00219300123456789012",
        paid_on=date(2026, 6, 2),
    )


def _pdf_text(tmp_path, data: bytes) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_list_and_the_payment_page(client, login, paid, priced):
    login("auditor")
    listing = client.get("/payments").data.decode()
    assert paid.number in listing and "1,234.50 PEN" in listing
    page = client.get(f"/payments/{paid.number}").data.decode()
    assert priced.ticket_number in page and f"/r/{paid.receipt_token}" in page
    assert "void-payment" not in page  # auditors may not void
    assert "00219300123456789012" in page  # auditors see private data


def test_the_lab_does_not_see_the_account(client, login, paid):
    login("quality")
    assert "00219300123456789012" not in client.get(f"/payments/{paid.number}").data.decode()


def test_a_treasurer_voids_with_a_reason(client, login, db_session, org, paid, priced):
    login("treasurer")
    assert "void-payment" in client.get(f"/payments/{paid.number}").data.decode()
    refused = client.post(f"/payments/{paid.number}/void", data={"reason": ""})
    assert refused.status_code == 303 and paid.voided_at is None
    done = client.post(f"/payments/{paid.number}/void", data={"reason": "wrong account"})
    assert done.status_code == 303
    db_session.refresh(paid)
    assert paid.void_reason == "wrong account"
    assert core.outstanding(db_session, org.id, [priced.id])[priced.id] == Decimal("7000.00")


def test_the_receipt_is_80_mm_with_the_payment_and_its_qr(client, login, paid, priced, tmp_path):
    login("staff")
    response = client.get(f"/payments/{paid.number}/receipt.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_text(tmp_path, response.data)
    for expected in (paid.number, "1,234.50 PEN", priced.ticket_number, "…9012"):
        assert expected in text, expected
    assert "00219300123456789012" not in text  # the account's last four digits only
    # The address under the QR code; a line may break inside the token, at a "-" it holds or
    # one the layout adds, so compare without whitespace and hyphens.
    flat = "".join(text.split()).replace("-", "")
    assert paid.receipt_token.replace("-", "") in flat
    info = subprocess.run(
        ["pdfinfo", "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode()
    width_pt = float(info.split("Page size:")[1].split("x")[0])
    assert abs(width_pt - 80 / 25.4 * 72) < 1  # 80 mm


def test_the_public_check_shows_amount_and_status_but_no_person(
    client, db_session, org, paid, farm
):
    producer, _plot = farm
    response = client.get(f"/r/{paid.receipt_token}?lang=en")
    page = response.data.decode()
    assert response.status_code == 200
    assert "1,234.50 PEN" in page and org.name in page and "valid" in page
    for private in (producer.full_name, producer.member_code, "00219300123456789012", "9012"):
        assert private not in page
    assert "Set-Cookie" not in response.headers
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "<script" not in page
    core.void_payment(db_session, org.id, None, paid.number, "duplicate")
    assert "voided" in client.get(f"/r/{paid.receipt_token}?lang=en").data.decode()


def test_unknown_receipts_all_get_the_same_404(client, login):
    login("admin")  # even signed in: no cookie on the public page
    first = client.get("/r/nothing-here")
    second = client.get("/r/" + "x" * 200)
    assert first.status_code == second.status_code == 404
    assert first.data == second.data
    assert "Set-Cookie" not in first.headers
