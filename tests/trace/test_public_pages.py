"""The public trace pages a buyer opens by scanning a bag (/b/<token>) or a lot (/l/<token>):
what they show, what they must never show, how they answer an unknown code, their language,
headers, weight, cache and rate limit (issue: public trace pages)."""

import gzip
import re
import secrets
from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest
from flask_babel import force_locale

from coopchain.certs import registry
from coopchain.clock import cooperative_zone, utcnow
from coopchain.farms.producers import PRODUCER_FIELDS, update_producer
from coopchain.lots.bags import create_bags, void_bag
from coopchain.lots.services import lot_of_delivery, void_delivery
from coopchain.quality import gradings
from coopchain.shipments import services as shipments
from coopchain.trace import public_views
from tests import factories
from tests.trace import public_fixtures
from tests.trace.public_fixtures import (
    HOSTILE,
    english_date,
    forest_checked,
    get_page,
    green_lot_of,
    grower,
    merged,
    plot_items,
    shipment_with,
    visible_text,
)

# The shared fixtures (public_fixtures.py), named here so pytest finds them.
app, traced = public_fixtures.app, public_fixtures.traced


def bag_path(bag) -> str:
    return f"/b/{bag.public_token}"


def lot_path(lot) -> str:
    return f"/l/{lot.public_token}"


def area(plot) -> Decimal:
    """The area a public page shows for a plot: the polygon's, else the declared one."""
    return plot.computed_area_ha if plot.computed_area_ha is not None else plot.declared_area_ha


