"""JSON API routes of the trace package: bag labels as PDF (DESIGN.md §5, documents)."""

from coopchain.auth.access import READ, api_requires
from coopchain.trace.views import bag_qr, lot_qr, send_lot_labels
from coopchain.web.api import api_blueprint, document

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
    return send_lot_labels(code, offer_job=False)


for _kind, _arg in (("lots", "code"), ("bags", "serial")):
    # One route serves both formats (qr.png, qr.svg), so one operation describes it.
    _qr = document(
        f"/api/v1/{_kind}/{{{_arg}}}/qr.{{fmt}}",
        "get",
        f"QR code (PNG or SVG, error correction M, quiet zone of 4 modules) of the "
        f"{_kind[:-1]}'s public page: a GS1 Digital Link when the organisation has a GTIN",
        text_params=(_arg, "fmt"),
    )
    _qr["parameters"][1]["schema"]["enum"] = ["png", "svg"]
    _qr["responses"]["200"]["content"] = {
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/svg+xml": {"schema": {"type": "string"}},
    }


@api_blueprint.get("/lots/<code>/qr.<fmt>")
@api_requires(READ)
def lots_qr(code: str, fmt: str):
    return lot_qr(code, fmt)


@api_blueprint.get("/bags/<serial>/qr.<fmt>")
@api_requires(READ)
def bags_qr(serial: str, fmt: str):
    return bag_qr(serial, fmt)
