"""JSON API routes of the trace package: bag labels as PDF (DESIGN.md §5, documents)."""

from coopchain.api import api_blueprint, document
from coopchain.auth.access import READ, api_requires
from coopchain.trace.views import bag_qr, lot_qr, send_lot_labels

document(
    "/api/v1/lots/{code}/labels.pdf",
    "get",
    "Labels of the lot's bags (PDF, a QR code each): ?layout=sheet (A4, 8 per page) or "
    "single (one 100 × 150 mm page per bag)",
    text_params=("code",),
    query={"layout": {"type": "string", "enum": ["sheet", "single"], "default": "sheet"}},
)


@api_blueprint.get("/lots/<code>/labels.pdf")
@api_requires(READ)
def lots_labels(code: str):
    return send_lot_labels(code)


for _kind, _arg in (("lots", "code"), ("bags", "serial")):
    for _fmt in ("png", "svg"):
        document(
            f"/api/v1/{_kind}/{{{_arg}}}/qr.{_fmt}",
            "get",
            f"QR code ({_fmt.upper()}, error correction M, quiet zone of 4 modules) of the "
            f"{_kind[:-1]}'s public page: a GS1 Digital Link when the organisation has a GTIN",
            text_params=(_arg,),
            content_type=f"image/{'png' if _fmt == 'png' else 'svg+xml'}",
        )


@api_blueprint.get("/lots/<code>/qr.<fmt>")
@api_requires(READ)
def lots_qr(code: str, fmt: str):
    return lot_qr(code, fmt)


@api_blueprint.get("/bags/<serial>/qr.<fmt>")
@api_requires(READ)
def bags_qr(serial: str, fmt: str):
    return bag_qr(serial, fmt)
