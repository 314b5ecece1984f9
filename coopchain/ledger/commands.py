"""`coopchain verify-ledger` and `coopchain ledger-head` (issue: trust, part 5)."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.db import session_scope


@click.command("verify-ledger")
@click.option(
    "--head",
    "head_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A head file from `coopchain ledger-head` to check against (repeatable).",
)
@with_appcontext
def verify_ledger_command(head_files):
    """Check every organisation's audit ledger: the hash chain (naming the event changed), the
    heads recorded on certificates and in --head files, and that every delivery, lot,
    transformation, bag, shipment allocation and certificate is what its events say."""
    from coopchain.ledger.anchors import LedgerHead, check_anchors
    from coopchain.ledger.reconcile import reconcile
    from coopchain.ledger.services import verify_chain

    heads: dict[str, list] = {}
    for path in head_files:
        try:
            head = LedgerHead.from_json(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{path}: {exc}") from exc
        heads.setdefault(head.organization_code, []).append((f"head file {path.name}", head))
    failed = False
    with session_scope() as session:
        organizations = list(session.scalars(select(Organization).order_by(Organization.code)))
        unknown = sorted(set(heads) - {org.code for org in organizations})
        if unknown:
            raise click.ClickException(f"Head file for unknown organisation {', '.join(unknown)}.")
        for org in organizations:
            checked, broken = verify_chain(session, org.id)
            if broken:
                failed = True
                click.echo(
                    f"{org.code}: BROKEN at event #{broken.seq} (id {broken.event_id}, "
                    f"{broken.kind}): {broken.reason}; {checked} events before it are "
                    "intact."
                )
            else:
                click.echo(f"{org.code}: {checked} events, chain intact.")
            problems = check_anchors(session, org.id, heads.get(org.code, []))
            for problem in problems:
                click.echo(f"{org.code}: ANCHOR BROKEN: {problem.describe()}.")
            rows = reconcile(session, org.id)
            for difference in rows.differences[:20]:
                click.echo(f"{org.code}: ROW DIFFERS: {difference.describe()}.")
            if len(rows.differences) > 20:
                click.echo(f"{org.code}: … and {len(rows.differences) - 20} more differences.")
            if not problems and not rows.differences:
                click.echo(
                    f"{org.code}: every recorded head is on the chain; {rows.rows_checked} rows "
                    "match their events."
                )
            failed = failed or bool(problems) or bool(rows.differences)
    sys.exit(1 if failed else 0)


@click.command("ledger-head")
@click.option("--org", "org_code", required=True, help="Organisation code")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the head to this file instead of printing it.",
)
@with_appcontext
def ledger_head_command(org_code, output):
    """Print the organisation's ledger head (seq and hash) as JSON, to publish or send to the
    certifier; `verify-ledger --head FILE` later proves no event up to it was rewritten."""
    from coopchain.ledger.anchors import current_head

    with session_scope() as session:
        org = session.scalar(select(Organization).where(Organization.code == org_code.upper()))
        if org is None:
            raise click.ClickException(f"No organisation {org_code}.")
        head = current_head(session, org.id)
    if output:
        output.write_text(head.to_json() + "\n", encoding="utf-8")
        click.echo(f"{org_code.upper()} ledger head #{head.seq} written to {output}.")
    else:
        click.echo(head.to_json())
