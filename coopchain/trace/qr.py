"""QR codes for the public trace URLs: as inline SVG for PDFs and pages, as PNG for downloads.

Pure functions from a string to markup or bytes (DESIGN.md §3); the only setting read is the
public base URL (public_url.py), so a printed label points at an address buyers can reach.
"""

import io
import logging
from urllib.parse import quote

import zxingcpp
from PIL import Image, ImageOps

from coopchain.public_url import public_base_url
from coopchain.trace.gs1 import GS1Error, digital_link

log = logging.getLogger(__name__)

#: Modules of white margin around the symbol: the 4 the QR standard requires for scanning.
QUIET_ZONE = 4


def bag_url(token: str) -> str:
    """The public page of a bag, where its QR code leads: {PUBLIC_BASE_URL}/b/<token>."""
    return f"{public_base_url()}/b/{quote(token, safe='')}"


def lot_url(token: str) -> str:
    """The public page of a lot: {PUBLIC_BASE_URL}/l/<token>."""
    return f"{public_base_url()}/l/{quote(token, safe='')}"


def gs1_serial(serial: str, organization_code: str) -> str:
    """The bag serial as GS1 serial (AI 21, at most 20 characters, DOMAIN.md §6): without the
    "PE-<ORG>-" prefix, which is the same on every bag of the organisation, as its GTIN is. The
    full serial ("PE-COOPAM-2026-000123", 21 characters) would not fit."""
    return serial.removeprefix(f"PE-{organization_code}-")


def bag_qr_data(organization, lot, bag) -> str:
    """What a bag's QR code holds: a GS1 Digital Link when the organisation has a GTIN
    (DOMAIN.md §6; the app resolves it to the bag's page), else the bag's page URL. Either way
    the bag's unguessable token is in it."""
    if organization.gtin:
        try:
            return digital_link(
                public_base_url(),
                organization.gtin,
                lot.code,
                gs1_serial(bag.serial, organization.code),
                key=bag.public_token,
            )
        except GS1Error as exc:  # a lot code outside GS1's character set: the plain page URL
            log.warning("No GS1 Digital Link for bag %s: %s", bag.serial, exc)
    return bag_url(bag.public_token)


def lot_qr_data(organization, lot) -> str:
    """What a lot's QR code holds (see bag_qr_data): a lot-level Digital Link or /l/<token>."""
    if organization.gtin:
        try:
            return digital_link(
                public_base_url(),
                organization.gtin,
                lot.code,
                key=lot.public_token,
            )
        except GS1Error as exc:
            log.warning("No GS1 Digital Link for lot %s: %s", lot.code, exc)
    return lot_url(lot.public_token)


def _symbol(data: str) -> Image.Image:
    """`data` as a QR symbol, one pixel a module (0 dark, 255 light), quiet zone included.

    zxing-cpp encodes in C++ (ISO/IEC 18004, mask chosen by the standard's penalty rules):
    0.1 ms a code against 4.4 ms for the pure-Python qrcode, whose mask search was most of a
    300-bag label sheet's time above WeasyPrint's. The symbol is the smallest version the
    standard allows for the data (tests/trace/test_labels.py), as qrcode's was."""
    # Error correction M (~15 % of the symbol may be damaged): a scuffed jute bag still scans.
    code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = code.to_image(scale=1, add_quiet_zones=False)
    height, width = memoryview(modules).shape
    symbol = Image.frombytes("L", (width, height), memoryview(modules).tobytes())
    return ImageOps.expand(symbol, border=QUIET_ZONE, fill=255)


def _matrix(data: str) -> list[list[bool]]:
    """The symbol's modules row by row, True where dark, quiet zone included."""
    symbol = _symbol(data)
    size = symbol.width
    pixels = symbol.tobytes()
    return [[pixels[y * size + x] == 0 for x in range(size)] for y in range(size)]


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
    """`data` as a PNG, `box_size` pixels per module (quiet zone included): the symbol scaled
    up without smoothing, so every module stays a sharp square."""
    image = _symbol(data).convert("1")
    if box_size != 1:
        image = image.resize((image.width * box_size,) * 2, Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
