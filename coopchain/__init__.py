"""CoopChain: traceability and export for coffee and pitahaya cooperatives.

`create_app` builds the app in small named steps (DESIGN.md §6, after indico's make_app).
"""

import importlib
import os

from flask import Flask

# db sets the metadata naming convention; it must run before any model module defines a table.
from coopchain import db
from coopchain.config import (
    INSECURE_SECRET_KEYS,
    REDIS_LIMIT_STORAGES,
    load_config,
    redis_client_options,
)
from coopchain.demo_instance import demo_secret, instance_dir


def create_app(config: dict | None = None) -> Flask:
    # Templates live inside the package (coopchain/templates), so an installed wheel has them.
    app = Flask(__name__, instance_path=str(instance_dir()))
    configure(app, config)
    check_secret_key(app)
    configure_db(app)
    configure_extensions(app)
    configure_jobs(app)
    configure_proxy(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    return app


def configure(app: Flask, overrides: dict | None) -> None:
    from coopchain.web.input_limits import BoundedIntConverter, BoundedJSONProvider

    app.config.update(load_config())
    app.config.update(overrides or {})
    # Before any route is added: every <int:…> is bounded, every JSON body's depth too.
    app.url_map.converters["int"] = BoundedIntConverter
    app.json = BoundedJSONProvider(app)


def check_secret_key(app: Flask) -> None:
    """Refuse to run for real with a missing or well-known key (sessions could be forged)."""
    key = app.config.get("SECRET_KEY") or ""
    if app.config["COOPCHAIN_ENV"] == "test":
        if not key:
            app.config["SECRET_KEY"] = "demo-not-secret"  # noqa: S105  (tests only)
        return
    if app.config["COOPCHAIN_ENV"] == "demo":
        if not key:  # generated once into instance/demo.json, shared by `make run` and the CLI
            app.config["SECRET_KEY"] = demo_secret(instance_dir(), app.config["DATABASE_URL"])
        return
    if key in INSECURE_SECRET_KEYS or len(key) < 24:
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of 24+ characters "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))"), '
            "or set COOPCHAIN_ENV=demo for a local demo."
        )


def configure_db(app: Flask) -> None:
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        # The default database lives in instance/, which a fresh clone does not have.
        os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)


def configure_extensions(app: Flask) -> None:
    from coopchain.auth.access import record_token_use_after_request
    from coopchain.auth.views import LoginUser
    from coopchain.extensions import (
        SessionInterface,
        babel,
        csrf,
        limiter,
        login_manager,
        select_locale,
    )
    from coopchain.web import security_headers

    app.session_interface = SessionInterface()
    csrf.init_app(app)
    if app.config["RATELIMIT_STORAGE_URI"].startswith(REDIS_LIMIT_STORAGES):
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            **app.config["RATELIMIT_STORAGE_OPTIONS"],
            **redis_client_options(app.config),
        }
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.user_loader(LoginUser.load)
    app.teardown_request(record_token_use_after_request)
    security_headers.init_app(app)


def configure_jobs(app: Flask) -> None:
    from coopchain import jobs

    jobs.init_app(app)


