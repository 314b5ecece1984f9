"""The `coopchain` command: a Flask CLI group (so `coopchain run` serves the app)."""

import functools
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, NoAppException, with_appcontext
from sqlalchemy import select

from coopchain import create_app, job_commands
from coopchain.auth import services as auth_services
from coopchain.auth.models import Organization, OrganizationKind, Role, User
from coopchain.config import PROJECT_ROOT
from coopchain.db import session_scope
from coopchain.errors import DomainError
from coopchain.fieldtools.commands import import_plots_command
from coopchain.ledger import commands as ledger_commands


def _create_app(*_args, **_kwargs):
    try:
        return create_app()
    except RuntimeError as exc:  # e.g. no SECRET_KEY: say so instead of a traceback
        raise NoAppException(str(exc)) from exc


@click.group(cls=FlaskGroup, create_app=_create_app)
def cli():
    """CoopChain: traceability and export for coffee and pitahaya cooperatives."""


def domain_errors_as_messages(command):
    """A broken rule (weak password, duplicate code) ends the command with its message."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc

    return run


def alembic_config(url: str):
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = url
    return config


@cli.command("migrate")
@with_appcontext
def migrate_command():
    """Apply the Alembic migrations (alembic upgrade head)."""
    from alembic import command

    command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), "head")
    click.echo("Database is at the latest migration.")


@cli.command("demo")
@with_appcontext
def demo_command():
    """Load the demo organisations, users, producers and plots (safe to run twice)."""
    from coopchain.demo import DEMO_ORGS, DEMO_USERS, load_demo

    password = current_app.config["DEMO_PASSWORD"]
    with session_scope() as session:
        created = load_demo(session, password)
    click.echo("Demo data loaded." if created else "Demo data already present; unchanged.")
    # Print the password only when it is the public default, never a custom one.
    shown = password if password == "demo" else "$COOPCHAIN_DEMO_PASSWORD"  # noqa: S105
    click.echo(f"Demo logins (password: {shown}):")
    for email, role, _name in DEMO_USERS:
        click.echo(f"  {email:<22} {role}")
    # The codes --org takes in create-user, import, assess-forest…
    click.echo("Organisations (--org CODE):")
    for code, name, _kind in DEMO_ORGS:
        click.echo(f"  {code:<22} {name}")
    from coopchain.demo import sample_bag_token

    with session_scope() as session:
        token = sample_bag_token(session)
    if token:
        from coopchain.public_url import PublicBaseUrlMissing
        from coopchain.trace.qr import bag_url

        try:
            click.echo(f"A bag's public page (what its QR code opens): {bag_url(token)}")
        except PublicBaseUrlMissing as exc:
            click.echo(exc.message)


@cli.command("create-org")
@click.argument("code")
@click.argument("name")
@click.option(
    "--kind", type=click.Choice([k.value for k in OrganizationKind]), default="cooperative"
)
@click.option("--admin-email", required=True)
@click.option("--admin-name", default="Administrator")
@click.password_option("--admin-password", prompt="Admin password")
@with_appcontext
@domain_errors_as_messages
def create_org_command(code, name, kind, admin_email, admin_name, admin_password):
    """Create an organisation and its first admin."""
    with session_scope() as session:
        org = auth_services.create_organization(session, code, name, kind)
        user = session.scalar(select(User).where(User.email == admin_email.strip().lower()))
        if user is None:
            user = auth_services.create_user(session, admin_email, admin_name, admin_password)
        auth_services.add_member(session, org.id, user, Role.ADMIN, by_user_id=None)
    click.echo(f"Created {code} with admin {admin_email}.")


@cli.command("create-user")
@click.argument("email")
@click.option("--org", "org_code", required=True, help="Organisation code")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="")
@click.password_option("--password", prompt="Password")
@with_appcontext
@domain_errors_as_messages
def create_user_command(email, org_code, role, name, password):
    """Create a user (or reuse one) and give them a role in an organisation."""
    with session_scope() as session:
        org = _org_by_code(session, org_code)
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            user = auth_services.create_user(session, email, name or email, password)
        auth_services.add_member(session, org.id, user, Role(role), by_user_id=None)
    click.echo(f"{email} is {role} in {org_code}.")


@cli.command("create-token")
@click.argument("email")
@click.option("--org", "org_code", default=None, help="Organisation code (default: the first)")
@click.option("--name", default="CLI token")
@with_appcontext
def create_token_command(email, org_code, name):
    """Create a personal API token for EMAIL and print it (shown only once)."""
    with session_scope() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"No user {email}.")
        memberships = auth_services.memberships_of(session, user.id)
        orgs = [o for _m, o in memberships if org_code in (None, o.code)]
        if not orgs:
            raise click.ClickException(f"{email} belongs to no organisation {org_code or ''}.")
        _token, plaintext = auth_services.create_api_token(session, user, orgs[0].id, name)
    click.echo(plaintext)


def _import_refused(exc) -> click.ClickException:
    """Print every bad row of a refused import; the exception says nothing was imported."""
    from coopchain.spreadsheets import SpreadsheetError

    if isinstance(exc, SpreadsheetError):
        return click.ClickException(exc.message)
    for error in exc.errors:
        click.echo(
            f"{error.sheet} row {error.row} [{error.column or '-'}]: {error.message}", err=True
        )
    return click.ClickException(f"Nothing imported: {len(exc.errors)} bad row(s).")


@cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_code", required=True)
@with_appcontext
def import_command(path, org_code):
    """Import producers, agreements and plots from an .xlsx file (all rows or none)."""
    from coopchain.farms.registry_xlsx import ImportFailed, import_registry
    from coopchain.spreadsheets import SpreadsheetError

    try:
        with session_scope() as session:
            org = _org_by_code(session, org_code)
            result = import_registry(session, org.id, None, path.read_bytes())
    except (SpreadsheetError, ImportFailed) as exc:
        raise _import_refused(exc) from exc
    click.echo(
        f"Imported {result.producers} producers, {result.agreements} agreements, "
        f"{result.plots} plots."
    )


@cli.command("import-deliveries")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_code", required=True)
@with_appcontext
def import_deliveries_command(path, org_code):
    """Register deliveries (intake tickets) from an .xlsx file (all rows or none)."""
    from coopchain.farms.registry_xlsx import ImportFailed
    from coopchain.lots.lots_xlsx import import_deliveries
    from coopchain.spreadsheets import SpreadsheetError

    try:
        with session_scope() as session:
            org = _org_by_code(session, org_code)
            created = import_deliveries(session, org.id, None, path.read_bytes())
    except (SpreadsheetError, ImportFailed) as exc:
        raise _import_refused(exc) from exc
    click.echo(f"Registered {len(created)} deliveries.")


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path):
    """Write a consistent backup of the database to PATH."""
    from coopchain.backup import backup

    backup(current_app.config["DATABASE_URL"], path)
    click.echo(f"Backup written to {path}.")


@cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@with_appcontext
def restore_command(path, yes):
    """Replace the database's contents with the backup at PATH."""
    from coopchain.backup import restore

    if not yes:
        click.confirm("This replaces every row in the database. Continue?", abort=True)
    restore(current_app.config["DATABASE_URL"], path)
    click.echo(f"Restored from {path}.")


