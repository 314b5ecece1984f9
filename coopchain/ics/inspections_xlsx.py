"""The yearly inspection report as .xlsx for the certifier: one row per member, inspected or
not, with the year's last inspection and its sanctions."""

from coopchain.ics.inspections import InspectionReport
from coopchain.spreadsheets import write_workbook

COLUMNS = [
    "year",
    "member_code",
    "name",
    "status",
    "inspected",
    "inspections",
    "last_inspected_on",
    "inspector",
    "result",
    "sanctions",
]


def inspection_workbook(report: InspectionReport) -> bytes:
    def sanctions(line) -> str:
        return "; ".join(
            f"{s['sanction']} ({s['inspected_on'].isoformat()}"
            + (f" – {s['until'].isoformat()}" if s["until"] else "")
            + f"): {s['reason']}"
            for s in line.sanctions
        )

    rows = (
        [
            report.year,
            m.member_code,
            m.name,
            m.status,
            "yes" if m.inspected else "no",
            m.inspections,
            m.last_inspected_on,
            m.last_inspector,
            m.last_result,
            sanctions(m),
        ]
        for m in report.members
    )
    return write_workbook([("Inspections", COLUMNS, rows)])