def ha(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def unknown_body(client, lang="en") -> bytes:
    """The page any code that leads nowhere gets (a token that never existed)."""
    response = get_page(client, f"/b/{secrets.token_urlsafe(16)}", lang)
    assert response.status_code == 404
    return response.data


def certify(db_session, org, kind, reference):
    """A certificate issued whatever the findings (an administrator's override)."""
    with force_locale("en"):
        return registry.issue_certificate(
            db_session,
            org.id,
            None,
            kind=kind,
            reference=reference,
            language="en",
            override_reason="Field visit FV-88 found intact forest.",
            may_override=True,
        )


# --- what a buyer reads ------------------------------------------------------------------------


def test_bag_page_says_what_is_in_the_bag(client, traced):
    response = get_page(client, bag_path(traced.bag))

    assert response.status_code == 200
    text = visible_text(response.text)
    assert "Green coffee" in text
    assert f"Bag {traced.bag.serial} · Lot {traced.lot.code}" in text
    assert "Net weight 69 kg" in text
    assert "Harvest 2026" in text
    assert traced.org.name in text


def test_bag_page_shows_organic_certifiers_and_the_cup_score(client, traced):
    text = visible_text(get_page(client, bag_path(traced.bag)).text)

    assert (
        "Organic certified organic ✓ "
        f"Certified by BioLatina: valid until {english_date(date(2029, 3, 31))} "
        f"Certified by Control Union Peru: valid until {english_date(date(2030, 12, 31))}"
    ) in text
    assert (
        f"Cup quality 84.25 very good SCA 2004 · cupped on {english_date(date(2026, 6, 15))}"
    ) in text


def test_bag_page_sums_up_the_origin_and_describes_each_plot(client, traced):
    (_first_producer, first_plot), (_second_producer, second_plot) = traced.first, traced.second

    html = get_page(client, bag_path(traced.bag)).text

    text = visible_text(html)
    assert "Families 2" in text
    assert f"Plots 2 · {ha(area(first_plot) + area(second_plot))} ha" in text
    assert "Altitude 1350–1620 m" in text
    assert "Communities Alto Mayo, Nuevo Edén" in text
    first, second = plot_items(html)  # largest contribution first
    assert first.startswith("Family 1 · Nuevo Edén")
    assert f"{ha(area(first_plot))} ha · 1350 m · 60.0 % of this lot" in first
    assert "conservation agreement since 2025" in first
    assert "organic since 2018" in first  # conversion from 2015-01-01: 36 months
    assert f"deforestation-free checked {english_date(date(2026, 5, 1))}" in first
    assert second.startswith("Family 2 · Alto Mayo")
    assert f"{ha(area(second_plot))} ha · 1620 m · 40.0 % of this lot" in second
    assert "conservation agreement since 2023" in second
    assert "organic since 2019" in second
    assert "No forest evidence yet" in second
    assert "<svg" in html  # the coarse origin map


@pytest.mark.parametrize("status", ["planned", "loading"])
def test_destination_stays_private_until_the_shipment_has_left(client, db_session, traced, status):
    shipment_with(db_session, traced.org, [traced.bag], status)

    text = visible_text(get_page(client, bag_path(traced.bag)).text)

    assert "Hamburg" not in text
    assert "Germany" not in text
    assert "Shipped" not in text


def test_destination_and_date_show_once_shipped(client, db_session, traced):
    shipment = shipment_with(db_session, traced.org, [traced.bag], "loading")
    assert "Hamburg" not in get_page(client, bag_path(traced.bag)).text

    shipments.advance_status(db_session, traced.org.id, None, shipment.reference, date(2026, 7, 20))

    text = visible_text(get_page(client, bag_path(traced.bag)).text)
    assert f"Shipped {english_date(date(2026, 7, 20))} → Hamburg, Germany" in text


def test_verify_link_leads_to_the_lots_certificate_and_goes_with_a_revocation(
    client, db_session, traced
):
    certificate = certify(db_session, traced.org, "lot", traced.lot.code)

    html = get_page(client, bag_path(traced.bag)).text

    assert f'href="/verify/{certificate.verify_code}?lang=en"' in html
    assert f"Verify certificate {certificate.number}" in visible_text(html)

    registry.revoke_certificate(db_session, traced.org.id, None, certificate.number, "Typo")
    html = get_page(client, bag_path(traced.bag)).text
    assert "/verify/" not in html


def test_verify_link_prefers_the_certificate_of_the_bags_shipment(client, db_session, traced):
    lot_certificate = certify(db_session, traced.org, "lot", traced.lot.code)
    shipment = shipment_with(db_session, traced.org, [traced.bag], "shipped")
    shipment_certificate = certify(db_session, traced.org, "shipment", shipment.reference)

    html = get_page(client, bag_path(traced.bag)).text

    assert f'href="/verify/{shipment_certificate.verify_code}?lang=en"' in html
    assert lot_certificate.verify_code not in html
    # The lot's own page has no shipment: it links the lot's certificate.
    lot_html = get_page(client, lot_path(traced.lot)).text
    assert f'href="/verify/{lot_certificate.verify_code}?lang=en"' in lot_html


def test_a_pitahaya_box_shows_its_codex_class_not_a_cup_score(client, db_session, org):
    producer, plot = grower(db_session, org, crop="pitahaya", altitude=900)
    _delivery, lot = factories.delivery(
        db_session, org, producer, plot, product_form="fresh_fruit", moisture_pct=None
    )
    gradings.record_pitahaya_grading(
        db_session,
        org.id,
        None,
        lot.code,
        {
            "codex_class": "class_i",
            "brix": "18",
            "mean_fruit_g": "250",
            "graded_on": date(2026, 6, 5),
        },
    )
    (box,) = create_bags(db_session, org.id, None, lot.code, 1)

    text = visible_text(get_page(client, bag_path(box)).text)

    assert "Net weight 2.5 kg" in text
    assert f"Fruit grade Class I Graded on {english_date(date(2026, 6, 5))} · 18.0 °Brix" in text
    assert "Cup quality" not in text


def test_lot_page_shows_the_lot_without_a_bag(client, traced):
    text = visible_text(get_page(client, lot_path(traced.lot)).text)

    assert f"Lot {traced.lot.code}" in text
    assert "Bag " not in text
    assert "Net weight 1,000 kg" in text  # the whole lot
    assert "Families 2" in text


# --- privacy ---------------------------------------------------------------------------------


def coordinate_spellings(geometry: dict) -> set[str]:
    """Every way a page could spell the plot's coordinates at 3 decimals or more: rounded or
    cut, signed or not, with a decimal point or comma, and the stored number itself."""
    numbers = {value for ring in geometry["coordinates"] for point in ring for value in point}
    spellings = set()
    for number in numbers:
        spellings.add(repr(number))
        for value in (number, abs(number)):
            for decimals in range(3, 7):
                rounded = f"{value:.{decimals}f}"
                cut = str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), "ROUND_DOWN"))
                for text in (rounded, cut):
                    spellings.update({text, text.replace(".", ",")})
    return spellings


