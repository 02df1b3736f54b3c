"""`approval audit verify`: recompute the audit trail's hash chain and name the first broken link."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from approval.db import db
from approval.models.audit import verify_chain

audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Check every post's chain of audit rows; exit 1 at the first row changed, removed or slipped in, or at the
    first post whose state its last row does not explain (rows removed from the end)."""
    result = verify_chain(db.session)
    if result.broken is not None:
        broken = result.broken
        where = f"post {broken.post_id}"
        if broken.entry_id is not None:
            where = f"audit entry {broken.entry_id} ({where})"
        click.echo(f"BROKEN at {where}: {broken.reason}.", err=True)
        if broken.trail_cut:
            click.echo(f"Every link of the {result.entries} entries holds, but this post's trail lost its last rows.",
                       err=True)
        else:
            click.echo(f"{result.entries} entries checked before it; the rows from there on cannot be trusted.",
                       err=True)
        sys.exit(1)
    click.echo(f"OK: {result.entries} audit entries on {result.posts} posts, every link holds.")
