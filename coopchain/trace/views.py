"""Staff pages of the trace package: bag labels to print, QR images of bags and lots, and the
organisation's GTIN setting (the public pages a QR opens are in public_views.py). The views
only fetch, call and send (DESIGN.md §3)."""

import io
from datetime import date
from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from coopchain.auth.access import ADMIN, READ, current_principal, requires
from coopchain.auth.models import Organization
from coopchain.db import discard_changes, get_session
from coopchain.errors import Conflict, DomainError
from coopchain.formatting import read_decimal
from coopchain.lots.bags import get_bag
from coopchain.lots.models import Lot
from coopchain.lots.services import get_lot
from coopchain.shipments.services import bags_of, get_shipment
from coopchain.trace import label_jobs
from coopchain.trace.label_sheets import LAYOUTS, labels_pdf, live_bags_of_lot
from coopchain.trace.photos import MAX_PHOTO_BYTES
from coopchain.trace.public_origin import photo_url
from coopchain.trace.qr import bag_qr_data, lot_qr_data, qr_png, qr_svg
from coopchain.trace.settings import (
    MAX_REGION_CHARS,
    MAX_STORY_CHARS,
    remove_public_photo,
    set_gs1_location,
    set_gtin,
    set_price_transparency,
    set_public_photo,
    set_public_profile,
)

bp = Blueprint("trace", __name__)


def send_pdf(data: bytes, filename: str):
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=filename)


def _labels(subject: str, reference: str, bags, layout: str):
    """The PDF at once, or above JOBS_LABEL_BAGS bags a page that starts a job making it (a
    GET changes nothing: the job starts from that page's form; the API's own: trace/api.py)."""
    session, org_id = get_session(), current_principal().organization_id
    big = len(bags) > current_app.config["JOBS_LABEL_BAGS"]
    if big and layout in LAYOUTS:
        return render_template(
            "trace/labels_job.html",
            subject=subject,
            reference=reference,
            layout=layout,
            bags=len(bags),
        )
    filename = f"labels-{reference}-{layout}.pdf"
    return send_pdf(labels_pdf(session, org_id, bags, layout), filename)


def send_lot_labels(code: str):
    """Labels of every live bag of lot `code`, ?layout=sheet (default) or single. Another
    organisation's lot, or a lot without bags, is a 404 that says so."""
    layout = request.args.get("layout", "sheet")
    session, org_id = get_session(), current_principal().organization_id
    return _labels("lot", code, live_bags_of_lot(session, org_id, code), layout)


@bp.post("/labels/jobs")
@requires(READ)
def label_job():
    """Start the job making a large label sheet; answer with its progress page."""
    subject = request.form.get("subject", "")
    reference, layout = request.form.get("reference", ""), request.form.get("layout", "sheet")
    if subject not in label_jobs.SUBJECTS or layout not in LAYOUTS:
        abort(404)
    principal = current_principal()
    label_jobs.bags_for(get_session(), principal.organization_id, subject, reference)  # 404s
    job = label_jobs.submit(
        get_session(), principal.organization_id, principal.user_id, subject, reference, layout
    )
    return redirect(url_for("core.job_detail", job_id=job.id))


@bp.get("/lots/<code>/labels.pdf")
@requires(READ)
def lot_labels(code: str):
    return send_lot_labels(code)


@bp.get("/shipments/<reference>/labels.pdf")
@requires(READ)
def shipment_labels(reference: str):
    """Labels of the bags on a shipment (the export office prints them as it loads)."""
    layout = request.args.get("layout", "sheet")
    session, org_id = get_session(), current_principal().organization_id
    shipment = get_shipment(session, org_id, reference)  # 404 for another organisation's
    bags = [bag for bag, _lot in bags_of(session, shipment)]
    return _labels("shipment", shipment.reference, bags, layout)


#: QR image formats: PNG for office software, SVG for print shops (scales without blur).
QR_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def send_qr(data: str, fmt: str, name: str):
    if fmt not in QR_FORMATS:
        abort(404)
    body = qr_png(data) if fmt == "png" else qr_svg(data).encode()
    return send_file(io.BytesIO(body), mimetype=QR_FORMATS[fmt], download_name=f"{name}.{fmt}")


def lot_qr(code: str, fmt: str):
    """The QR code of lot `code`'s public page (a GS1 Digital Link when a GTIN is set)."""
    session, org_id = get_session(), current_principal().organization_id
    lot = get_lot(session, org_id, code)
    if lot.voided_at is not None:  # its public page is gone: a QR would lead nowhere
        raise Conflict(_("Lot %(code)s is voided: no QR code.", code=lot.code))
    data = lot_qr_data(session.get(Organization, org_id), lot)
    return send_qr(data, fmt, f"qr-{lot.code}")


def bag_qr(serial: str, fmt: str):
    session, org_id = get_session(), current_principal().organization_id
    bag = get_bag(session, org_id, serial)
    if bag.voided_at is not None:  # its public page is gone: a QR would lead nowhere
        raise Conflict(_("Bag %(serial)s is voided: no QR code.", serial=bag.serial))
    data = bag_qr_data(session.get(Organization, org_id), session.get(Lot, bag.lot_id), bag)
    return send_qr(data, fmt, f"qr-{bag.serial}")