@pytest.mark.parametrize("page", ["bag", "lot"])
def test_without_consent_a_producer_is_only_a_family_number(client, traced, page):
    path = bag_path(traced.bag) if page == "bag" else lot_path(traced.lot)

    html = get_page(client, path).text

    names = [item.split(" · ")[0] for item in plot_items(html)]
    assert names == ["Family 1", "Family 2"]
    for producer, _plot in (traced.first, traced.second):
        assert producer.first_name not in html
        assert producer.last_name not in html
        assert producer.member_code not in html


@pytest.mark.parametrize("page", ["bag", "lot"])
def test_no_identity_number_phone_or_coordinate_reaches_the_page(client, traced, page):
    path = bag_path(traced.bag) if page == "bag" else lot_path(traced.lot)

    for lang in ("en", "es"):
        html = get_page(client, path, lang).text
        for producer, plot in (traced.first, traced.second):
            assert producer.national_id not in html
            assert producer.phone not in html
            leaked = {text for text in coordinate_spellings(plot.geometry) if text in html}
            assert not leaked, f"coordinates on the page: {sorted(leaked)}"


def test_the_map_holds_no_coordinates(client, traced):
    html = get_page(client, bag_path(traced.bag)).text

    (svg,) = re.findall(r"<svg\b.*?</svg>", html, re.S)
    # Its drawing: every number but the namespace's, the title's id (a hash), colours and
    # percentages.
    drawing = re.sub(r'\s(xmlns|id|aria-labelledby)="[^"]*"|#[0-9a-fA-F]{3,6}\b|\d+%', "", svg)
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", drawing)]
    assert numbers, "an empty map"
    # No longitude (-77.4…) and no absolute grid cell number (-7741 at 0.01°) anywhere…
    assert max(abs(n) for n in numbers) < 70
    # …and no latitude or longitude at 3 decimals, with or without its sign.
    for _producer, plot in (traced.first, traced.second):
        for ring in plot.geometry["coordinates"]:
            for point in ring:
                for coordinate in point:
                    for n in numbers:
                        assert abs(abs(n) - abs(coordinate)) >= 0.0005, (n, coordinate)


def test_with_consent_the_producer_is_named(client, db_session, org):
    named = grower(
        db_session, org, first_name="Rosa", last_name="Quispe Tello", public_name_consent=True
    )
    unnamed = grower(db_session, org, first_name="Julio", last_name="Mamani Cruz")
    lot = merged(
        db_session,
        org,
        [green_lot_of(db_session, org, *named, "300"), green_lot_of(db_session, org, *unnamed)],
    )

    html = get_page(client, lot_path(lot)).text

    names = [item.split(" · ")[0] for item in plot_items(html)]
    assert names == ["Family 1", "Rosa Quispe Tello"]  # 500 kg first, then 300 kg
    assert "Julio" not in html and "Mamani" not in html


def test_hostile_names_are_shown_as_text(client, db_session, org):
    org.name = f"Coop {HOSTILE}"
    producer, plot = grower(
        db_session,
        org,
        first_name=HOSTILE,
        last_name="Doe",
        community=HOSTILE,
        public_name_consent=True,
        certifier=HOSTILE,
        valid_until=date(2030, 1, 1),
    )
    lot = green_lot_of(db_session, org, producer, plot)
    (bag,) = create_bags(db_session, org.id, None, lot.code, 1)
    db_session.flush()

    html = get_page(client, bag_path(bag)).text

    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = visible_text(html)
    assert f"{HOSTILE} Doe · {HOSTILE}" in text
    assert f"Coop {HOSTILE}" in text
    assert f"Certified by {HOSTILE}" in text


# --- codes that lead nowhere -----------------------------------------------------------------


def voided_on_page(response, day: date) -> bool:
    """The page says the code was voided, on that day, and shows nothing of the bag."""
    text = visible_text(response.text)
    return (
        response.status_code == 410
        and "This code was voided" in text
        and f"voided this label on {english_date(day)}" in text
        and "Code not recognised" not in text
        and "Net weight" not in text
    )


