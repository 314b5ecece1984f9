"""What the lot pages' form handlers share: the redirect to the lot a form acted on."""

from flask import redirect, url_for


def _to_lot(code: str):
    return redirect(url_for("lots.lot_detail", code=code))
