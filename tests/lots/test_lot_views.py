"""The lot pages: what a user sees (quantities, origins, statuses) and what the actions do."""

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from coopchain.clock import today
from coopchain.lots import bags as bag_service
from coopchain.lots import transformations
from coopchain.lots.models import Bag, Lot, Transformation
from tests import factories
from tests.helpers import change_settings

DAY = date(2026, 6, 1)


@pytest.fixture
def staff(client, login):
    """Logged in as staff, pages in English (labels do not change with the translations)."""
    login("staff")
    client.get("/lang/en")


class Tables(HTMLParser):
    """Cell texts of the tables on a page, by the table's class."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("class", ""), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def body_rows(page: str, table_class: str) -> list[list[str]]:
    parser = Tables()
    parser.feed(page)
    return parser.tables[table_class][1:]  # without the header row


def kg_of(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def output_of(db_session, transformation) -> Lot:
    return transformations.parts_of(db_session, transformation)[1][0]


def lot_url(code: str) -> str:
    return f"/lots/{quote(code, safe='')}"


def second_farm(db_session, org, **plot_fields):
    producer = factories.producer(db_session, org, first_name="Elmer")
    plot = factories.plot(db_session, org, producer, name="Bajo Naranjillo", **plot_fields)
    factories.agreement(db_session, org, [producer])
    return producer, plot


# --- the lot page -----------------------------------------------------------------------------


def test_lot_page_shows_quantities_and_origins_that_add_up(client, staff, db_session, org, farm):
    producer, plot = farm
    other_plot = factories.plot(db_session, org, producer, name="Loma Alta")
    _d1, lot1 = factories.delivery(db_session, org, producer, plot)  # 500 kg
    _d2, lot2 = factories.delivery(db_session, org, producer, other_plot, gross_kg=Decimal("320"))
    merged = transformations.merge(
        db_session, org.id, None, [(lot1.code, None), (lot2.code, Decimal("200"))], DAY
    )
    lot = output_of(db_session, merged)
    transformations.take_sample(db_session, org.id, None, lot.code, Decimal("0.5"), DAY)

    page = client.get(lot_url(lot.code)).data.decode()
    assert 'data-kg="produced">700 kg' in page
    assert 'data-kg="consumed">0.5 kg' in page
    assert 'data-kg="available">699.5 kg' in page
    by_plot = body_rows(page, "list origins-by-plot")
    assert [row[1] for row in by_plot] == [plot.name, "Loma Alta"]
    assert sum(kg_of(row[3]) for row in by_plot) == Decimal("700")
    assert [row[4] for row in by_plot] == ["71.4 %", "28.6 %"]
    by_delivery = body_rows(page, "list origins-by-delivery")
    assert sorted(kg_of(row[5]) for row in by_delivery) == [Decimal("200"), Decimal("500")]
    assert "All 2 origins from producers with an agreement in force" in page
    # Neither plot has forest evidence: both count as missing (the compliance page says more).
    assert re.search(r'data-result="missing">[^<]*</span> 2', page)
    assert '<span class="badge ok">organic</span>' in page
    assert "<svg" in page and "Genealogy of lot" in page  # the drawing
    assert f"merge #{merged.id}" in page  # made by


def test_origin_lot_page_links_its_delivery_and_what_used_it(client, staff, db_session, org, farm):
    producer, plot = farm
    delivery, lot = factories.delivery(db_session, org, producer, plot)
    sample = transformations.take_sample(db_session, org.id, None, lot.code, None, DAY)
    page = client.get(lot_url(lot.code)).data.decode()
    assert f'href="/deliveries/{delivery.id}">{delivery.ticket_number}</a>' in page
    assert "An origin lot" in page
    assert f'href="/transformations/{sample.id}">sample #{sample.id}</a>' in page
    assert 'data-kg="consumed">0.3 kg' in page  # the SAMPLE_KG setting
    # Staff see the actions; no bags for dry parchment (only green coffee is bagged).
    for action in ('id="split"', 'id="process"', 'id="sample"', 'name="csrf_token"'):
        assert action in page
    assert 'id="create-bags"' not in page
    assert '<option value="green"' in page and '<option value="cherry"' not in page


def test_origins_without_agreement_are_listed(client, staff, db_session, org, farm):
    producer, plot = farm
    loner = factories.producer(db_session, org, member_code="M-SOLA")
    loner_plot = factories.plot(db_session, org, loner)
    _d, lot1 = factories.delivery(db_session, org, producer, plot)
    d2, lot2 = factories.delivery(db_session, org, loner, loner_plot)
    lot = output_of(
        db_session,
        transformations.merge(
            db_session, org.id, None, [(lot1.code, None), (lot2.code, None)], DAY
        ),
    )
    page = client.get(lot_url(lot.code)).data.decode()
    assert "1 of 2 origins from producers without an agreement in force" in page
    assert f"{d2.ticket_number}</a> · 01/06/2026 · M-SOLA" in page


def test_a_lot_with_many_origins_shows_the_first_100_deliveries(
    client, staff, db_session, org, farm
):
    producer, plot = farm
    codes = [
        factories.delivery(db_session, org, producer, plot, gross_kg=Decimal("30"))[1].code
        for _ in range(103)
    ]
    merged = transformations.merge(db_session, org.id, None, [(c, None) for c in codes], DAY)
    page = client.get(lot_url(output_of(db_session, merged).code)).data.decode()
    assert len(body_rows(page, "list origins-by-delivery")) == 100
    assert "Showing the first 100 deliveries; 3 more are in the spreadsheet export." in page
    assert 'href="/lots/export.xlsx"' in page
    assert "+92 more lots" in page  # the drawing stays a dozen boxes tall


# --- lot list -----------------------------------------------------------------------------------


def test_lot_list_filters_and_offers_merging(client, staff, db_session, org, farm):
    producer, plot = farm
    _d, parchment = factories.delivery(db_session, org, producer, plot)
    _d, green = factories.delivery(db_session, org, producer, plot, product_form="green")
    page = client.get("/lots").data.decode()
    assert parchment.code in page and green.code in page
    assert f'name="lot" value="{green.code}" form="merge-pick"' in page
    assert "Merge selected" in page
    page = client.get("/lots?product_form=green").data.decode()
    assert green.code in page and parchment.code not in page
    page = client.get("/lots?status=depleted").data.decode()
    assert green.code not in page and "No lots match" in page
    page = client.get("/lots?product_form=dry_parchment&per_page=1&q=CAF").data.decode()
    assert "product_form=dry_parchment" not in page  # one page only: no pager
    factories.delivery(db_session, org, producer, plot)
    page = client.get("/lots?product_form=dry_parchment&per_page=1").data.decode()
    assert "product_form=dry_parchment" in page and "page=2" in page  # the pager keeps it


# --- merge --------------------------------------------------------------------------------------


def test_merge_two_deliveries_through_the_form(client, staff, db_session, org, farm):
    producer, plot = farm
    elmer, elmer_plot = second_farm(db_session, org)
    _d, lot1 = factories.delivery(db_session, org, producer, plot)
    _d, lot2 = factories.delivery(db_session, org, elmer, elmer_plot)
    _d, green = factories.delivery(db_session, org, elmer, elmer_plot, product_form="green")

    page = client.get(f"/lots/merge?lot={lot1.code}").data.decode()
    assert f'value="{lot1.code}" id="pick-1" checked' in page
    assert lot2.code in page  # a candidate: same crop and form, available
    assert green.code not in page
    assert "Downgrade the new lot to conventional" in page

    response = client.post(
        "/lots/merge",
        data={
            "lot": [lot1.code, lot2.code],
            f"kg_{lot2.code}": "120.5",
            "occurred_on": "2026-06-02",
        },
    )
    assert response.status_code == 302, response.data
    page = client.get(response.location).data.decode()
    by_plot = body_rows(page, "list origins-by-plot")
    assert {row[0].split()[0] for row in by_plot} == {producer.member_code, elmer.member_code}
    assert 'data-kg="produced">620.5 kg' in page
    db_session.expire_all()
    assert db_session.get(Lot, lot2.id).available_kg == Decimal("379.500")


def test_merge_form_errors_keep_the_choices(client, staff, db_session, org, farm):
    producer, plot = farm
    _d, lot1 = factories.delivery(db_session, org, producer, plot)
    _d, lot2 = factories.delivery(db_session, org, producer, plot)
    response = client.post("/lots/merge", data={"lot": [lot1.code], "occurred_on": "2026-06-02"})
    assert response.status_code == 422
    assert "Choose at least two lots to merge." in response.data.decode()
    response = client.post(
        "/lots/merge",
        data={"lot": [lot1.code, lot2.code], f"kg_{lot1.code}": "900", "occurred_on": "2026-06-02"},
    )
    page = response.data.decode()
    assert response.status_code == 422
    assert "has only 500.000 kg available, not 900.000 kg" in page
    assert f'name="kg_{lot1.code}" value="900"' in page
    assert f'value="{lot2.code}" id="pick-2" checked' in page
    assert count(db_session, Transformation) == 0


def test_commingling_is_refused_then_accepted_with_a_downgrade_reason(
    client, staff, db_session, org, farm
):
    producer, plot = farm
    conventional = factories.plot(db_session, org, producer, organic_conversion_start=None)
    _d, organic_lot = factories.delivery(db_session, org, producer, plot)
    _d, conventional_lot = factories.delivery(db_session, org, producer, conventional)
    form = {"lot": [organic_lot.code, conventional_lot.code], "occurred_on": "2026-06-02"}

    response = client.post("/lots/merge", data=form)
    page = response.data.decode()
    assert response.status_code == 422
    assert '<div class="errors commingled" role="alert">' in page
    assert f"Organic lots ({organic_lot.code}) cannot be merged" in page
    assert '<details class="downgrade card" open>' in page
    assert count(db_session, Transformation) == 0

    reason = "Sacos mezclados en el almacén"
    response = client.post("/lots/merge", data={**form, "downgrade_reason": reason})
    assert response.status_code == 302, response.data
    page = client.get(response.location).data.decode()
    assert '<span class="badge ">conventional</span>' in page
    assert "Downgraded to conventional." in page and reason in page
    made = db_session.scalar(select(Transformation))
    assert made.downgrade_reason == reason
    page = client.get(f"/transformations/{made.id}").data.decode()
    assert reason in page


# --- split, process, sample, bags --------------------------------------------------------------


def test_split_makes_new_lots_and_keeps_the_rest(client, staff, db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot)
    url = f"/lots/{lot.code}/split"
    response = client.post(
        url, data={"outputs": ["100", "150.25", ""], "occurred_on": "2026-06-02"}
    )
    assert response.status_code == 302, response.data
    made = db_session.scalar(select(Transformation))
    assert response.location.endswith(f"/transformations/{made.id}")
    page = client.get(response.location).data.decode()
    assert [kg_of(row[2]) for row in body_rows(page, "list inputs")] == [Decimal("250.25")]
    outputs = body_rows(page, "list outputs")
    assert [kg_of(row[2]) for row in outputs] == [Decimal("100"), Decimal("150.25")]
    page = client.get(lot_url(lot.code)).data.decode()
    assert 'data-kg="available">249.75 kg' in page


def test_split_errors_reopen_the_split_section_with_the_values(
    client, staff, db_session, org, farm
):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot)
    url = f"/lots/{lot.code}/split"
    response = client.post(url, data={"outputs": ["400", "200"], "occurred_on": "2026-06-02"})
    page = response.data.decode()
    assert response.status_code == 422
    assert '<details id="split" class="card action" open>' in page
    assert '<details id="process" class="card action">' in page
    assert "has only 500.000 kg available, not 600.000 kg" in page
    assert 'value="400"' in page and 'value="200"' in page
    response = client.post(url, data={"outputs": ["100"], "occurred_on": "2026-06-02"})
    assert response.status_code == 422
    response = client.post(url, data={"outputs": ["100", "abc"], "occurred_on": ""})
    assert response.status_code == 422 and "Not a valid number." in response.data.decode()
    assert count(db_session, Transformation) == 0


def test_implausible_yield_asks_for_confirmation(client, staff, db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot)  # 500 kg dry parchment
    url = f"/lots/{lot.code}/process"
    form = {"to_form": "green", "output_kg": "300", "occurred_on": "2026-06-02"}
    response = client.post(url, data=form)
    page = response.data.decode()
    assert response.status_code == 422
    assert '<details id="process" class="card action" open>' in page
    assert "A yield of 60.0 % is outside the usual 70–85 %" in page
    assert (
        'name="confirm_yield"' in page
        and 'name="output_kg" id="process-output_kg" value="300"' in page
    )
    assert count(db_session, Transformation) == 0

    response = client.post(url, data={**form, "confirm_yield": "y"})
    assert response.status_code == 302, response.data
    green = db_session.scalar(select(Lot).where(Lot.product_form == "green"))
    assert response.location.endswith(lot_url(green.code))
    page = client.get(response.location).data.decode()
    assert 'data-kg="produced">300 kg' in page and "Lot CAF-" in page
    page = client.get(f"/transformations/{green.transformation_id}").data.decode()
    assert "60.0 %" in page and "confirmed outside the usual range" in page
    assert '<dd class="loss">200 kg</dd>' in page


def test_plausible_process_needs_no_confirmation(client, staff, db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot)
    response = client.post(
        f"/lots/{lot.code}/process",
        data={
            "to_form": "green",
            "input_kg": "400",
            "output_kg": "320",
            "occurred_on": "2026-06-02",
        },
    )
    assert response.status_code == 302, response.data
    db_session.expire_all()
    assert db_session.get(Lot, lot.id).available_kg == Decimal("100.000")


def test_sample_takes_the_default_quantity(client, staff, db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot)
    response = client.post(f"/lots/{lot.code}/sample", data={"occurred_on": "2026-06-02"})
    assert response.status_code == 302 and response.location.endswith(lot_url(lot.code))
    page = client.get(response.location).data.decode()
    assert "Sample of 0.3 kg taken." in page and 'data-kg="available">499.7 kg' in page


def test_bags_are_created_and_a_void_gives_the_kg_back(client, staff, db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    page = client.get(lot_url(lot.code)).data.decode()
    assert 'id="create-bags"' in page and 'name="net_kg" id="bags-net_kg" value="69"' in page
    assert "Up to 7 with what is available." in page

    response = client.post(f"/lots/{lot.code}/bags", data={"count": "3", "net_kg": "69"})
    assert response.status_code == 302, response.data
    page = client.get(response.location).data.decode()
    year = today().year
    serials = [f"PE-COOPAM-{year}-{n:06d}" for n in (1, 2, 3)]
    assert f"3 bags created: {serials[0]} – {serials[2]}." in page
    assert all(serial in page for serial in serials)
    assert 'data-kg="available">293 kg' in page and 'data-kg="consumed">207 kg' in page

    response = client.post(f"/bags/{serials[1]}/void", data={"reason": "Saco roto"})
    assert response.status_code == 303
    page = client.get(response.location).data.decode()
    assert 'data-kg="available">362 kg' in page and "Saco roto" in page
    assert f"Bag {serials[1]} voided; 69 kg are back in lot {lot.code}." in page

    response = client.post(f"/bags/{serials[0]}/void", data={"reason": " "})
    page = client.get(response.location).data.decode()
    assert "Give a reason to void the bag." in page
    assert db_session.scalar(select(Bag).where(Bag.serial == serials[0])).voided_at is None


def test_too_many_bags_are_refused_in_the_bags_section(client, staff, db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    response = client.post(f"/lots/{lot.code}/bags", data={"count": "8"})
    page = response.data.decode()
    assert response.status_code == 422
    assert '<details id="create-bags" class="card action" open>' in page
    assert "8 bags of 69.000 kg need 552.000 kg" in page and 'value="8"' in page
    assert count(db_session, Bag) == 0


def test_transformation_void_gives_the_inputs_back(client, staff, db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot)
    made = transformations.split(
        db_session, org.id, None, lot.code, [Decimal("100"), Decimal("50")], DAY
    )
    url = f"/transformations/{made.id}"
    page = client.get(url).data.decode()
    assert "Void this transformation" in page
    response = client.post(f"{url}/void", data={"reason": "Pesada equivocada"})
    assert response.status_code == 303
    page = client.get(url).data.decode()
    assert "voided" in page and "Pesada equivocada" in page
    assert "Void this transformation" not in page
    page = client.get(lot_url(lot.code)).data.decode()
    assert 'data-kg="available">500 kg' in page
    response = client.post(f"{url}/void", data={"reason": "otra vez"})
    assert "already voided" in client.get(response.location).data.decode()


def test_transformation_void_refused_once_an_output_is_used(client, staff, db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot)
    made = transformations.split(db_session, org.id, None, lot.code, [Decimal("100")] * 2, DAY)
    used = output_of(db_session, made)
    transformations.take_sample(db_session, org.id, None, used.code, None, DAY)
    response = client.post(f"/transformations/{made.id}/void", data={"reason": "Error"})
    assert response.status_code == 303
    assert "has already been used" in client.get(response.location).data.decode()
    db_session.expire_all()
    assert db_session.get(Transformation, made.id).voided_at is None


# --- who may do what ----------------------------------------------------------------------------


def test_another_organisations_lot_is_not_found(client, login, db_session, org, other_org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    made = transformations.take_sample(db_session, org.id, None, lot.code, None, DAY)
    (bag,) = bag_service.create_bags(db_session, org.id, None, lot.code, 1)
    login("admin", other_org)
    assert client.get(lot_url(lot.code)).status_code == 404
    assert client.get(f"/transformations/{made.id}").status_code == 404
    for action in ("split", "process", "sample", "bags"):
        assert client.post(f"/lots/{lot.code}/{action}", data={}).status_code == 404
    assert client.post(f"/transformations/{made.id}/void", data={"reason": "x"}).status_code == 404
    assert client.post(f"/bags/{bag.serial}/void", data={"reason": "x"}).status_code == 404
    page = client.get(f"/lots/merge?lot={lot.code}").data.decode()
    assert f'value="{lot.code}"' not in page  # neither listed nor kept as a choice
    assert lot.code not in client.get("/lots").data.decode()


def test_auditor_reads_but_cannot_act(client, login, db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    made = transformations.take_sample(db_session, org.id, None, lot.code, None, DAY)
    (bag,) = bag_service.create_bags(db_session, org.id, None, lot.code, 1)
    login("auditor")
    page = client.get(lot_url(lot.code)).data.decode()
    assert lot.code in page and bag.serial in page
    assert '<form method="post"' not in page.split("<main>")[1]  # no action, no void form
    assert 'form="merge-pick"' not in client.get("/lots").data.decode()
    assert (
        'method="post"'
        not in client.get(f"/transformations/{made.id}").data.decode().split("<main>")[1]
    )
    for action in ("split", "process", "sample", "bags"):
        assert client.post(f"/lots/{lot.code}/{action}", data={}).status_code == 403
    assert client.get("/lots/merge").status_code == 403
    assert client.post("/lots/merge", data={}).status_code == 403
    assert client.post(f"/transformations/{made.id}/void", data={"reason": "x"}).status_code == 403
    assert client.post(f"/bags/{bag.serial}/void", data={"reason": "x"}).status_code == 403


def test_hostile_lot_codes_are_escaped_everywhere(client, staff, db_session, org, farm):
    producer, plot = farm
    hostile = '<b>"X&{seq:03d}'
    patterns = {"*": {"coffee": hostile, "pitahaya": "PIT-{year}-{seq:06d}"}}
    change_settings(db_session, lot_code_patterns=patterns)
    _d, lot1 = factories.delivery(db_session, org, producer, plot)
    _d, lot2 = factories.delivery(db_session, org, producer, plot)
    made = transformations.merge(
        db_session, org.id, None, [(lot1.code, None), (lot2.code, None)], DAY
    )
    merged = output_of(db_session, made)
    assert merged.code == '<b>"X&003'
    for url in (lot_url(merged.code), lot_url(lot1.code), "/lots", f"/transformations/{made.id}"):
        page = client.get(url).data.decode()
        assert '<b>"X' not in page, url
        assert "&lt;b&gt;&#34;X&amp;" in page or "&lt;b&gt;&quot;X&amp;" in page, url
    page = client.get(f"/lots/merge?lot={lot1.code}&lot={lot2.code}").data.decode()
    assert '<b>"X' not in page