def _org_by_code(session, code: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.code == code.upper()))
    if org is None:
        raise click.ClickException(f"No organisation {code}.")
    return org


def _refused(exc: DomainError) -> click.ClickException:
    """A refused command's message with every field's problems, one per line."""
    lines = [exc.message] + [
        f"  {name}: {message}" for name, messages in exc.fields.items() for message in messages
    ]
    return click.ClickException("\n".join(lines))


@cli.command("register-forest-dataset")
@click.argument("paths", nargs=-1, required=True)
@click.option("--org", "org_code", required=True)
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["hansen_lossyear", "hansen_treecover2000", "jrc_gfc2020"]),  # DatasetKind
)
@click.option("--version", "version", required=True, help='e.g. "GFC-2023-v1.11"')
@click.option("--downloaded-on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@with_appcontext
def register_forest_dataset_command(paths, org_code, kind, version, downloaded_on):
    """Register forest raster tiles (GeoTIFF files, or folders of them) for assessments."""
    from coopchain.forest.datasets import register_dataset

    data = {
        "kind": kind,
        "version": version,
        "paths": list(paths),
        "downloaded_on": downloaded_on.date(),
    }
    try:
        with session_scope() as session:
            org = _org_by_code(session, org_code)
            dataset = register_dataset(session, org.id, None, data)
            click.echo(f"Dataset {dataset.id}: {kind} {version}, {dataset.tile_count} tile(s).")
    except DomainError as exc:
        raise _refused(exc) from exc


@cli.command("assess-forest")
@click.option("--org", "org_code", required=True)
@click.option(
    "--dataset",
    "dataset_ids",
    type=int,
    multiple=True,
    help="Dataset id (repeat); needs a hansen_lossyear one.",
)
@click.option("--plot", "plot_ids", type=int, multiple=True, help="Only these plots (repeat).")
@click.option("--canopy", "canopy", type=int, default=None, help="Canopy threshold %, default 10.")
@click.option(
    "--resume",
    "resume_id",
    type=int,
    default=None,
    help="Continue an interrupted or failed assessment instead of starting one.",
)
@click.option("--batch-size", type=click.IntRange(1, 5000), default=None)
@click.option(
    "--wait/--no-wait",
    default=True,
    help="Follow the job's progress until it ends (default), or return once it is queued.",
)
@with_appcontext
def assess_forest_command(org_code, dataset_ids, plot_ids, canopy, resume_id, batch_size, wait):
    """Measure forest cover and loss for every plot (or the ones given) from the rasters: a
    job that a `coopchain worker` runs (this command follows its progress)."""
    from coopchain.forest import assessment as fa
    from coopchain.forest import assessment_jobs

    try:
        with session_scope() as session:
            org_id = _org_by_code(session, org_code).id
            if resume_id is not None:
                assessment = fa.resume_assessment(
                    session, org_id, None, resume_id, even_if_running=True
                )
            else:
                assessment = fa.start_assessment(
                    session, org_id, None, dataset_ids, list(plot_ids) or None, canopy
                )
            assessment_id, total = assessment.id, assessment.total
            job_id = assessment_jobs.submit(session, org_id, None, assessment_id, batch_size).id
    except DomainError as exc:
        raise _refused(exc) from exc
    click.echo(f"Assessment {assessment_id}: {total} plot(s); job {job_id}.")
    if not wait:
        click.echo(f"Follow it with: coopchain job {job_id}")
        return
    job = job_commands.follow_job(org_id, job_id, label="Plots")
    if job.status != "finished":
        raise click.ClickException(job.error or f"Job {job_id} {job.status}.")
    click.echo(
        f"Assessment {assessment_id} {job.result['status']}: {job.result['done']} plot(s) measured."
    )


# Commands that live with their domain, added here so `coopchain --help` lists them all.
cli.add_command(ledger_commands.verify_ledger_command)
cli.add_command(ledger_commands.ledger_head_command)
cli.add_command(import_plots_command)
cli.add_command(job_commands.worker_command)
cli.add_command(job_commands.job_command)
