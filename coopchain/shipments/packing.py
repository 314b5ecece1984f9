"""A shipment's packing list: the .xlsx the export office sends and an A4 PDF for the file,
bilingual (English for the importer and the carrier, Spanish for Peruvian customs), with what
a customs broker looks for: shipper with RUC and address, consignee, notify party, marks and
numbers, ICO marks per lot and bag range, HS code, bags, net, tare and gross weight, container
and seal, vessel and bill of lading.

Two steps, as for the intake receipt (lots/receipt.py, DESIGN.md §3, §6): `packing_list_context`
reads the database into plain values, and the two writers turn them into bytes — the workbook
through the shared writer (formula-like text neutralised, numbers as numeric cells), the PDF
with WeasyPrint and the receipt's fetcher that refuses every URL.
"""

import re
from decimal import Decimal

from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.clock import utcnow
from coopchain.lots import rules
from coopchain.lots.origins import origins_of
from coopchain.pdf import render_pdf
from coopchain.shipments.packing_terms import LABELS, PRODUCTS, STATUSES
from coopchain.shipments.rules import default_hs_code, ico_marks_per_lot
from coopchain.shipments.services import bags_of, get_shipment, totals_of
from coopchain.spreadsheets import write_workbook

TEMPLATE = "pdf/packing_list.html"
#: The shipment's own fields, in the order the packing list shows them.
HEADER_FIELDS = (
    "reference",
    "crop",
    "status",
    "buyer_name",
    "buyer_country",
    "buyer_address",
    "incoterm",
    "port_of_loading",
    "port_of_destination",
    "planned_loading_on",
    "planned_arrival_on",
    "shipped_on",
    "vessel",
    "bill_of_lading",
    "container_number",
    "seal_number",
    "ico_marks",
    "eu_coi_number",
    "nop_certificate_number",
    "senasa_certificate_number",
    "consignee",
    "notify_party",
    "marks_and_numbers",
)
LOT_COLUMNS = [
    "lot_code",
    "crop",
    "product_form",
    "organic_status",
    "bags",
    "net_kg",
    "first_serial",
    "last_serial",
    "serial_ranges",
    "ico_mark",
    "tare_kg",
    "gross_kg",
]
BAG_COLUMNS = ["serial", "lot_code", "product_form", "organic_status", "net_kg"]
_SERIAL = re.compile(r"^(.*?)(\d+)$")


def serial_runs(serials: list[str]) -> list[tuple[str, str]]:
    """Sorted serials as runs of consecutive numbers: a lot's first and last serial alone
    would claim the bags in between, even one taken off the shipment."""
    runs: list[list] = []  # [first, last, prefix, width, number]
    for serial in sorted(serials):
        match = _SERIAL.match(serial)
        key = (match.group(1), len(match.group(2)), int(match.group(2))) if match else None
        if runs and key and runs[-1][2:4] == [key[0], key[1]] and runs[-1][4] + 1 == key[2]:
            runs[-1][1], runs[-1][4] = serial, key[2]
        else:
            runs.append([serial, serial, *(key or (None, None, None))])
    return [(run[0], run[1]) for run in runs]


def runs_text(runs: list[tuple[str, str]]) -> str:
    """Runs written out in full (the spreadsheet): "A-000001 – A-000005, A-000007"."""
    return ", ".join(first if first == last else f"{first} – {last}" for first, last in runs)


def run_end(first: str, last: str) -> str:
    """A run's last serial as printed after its first: only the number when the rest is the
    same ("PE-COOP-2026-000001 – 000005"), so a range fits on one line of a page."""
    a, b = _SERIAL.match(first), _SERIAL.match(last)
    if a and b and a.group(1) == b.group(1):
        return b.group(2)
    return last


def ico_marks_by_lot(session: Session, shipment) -> dict[int, str | None]:
    """{lot id: its ICO mark on `shipment`}: the packing list's order (by lot code), the
    shipment's mark for the first lot and the next serials after it (rules.ico_marks_per_lot),
    so a bag label and the packing list always print the same mark."""
    lines = totals_of(session, shipment).lines
    marks = ico_marks_per_lot(shipment.ico_marks, len(lines))
    return {line.lot.id: mark for line, mark in zip(lines, marks, strict=True)}


