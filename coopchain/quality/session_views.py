"""Staff pages for cupping sessions: the list, opening a session, the session page (samples
under blind codes, close, reopen, results and calibration) and the score sheet a cupper fills
on a tablet.

Blind tasting: while a session is open only its creator and administrators see which lot hides
behind a blind code; once it is closed everyone does. The sheet's live total is a convenience
(static/cupping.js); the server recomputes every score (quality.rules) and is the authority.
A refused form shows its page again with 422 (409 for a closed session), so nothing commits.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from coopchain import formatting
from coopchain.auth.access import (
    QUALITY_WRITE,
    READ,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.auth.models import Role
from coopchain.clock import today
from coopchain.db import discard_changes, get_session
from coopchain.errors import Conflict, DomainError
from coopchain.formatting import kg as format_kg
from coopchain.forms import form_errors, typed_codes
from coopchain.lots import services as lots
from coopchain.lots.models import Lot, LotStatus
from coopchain.quality import cupping_sessions as cupping
from coopchain.quality import display_names as labels
from coopchain.quality import rules
from coopchain.quality.blueprint import bp, can_score
from coopchain.quality.models import CuppingSession, SessionStatus
from coopchain.schemas import PageSchema

STATUSES = {status.value for status in SessionStatus}
#: Form fields that are not scores (scores are named by quality.labels).
OTHER_FIELD_LABELS = {
    "descriptors": _l("Descriptors"),
    "notes": _l("Notes"),
    "cupper_id": _l("Cupper"),
    "sample_id": _l("Sample"),
}
#: Lots offered in the "add sample" list, per product form (any code may still be typed).
SAMPLE_CANDIDATES = 100
CUP_NUMBERS = tuple(range(1, rules.CUPS + 1))
CENT = Decimal("0.01")


def format_score(value) -> str:
    """A score as on the form: two decimals, half up (84.75; CVA's 84.78125 → 84.78)."""
    if value is None:
        return "—"
    return formatting.number(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP), "0.00")


def format_deviation(value) -> str:
    """A cupper's distance from the panel mean: +0.50, −0.25 (a real minus sign), 0.00."""
    value = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return sign + format_score(abs(value))


def sees_key(cs: CuppingSession) -> bool:
    """Who may see which lot is behind a blind code: everyone once the session is closed;
    while it is open, only the person who opened it and administrators."""
    principal = current_principal()
    return not cs.is_open or cs.user_id == principal.user_id or principal.role == Role.ADMIN


def _helpers() -> dict:
    return {
        "score": format_score,
        "deviation": format_deviation,
        "kg": format_kg,
        "protocol_label": lambda code: labels.protocol_label(code, short=True),
        "classification_label": labels.classification_label,
        "field_label": lambda name: OTHER_FIELD_LABELS.get(name) or labels.field_name(name),
        "can_score": can_score(),
    }


# --- list -------------------------------------------------------------------------------------