@bp.get("/lots/<code>/qr.<fmt>")
@requires(READ)
def lot_qr_image(code: str, fmt: str):
    return lot_qr(code, fmt)


@bp.get("/bags/<serial>/qr.<fmt>")
@requires(READ)
def bag_qr_image(serial: str, fmt: str):
    return bag_qr(serial, fmt)


@bp.route("/settings/public-trace", methods=["GET", "POST"])
@requires(ADMIN)
def public_settings():
    """The GTIN that makes QR codes GS1 Digital Links, and the region, story and photo the
    public pages show (admins only). Each form posts `form` (the GTIN form predates it)."""
    session, principal = get_session(), current_principal()
    organization = session.get(Organization, principal.organization_id)
    form = request.form.get("form", "gtin") if request.method == "POST" else None
    errors: dict[str, str] = {}
    values = {
        "gtin": organization.gtin or "",
        "gln": organization.gln or "",
        "gs1_company_prefix": organization.gs1_company_prefix or "",
        "region": organization.region or "",
        "story": organization.public_story or "",
        "price_transparency": organization.price_transparency,
        "market_reference_per_kg": organization.market_reference_per_kg or "",
        "market_reference_on": organization.market_reference_on or "",
    }
    if form in PROFILE_FORMS:
        try:
            message = PROFILE_FORMS[form](session, principal, values)
        except DomainError as exc:
            discard_changes()
            errors = {name: msgs[0] for name, msgs in exc.fields.items()} or {form: exc.message}
        else:
            flash(message, "success")
            return redirect(url_for("trace.public_settings"))
    return render_template(
        "trace/public_settings.html",
        value=values["gtin"],
        error=errors.get("gtin"),
        errors=errors,
        values=values,
        gtin=organization.gtin,
        photo_url=photo_url(organization),
        max_story=MAX_STORY_CHARS,
    ), (422 if errors else 200)


def _save_gtin(session, principal, values) -> str:
    values["gtin"] = request.form.get("gtin", "")[:40]
    if set_gtin(session, principal.organization_id, principal.user_id, values["gtin"]):
        return _("GTIN saved: QR codes now carry GS1 Digital Links.")
    return _("GTIN removed: QR codes carry the plain page address.")


def _save_gs1_location(session, principal, values) -> str:
    values["gln"] = request.form.get("gln", "")[:40]
    values["gs1_company_prefix"] = request.form.get("gs1_company_prefix", "")[:40]
    set_gs1_location(
        session,
        principal.organization_id,
        principal.user_id,
        values["gln"],
        values["gs1_company_prefix"],
    )
    if values["gln"].strip():
        return _("GLN saved: the EPCIS export names locations by SGLN.")
    return _("GLN removed: the EPCIS export names locations by this server's address.")


def _save_profile(session, principal, values) -> str:
    # Kept as typed (a little past the limits) so the form can show what was refused.
    values["region"] = request.form.get("region", "")[: MAX_REGION_CHARS * 2]
    values["story"] = request.form.get("story", "")[: MAX_STORY_CHARS * 2]
    set_public_profile(
        session,
        principal.organization_id,
        principal.user_id,
        region=values["region"],
        story=values["story"],
    )
    return _("Saved: the public pages show the new region and story.")


def _save_photo(session, principal, values) -> str:
    upload = request.files.get("photo")
    # One byte past the limit is enough to know it is too large; never read more.
    data = upload.stream.read(MAX_PHOTO_BYTES + 1) if upload else b""
    set_public_photo(session, principal.organization_id, principal.user_id, data)
    return _("Photo saved: the public pages show it.")


def _remove_photo(session, principal, values) -> str:
    remove_public_photo(session, principal.organization_id, principal.user_id)
    return _("Photo removed from the public pages.")


def _save_prices(session, principal, values) -> str:
    values["price_transparency"] = request.form.get("price_transparency") == "y"
    values["market_reference_per_kg"] = request.form.get("market_reference_per_kg", "")[:40]
    values["market_reference_on"] = request.form.get("market_reference_on", "")[:40]
    reference, day = _reference_price(values["market_reference_per_kg"]), None
    if values["market_reference_on"].strip():
        try:
            day = date.fromisoformat(values["market_reference_on"].strip())
        except ValueError:
            raise DomainError(
                _("Some fields need attention."), {"market_reference_on": [_("Not a date.")]}
            ) from None
    set_price_transparency(
        session,
        principal.organization_id,
        principal.user_id,
        enabled=values["price_transparency"],
        reference_per_kg=reference,
        reference_on=day,
    )
    if values["price_transparency"]:
        return _("Saved: the bag pages show what the families were paid.")
    return _("Saved: the bag pages show no prices.")


def _reference_price(text: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        value = read_decimal(text)
    except ValueError:
        value = None
    if value is None or not value.is_finite():
        raise DomainError(
            _("Some fields need attention."),
            {"market_reference_per_kg": [_("Not a number.")]},
        )
    return value


PROFILE_FORMS = {
    "gtin": _save_gtin,
    "gs1_location": _save_gs1_location,
    "profile": _save_profile,
    "photo": _save_photo,
    "remove_photo": _remove_photo,
    "prices": _save_prices,
}