def configure_proxy(app: Flask) -> None:
    if app.config["TRUST_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)


#: Modules whose routes attach to a blueprint when imported. The blueprints (blueprint.py,
#: web/api.py) know nothing of them, so nothing imports back: no import cycles.
ROUTE_MODULES = (
    "coopchain.web.ui_pages",
    "coopchain.auth.invitation_views",
    "coopchain.farms.views",
    "coopchain.farms.certifier_views",
    "coopchain.farms.map_views",
    "coopchain.fieldtools.views",
    "coopchain.forest.evidence_views",
    "coopchain.forest.whisp_views",
    "coopchain.forest.assessment_views",
    "coopchain.lots.delivery_views",
    "coopchain.lots.offline_views",
    "coopchain.lots.lot_views",
    "coopchain.lots.merge_views",
    "coopchain.lots.transformation_views",
    "coopchain.lots.document_views",
    "coopchain.lots.inventory_views",
    "coopchain.ics.views",
    "coopchain.quality.session_views",
    "coopchain.quality.sheet_views",
    "coopchain.quality.grading_views",
    "coopchain.quality.document_views",
    "coopchain.shipments.detail_views",
    "coopchain.payments.settlement_views",
    "coopchain.payments.statement_views",
    "coopchain.certs.eudr_views",
    "coopchain.ledger.epcis_views",
    "coopchain.eudr.views",
    "coopchain.eudr.account_views",
    "coopchain.certs.signing_views",
    "coopchain.certs.bundle_views",
    "coopchain.search.views",
    "coopchain.auth.locale_views",
    "coopchain.auth.export_settings_views",
    "coopchain.payments.run_views",
    "coopchain.payments.premium_views",
    "coopchain.payments.debt_views",
    "coopchain.farms.api",
    "coopchain.farms.api_registry_xlsx",
    "coopchain.fieldtools.api",
    "coopchain.ledger.api",
    "coopchain.ledger.epcis_api",
    "coopchain.lots.api",
    "coopchain.lots.api_transformations",
    "coopchain.lots.api_bags",
    "coopchain.lots.api_documents",
    "coopchain.quality.api",
    "coopchain.quality.api_gradings",
    "coopchain.quality.api_documents",
    "coopchain.shipments.api",
    "coopchain.ics.api",
    "coopchain.certs.api",
    "coopchain.certs.api_eudr",
    "coopchain.eudr.api",
    "coopchain.trace.api",
    "coopchain.payments.api_runs",
    "coopchain.payments.api_debts",
    "coopchain.payments.views",
    "coopchain.payments.public_views",
    "coopchain.payments.api",
    "coopchain.payments.settle_api",
    "coopchain.web.job_pages",
    "coopchain.web.api_jobs",
)


def register_blueprints(app: Flask) -> None:
    from coopchain.auth.views import bp as auth_bp
    from coopchain.certs.public_views import bp as verify_bp
    from coopchain.certs.views import bp as certs_bp
    from coopchain.eudr.blueprint import bp as eudr_bp
    from coopchain.extensions import csrf
    from coopchain.farms.blueprint import bp as farms_bp
    from coopchain.ics.blueprint import bp as ics_bp
    from coopchain.ledger.views import bp as ledger_bp
    from coopchain.lots.blueprint import bp as lots_bp
    from coopchain.payments.blueprint import bp as payments_bp
    from coopchain.payments.blueprint import public_bp as payment_receipts_bp
    from coopchain.payments.runs_blueprint import bp as pay_runs_bp
    from coopchain.payments.settle_blueprint import bp as settle_bp
    from coopchain.quality.blueprint import bp as quality_bp
    from coopchain.shipments.views import bp as shipments_bp
    from coopchain.trace.public_views import bp as public_trace_bp
    from coopchain.trace.public_views import init_app as init_public_trace
    from coopchain.trace.views import bp as trace_bp
    from coopchain.views import bp as core_bp
    from coopchain.web.api import api_blueprint

    for module in ROUTE_MODULES:
        importlib.import_module(module)
    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(farms_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(lots_bp)
    app.register_blueprint(ics_bp)
    app.register_blueprint(quality_bp)
    app.register_blueprint(shipments_bp)
    app.register_blueprint(settle_bp)
    app.register_blueprint(certs_bp)
    app.register_blueprint(eudr_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(pay_runs_bp)
    app.register_blueprint(trace_bp)
    app.register_blueprint(public_trace_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(payment_receipts_bp)
    init_public_trace(app)
    # The API authenticates with bearer tokens only, never cookies, so CSRF cannot apply.
    csrf.exempt(api_blueprint)
    app.register_blueprint(api_blueprint)


def register_error_handlers(app: Flask) -> None:
    from coopchain.views import register_error_handlers as register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from coopchain.views import register_template_helpers as register

    register(app)
