"""The collection centre loses its connection: the clerk keeps typing tickets into the intake
form, reloads it without a network (the service worker serves it), sees them waiting on the
device, and when the connection returns they are sent, one answer lost on the way (the device
sends again): each ticket is recorded once, with its receipt. At 1366 px and at 360 px.

Also: a session that ended while offline says "log in again" and keeps the tickets, and a day's
work of 200 queued tickets is kept and sent."""

import re

import pytest

from tests.browser.axe import assert_accessible

pytestmark = pytest.mark.browser

SIZES = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 360, "height": 780}}
#: Demo producers whose only plot raises no intake warning.
PRODUCERS = ("CAF-0004", "CAF-0005", "CAF-0007")
LONG_MS = 60_000  # sending a day's work


def open_intake(page):
    """The intake form, online, once its service worker has kept it and the lists."""
    page.goto("/deliveries/new")
    page.wait_for_selector("#delivery-form[data-offline-ready='1']", state="attached")
    page.wait_for_function(
        "() => window.CoopChainOffline && window.CoopChainOffline.lists() !== null"
    )


def next_ticket(number: str) -> str:
    """The number after `number` ("C-00120" → "C-00121"), as the form suggests it."""
    prefix, digits = re.fullmatch(r"(.*?)(\d+)", number).groups()
    return prefix + str(int(digits) + 1).zfill(len(digits))


def type_ticket(page, producer: str, gross: str = "46") -> str:
    """Types a ticket under the number the form suggests (the demo's series, so the next test
    finds it continued); returns that number."""
    number = page.input_value("input[name=ticket_number]")
    page.fill("input[name=producer_code]", producer)
    page.locator("input[name=producer_code]").dispatch_event("change")
    # Offline, the plots come from the lists kept on the device.
    page.wait_for_selector('#plot_id option[value]:not([value=""])', state="attached")
    page.select_option("#product_form", "dry_parchment")
    page.fill("input[name=gross_kg]", gross)
    page.fill("input[name=tare_kg]", "0,5")
    page.click("#delivery-form button[type=submit]")
    page.wait_for_selector(f"#offline-list li[data-status=waiting] >> text={number}")
    assert page.input_value("input[name=ticket_number]") == next_ticket(number)
    return number


def waiting(page) -> int:
    return int(page.get_attribute("#offline-summary", "data-waiting"))


def recorded_once(page, number: str) -> bool:
    page.goto(f"/deliveries?q={number}")
    return page.locator("main table tbody tr", has_text=number).count() == 1


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_tickets_typed_offline_are_sent_once_when_the_connection_returns(
    new_page, log_in, results_dir, size
):
    page = log_in(new_page(viewport=SIZES[size]))
    context = page.context
    open_intake(page)

    context.set_offline(True)
    page.reload()  # served by the service worker: no network at all
    assert page.locator("#delivery-form").is_visible()
    assert "Sin conexión" in page.inner_text("#offline-status")
    # The worker's own network request failed too: the lists are its kept copy.
    kept = page.evaluate(
        "() => fetch('/deliveries/offline-data').then(r => r.headers.get('X-Offline-Copy'))"
    )
    assert kept == "1"
    numbers = [type_ticket(page, producer) for producer in PRODUCERS]
    assert waiting(page) == 3
    page.reload()  # still offline: the queue is on the device, not in the page
    page.wait_for_function("() => document.getElementById('offline-summary').dataset.waiting")
    assert waiting(page) == 3
    summary = page.inner_text("#offline-summary")
    assert re.match(r"3 tickets en espera de envío, desde \d", summary), summary
    page.screenshot(path=str(results_dir / f"offline-queue-{size}.png"), full_page=True)

    # The first answer is lost on the way back: the server recorded the tickets, the device
    # never heard, so it sends them again and is told they were received before.
    lost = []

    def lose_first_answer(route):
        if not lost:
            lost.append(route.fetch().status)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/deliveries/offline-send", lose_first_answer)
    context.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('offline-summary').dataset.recorded === '3'",
        timeout=LONG_MS,
    )
    assert lost == [200]
    items = page.locator("#offline-list li[data-status=recorded]")
    assert items.count() == 3
    assert items.locator(".duplicate").count() == 3  # resent, answered "received before"
    assert "Conectado" in page.inner_text("#offline-status")
    assert waiting(page) == 0
    page.screenshot(path=str(results_dir / f"offline-recorded-{size}.png"), full_page=True)
    assert_accessible(page, f"offline queue, recorded ({size})")

    receipt = items.first.locator("a.receipt").get_attribute("href")
    response = page.request.get(receipt)
    assert response.ok and response.body().startswith(b"%PDF")
    for number in numbers:
        assert recorded_once(page, number), number


