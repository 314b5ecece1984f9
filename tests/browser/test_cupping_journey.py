"""The cupping lab in a real browser: open a session for a green lot, score a sheet on a tablet
while the live total follows every keystroke, save it, and see the server state the same final
score; then close the session and read the panel result (issue: quality)."""

import re
from decimal import Decimal
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.browser

SESSION_PATH = re.compile(r"^/cupping/(CUP-\d{4}-\d{4})$")
#: A score as the page shows it, in either locale: "83,25" (es) or "83.25" (en).
SCORE = re.compile(r"\b(\d{2,3}[.,]\d{2})\b")


def number_of(text: str) -> Decimal:
    """ "1.234,5" (es) or "1,234.5" (en) → Decimal."""
    text = text.strip().removesuffix("kg").strip()
    if "," in text and (("." not in text) or text.rindex(",") > text.rindex(".")):
        text = text.replace(".", "").replace(",", ".")
    return Decimal(text.replace(",", ""))


def live(page, name: str) -> Decimal:
    return number_of(page.inner_text(f"#live-{name}"))


def green_lot_with_coffee_left(page) -> str:
    """A demo green coffee lot from the lot list that can still give a sample."""
    page.goto("/lots?product_form=green&status=available")
    for row in page.locator("table.lots tbody tr").all():
        cells = row.locator("td")
        link = row.locator("td.code a")
        if not link.count():
            continue
        available = number_of(cells.nth(5).inner_text())
        if available >= Decimal("1"):
            return link.inner_text().strip()
    pytest.fail("the demo data has no green coffee lot with coffee left")


def test_a_cupper_scores_a_sample_and_the_live_total_matches_the_server(quality_page, results_dir):
    page = quality_page
    lot = green_lot_with_coffee_left(page)

    # Open a session from the lot's link: the lot is pre-filled, the cupper pre-ticked.
    page.goto(f"/cupping/new?lot={lot}")
    assert page.input_value("#lot_codes") == lot
    assert page.locator("input[name=cupper_user_ids]:checked").count() == 1
    page.select_option("#protocol", "sca_2004")
    with page.expect_navigation():
        page.click("#session-form button[type=submit]")
    match = SESSION_PATH.match(unquote(urlparse(page.url).path))
    assert match, page.url
    number = match.group(1)
    blind_code = page.inner_text("table.sheets-status tbody tr td.code").strip()
    assert re.fullmatch(r"\d{3}", blind_code)

    # The cupper's sheet, from the session page.
    with page.expect_navigation():
        page.click("table.sheets-status tbody tr a")
    assert f"/samples/{blind_code}/sheet" in page.url
    assert page.inner_text("#live-final").strip() == "—"  # nothing scored yet

    # On a 360 px phone the sheet fits the screen (no sideways scrolling).
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 800, "height": 1280})

    # Typed as a cupper types, one key at a time (a decimal comma included).
    scores = {
        "fragrance_aroma": "8.25",
        "flavor": "8.5",
        "aftertaste": "8",
        "acidity": "8,25",
        "body": "7.75",
        "balance": "8",
        "overall": "8.5",
    }
    for name, value in scores.items():
        page.locator(f"#{name}").press_sequentially(value)
    # 8.25 + 8.5 + 8 + 8.25 + 7.75 + 8 + 8.5 = 57.25, plus 3 × 5 cups × 2 = 30: 87.25.
    assert live(page, "total") == Decimal("87.25")
    assert live(page, "final") == Decimal("87.25")

    page.locator("input[name=sweetness_cups][value='3']").uncheck()  # one cup not sweet
    page.select_option("#taint_cups", "1")  # one tainted cup: −2
    assert live(page, "total") == Decimal("85.25")
    assert live(page, "defects") == Decimal("2")
    expected = Decimal("83.25")
    assert live(page, "final") == expected

    # A slip of the finger (off the quarter-point grid) blanks the total until corrected.
    page.fill("#body", "7.7")
    assert page.inner_text("#live-final").strip() == "—"
    page.fill("#body", "7.75")
    assert live(page, "final") == expected
    page.locator("#descriptors").press_sequentially("panela, citric")
    shown = live(page, "final")
    page.screenshot(path=str(results_dir / "cupping-sheet.png"), full_page=True)

    with page.expect_navigation():
        page.click("#sheet-form button[type=submit]")
    assert urlparse(page.url).path == f"/cupping/{number}"
    flash = page.inner_text("p.flash")
    assert blind_code in flash
    server = SCORE.findall(flash)
    assert server, flash
    assert number_of(server[-1]) == shown == expected  # the server agrees with the live box

    # Close the session: the panel result, and the lot behind the blind code.
    with page.expect_navigation():
        page.click("#close button[type=submit]")
    row = page.locator("table.results tbody tr").first
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[0] == blind_code and cells[5] == lot
    assert number_of(cells[1]) == expected  # one cupper: the mean is their score
    assert number_of(cells[3]) == Decimal("0")
    assert cells[4] == "1"
    assert page.locator("details#sample-key").count() == 1
    # On a phone the panel mean shows without scrolling sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    box = page.locator("table.results tbody tr td.mean").first.bounding_box()
    assert box["x"] + box["width"] <= 360
    page.set_viewport_size({"width": 800, "height": 1280})
    page.screenshot(path=str(results_dir / "cupping-results.png"), full_page=True)