def test_a_voided_bag_says_it_was_voided_and_when(client, db_session, traced):
    (other,) = create_bags(db_session, traced.org.id, None, traced.lot.code, 1)
    assert get_page(client, bag_path(other)).status_code == 200
    void_bag(db_session, traced.org.id, None, other.serial, "Torn")

    voided = get_page(client, bag_path(other))

    assert voided_on_page(voided, utcnow().astimezone(cooperative_zone()).date())
    assert other.public_token not in voided.text and other.serial not in voided.text
    assert "Torn" not in voided.text  # the reason is the cooperative's, not the public's
    assert voided.headers["Cache-Control"] == "no-store"
    spanish = get_page(client, bag_path(other), lang="es")
    assert "Este código fue anulado" in visible_text(spanish.text)


def test_a_bag_of_a_voided_lot_says_it_was_voided(client, db_session, traced):
    # No service voids a lot that still has live bags; the page must not rely on that.
    traced.lot.voided_at = utcnow()
    db_session.flush()

    for path in (bag_path(traced.bag), lot_path(traced.lot)):
        response = get_page(client, path)
        assert voided_on_page(response, utcnow().astimezone(cooperative_zone()).date()), path


def test_a_voided_delivery_lot_says_it_was_voided(client, db_session, org):
    producer, plot = grower(db_session, org)
    delivery, lot = factories.delivery(db_session, org, producer, plot)
    assert get_page(client, lot_path(lot)).status_code == 200

    void_delivery(db_session, org.id, None, delivery.id, "Wrong ticket")

    assert lot_of_delivery(db_session, delivery).voided_at is not None
    response = get_page(client, lot_path(lot))
    assert voided_on_page(response, utcnow().astimezone(cooperative_zone()).date())


def test_guessing_codes_opens_nothing_and_teaches_nothing(client, traced):
    bag, lot = traced.bag, traced.lot
    token = bag.public_token
    neighbour = token[:-1] + ("A" if token[-1] != "A" else "B")
    guesses = {secrets.token_urlsafe(16) for _ in range(200)}
    guesses |= {neighbour, token.upper(), token.lower(), token[:-1], token + "A"} - {token}
    guesses |= {"1", "0", str(bag.id), str(lot.id), bag.serial, lot.code, lot.public_token}
    expected = unknown_body(client)

    for guess in sorted(guesses):
        response = get_page(client, f"/b/{quote(guess, safe='')}")
        assert response.status_code == 404, guess
        assert response.data == expected, guess
    for guess in {"1", str(lot.id), lot.code, bag.serial, token, neighbour}:
        response = get_page(client, f"/l/{quote(guess, safe='')}")
        assert response.status_code == 404, guess
        assert response.data == expected, guess
    # The real ones still open.
    assert get_page(client, bag_path(bag)).status_code == 200
    assert get_page(client, lot_path(lot)).status_code == 200


def test_the_unknown_page_never_echoes_the_code(client):
    token = "Zq9-" + secrets.token_urlsafe(12)

    response = get_page(client, f"/b/{token}")

    assert response.status_code == 404
    assert token not in response.text
    assert token.lower() not in response.text.lower()


# --- language ---------------------------------------------------------------------------------


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.text)[1]


@pytest.mark.parametrize(
    ("query", "accept_language", "expected"),
    [
        ("es", None, "es"),
        ("en", None, "en"),
        ("es", "en-GB,en;q=0.9", "es"),  # ?lang= wins
        (None, "en-GB,en;q=0.9", "en"),
        (None, "en-US", "en"),
        (None, "de-DE,de;q=0.9", "es"),  # neither language: Spanish, the default
        (None, None, "es"),
        ("fr", "en", "en"),  # an unsupported ?lang= is ignored
    ],
)
def test_the_page_speaks_the_asked_language(client, traced, query, accept_language, expected):
    headers = {"Accept-Language": accept_language} if accept_language else {}

    for path in (bag_path(traced.bag), f"/b/{secrets.token_urlsafe(16)}"):
        response = get_page(client, path, query, headers)
        assert html_lang(response) == expected, path
        assert response.headers["Content-Language"] == expected, path


