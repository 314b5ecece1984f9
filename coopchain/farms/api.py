"""JSON API for the farm registry: producers, agreements (with visits), plots (its workbook
import and export: api_registry_xlsx.py)."""

from flask import jsonify

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    api_requires,
    current_org_id,
    current_principal,
    current_user_id,
)
from coopchain.clock import today
from coopchain.db import get_session, settings_of
from coopchain.farms import rules
from coopchain.farms.agreements import (
    add_visit,
    agreement_producer_ids,
    agreements_in_force,
    create_agreement,
    get_agreement,
    list_agreements,
    set_agreement_status,
    visits_of,
)
from coopchain.farms.certifiers import certifiers_by_id
from coopchain.farms.plots import (
    create_plot,
    expected_yield,
    get_plot,
    list_plots,
    plot_organic_status,
    update_plot,
)
from coopchain.farms.producers import (
    create_producer,
    get_producer,
    search_producers,
    update_producer,
)
from coopchain.farms.registry_common import PRIVATE_FIELDS
from coopchain.farms.schemas import (
    AgreementIn,
    AgreementOut,
    AgreementStatusIn,
    CertifierOut,
    PlotIn,
    PlotOut,
    ProducerIn,
    ProducerOut,
    VisitIn,
    VisitOut,
)
from coopchain.web.api import OPENAPI_SCHEMAS, api_blueprint, document, page_args, paginated
from coopchain.web.api import json_body as _json_body

OPENAPI_SCHEMAS.update(
    ProducerIn=ProducerIn,
    ProducerOut=ProducerOut,
    AgreementIn=AgreementIn,
    AgreementOut=AgreementOut,
    VisitIn=VisitIn,
    VisitOut=VisitOut,
    PlotIn=PlotIn,
    PlotOut=PlotOut,
    CertifierOut=CertifierOut,
)


OPENAPI_SCHEMAS["AgreementStatusIn"] = AgreementStatusIn


def _producer_out() -> ProducerOut:
    """National ID and phone only for the roles that may see them."""
    if current_principal().sees_private_data:
        return ProducerOut()
    return ProducerOut(exclude=tuple(PRIVATE_FIELDS))


# --- producers ------------------------------------------------------------------------------

document("/api/v1/producers", "get", "List and search producers", list_of="ProducerOut")
document(
    "/api/v1/producers", "post", "Register a producer", body="ProducerIn", response="ProducerOut"
)
document(
    "/api/v1/producers/{producer_id}",
    "get",
    "One producer",
    response="ProducerOut",
    params=("producer_id",),
)
document(
    "/api/v1/producers/{producer_id}",
    "put",
    "Replace a producer's data",
    body="ProducerIn",
    response="ProducerOut",
    params=("producer_id",),
)


@api_blueprint.get("/producers")
@api_requires(READ)
def producers_list():
    args = page_args()
    items, total = search_producers(
        get_session(), current_org_id(), args["q"], args["page"], args["per_page"]
    )
    return paginated(items, total, args, _producer_out())


@api_blueprint.post("/producers")
@api_requires(REGISTRY_WRITE)
def producers_create():
    data = ProducerIn().load(_json_body())
    producer = create_producer(get_session(), current_org_id(), current_user_id(), data)
    return jsonify(_producer_out().dump(producer)), 201


@api_blueprint.get("/producers/<int:producer_id>")
@api_requires(READ)
def producers_get(producer_id: int):
    return jsonify(_producer_out().dump(get_producer(get_session(), current_org_id(), producer_id)))


@api_blueprint.put("/producers/<int:producer_id>")
@api_requires(REGISTRY_WRITE)
def producers_update(producer_id: int):
    get_producer(get_session(), current_org_id(), producer_id)  # 404 before any 422
    data = ProducerIn().load(_json_body())
    producer = update_producer(
        get_session(), current_org_id(), current_user_id(), producer_id, data
    )
    return jsonify(_producer_out().dump(producer))


# --- agreements -----------------------------------------------------------------------------

document("/api/v1/agreements", "get", "List conservation agreements", list_of="AgreementOut")
document(
    "/api/v1/agreements",
    "post",
    "Register an agreement",
    body="AgreementIn",
    response="AgreementOut",
)
document(
    "/api/v1/agreements/{agreement_id}",
    "get",
    "One agreement with visits",
    response="AgreementOut",
    params=("agreement_id",),
)
document(
    "/api/v1/agreements/{agreement_id}/status",
    "post",
    "Suspend, end or reactivate",
    body="AgreementStatusIn",
    response="AgreementOut",
    params=("agreement_id",),
    status="200",
)
document(
    "/api/v1/agreements/{agreement_id}/visits",
    "post",
    "Record a ranger visit",
    body="VisitIn",
    response="VisitOut",
    params=("agreement_id",),
)


