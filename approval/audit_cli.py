"""`approval audit verify`: recompute the audit trail's hash chain and name the first broken link; `approval audit
changes`: the change log of the settings (approval.admin_log)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from approval.admin_log import SECRETS, SUBJECTS, secret_change
from approval.db import db
from approval.models.admin_log import AdminLogEntry
from approval.models.audit import verify_chain

SUBJECT_NAMES = frozenset(subject.name for subject in SUBJECTS.values())

audit_cli = AppGroup("audit", help="The audit trail of the posts, and the change log of the settings.")


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


@audit_cli.command("changes")
@click.option("--subject", type=click.Choice(sorted(SUBJECT_NAMES)), help="Only changes of this kind of object.")
@click.option("--id", "subject_id", type=click.IntRange(min=1), help="Only changes of the object with this id.")
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=50, show_default=True,
              help="How many of the latest changes.")
def changes_command(subject: str | None, subject_id: int | None, limit: int) -> None:
    """The change log: who changed which setting, when, and each field before and after (newest last). A secret is
    shown only as set, changed or removed."""
    query = select(AdminLogEntry).order_by(AdminLogEntry.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(AdminLogEntry.subject == subject)
    if subject_id is not None:
        query = query.where(AdminLogEntry.subject_id == subject_id)
    entries = list(db.session.scalars(query))
    if not entries:
        click.echo("No change matches.")
        return
    for entry in reversed(entries):
        what = f"{entry.subject} {entry.subject_id}" + (f" ({entry.subject_label})" if entry.subject_label else "")
        click.echo(f"{entry.at.strftime('%Y-%m-%d %H:%M:%SZ')}  {entry.actor_label}  {entry.action} {what}")
        for field, (before, after) in (entry.changes or {}).items():
            if field in SECRETS:
                click.echo(f"    {field}: {secret_change(before, after)}")
            else:
                click.echo(f"    {field}: {_plain(before)} -> {_plain(after)}")


def _plain(value: object) -> str:
    if value is None or value == [] or value == "":
        return "-"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
