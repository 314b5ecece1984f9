"""QR codes for the public trace URLs: as inline SVG for PDFs and pages, as PNG for downloads.

Pure functions from a string to markup or bytes (DESIGN.md §3); the only setting read is the
public base URL, so a printed label points at the address buyers can actually reach.
"""

import io
from urllib.parse import quote

import qrcode
from flask import current_app
from qrcode.constants import ERROR_CORRECT_M

#: Modules of white margin around the symbol: the 4 the QR standard requires for scanning.
QUIET_ZONE = 4


def bag_url(token: str) -> str:
    """The public page of a bag, where its QR code leads: {PUBLIC_BASE_URL}/b/<token>."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/b/{quote(token, safe='')}"


def _matrix(data: str) -> list[list[bool]]:
    # Error correction M (~15 % of the symbol may be damaged): a scuffed jute bag still scans.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()  # quiet zone included


def qr_svg(data: str) -> str:
    """A standalone <svg> of `data`: one black path on a white square, sized by its viewBox
    (the caller's CSS sets the printed size), with no external references.

    Each row's runs of dark modules become one rectangle, so the path stays small (a label
    sheet carries hundreds of them) and renders without seams between modules."""
    matrix = _matrix(data)
    size = len(matrix)
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges" role="img">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{"".join(parts)}" fill="#000"/></svg>'
    )


def qr_png(data: str, box_size: int = 10) -> bytes:
    """`data` as a PNG, `box_size` pixels per module (quiet zone included)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=box_size)
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()
