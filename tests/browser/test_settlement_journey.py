"""The treasurer's settlement in a real browser: the demo's Bremen shipment settled by traced
kilograms, paid, and a producer's statement showing the share, the payment and the balance, on
a desktop (1366 px) and a phone (360 px) (issue: paying producers, points 3 and 6)."""

import re
from datetime import date

import pytest

from tests.browser.axe import axe_violations, describe

pytestmark = pytest.mark.browser


def _amount(text: str) -> str:
    """'10,234.41 PEN' → '10234.41' (English pages write a decimal point)."""
    return re.sub(r"[^\d.\-]", "", text)


def _settle_bremen(page, results_dir, width: int):
    page.goto("/lang/en")
    page.goto("/shipments?q=BRE-")
    page.locator("a", has_text=re.compile(r"BRE-\d{4}-021")).first.click()
    page.locator("a", has_text="Settlement").first.click()
    assert "/settlement" in page.url
    page.fill("#price", "3.4125")
    page.fill("#exchange_rate", "3.7312")
    page.fill("#rate_on", date.today().isoformat())
    page.fill("#costs_per_kg", "1.35")
    with page.expect_navigation():
        page.click("#terms button[type=submit]")
    rows = page.locator("#preview table.settlement-lines tbody tr")
    assert rows.count() > 10
    total = _amount(page.inner_text("#preview dd.settlement-total"))
    parts = [_amount(rows.nth(i).locator("td").nth(3).inner_text()) for i in range(rows.count())]
    assert sum(int(p.replace(".", "")) for p in parts) == int(total.replace(".", ""))
    page.screenshot(path=str(results_dir / f"settlement-preview-{width}.png"), full_page=True)
    with page.expect_navigation():
        page.click("#preview button[type=submit]")
    assert "Settlement confirmed" in page.inner_text("p.flash")
    page.select_option("form.pay-settlement select[name=method]", "cash")
    with page.expect_navigation():
        page.click("form.pay-settlement button[type=submit]")
    assert re.search(r"\d+ payments recorded", page.inner_text("p.flash"))
    page.screenshot(path=str(results_dir / f"settlement-paid-{width}.png"), full_page=True)
    return total


def test_settle_the_demo_shipment_then_read_a_statement(new_page, log_in, results_dir):
    page = log_in(new_page(viewport={"width": 1366, "height": 900}), "admin@demo.coop")
    _settle_bremen(page, results_dir, 1366)
    settlement_url = page.url.split("#")[0]
    first = page.locator(".settlement table.settlement-lines tbody tr").first
    share = _amount(first.locator("td").nth(3).inner_text())
    assert first.locator("td").nth(4).inner_text().strip() == "yes"
    first.locator("a").click()
    assert "/statement" in page.url
    statement = page.locator("table.statement-lines tbody")
    shares = statement.locator("tr.settlement_share")
    paid = statement.locator("tr.settlement")
    assert shares.count() >= 1 and paid.count() == shares.count()
    assert sum(float(_amount(r.locator("td").nth(5).inner_text())) for r in shares.all()) == (
        pytest.approx(float(share))
    )
    # The settlement paid its own share: the running balance after the payment equals the
    # balance before the share, and the totals' balance is the last line's.
    last_balance = _amount(statement.locator("tr").last.locator("td").nth(7).inner_text())
    assert _amount(page.inner_text("dd.balance")) == last_balance
    value = float(_amount(page.inner_text("dd.value")))
    paid_for = sum(
        float(_amount(page.inner_text(f"dd.{key}")))
        for key in ("advances", "balance_payments", "settlement_payments")
    )
    settled = float(_amount(page.inner_text("dd.settlement_shares")))
    assert float(last_balance) == pytest.approx(value + settled - paid_for)
    page.screenshot(path=str(results_dir / "statement-1366.png"), full_page=True)
    statement_url = page.url
    for path in (statement_url, settlement_url, "/reports/owed", "/reports/premiums"):
        page.goto(path)
        violations = axe_violations(page)
        assert not violations, f"{path}:\n{describe(violations)}"

    phone = log_in(new_page(viewport={"width": 360, "height": 780}), "admin@demo.coop")
    phone.goto("/lang/en")
    phone.goto(statement_url)
    assert phone.locator("table.statement-lines tbody tr.settlement_share").count() >= 1
    overflow = phone.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 360, overflow
    phone.screenshot(path=str(results_dir / "statement-360.png"), full_page=True)
    phone.goto(settlement_url)
    assert phone.locator(".settlement table.settlement-lines tbody tr").count() > 10
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=str(results_dir / "settlement-360.png"), full_page=True)
    phone.goto("/reports/owed")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=str(results_dir / "owed-360.png"), full_page=True)
    violations = axe_violations(phone)
    assert not violations, describe(violations)
