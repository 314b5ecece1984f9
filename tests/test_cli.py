"""The `coopchain` command on a real SQLite file, as an operator would run it."""

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from coopchain.cli import cli
from coopchain.db import make_engine


@pytest.fixture
def run(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("COOPCHAIN_DATABASE_URL", url)
    monkeypatch.setenv("COOPCHAIN_ENV", "test")
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    assert invoke("migrate").exit_code == 0
    invoke.url = url
    return invoke


def _scalar(url, sql):
    engine = make_engine(url)
    with engine.connect() as connection:
        value = connection.execute(text(sql)).scalar()
    engine.dispose()
    return value


def test_demo_loads_once_with_the_promised_logins(run):
    first = run("demo")
    assert first.exit_code == 0
    for email in ("admin@demo.coop", "staff@demo.coop", "quality@demo.coop", "auditor@demo.coop"):
        assert email in first.output
    counts = (
        _scalar(run.url, "select count(*) from producers"),
        _scalar(run.url, "select count(*) from plots"),
    )
    assert 35 <= counts[0] <= 45 and 50 <= counts[1] <= 70
    second = run("demo")
    assert "unchanged" in second.output
    assert (
        _scalar(run.url, "select count(*) from producers"),
        _scalar(run.url, "select count(*) from plots"),
    ) == counts
    assert _scalar(run.url, "select count(*) from plots where geometry_issues like '%error%'") == 1


def test_create_org_user_and_token(run):
    result = run(
        "create-org",
        "coopx",
        "Cooperativa X",
        "--admin-email",
        "Boss@X.coop",
        "--admin-password",
        "s3cret-pass",
    )
    assert result.exit_code == 0, result.output
    assert (
        run(
            "create-user",
            "clerk@x.coop",
            "--org",
            "COOPX",
            "--role",
            "staff",
            "--password",
            "clerk-pass",
        ).exit_code
        == 0
    )
    token = run("create-token", "clerk@x.coop").output.strip()
    assert token.startswith("cc_") and len(token) > 30
    assert _scalar(run.url, "select count(*) from api_tokens") == 1
    assert token not in str(_scalar(run.url, "select token_hash from api_tokens"))
    unknown = CliRunner().invoke(cli, ["create-token", "nobody@x.coop"])
    assert unknown.exit_code != 0 and "No user" in unknown.output


def test_verify_ledger_names_the_first_broken_event(run):
    run("demo")
    intact = run("verify-ledger")
    assert intact.exit_code == 0 and "chain intact" in intact.output
    engine = make_engine(run.url)
    with engine.begin() as connection:
        connection.execute(
            text("update ledger_events set kind = 'forged' where seq = 5 and organization_id = 1")
        )
    engine.dispose()
    broken = CliRunner().invoke(cli, ["verify-ledger"])
    assert broken.exit_code == 1
    assert "BROKEN at event #5" in broken.output


def test_a_published_head_catches_the_newest_event_rewritten_with_its_hash(run, tmp_path):
    import json

    from coopchain.ledger.services import event_hash

    run("demo")
    head_file = tmp_path / "coopam-head.json"
    assert run("ledger-head", "--org", "coopam", "--output", str(head_file)).exit_code == 0
    head = json.loads(head_file.read_text())
    assert head["organization"] == "COOPAM" and len(head["hash"]) == 64
    assert run("verify-ledger", "--head", str(head_file)).exit_code == 0
    engine = make_engine(run.url)
    with engine.begin() as connection:
        org_id = connection.execute(
            text("select id from organizations where code = 'COOPAM'")
        ).scalar()
        row = connection.execute(
            text(
                "select id, payload from ledger_events where organization_id = :o "
                "order by seq desc limit 1"
            ),
            {"o": org_id},
        ).one()
        body = json.loads(row.payload) if isinstance(row.payload, str) else row.payload
        body["data"] = {**body["data"], "forged": True}
        connection.execute(
            text("update ledger_events set payload = :p, hash = :h where id = :i"),
            {"p": json.dumps(body), "h": event_hash(body), "i": row.id},
        )
    engine.dispose()

    without_head = CliRunner().invoke(cli, ["verify-ledger"])
    with_head = CliRunner().invoke(cli, ["verify-ledger", "--head", str(head_file)])

    assert without_head.exit_code == 0  # nothing inside the database can tell
    assert with_head.exit_code == 1
    assert f"ANCHOR BROKEN: head file coopam-head.json recorded event #{head['seq']}" in (
        with_head.output
    )


def test_verify_ledger_names_a_row_changed_behind_the_applications_back(run):
    run("demo")
    engine = make_engine(run.url)
    with engine.begin() as connection:
        lot = connection.execute(
            text("select code from lots where voided_at is null order by id limit 1")
        ).scalar()
        connection.execute(
            text("update lots set available_kg = available_kg + 100 where code = :c"), {"c": lot}
        )
    engine.dispose()
    result = CliRunner().invoke(cli, ["verify-ledger"])
    assert result.exit_code == 1
    assert f"ROW DIFFERS: lots {lot}: available_kg is" in result.output


def test_verify_ledger_refuses_a_file_that_is_not_a_head(run, tmp_path):
    bad = tmp_path / "head.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(cli, ["verify-ledger", "--head", str(bad)])
    assert result.exit_code != 0 and "not a ledger head file" in result.output


def test_import_command_reports_rows_and_imports_nothing(run, tmp_path):
    from tests.farms.test_registry_xlsx import producers, workbook

    run("create-org", "coopx", "X", "--admin-email", "a@x.coop", "--admin-password", "pw-12345")
    rows = producers(3)
    rows[1][5] = "yesterday"
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook(rows))
    result = CliRunner().invoke(cli, ["import", str(path), "--org", "COOPX"])
    assert result.exit_code != 0
    assert "Producers row 3 [joined_on]" in result.output
    assert _scalar(run.url, "select count(*) from producers") == 0
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook(producers(3)))
    assert "Imported 3 producers" in run("import", str(good), "--org", "COOPX").output