def test_each_language_is_its_own_page(client, traced):
    spanish = get_page(client, bag_path(traced.bag), "es")
    english = get_page(client, bag_path(traced.bag), "en")
    again = get_page(client, bag_path(traced.bag), "es")

    assert "Peso neto" in spanish.text and "Net weight" in english.text
    assert again.data == spanish.data
    assert spanish.headers["ETag"] != english.headers["ETag"]


def test_a_staff_members_language_choice_does_not_reach_public_pages(client, login, traced):
    login("staff")
    client.get("/lang/en")

    response = get_page(client, bag_path(traced.bag), None)

    assert html_lang(response) == "es"  # the phone's language decides, not our session


# --- headers ----------------------------------------------------------------------------------


def test_a_rescan_with_the_etag_gets_an_empty_304(client, traced):
    first = get_page(client, bag_path(traced.bag))
    etag = first.headers["ETag"]
    assert etag

    again = get_page(client, bag_path(traced.bag), headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.data == b""
    stale = get_page(client, bag_path(traced.bag), headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.data == first.data


def test_public_headers_let_caches_keep_the_page_but_ask_each_time(client, traced):
    response = get_page(client, bag_path(traced.bag))

    assert "no-cache" in response.headers["Cache-Control"]
    vary = [v.strip().lower() for v in response.headers["Vary"].split(",")]
    assert "accept-language" in vary
    assert "cookie" not in vary
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy


@pytest.mark.parametrize("logged_in", [False, True])
def test_public_pages_set_no_cookie(client, login, traced, logged_in):
    if logged_in:
        login("staff")

    for path in (bag_path(traced.bag), lot_path(traced.lot), "/b/nothing-here"):
        response = get_page(client, path)
        assert "Set-Cookie" not in response.headers, path
        assert "cookie" not in response.headers.get("Vary", "").lower(), path
        assert "default-src 'none'" in response.headers["Content-Security-Policy"], path


def test_gzip_carries_the_same_page(client, traced):
    plain = get_page(client, bag_path(traced.bag))
    zipped = get_page(client, bag_path(traced.bag), headers={"Accept-Encoding": "gzip"})

    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data)
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # two representations
    again = get_page(
        client,
        bag_path(traced.bag),
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]},
    )
    assert again.status_code == 304


# --- weight and self-containment --------------------------------------------------------------