def test_a_session_ended_offline_asks_to_log_in_and_keeps_the_tickets(
    new_page, log_in, results_dir
):
    page = log_in(new_page(viewport=SIZES["phone"]))
    context = page.context
    open_intake(page)
    context.set_offline(True)
    number = type_ticket(page, PRODUCERS[0])
    context.clear_cookies()  # the session ended while the device was offline
    context.set_offline(False)
    page.wait_for_selector("#offline-login", state="visible")
    assert "Sus tickets se conservan" in page.inner_text("#offline-login")
    assert waiting(page) == 1
    page.screenshot(path=str(results_dir / "offline-log-in-again.png"), full_page=True)

    page.click("#offline-login a")
    page.fill("input[name=email]", "staff@demo.coop")
    page.fill("input[name=password]", "demo")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('offline-summary').dataset.recorded === '1'",
        timeout=LONG_MS,
    )
    assert recorded_once(page, number)


def test_a_days_work_of_two_hundred_tickets_is_kept_and_sent(new_page, log_in):
    page = log_in(new_page(viewport=SIZES["desk"]))
    context = page.context
    open_intake(page)
    context.set_offline(True)
    first = type_ticket(page, PRODUCERS[1], gross="1")  # 100 kg in all: no MB-OVER
    prefix, digits = re.fullmatch(r"(.*?)(\d+)", first).groups()
    # 199 more like it, each with its own device id and number, as the form would keep them.
    page.evaluate(
        """([prefix, start, width]) => new Promise((resolve, reject) => {
          const open = indexedDB.open('coopchain-intake', 1);
          open.onsuccess = () => {
            const tx = open.result.transaction('tickets', 'readwrite');
            const store = tx.objectStore('tickets');
            store.getAll().onsuccess = (event) => {
              const first = event.target.result[0];
              for (let n = 1; n < 200; n++) {
                const copy = structuredClone(first);
                copy.client_id = crypto.randomUUID();
                copy.fields.ticket_number = prefix + String(start + n).padStart(width, '0');
                copy.queued_at = new Date(Date.parse(first.queued_at) + n).toISOString();
                store.put(copy);
              }
            };
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          };
        })""",
        [prefix, int(digits), len(digits)],
    )
    page.reload()
    page.wait_for_function(
        "() => document.getElementById('offline-summary').dataset.waiting === '200'"
    )
    assert "200 tickets en espera de envío" in page.inner_text("#offline-summary")
    context.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('offline-summary').dataset.recorded === '200'",
        timeout=LONG_MS,
    )
    assert page.locator("#offline-list li[data-status=attention]").count() == 0
    assert recorded_once(page, prefix + str(int(digits) + 199).zfill(len(digits)))


def test_a_ticket_number_taken_meanwhile_is_shown_fixed_and_sent_again(
    new_page, log_in, results_dir
):
    page = log_in(new_page(viewport=SIZES["phone"]))
    context = page.context
    open_intake(page)
    context.set_offline(True)
    taken = type_ticket(page, PRODUCERS[2])  # the next free number, for now
    # Meanwhile another clerk, online, records a ticket with that number.
    other = log_in(new_page(viewport=SIZES["desk"]))
    other.goto("/deliveries/new")
    other.fill("input[name=ticket_number]", taken)
    other.fill("input[name=producer_code]", PRODUCERS[0])
    other.locator("input[name=producer_code]").dispatch_event("change")
    other.wait_for_selector('#plot_id option[value]:not([value=""])', state="attached")
    other.select_option("#product_form", "dry_parchment")
    other.fill("input[name=gross_kg]", "30")
    with other.expect_navigation():
        other.click("#delivery-form button[type=submit]")
    assert re.search(r"/deliveries/\d+$", other.url), other.url

    context.set_offline(False)
    item = page.locator("#offline-list li[data-status=attention]")
    item.wait_for(timeout=LONG_MS)
    assert item.locator("[data-reason=ticket_taken]").count() == 1
    assert f"El ticket {taken} se registró mientras tanto" in item.inner_text()
    page.screenshot(path=str(results_dir / "offline-needs-attention.png"), full_page=True)
    assert_accessible(page, "offline queue, a ticket needing attention")

    item.locator("button[data-action=fix]").click()
    page.wait_for_selector("#offline-editing", state="visible")  # read from IndexedDB first
    assert page.input_value("input[name=ticket_number]") == taken
    assert page.input_value("input[name=gross_kg]") == "46"
    page.fill("input[name=ticket_number]", next_ticket(taken))
    page.click("#delivery-form button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('offline-summary').dataset.recorded === '1'",
        timeout=LONG_MS,
    )
    assert page.locator("#offline-list li").count() == 1  # fixed, not a second ticket
    assert recorded_once(page, next_ticket(taken))