def test_weak_admin_password_is_refused_with_a_message(run):
    result = CliRunner().invoke(
        cli, ["create-org", "coopy", "Y", "--admin-email", "a@y.coop", "--admin-password", "short"]
    )
    assert result.exit_code == 1
    assert "8 caracteres" in result.output  # the CLI speaks the default locale, Spanish
    assert _scalar(run.url, "select count(*) from organizations") == 0


def test_import_deliveries_reports_bad_rows_then_registers_all(run, tmp_path):
    from coopchain.lots.lots_xlsx import DELIVERY_COLUMNS
    from coopchain.spreadsheets import write_workbook

    run("demo")
    row = ["CLI-1", "CAF-0001", None, None, "dry_parchment", 101.5, 1.5, 12, "2026-06-01", 14, None]
    plot_id = _scalar(
        run.url,
        "select plots.id from plots join producers on producers.id = plots.producer_id "
        "where producers.member_code = 'CAF-0001' order by plots.id limit 1",
    )
    bad = list(row)
    bad[2], bad[8] = plot_id, "2099-01-01"
    path = tmp_path / "deliveries.xlsx"
    path.write_bytes(write_workbook([("Deliveries", DELIVERY_COLUMNS, [bad])]))
    before = _scalar(run.url, "select count(*) from deliveries")
    result = CliRunner().invoke(cli, ["import-deliveries", str(path), "--org", "COOPAM"])
    assert result.exit_code != 0 and "Deliveries row 2 [delivered_on]" in result.output
    assert _scalar(run.url, "select count(*) from deliveries") == before
    good = list(row)
    good[2] = plot_id
    path.write_bytes(write_workbook([("Deliveries", DELIVERY_COLUMNS, [good])]))
    assert (
        "Registered 1 deliveries" in run("import-deliveries", str(path), "--org", "COOPAM").output
    )
    assert _scalar(run.url, "select count(*) from deliveries") == before + 1
