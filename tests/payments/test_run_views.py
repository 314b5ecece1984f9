"""The treasurer's pages and the API: preview, confirm, the bank file; bad input names its field."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from coopchain.payments.models import Payment, PaymentRun, PremiumRule
from tests.payments.season import CCI, make_season


@pytest.fixture
def season(db_session, org):
    return make_season(db_session, org)


FORM = {
    "from": "2026-06-01",
    "to": "2026-06-30",
    "paid_on": "2026-07-15",
    "method": "bank_transfer",
    "currency": "PEN",
}


def test_preview_then_confirm_pays_and_offers_the_bank_file(client, login, db_session, season):
    login("treasurer")
    preview = client.post("/payment-runs/preview", data=FORM)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Organic" in page and "Retention" in page and "Fertiliser" in page
    assert "9,444.22 PEN" in page  # the net total
    assert db_session.scalar(select(func.count(PaymentRun.id))) == 0  # a preview writes nothing
    confirmed = client.post("/payment-runs/confirm", data=FORM)
    assert confirmed.status_code == 302
    detail = client.get(confirmed.location).get_data(as_text=True)
    assert "9,444.22 PEN" in detail and CCI in detail and "receipt.pdf" in detail
    bank = client.get(confirmed.location + "/bank-file.xlsx")
    rows = list(load_workbook(BytesIO(bank.data)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and {r[2] for r in rows[1:]} >= {CCI}
    again = client.post("/payment-runs/confirm", data=FORM)
    assert again.status_code == 409
    assert "No queda nada por pagar" in again.get_data(as_text=True)


def test_a_large_run_is_confirmed_by_a_job_and_paid_once(client, app, login, db_session, season):
    """Above JOBS_PAYMENT_RUN_DELIVERIES the confirm answers at once with the job's page; the
    job (run here, immediate mode) pays, and its result links to the run."""
    app.config["JOBS_PAYMENT_RUN_DELIVERIES"] = 0
    login("treasurer")
    confirmed = client.post("/payment-runs/confirm", data=FORM)
    assert confirmed.status_code == 302 and "/jobs/" in confirmed.location
    status = client.get(confirmed.location + ".json").get_json()
    assert status["kind"] == "payments.run" and status["status"] == "finished", status
    detail = client.get(status["result_url"]).get_data(as_text=True)
    assert "9,444.22 PEN" in detail and CCI in detail
    assert db_session.scalar(select(func.count(PaymentRun.id))) == 1
    # The same deliveries again: the job fails saying nothing is left, and pays nothing.
    again = client.get(client.post("/payment-runs/confirm", data=FORM).location + ".json")
    assert again.get_json()["status"] == "failed"
    assert "No queda nada por pagar" in again.get_json()["error"]
    assert db_session.scalar(select(func.count(PaymentRun.id))) == 1


def test_a_bad_run_form_is_refused_under_its_field(client, login, season):
    login("treasurer")
    response = client.post("/payment-runs/preview", data={**FORM, "currency": "XYZ"})
    assert response.status_code == 422
    assert "Moneda desconocida" in response.get_data(as_text=True)


def test_api_preview_and_confirm(client, api, db_session, season):
    headers = api("treasurer")
    body = {"from": "2026-06-01", "to": "2026-06-30", "paid_on": "2026-07-15", "method": "cash"}
    preview = client.post("/api/v1/payment-runs/preview", json=body, headers=headers)
    assert preview.status_code == 200 and preview.json["totals"]["net"] == "9444.22"
    kinds = {line["kind"] for p in preview.json["producers"] for line in p["lines"]}
    assert kinds == {"balance", "premium", "deduction"}
    confirmed = client.post("/api/v1/payment-runs/confirm", json=body, headers=headers)
    assert confirmed.status_code == 201
    assert sorted(p["amount"] for p in confirmed.json["payments"]) == ["3369.22", "6075.00"]
    again = client.post("/api/v1/payment-runs/confirm", json=body, headers=headers)
    assert again.status_code == 409
    assert db_session.scalar(select(func.count(Payment.id))) == 3  # the advance and these two


def test_api_a_large_run_is_confirmed_by_a_job(client, app, api, db_session, season):
    app.config["JOBS_PAYMENT_RUN_DELIVERIES"] = 0
    headers = api("treasurer")
    body = {"from": "2026-06-01", "to": "2026-06-30", "paid_on": "2026-07-15", "method": "cash"}
    confirmed = client.post("/api/v1/payment-runs/confirm", json=body, headers=headers)
    assert confirmed.status_code == 202 and confirmed.get_json()["kind"] == "payments.run"
    status = client.get(confirmed.headers["Location"], headers=headers).get_json()
    assert status["status"] == "finished" and status["result"]["net"] == "9444.22", status
    (run,) = db_session.scalars(select(PaymentRun)).all()
    assert status["result"]["run_id"] == run.id
    assert db_session.scalar(select(func.count(Payment.id))) == 3  # the advance and these two


def test_api_premium_rule_bad_amount_names_the_field(client, api, db_session, org):
    body = {"name": "X", "kind": "organic", "amount_per_kg": "0", "valid_from": "2026-01-01"}
    response = client.post("/api/v1/premium-rules", json=body, headers=api("admin"))
    assert response.status_code == 422 and "amount_per_kg" in response.json["fields"]
    assert db_session.scalar(select(func.count(PremiumRule.id))) == 0


def test_a_debt_form_whose_schedule_misses_the_principal_is_refused(client, login, season):
    rosa = season[0]
    login("treasurer")
    response = client.post(
        f"/producers/{rosa.id}/debts",
        data={
            "kind": "loan",
            "principal": "500.00",
            "currency": "PEN",
            "granted_on": "2026-05-01",
            "description": "Seedlings",
            "schedule": "2026-08-01 200.00\n2026-09-01 200.00",
        },
    )
    assert response.status_code == 422
    assert "suman 400.00" in response.get_data(as_text=True)
    page = client.get(f"/producers/{rosa.id}/debts").get_data(as_text=True)
    assert "Fertiliser" in page and "Seedlings" not in page


def test_the_fund_page_records_income_and_shows_the_balance(client, login, org):
    login("treasurer")
    response = client.post(
        "/premium-fund",
        data={
            "kind": "income",
            "amount": "3968.32",
            "currency": "USD",
            "exchange_rate": "3.75",
            "occurred_on": "2026-09-01",
            "description": "USD 0.20/lb",
        },
    )
    assert response.status_code == 302
    assert "3,968.32 USD" in client.get("/premium-fund").get_data(as_text=True)
    bad = client.post(
        "/premium-fund",
        data={
            "kind": "income",
            "amount": "10",
            "currency": "USD",
            "exchange_rate": "0",
            "occurred_on": "2026-09-01",
            "description": "x",
        },
    )
    assert bad.status_code == 422 and "mayor que cero" in bad.get_data(as_text=True)


def test_api_debts_record_list_and_void(client, api, db_session, season):
    rosa = season[0]
    headers = api("treasurer")
    url = f"/api/v1/producers/{rosa.id}/debts"
    body = {
        "kind": "input_credit",
        "principal": "90.00",
        "granted_on": "2026-04-01",
        "description": "Seedlings",
        "schedule": [{"due_on": "2026-08-01", "amount": "90.00"}],
    }
    bad = client.post(url, json={**body, "principal": "95.00"}, headers=headers)
    assert bad.status_code == 422 and "schedule" in bad.json["fields"]
    created = client.post(url, json=body, headers=headers)
    assert created.status_code == 201 and created.json["owed"] == "90.00"
    listed = client.get(url, headers=api("auditor")).json
    assert {d["description"] for d in listed["items"]} == {"Fertiliser", "Seedlings"}
    void_url = f"{url}/{created.json['id']}/void"
    assert client.post(void_url, json={"reason": ""}, headers=headers).status_code == 422
    voided = client.post(void_url, json={"reason": "Returned"}, headers=headers)
    assert voided.status_code == 200 and voided.json["void_reason"] == "Returned"
    assert client.post(void_url, json={"reason": "again"}, headers=headers).status_code == 409
