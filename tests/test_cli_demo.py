"""After `make run`, the README's commands work as written, with no variable to set: the demo
keeps a generated secret in instance/, and only the demo's own database is treated as the demo."""

import json
import stat

import pytest
from click.testing import CliRunner

from coopchain.cli import cli

README_ENV = ("COOPCHAIN_ENV", "SECRET_KEY", "COOPCHAIN_DATABASE_URL", "COOPCHAIN_PUBLIC_BASE_URL")


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A fresh clone's instance/ after `make run` on port 5101: migrate and demo ran with
    COOPCHAIN_ENV=demo and FLASK_RUN_HOST/PORT, as the Makefile runs them."""
    for name in README_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COOPCHAIN_INSTANCE_DIR", str(tmp_path))
    runner = CliRunner()
    env = {"COOPCHAIN_ENV": "demo", "FLASK_RUN_HOST": "127.0.0.1", "FLASK_RUN_PORT": "5101"}
    assert runner.invoke(cli, ["migrate"], env=env).exit_code == 0
    demo = runner.invoke(cli, ["demo"], env=env, catch_exceptions=False)
    assert demo.exit_code == 0, demo.output
    return tmp_path, demo.output


def test_demo_prints_its_own_port_and_the_organisation_codes(instance):
    _directory, output = instance
    assert "http://127.0.0.1:5101/b/" in output
    assert "localhost:5000" not in output
    assert "COOPAM" in output and "APAM" in output


def test_readme_commands_need_no_variable_after_the_demo(instance):
    runner = CliRunner()

    token = runner.invoke(cli, ["create-token", "admin@demo.coop"])
    user = runner.invoke(
        cli,
        ["create-user", "clerk@demo.coop", "--org", "COOPAM", "--role", "staff"],
        input="a-long-passphrase-1\na-long-passphrase-1\n",
    )
    ledger = runner.invoke(cli, ["verify-ledger"])

    assert token.exit_code == 0, token.output
    assert token.output.strip().startswith("cc_")
    assert user.exit_code == 0, user.output
    assert "Password" in user.output  # it prompted, as the README says
    assert "clerk@demo.coop is staff in COOPAM." in user.output
    assert ledger.exit_code == 0, ledger.output


def test_the_generated_secret_is_private_and_kept(instance):
    directory, _output = instance
    marker = directory / "demo.json"
    assert stat.S_IMODE(marker.stat().st_mode) == 0o600
    secret = json.loads(marker.read_text())["secret_key"]
    assert len(secret) >= 48
    CliRunner().invoke(cli, ["create-token", "admin@demo.coop"])
    assert json.loads(marker.read_text())["secret_key"] == secret


def test_production_never_uses_the_generated_secret(instance):
    runner = CliRunner()

    explicit = runner.invoke(
        cli, ["create-token", "admin@demo.coop"], env={"COOPCHAIN_ENV": "production"}
    )

    assert explicit.exit_code != 0
    assert "SECRET_KEY must be set" in explicit.output


def test_another_database_is_not_taken_for_the_demo(instance, tmp_path_factory):
    other = tmp_path_factory.mktemp("prod") / "coop.sqlite"

    result = CliRunner().invoke(
        cli, ["migrate"], env={"COOPCHAIN_DATABASE_URL": f"sqlite:///{other}"}
    )

    assert result.exit_code != 0
    assert "SECRET_KEY must be set" in result.output