def packing_list_context(session: Session, org_id: int, reference: str) -> dict:
    """Everything the packing list shows, as plain values (no ORM objects reach a writer).
    Another organisation's reference raises NotFound."""
    shipment = get_shipment(session, org_id, reference)
    organization = session.get(Organization, org_id)
    totals = totals_of(session, shipment)
    bags = bags_of(session, shipment)
    # A lot's status from the one origins function, once per lot (DOMAIN.md §3: a mixture is
    # only as organic as its least organic origin).
    statuses = {
        line.lot.id: origins_of(session, line.lot).organic_status.value for line in totals.lines
    }
    serials: dict[int, list[str]] = {}
    for bag, lot in bags:
        serials.setdefault(lot.id, []).append(bag.serial)
    tare = Decimal(
        shipment.tare_per_bag_kg
        if shipment.tare_per_bag_kg is not None
        else organization.bag_tare_kg
    )
    marks = ico_marks_per_lot(shipment.ico_marks, len(totals.lines))
    lines = []
    for line, mark in zip(totals.lines, marks, strict=True):
        line_tare = rules.kg(tare * line.bags)
        lines.append(
            {
                "lot_code": line.lot.code,
                "crop": line.lot.crop,
                "product_form": line.lot.product_form,
                "organic_status": statuses[line.lot.id],
                "bags": line.bags,
                "net_kg": line.net_kg,
                "first_serial": line.first_serial,
                "last_serial": line.last_serial,
                "serial_runs": serial_runs(serials.get(line.lot.id, [])),
                # ICO marks identify each lot of the consignment (DOMAIN.md §6).
                "ico_mark": mark,
                "tare_kg": line_tare,
                "gross_kg": line.net_kg + line_tare,
            }
        )
    total_tare = sum((line["tare_kg"] for line in lines), Decimal("0.000"))
    forms = sorted({line["product_form"] for line in lines})
    buyer = "\n".join(
        part
        for part in (shipment.buyer_name, shipment.buyer_address, shipment.buyer_country)
        if part
    )
    return {
        "organization_name": organization.name,
        "locale": organization.locale,
        "organization_code": organization.code,
        "shipper": {
            "name": organization.name,
            "ruc": organization.ruc,
            "address": organization.address,
            "region": organization.region,
            "country": organization.country,
        },
        # The consignee is the buyer unless the shipment names another party.
        "consignee": shipment.consignee or buyer,
        "notify_party": shipment.notify_party,
        "marks_and_numbers": shipment.marks_and_numbers,
        "hs_code": shipment.hs_code or default_hs_code(shipment.crop, forms),
        "tare_per_bag_kg": tare,
        "shipment": {name: getattr(shipment, name) for name in HEADER_FIELDS},
        "lines": lines,
        "bags": [
            {
                "serial": bag.serial,
                "lot_code": lot.code,
                "product_form": lot.product_form,
                "organic_status": statuses[lot.id],
                "net_kg": bag.net_kg,
            }
            for bag, lot in bags
        ],
        "total_bags": totals.bags,
        "total_net_kg": totals.net_kg,
        "total_tare_kg": total_tare,
        "total_gross_kg": totals.net_kg + total_tare,
        # The EU due diligence statement's numbers, once returned (DOMAIN.md §8).
        "dds_reference": shipment.eudr_dds_reference,
        "dds_verification": shipment.eudr_dds_verification,
        "generated_at": utcnow(),
    }


def filename(context: dict, extension: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", context["shipment"]["reference"]).strip("-")
    return f"packing-list-{safe or 'shipment'}.{extension}"


def packing_list_workbook(context: dict) -> bytes:
    """Sheet "Shipment": the header as field/value rows with the totals; "Lots": one row per
    lot and a total row; "Bags": every bag. Headers are field names, as in the other exports;
    counts and kilograms are numeric cells."""
    shipper = context["shipper"]
    header = [
        ["shipper_name", shipper["name"]],
        ["shipper_ruc", shipper["ruc"]],
        ["shipper_address", shipper["address"]],
    ]
    header += [[name, context["shipment"][name]] for name in HEADER_FIELDS]
    header += [
        ["consignee_as_printed", context["consignee"]],
        ["hs_code_as_printed", context["hs_code"]],
        ["tare_per_bag_kg", context["tare_per_bag_kg"]],
        ["total_bags", context["total_bags"]],
        ["total_net_kg", context["total_net_kg"]],
        ["total_tare_kg", context["total_tare_kg"]],
        ["total_gross_kg", context["total_gross_kg"]],
    ]
    if context.get("dds_reference"):
        header += [
            ["eudr_dds_reference", context["dds_reference"]],
            ["eudr_dds_verification", context.get("dds_verification")],
        ]
    lots = [
        [
            line["lot_code"],
            line["crop"],
            line["product_form"],
            line["organic_status"],
            line["bags"],
            line["net_kg"],
            line["first_serial"],
            line["last_serial"],
            runs_text(line["serial_runs"]),
            line["ico_mark"],
            line["tare_kg"],
            line["gross_kg"],
        ]
        for line in context["lines"]
    ]
    lots.append(
        ["total", None, None, None, context["total_bags"], context["total_net_kg"]]
        + [None, None, None, None, context["total_tare_kg"], context["total_gross_kg"]]
    )
    bags = [[bag[name] for name in BAG_COLUMNS] for bag in context["bags"]]
    return write_workbook(
        [
            ("Shipment", ["field", "value"], header),
            ("Lots", LOT_COLUMNS, lots),
            ("Bags", BAG_COLUMNS, bags),
        ]
    )


def render_packing_list_pdf(context: dict) -> bytes:
    """The packing list as A4 PDF bytes, in the current Babel locale, "page X of Y"."""
    return render_pdf(
        TEMPLATE,
        r=context,
        s=context["shipment"],
        run_end=run_end,
        locale=context.get("locale"),
        L=LABELS,
        products=PRODUCTS,
        statuses=STATUSES,
    )
