"""The season inventory as .xlsx for the inspector: per form and organic status, per lot, the
differences and the recorded conversion factors (numbers as numeric cells, DESIGN.md §6)."""

from coopchain.lots.inventory import INFLOWS, OUTFLOWS, SeasonInventory
from coopchain.spreadsheets import write_workbook

FLOWS = [*INFLOWS, *OUTFLOWS, "difference_kg"]


def inventory_workbook(report: SeasonInventory) -> bytes:
    def figures(item) -> list:
        return [getattr(item, name) for name in FLOWS]

    rows = (
        [report.season, r.crop, r.product_form, r.organic_status, r.lots, *figures(r)]
        for r in report.rows
    )
    lots = (
        [report.season, i.lot_code, i.crop, i.product_form, i.organic_status, *figures(i)]
        for i in report.lots
    )
    differences = (
        [
            report.season,
            d.source,
            ", ".join(d.lot_codes),
            d.transformation_id,
            d.product_form,
            d.organic_status,
            d.difference_kg,
        ]
        for d in report.differences
    )
    factors = (
        [report.season, f.crop, f.from_form, f.to_form, f.input_kg, f.output_kg, f.factor]
        for f in report.factors
    )
    return write_workbook(
        [
            (
                "Inventory",
                ["season", "crop", "product_form", "organic_status", "lots", *FLOWS],
                rows,
            ),
            (
                "Lots",
                ["season", "lot", "crop", "product_form", "organic_status", *FLOWS],
                lots,
            ),
            (
                "Differences",
                [
                    "season",
                    "source",
                    "lots",
                    "transformation_id",
                    "product_form",
                    "organic_status",
                    "difference_kg",
                ],
                differences,
            ),
            (
                "Conversion factors",
                ["season", "crop", "from_form", "to_form", "input_kg", "output_kg", "factor"],
                factors,
            ),
        ]
    )
