"""The mass-balance report (lots/mass_balance.py) as a workbook: one sheet per plot, one of
totals per crop."""

from coopchain.lots.mass_balance import MassBalanceReport
from coopchain.spreadsheets import write_workbook


def mass_balance_workbook(report: MassBalanceReport) -> bytes:
    """The report as two sheets: one row per plot, and the totals per crop."""
    forms = list(report.forms)
    plot_headers = [
        "season",
        "producer_code",
        "producer_name",
        "plot",
        "crop",
        "area_ha",
        "expected_yield_kg_ha",
        "expected_kg",
        *(f"{form}_kg" for form in forms),
        "deliveries",
        "delivered_equivalent_kg",
        "ratio_pct",
        "flag",
        "severity",
        "explained_by",
    ]
    plot_rows = (
        [
            report.season,
            p.producer_code,
            p.producer_name,
            p.plot_name,
            p.crop,
            p.area_ha,
            p.expected_yield_kg_ha,
            p.expected_kg,
            *(p.delivered_kg.get(form) for form in forms),
            p.deliveries,
            p.delivered_equivalent_kg,
            p.ratio_pct,
            p.flag.value,
            p.severity,
            p.explanation["inspector"] if p.explanation else None,
        ]
        for p in report.plots
    )
    total_headers = [
        "season",
        "crop",
        "plots",
        "area_ha",
        "expected_kg",
        *(f"{form}_kg" for form in forms),
        "delivered_equivalent_kg",
        "ratio_pct",
        "plots_over",
        "plots_no_area",
        "tolerance_pct",
    ]
    total_rows = (
        [
            report.season,
            t.crop,
            t.plots,
            t.area_ha,
            t.expected_kg,
            *(t.delivered_kg.get(form) for form in forms),
            t.delivered_equivalent_kg,
            t.ratio_pct,
            t.over,
            t.no_area,
            report.tolerance_pct,
        ]
        for t in report.totals
    )
    return write_workbook(
        [("Mass balance", plot_headers, plot_rows), ("Totals", total_headers, total_rows)]
    )
