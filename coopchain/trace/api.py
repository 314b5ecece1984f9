"""JSON API routes of the trace package: bag labels as PDF (DESIGN.md §5, documents)."""

from coopchain.api import api_blueprint, document
from coopchain.auth.access import READ, api_requires
from coopchain.trace.views import send_lot_labels

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