def _agreements_out(agreements) -> list[dict]:
    db, ids = get_session(), [a.id for a in agreements]
    producers, visits = (
        agreement_producer_ids(db, ids),
        visits_of(db, current_org_id(), ids),
    )
    in_force = agreements_in_force(db, agreements, today())
    return [
        AgreementOut().dump(
            {
                **{
                    name: getattr(a, name)
                    for name in AgreementOut().fields
                    if name not in {"producer_ids", "visits", "active_today"}
                },
                "producer_ids": producers[a.id],
                "visits": visits[a.id],
                "active_today": in_force[a.id],
            }
        )
        for a in agreements
    ]


@api_blueprint.get("/agreements")
@api_requires(READ)
def agreements_list():
    args = page_args()
    items, total = list_agreements(get_session(), current_org_id(), args["page"], args["per_page"])
    return jsonify(
        items=_agreements_out(items), page=args["page"], per_page=args["per_page"], total=total
    )


@api_blueprint.post("/agreements")
@api_requires(REGISTRY_WRITE)
def agreements_create():
    data = AgreementIn().load(_json_body())
    agreement = create_agreement(get_session(), current_org_id(), current_user_id(), data)
    return jsonify(_agreements_out([agreement])[0]), 201


@api_blueprint.get("/agreements/<int:agreement_id>")
@api_requires(READ)
def agreements_get(agreement_id: int):
    agreement = get_agreement(get_session(), current_org_id(), agreement_id)
    return jsonify(_agreements_out([agreement])[0])


@api_blueprint.post("/agreements/<int:agreement_id>/status")
@api_requires(REGISTRY_WRITE)
def agreements_status(agreement_id: int):
    get_agreement(get_session(), current_org_id(), agreement_id)  # 404 before any 422
    data = AgreementStatusIn().load(_json_body())
    agreement = set_agreement_status(
        get_session(),
        current_org_id(),
        current_user_id(),
        agreement_id,
        data["status"],
        data["status_reason"],
        data["status_since"],
    )
    return jsonify(_agreements_out([agreement])[0])


@api_blueprint.post("/agreements/<int:agreement_id>/visits")
@api_requires(REGISTRY_WRITE)
def agreements_visit(agreement_id: int):
    get_agreement(get_session(), current_org_id(), agreement_id)  # 404 before any 422
    data = VisitIn().load(_json_body())
    visit = add_visit(get_session(), current_org_id(), current_user_id(), agreement_id, data)
    return jsonify(VisitOut().dump(visit)), 201


# --- plots ----------------------------------------------------------------------------------

document("/api/v1/plots", "get", "List plots", list_of="PlotOut")
document(
    "/api/v1/plots",
    "post",
    "Register a plot (geometry: GeoJSON Point, Polygon, MultiPolygon)",
    body="PlotIn",
    response="PlotOut",
)
document("/api/v1/plots/{plot_id}", "get", "One plot", response="PlotOut", params=("plot_id",))
document(
    "/api/v1/plots/{plot_id}",
    "put",
    "Replace a plot's data",
    body="PlotIn",
    response="PlotOut",
    params=("plot_id",),
)


_DERIVED = {
    "organic_since",
    "organic_status_today",
    "expected_yield_effective_kg_ha",
    "organic_certifier",
}


def _plot_out(plot, certifiers: dict | None = None) -> dict:
    """The plot as the API shows it; `certifiers` by id when a page of plots was looked up."""
    stored = {name: getattr(plot, name) for name in PlotOut().fields if name not in _DERIVED}
    if certifiers is None:
        wanted = [plot.organic_certifier_id]
        certifiers = certifiers_by_id(get_session(), plot.organization_id, wanted)
    return PlotOut().dump(
        {
            **stored,
            "organic_certifier": certifiers.get(plot.organic_certifier_id),
            "organic_since": rules.organic_since(plot.organic_conversion_start),
            "organic_status_today": plot_organic_status(plot).value,
            "expected_yield_effective_kg_ha": expected_yield(
                plot, settings_of(get_session()).default_expected_yield
            ),
        }
    )


@api_blueprint.get("/plots")
@api_requires(READ)
def plots_list():
    args = page_args()
    items, total = list_plots(get_session(), current_org_id(), args["page"], args["per_page"])
    certifiers = certifiers_by_id(
        get_session(), current_org_id(), [p.organic_certifier_id for p in items]
    )
    return jsonify(
        items=[_plot_out(p, certifiers) for p in items],
        page=args["page"],
        per_page=args["per_page"],
        total=total,
    )


@api_blueprint.post("/plots")
@api_requires(REGISTRY_WRITE)
def plots_create():
    data = PlotIn().load(_json_body())
    return jsonify(
        _plot_out(create_plot(get_session(), current_org_id(), current_user_id(), data))
    ), 201


@api_blueprint.get("/plots/<int:plot_id>")
@api_requires(READ)
def plots_get(plot_id: int):
    return jsonify(_plot_out(get_plot(get_session(), current_org_id(), plot_id)))


@api_blueprint.put("/plots/<int:plot_id>")
@api_requires(REGISTRY_WRITE)
def plots_update(plot_id: int):
    get_plot(get_session(), current_org_id(), plot_id)  # 404 before any 422
    data = PlotIn().load(_json_body())
    return jsonify(
        _plot_out(update_plot(get_session(), current_org_id(), current_user_id(), plot_id, data))
    )
