"""Pages that belong to no single domain: dashboard, language switch, errors, template helpers."""

import logging

from flask import (
    Blueprint,
    Flask,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

from coopchain import formatting
from coopchain.auth.access import READ, current_principal, public, requires
from coopchain.auth.services import memberships_of
from coopchain.clock import today
from coopchain.dashboard.page import dashboard as dashboard_figures
from coopchain.db import database_busy, discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.farms.geometry import GeometryIssue, svg_outline
from coopchain.urls import local_path_or_home
from coopchain.web import form_labels

log = logging.getLogger(__name__)

bp = Blueprint("core", __name__)
#: A list's own query arguments, kept on its pager links (filters of the lot list included).
PAGE_KEPT_ARGS = {"q", "per_page", "product_form", "status"}
#: Seconds a client is told to wait after a busy database (503): most writers let go of
#: SQLite's lock within this; a 10,000-ticket import holds it for its inserts, about ten
#: seconds (docs/OPERATIONS.md), so a second try may be refused once more.
BUSY_RETRY_AFTER_S = 5


@bp.get("/")
@requires(READ)
def dashboard():
    principal = current_principal()
    return render_template(
        "dashboard.html", **dashboard_figures(get_session(), principal.organization_id, today())
    )


@bp.get("/lang/<code>")
@public
def set_language(code: str):
    from flask import current_app

    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(local_path_or_home(request.args.get("next")))


@bp.get("/healthz")
@public
def health():
    return jsonify(status="ok")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    def error_response(status: int, code: str, message: str, fields: dict | None = None):
        if _wants_json():
            return jsonify(error=code, message=message, fields=fields or {}), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError):
        return error_response(422, "validation", _("Some fields are not valid."), exc.messages)

    @app.errorhandler(400)
    def bad_request(exc):
        return error_response(400, "bad_request", getattr(exc, "description", "") or "")

    @app.errorhandler(403)
    def forbidden(_exc):
        return error_response(403, "forbidden", _("Your role does not allow this."))

    @app.errorhandler(404)
    def not_found(_exc):
        return error_response(404, "not_found", _("Not found."))

    @app.errorhandler(405)
    def method_not_allowed(_exc):
        return error_response(405, "method_not_allowed", _("Method not allowed."))

    @app.errorhandler(IntegrityError)
    def integrity_error(_exc):
        # A uniqueness check raced with another request and the database constraint caught
        # it (at flush or commit): nothing was saved, and the user can simply retry.
        discard_changes()
        return error_response(
            409, "conflict", _("This conflicts with a change saved a moment ago; reload and retry.")
        )

    @app.errorhandler(OperationalError)
    def database_error(exc: OperationalError):
        if not database_busy(exc):
            raise exc  # a real fault (a missing table, a full disk): the 500 below
        # SQLite's write lock stayed taken past busy_timeout (a long job writing): the whole
        # request is refused and the same request can simply be sent again.
        discard_changes()
        log.warning("%s %s: the database is busy, nothing saved", request.method, request.path)
        response = app.make_response(
            error_response(
                503,
                "busy",
                _(
                    "The database is busy with a long job; nothing was saved. "
                    "Try again in a moment."
                ),
            )
        )
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_S)
        return response

    @app.errorhandler(500)
    def server_error(_exc):
        return error_response(500, "server_error", _("Something went wrong on our side."))

    @app.errorhandler(413)
    def too_large(_exc):
        # A page may raise its own limit (photos of a field visit): name the one that applied.
        limit = request.max_content_length or app.config["MAX_CONTENT_LENGTH"]
        limit_mb = limit // (1024 * 1024)
        return error_response(
            413, "too_large", _("The upload is too large: the limit is %(mb)s MB.", mb=limit_mb)
        )

    @app.errorhandler(429)
    def too_many(_exc):
        return error_response(
            429, "rate_limited", _("Too many attempts. Wait a minute and try again.")
        )


def _organization_locale() -> str | None:
    principal = current_principal()
    return principal.organization_locale if principal else None


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def inject():
        principal = current_principal()
        organizations = []
        if principal and not principal.via_token:
            organizations = [org for _m, org in memberships_of(get_session(), principal.user_id)]
        return {
            "principal": principal,
            "organizations": organizations,
            "current_locale": str(get_locale()),
        }

    @app.template_filter("svg_outline")
    def svg_outline_filter(geometry, size: int = 96):
        # svg_outline emits only numbers and fixed markup, so it is safe to mark up.
        return Markup(svg_outline(geometry, size))  # noqa: S704

    @app.template_filter("tr")
    def translate_value(value) -> str:
        """Translate a runtime value (an enum code, a validation message) as plain text.

        Jinja's `_()` marks its result safe and %-formats it, so `_(message)` on a message that
        quotes user input would inject HTML (and crash on a stray %); this returns a str that
        autoescaping treats like any other text.
        """
        return _(str(value))

    @app.template_filter("issue_message")
    def issue_message(stored: dict) -> str:
        return GeometryIssue.describe(stored)

    # The same numbers and dates as the documents print (coopchain/formatting.py), in the
    # signed-in organisation's locale unless a page chose another (formatting.use_locale).
    app.extensions[formatting.RESOLVER_KEY] = _organization_locale
    form_labels.init_app(app)
    for name, helper in formatting.TEMPLATE_HELPERS.items():
        app.template_filter(name)(helper)

    @app.template_global()
    def url_for_page(page: int) -> str:
        # Only the list's own arguments: url_for would honour _external/_anchor from the query.
        kept = {k: v for k, v in request.args.items() if k in PAGE_KEPT_ARGS}
        return url_for(request.endpoint, **(request.view_args or {}), **kept, page=page)
