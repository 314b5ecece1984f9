"""`coopchain import-plots` on a real SQLite file, exactly as the README shows it."""

from click.testing import CliRunner

from coopchain.cli import cli
from tests.farms.test_registry_xlsx import producers, workbook
from tests.fieldtools import exports as ex
from tests.test_cli import _scalar, run  # noqa: F401 - the fixture

HEADERS = ["socio", "parcela", "linderos", "_uuid"]


def test_import_plots_dry_run_refusal_import_and_reimport(run, tmp_path):  # noqa: F811
    run("create-org", "coopx", "X", "--admin-email", "a@x.coop", "--admin-password", "pw-12345")
    registry = tmp_path / "registro.xlsx"
    registry.write_bytes(workbook(producers(2)))
    run("import", str(registry), "--org", "COOPX")
    rows = [
        ["X-000", "Alto", ex.odk(ex.ring(), separator="; ") + "; ", "u-1"],
        ["X-001", "Bajo", "-77.412345 -5.711234 1100 4", "u-2"],  # longitude first
    ]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(ex.kobo_xlsx(rows, HEADERS))
    args = ["import-plots", str(bad), "--org", "COOPX", "--format", "kobo", "--crop", "coffee"]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 1
    assert "row 3 [linderos] point 1:" in refused.output
    assert "Nothing imported: 1 problem(s)." in refused.output
    assert _scalar(run.url, "select count(*) from plots") == 0

    rows[1][2] = "-5.711234 -77.412345 1100 4"
    good = tmp_path / "good.xlsx"
    good.write_bytes(ex.kobo_xlsx(rows, HEADERS))
    dry = run("import-plots", str(good), "--org", "COOPX", "--format", "kobo", "--dry-run")
    assert "Dry run: 2 plot(s) would be imported" in dry.output
    assert "producer_column=socio" in dry.output and "geometry_column=linderos" in dry.output
    assert _scalar(run.url, "select count(*) from plots") == 0
    done = run("import-plots", str(good), "--org", "COOPX", "--format", "kobo")
    assert "Imported 2 plot(s)." in done.output
    again = run("import-plots", str(good), "--org", "COOPX", "--format", "kobo")
    assert "2 submission(s) imported before: left as they are." in again.output
    assert "Mapping (saved)" in again.output
    assert _scalar(run.url, "select count(*) from plots") == 2
