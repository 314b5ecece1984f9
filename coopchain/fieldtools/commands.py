"""`coopchain import-plots`: plots from a field export on the command line (issue 17 §1)."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.db import session_scope
from coopchain.errors import DomainError
from coopchain.fieldtools.mapping import AREA_UNITS, PRODUCER_KEYS
from coopchain.fieldtools.readers import FORMATS
from coopchain.fieldtools.shapes import GEOMETRY_TYPES

#: Mapping options: --option -> mapping field (all optional: saved mapping, else a guess).
_MAPPING_OPTIONS = {
    "producer_column": "producer_column",
    "producer_key": "producer_key",
    "name_column": "name_column",
    "crop_column": "crop_column",
    "crop": "crop",
    "geometry_column": "geometry_column",
    "geometry_type": "geometry_type",
    "area_column": "area_column",
    "area_unit": "area_unit",
}


@click.command("import-plots")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_code", required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--producer-column", help="Column with the member code or DNI.")
@click.option("--producer-key", type=click.Choice(PRODUCER_KEYS), help="What that column holds.")
@click.option("--name-column", help="Column with the plot's name.")
@click.option("--crop-column", help="Column with the crop (coffee/café, pitahaya).")
@click.option("--crop", type=click.Choice(("coffee", "pitahaya")), help="Crop of every row.")
@click.option("--geometry-column", help="Column with the geoshape, geotrace or geopoint.")
@click.option("--geometry-type", type=click.Choice(GEOMETRY_TYPES))
@click.option("--area-column", help="Column with the declared area.")
@click.option("--area-unit", type=click.Choice(AREA_UNITS))
@click.option("--lines-as-polygons", is_flag=True, help="Closed lines are plot boundaries.")
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@with_appcontext
def import_plots_command(path, org_code, fmt, lines_as_polygons, dry_run, **options):
    """Import plots from a KoboToolbox/ODK export, KML/KMZ, GPX or GeoJSON (all or nothing).

    Without mapping options, the mapping saved for this form is used, else one guessed from
    the column names; the one used is printed. Submissions imported before change nothing."""
    from coopchain.fieldtools.imports import FieldImportFailed, import_field_plots
    from coopchain.fieldtools.readers import FieldFileError

    given = {_MAPPING_OPTIONS[k]: v for k, v in options.items() if v is not None}
    if lines_as_polygons:
        given["lines_as_polygons"] = True
    try:
        with session_scope() as session:
            org = session.scalar(select(Organization).where(Organization.code == org_code.upper()))
            if org is None:
                raise click.ClickException(f"No organisation {org_code}.")
            with click.progressbar(length=1, label="Rows", show_pos=True) as bar:

                def progress(done: int, total: int) -> None:
                    bar.length = total
                    bar.update(done - bar.pos)

                plan = import_field_plots(
                    session,
                    org.id,
                    None,
                    path.read_bytes(),
                    fmt,
                    given or None,
                    confirm=not dry_run,
                    max_accuracy_m=current_app.config["GPS_MAX_ACCURACY_M"],
                    progress=progress,
                )
    except FieldFileError as exc:
        raise click.ClickException(exc.message) from exc
    except FieldImportFailed as exc:
        for issue in exc.plan.errors:
            click.echo(_issue_line(issue), err=True)
        raise click.ClickException(f"Nothing imported: {len(exc.plan.errors)} problem(s).") from exc
    except DomainError as exc:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {problems}".strip()) from exc
    _report(plan, dry_run)


def _issue_line(issue) -> str:
    vertex = f" point {issue.vertex}" if issue.vertex else ""
    return f"row {issue.row} [{issue.column or '-'}]{vertex}: {issue.message}"


def _report(plan, dry_run: bool) -> None:
    mapping = ", ".join(f"{k}={v}" for k, v in plan.mapping.to_dict().items() if v is not None)
    click.echo(f"Mapping ({plan.mapping_source}): {mapping}")
    for issue in plan.warnings:
        click.echo("warning: " + _issue_line(issue), err=True)
    for issue in plan.errors:
        click.echo(_issue_line(issue), err=True)
    before = plan.count("imported_before")
    if before:
        click.echo(f"{before} submission(s) imported before: left as they are.")
    if dry_run:
        click.echo(
            f"Dry run: {plan.count('new')} plot(s) would be imported, "
            f"{plan.count('error')} row(s) with problems. Nothing written."
        )
    elif plan.created_plot_ids:
        click.echo(f"Imported {len(plan.created_plot_ids)} plot(s).")
    else:
        click.echo("Nothing imported.")
