"""Real-shaped field exports written by hand: Kobo/ODK tables, KML, KMZ and GPX."""

import csv
import io
import math
import zipfile

from openpyxl import Workbook

#: Kobo's xlsx export: the questions (group paths), then its own bookkeeping columns.
KOBO_HEADERS = [
    "start",
    "datos/codigo_socio",
    "datos/nombre_parcela",
    "datos/cultivo",
    "datos/linderos",
    "_id",
    "_uuid",
    "_submission_time",
]


def ring(lon=-77.412345, lat=-5.701234, n=11, radius=0.0007, accuracy=4.5, start=0):
    """n distinct points around (lon, lat) as ODK (lat lon alt acc) tuples, closed: n + 1."""
    points = []
    for k in range(n):
        angle = 2 * math.pi * (k + start) / n
        points.append(
            (
                round(lat + radius * math.sin(angle), 7),
                round(lon + radius * math.cos(angle), 7),
                1150.0 + k,
                accuracy + (k % 3) * 0.5,
            )
        )
    return [*points, points[0]]


def odk(points, separator=";") -> str:
    return separator.join(f"{lat:.7f} {lon:.7f} {alt} {acc}" for lat, lon, alt, acc in points)


def kobo_row(i, geometry, member="M-0001", name=None, crop="café", uuid=None):
    return [
        "2026-11-10T08:00:00",
        member,
        name or f"Parcela {i}",
        crop,
        geometry,
        1000 + i,
        uuid or f"0b6c2f1e-0000-4000-8000-{i:012d}",
        "2026-11-10T09:00:00",
    ]


def kobo_xlsx(rows, headers=KOBO_HEADERS, title="Linderos parcelas") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.create_sheet("repeat_visits").append(["_parent_index", "fecha"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def kobo_csv(rows, headers=KOBO_HEADERS, delimiter=";") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def kml(placemarks: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Parcelas</name>'
        f"{placemarks}</Document></kml>"
    ).encode()


def kml_coords(points) -> str:
    return " ".join(f"{lon:.7f},{lat:.7f},{alt}" for lat, lon, alt, _acc in points)


def placemark(name, member, points, inner=None) -> str:
    holes = (
        f"<innerBoundaryIs><LinearRing><coordinates>{kml_coords(inner)}</coordinates>"
        "</LinearRing></innerBoundaryIs>"
        if inner
        else ""
    )
    return (
        f'<Placemark><name>{name}</name><ExtendedData><Data name="socio"><value>{member}'
        "</value></Data></ExtendedData><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        f"{kml_coords(points)}</coordinates></LinearRing></outerBoundaryIs>{holes}</Polygon>"
        "</Placemark>"
    )


def kmz(kml_bytes: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", kml_bytes)
        archive.writestr("files/icon.png", b"\x89PNG")
    return buffer.getvalue()


def gpx(track_points, name="M-0001 Alto Sol", waypoints=()) -> bytes:
    trkpts = "".join(
        f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>{alt}</ele></trkpt>'
        for lat, lon, alt, _acc in track_points
    )
    wpts = "".join(
        f'<wpt lat="{lat}" lon="{lon}"><name>{label}</name></wpt>' for label, lat, lon in waypoints
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="Garmin eTrex 32x" xmlns="http://www.topografix.com/GPX/1/1">'
        f"{wpts}<trk><name>{name}</name><trkseg>{trkpts}</trkseg></trk></gpx>"
    ).encode()