@pytest.fixture
def wide_lot(db_session, org):
    """A lot from 120 plots of 60 families, each plot giving a different amount."""
    plots = []
    lots = []
    for n in range(60):
        producer, plot = grower(
            db_session,
            org,
            lon=-77.5 + (n % 10) * 0.013,
            lat=-5.6 - (n // 10) * 0.011,
            side=0.0008,
            altitude=1100 + n,
        )
        second = factories.plot(
            db_session,
            org,
            producer,
            geometry=factories.square(-77.5 + (n % 10) * 0.013 + 0.004, -5.6 - (n // 10) * 0.011),
            altitude_m=1300 + n,
        )
        for offset, each in enumerate((plot, second)):
            kg = str(100 + 2 * n + offset)
            lots.append(green_lot_of(db_session, org, producer, each, kg))
            plots.append((Decimal(kg), each))
    return merged(db_session, org, lots), plots


def test_a_lot_of_120_plots_is_a_light_page_that_sums_up_the_smallest(client, wide_lot):
    lot, plots = wide_lot

    response = get_page(client, lot_path(lot))

    assert response.status_code == 200
    assert len(response.data) < 100_000
    html = response.text
    assert len(plot_items(html)) == 50  # PUBLIC_MAX_PLOT_ROWS
    smallest = sorted(plots, key=lambda item: item[0])[:70]
    hectares = sum((area(plot) for _kg, plot in smallest), Decimal("0"))
    text = visible_text(html)
    assert f"and 70 more plots ({ha(hectares)} ha)" in text
    assert "Families 60" in text and "Plots 120 ·" in text


def test_the_page_loads_nothing_from_anywhere(client, wide_lot):
    lot, _plots = wide_lot

    html = get_page(client, lot_path(lot)).text

    # An SVG namespace name is an identifier, never fetched; nothing else may name a URL.
    bare = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http://" not in bare and "https://" not in bare
    assert "//" not in bare  # no protocol-relative address either
    lowered = html.lower()
    for tag in ("<script", "<iframe", "<object", "<embed", "<image", "@import", "url("):
        assert tag not in lowered, tag
    for link in re.findall(r"<link\b[^>]*>", html):
        assert "stylesheet" not in link and 'href="data:' in link, link
    for src in re.findall(r'\bsrc="([^"]*)"', html):
        assert src.startswith("data:"), src
    for href in re.findall(r'\bhref="([^"]*)"', html):
        assert href.startswith(("/verify/", "?lang=", "data:")), href


# --- the cache --------------------------------------------------------------------------------


@pytest.fixture
def gatherings(monkeypatch):
    """How many times a page's facts were gathered (a scan served from the cache gathers
    nothing)."""
    calls = []
    real = public_views.page_facts

    def counting(session, target):
        calls.append(target.kind)
        return real(session, target)

    monkeypatch.setattr(public_views, "page_facts", counting)
    return calls


def test_a_rescan_is_served_without_gathering_again(client, traced, gatherings):
    first = get_page(client, bag_path(traced.bag))
    second = get_page(client, bag_path(traced.bag))

    assert second.data == first.data
    assert gatherings == ["bag"]


def test_voiding_a_cached_bag_closes_its_page_at_once(client, db_session, traced):
    (other,) = create_bags(db_session, traced.org.id, None, traced.lot.code, 1)
    assert get_page(client, bag_path(other)).status_code == 200
    assert get_page(client, bag_path(other)).status_code == 200  # from the cache

    void_bag(db_session, traced.org.id, None, other.serial, "Torn")

    response = get_page(client, bag_path(other))
    assert response.status_code == 410
    assert "This code was voided" in response.text


def test_a_producers_consent_shows_the_name_on_the_next_scan(client, db_session, traced):
    producer, _plot = traced.first
    assert "Quispe" not in get_page(client, bag_path(traced.bag)).text

    data = {name: getattr(producer, name) for name in PRODUCER_FIELDS}
    update_producer(
        db_session, traced.org.id, None, producer.id, {**data, "public_name_consent": True}
    )

    names = [
        item.split(" · ")[0] for item in plot_items(get_page(client, bag_path(traced.bag)).text)
    ]
    assert names == ["Rosa Quispe Tello", "Family 2"]


def test_new_forest_evidence_shows_on_the_next_scan(client, db_session, traced):
    _producer, plot = traced.second
    assert "No forest evidence yet" in get_page(client, bag_path(traced.bag)).text

    forest_checked(db_session, traced.org, plot, "more_info_needed", date(2026, 10, 2))

    second = plot_items(get_page(client, bag_path(traced.bag)).text)[1]
    assert f"more information needed checked {english_date(date(2026, 10, 2))}" in second
    assert "No forest evidence yet" not in second


# --- rate limit -------------------------------------------------------------------------------


_used_addresses: set[str] = set()


def unique_address() -> str:
    """A client address no other test (or database run) used: the limiter's memory storage
    outlives the app, and test runs share it."""
    while True:
        address = "10." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))
        if address not in _used_addresses:
            _used_addresses.add(address)
            return address


@pytest.fixture
def limited_client(make_app):
    app = make_app(RATELIMIT_ENABLED=True, PUBLIC_RATE_LIMIT="3 per minute")
    return app.test_client()


def test_too_many_scans_from_one_address_get_a_friendly_429(limited_client, traced):
    address, neighbour = unique_address(), unique_address()
    path = bag_path(traced.bag)

    for _ in range(3):
        ok = get_page(limited_client, path, environ_base={"REMOTE_ADDR": address})
        assert ok.status_code == 200

    refused = get_page(limited_client, path, environ_base={"REMOTE_ADDR": address})

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many requests" in visible_text(refused.text)
    assert "Set-Cookie" not in refused.headers
    other = get_page(limited_client, path, environ_base={"REMOTE_ADDR": neighbour})
    assert other.status_code == 200


def test_guessing_codes_counts_against_the_limit(limited_client, traced):
    address = unique_address()
    for _ in range(3):
        guess = get_page(
            limited_client,
            f"/b/{secrets.token_urlsafe(16)}",
            environ_base={"REMOTE_ADDR": address},
        )
        assert guess.status_code == 404

    real = get_page(limited_client, bag_path(traced.bag), environ_base={"REMOTE_ADDR": address})

    assert real.status_code == 429
