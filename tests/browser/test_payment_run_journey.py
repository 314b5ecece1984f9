"""A treasurer's payment run in a real browser: a premium rule and a retention, a member's loan,
the preview showing each, the confirmation, and the bank-transfer file (issue: paying producers).

Screenshots at 1366 px and 360 px go to test-results/."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.browser

CCI = "00221300123456789012"


def _give_cci(tmp_path_factory, producer_id: int) -> None:
    """The registry has no CCI field yet: write the producer's CCI into the live server's
    database (the live_server fixture's SQLite file) as the registry would."""
    found = Path(tmp_path_factory.getbasetemp()).glob("browser*/coopchain.sqlite")
    path = max(found, key=lambda p: p.stat().st_mtime)  # the server's, written a moment ago
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE producers SET cci = :cci WHERE id = :id"), {"cci": CCI, "id": producer_id}
        )
    engine.dispose()


def _add_rule(page, name: str, kind: str, amount: str) -> None:
    page.goto("/premium-rules")
    page.fill("#name", name)
    page.select_option("#kind", kind)
    page.fill("#amount_per_kg", amount)
    page.fill("#valid_from", "2020-01-01")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert name in page.inner_text("table.premium-rules")


def _fill_run_form(page, producer_id: int) -> None:
    page.goto("/payment-runs")
    page.fill("#producer_id", str(producer_id))
    page.fill("#paid_on", "2026-11-16")
    page.select_option("#method", "bank_transfer")
    with page.expect_navigation():
        page.click("form.run-form button[type=submit]")


def test_payment_run_with_a_premium_and_a_deduction(
    new_page, log_in, results_dir, tmp_path_factory
):
    page = log_in(new_page(viewport={"width": 1366, "height": 900}), "admin@demo.coop")
    _add_rule(page, "Diferencial RA", "sustainability_differential", "0.30")
    _add_rule(page, "Retención cooperativa", "retention", "0.05")

    page.goto("/deliveries")
    page.locator("main table a[href^='/deliveries/']").first.click()
    producer_href = page.locator("main a[href^='/producers/']").first.get_attribute("href")
    producer_id = int(re.search(r"/producers/(\d+)", producer_href).group(1))
    _give_cci(tmp_path_factory, producer_id)

    page.goto(f"/producers/{producer_id}/debts")
    page.select_option("#kind", "loan")
    page.fill("#principal", "50.00")
    page.fill("#granted_on", "2026-01-01")
    page.fill("#description", "Abono foliar")
    page.fill("#schedule", "2026-02-01 50.00")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert "Abono foliar" in page.inner_text("table.debts")
    page.screenshot(path=str(results_dir / "producer-debts-1366.png"), full_page=True)

    # The preview on a phone first, then on the desktop, where it is confirmed.
    phone = log_in(new_page(viewport={"width": 360, "height": 780}), "admin@demo.coop")
    phone.goto("/premium-rules")
    phone.screenshot(path=str(results_dir / "premium-rules-360.png"), full_page=True)
    _fill_run_form(phone, producer_id)
    phone.screenshot(path=str(results_dir / "payment-run-preview-360.png"), full_page=True)
    _fill_run_form(page, producer_id)
    preview = page.inner_text("table.run-preview")
    assert "Diferencial RA" in preview and "Retención cooperativa" in preview
    assert "Abono foliar" in preview
    assert page.locator("li.premium").count() >= 1 and page.locator("li.deduction").count() >= 2
    page.screenshot(path=str(results_dir / "payment-run-preview-1366.png"), full_page=True)
    net = page.inner_text("tfoot td.net").strip()

    with page.expect_navigation():
        page.click("text=Confirmar y pagar")
    assert re.search(r"/payment-runs/\d+$", page.url)
    assert net.split()[0] in page.inner_text("main")
    assert CCI in page.inner_text("table.run-payments")
    page.screenshot(path=str(results_dir / "payment-run-done-1366.png"), full_page=True)
    with page.expect_download() as download:
        page.click("a[href$='bank-file.xlsx']")
    rows = list(
        load_workbook(BytesIO(Path(download.value.path()).read_bytes())).active.iter_rows(
            values_only=True
        )
    )
    assert rows[1][2] == CCI and rows[1][5].startswith("PAY-")
    phone.goto(page.url)
    phone.screenshot(path=str(results_dir / "payment-run-done-360.png"), full_page=True)

    # The Fairtrade Premium goes to the fund, not to a member.
    phone.goto("/premium-fund")
    phone.fill("#amount", "3968.32")
    phone.fill("#exchange_rate", "3.75")
    phone.fill("#occurred_on", "2026-09-01")
    phone.fill("#description", "USD 0.20/lb, 19,841.6 lb")
    with phone.expect_navigation():
        phone.click("form.card button[type=submit]")
    assert "3,968.32 USD" in phone.inner_text("main")
    phone.screenshot(path=str(results_dir / "premium-fund-360.png"), full_page=True)

    # The same run again finds nothing left to pay.
    _fill_run_form(page, producer_id)
    assert page.locator("text=Confirmar y pagar").count() == 0