@bp.get("/cupping")
@requires(READ)
def session_list():
    try:
        wanted = ("page", "per_page")
        args = PageSchema().load({k: v for k, v in request.args.items() if k in wanted})
    except ValidationError:
        args = {"page": 1, "per_page": 25}
    status = request.args.get("status") or None
    status = status if status in STATUSES else None
    sessions, total = cupping.list_sessions(
        get_session(), current_org_id(), status=status, page=args["page"], per_page=args["per_page"]
    )
    return render_template(
        "quality/session_list.html",
        sessions=sessions,
        total=total,
        counts=cupping.sample_counts(get_session(), [cs.id for cs in sessions]),
        page=args["page"],
        pages=max(1, -(-total // args["per_page"])),
        status=status or "",
        statuses=list(SessionStatus),
        **_helpers(),
    )


# --- open a session ---------------------------------------------------------------------------


def _open_defaults(candidates) -> dict:
    me = current_user_id()
    return {
        "held_on": today().isoformat(),
        "protocol": rules.Protocol.SCA_2004.value,
        "cupper_user_ids": [str(u.id) for u in candidates if u.id == me],
        "lot_codes": "\n".join(typed_codes(" ".join(request.args.getlist("lot")))),
    }


def _open(db, org: int) -> tuple[CuppingSession | None, dict]:
    """Open the session from the form and take its samples; (session, {}) or (None, errors)."""
    form = request.form
    errors: dict[str, list[str]] = {}
    held_text = form.get("held_on", "").strip()
    held_on = None
    if held_text:
        try:
            held_on = date.fromisoformat(held_text)
        except ValueError:
            errors["held_on"] = [_("Not a valid date.")]
    data = {
        "held_on": held_on,
        "protocol": form.get("protocol", ""),
        # A value our checkboxes never send becomes an id nobody has: the service refuses it.
        "cupper_user_ids": [int(v) if v.isdigit() else -1 for v in form.getlist("cupper_user_ids")],
        "guest_cuppers": form.get("guest_cuppers", "").splitlines(),
        "notes": form.get("notes", ""),
    }
    if len(data["notes"]) > 500:
        errors["notes"] = [_("At most 500 characters.")]
    try:
        cs = cupping.open_session(db, org, current_user_id(), data)
    except DomainError as exc:
        return None, {**form_errors(exc), **errors}
    for code in typed_codes(form.get("lot_codes")):
        try:
            cupping.add_sample(db, org, current_user_id(), cs, code)
        except DomainError as exc:
            for message in exc.fields.get("lot_code") or [exc.message]:
                errors.setdefault("lot_codes", []).append(f"{code}: {message}")
    return (None, errors) if errors else (cs, {})


@bp.route("/cupping/new", methods=["GET", "POST"])
@requires(QUALITY_WRITE)
def session_new():
    db, org = get_session(), current_org_id()
    candidates = cupping.panel_candidates(db, org)
    errors: dict = {}
    values = _open_defaults(candidates)
    if request.method == "POST":
        cs, errors = _open(db, org)
        if cs is not None:
            flash(_("Cupping session %(number)s opened.", number=cs.number), "success")
            return redirect(url_for("quality.session_detail", number=cs.number))
        discard_changes()
        values = request.form.to_dict(flat=True)
        values["cupper_user_ids"] = request.form.getlist("cupper_user_ids")
    return render_template(
        "quality/session_form.html",
        values=values,
        errors=errors,
        candidates=candidates,
        protocols=list(rules.Protocol),
        **_helpers(),
    ), (422 if errors else 200)


# --- a session's page -------------------------------------------------------------------------


def _document_links(cs: CuppingSession) -> list[tuple[str, str]]:
    """The session's spreadsheet and PDF report, once those endpoints exist."""
    documents = (
        ("quality.session_sheets_xlsx", _("Score sheets (.xlsx)")),
        ("quality.session_report_pdf", _("Panel report (PDF)")),
    )
    return [
        (url_for(endpoint, number=cs.number), label)
        for endpoint, label in documents
        if endpoint in current_app.view_functions
    ]


def _sample_candidates(present: set[int]) -> list:
    """Available lots the lab could cup, not yet on the table. Offered only to those who see
    the key: a list of what could be on the table says little, one of what is, a lot."""
    found = []
    for form in cupping.CUPPABLE_FORMS:
        rows, _total = lots.list_lots(
            get_session(),
            current_org_id(),
            product_form=form,
            status=LotStatus.AVAILABLE,
            per_page=SAMPLE_CANDIDATES,
        )
        found.extend(lot for lot in rows if lot.crop == "coffee" and lot.id not in present)
    return found


def _session_page(cs: CuppingSession, *, action=None, errors=None, status: int = 200):
    db = get_session()
    cuppers = cupping.cuppers_of(db, cs)
    samples = sorted(cupping.samples_of(db, cs), key=lambda pair: pair[0].blind_code)
    sheets = {(s.sample_id, s.cupper_id): s for s in cupping.sheets_of(db, cs)}
    results = []
    if not cs.is_open:
        results = sorted(cupping.session_results(db, cs), key=lambda r: r.sample.blind_code)
    show_key = sees_key(cs)
    offer = can_score() and cs.is_open and show_key
    values = request.form.to_dict(flat=True) if action else {}
    return render_template(
        "quality/session_detail.html",
        cs=cs,
        cuppers=cuppers,
        samples=samples,
        sheets=sheets,
        results=results,
        show_key=show_key,
        documents=_document_links(cs),
        sample_kg=current_app.config["SAMPLE_KG"],
        candidates=_sample_candidates({s.lot_id for s, _lot in samples}) if offer else [],
        action=action,
        values=values,
        errors=errors or {},
        **_helpers(),
    ), status


@bp.get("/cupping/<number>")
@requires(READ)
def session_detail(number: str):
    return _session_page(cupping.get_session(get_session(), current_org_id(), number))


def _act(number: str, action: str, do, done):
    """Do a session action and redirect; or show the session page again with the errors in
    the action's form (422; 409 when the session's state forbids it): nothing is written."""
    db = get_session()
    cs = cupping.get_session(db, current_org_id(), number)  # 404 for another organisation's session
    try:
        return done(do(db, cs))
    except DomainError as exc:
        errors = form_errors(exc)
        status = 409 if isinstance(exc, Conflict) else 422
    discard_changes()
    cs = cupping.get_session(db, current_org_id(), number)  # re-read after the rollback
    return _session_page(cs, action=action, errors=errors, status=status)


def _to_session(cs: CuppingSession, anchor: str | None = None):
    return redirect(url_for("quality.session_detail", number=cs.number, _anchor=anchor))


@bp.post("/cupping/<number>/samples")
@requires(QUALITY_WRITE)
def session_add_sample(number: str):
    def do(db, cs):
        return cupping.add_sample(
            db, current_org_id(), current_user_id(), cs, request.form.get("lot_code", "")
        )

    def done(sample):
        lot = get_session().get(Lot, sample.lot_id)
        flash(
            _(
                "Lot %(code)s added as sample %(blind)s; %(kg)s kg taken from the lot.",
                code=lot.code,
                blind=sample.blind_code,
                kg=format_kg(current_app.config["SAMPLE_KG"]),
            ),
            "success",
        )
        return _to_session(get_session().get(CuppingSession, sample.session_id), "samples")

    return _act(number, "add_sample", do, done)


@bp.post("/cupping/<number>/close")
@requires(QUALITY_WRITE)
def session_close(number: str):
    def do(db, cs):
        return cupping.close_session(db, current_org_id(), current_user_id(), cs)

    def done(cs):
        flash(_("Session %(number)s closed: the results are below.", number=cs.number), "success")
        return _to_session(cs, "results")

    return _act(number, "close", do, done)


@bp.post("/cupping/<number>/reopen")
@requires(QUALITY_WRITE)
def session_reopen(number: str):
    def do(db, cs):
        return cupping.reopen_session(
            db, current_org_id(), current_user_id(), cs, request.form.get("reason", "")
        )

    def done(cs):
        flash(_("Session %(number)s reopened.", number=cs.number), "success")
        return _to_session(cs)

    return _act(number, "reopen", do, done)


# --- the score sheet --------------------------------------------------------------------------
