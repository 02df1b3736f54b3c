"""`approval media sweep`: removes the files of the media store that no row names, and what uploads cut short left
in the staging folder (``approval.media.sweep``)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from approval.db import db, read_only
from approval.media import sweep
from approval.media.storage import Stored, StoreUnavailable, storage

media_cli = AppGroup("media", help="The media store: the posts' pictures and videos, and their thumbnails.")

#: A century: beyond, a grace age means "never" and would overflow the dates it is taken from.
MAX_HOURS = 100 * 366 * 24


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


def _leftovers(count: int) -> str:
    return f"{count} leftover upload" if count == 1 else f"{count} leftover uploads"


def _hours(age: timedelta) -> str:
    hours = round(age / timedelta(hours=1))
    return "1 hour" if hours == 1 else f"{hours} hours"


def _line(stored: Stored, dry_run: bool) -> str:
    return f"{'would remove' if dry_run else 'removed'}\t{stored.key}\t{stored.size}\t{stored.modified:%Y-%m-%d %H:%M}Z"


@media_cli.command("sweep")
@click.option("--older-than", "hours", type=click.IntRange(0, MAX_HOURS), default=24, show_default=True,
              metavar="HOURS", help="Only stored files last written this many hours ago or more: an upload between "
              "its put and its commit is younger (0 takes them too: only while nothing uploads). Not the staging "
              "folder's, which go once older than the longest an upload may take, whatever this says.")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; remove nothing.")
@click.option("--force", is_flag=True, help="Sweep even when the database names none of the store's files "
              "(every file older than --older-than goes).")
def sweep_command(hours: int, dry_run: bool, force: bool) -> None:
    """Remove what uploads cut short (a process killed, a machine stopped) left in this machine's staging folder,
    once older than the longest an upload may take (an hour at least); then the files and thumbnails of the media
    store that no media file names (an upload that failed half-way), and the folder store's unfinished copies, once
    older than --older-than. One tab-separated line each (removed, key, bytes, last written in UTC), and a total for
    each. An upload in progress, or a file a media file names, is never removed: safe from cron, on every machine
    that receives uploads."""
    try:
        store = storage()
    except ValueError as error:  # APPROVAL_MEDIA_URL names no store
        raise click.ClickException(str(error)) from None
    _sweep_staging(dry_run)
    count = size = 0
    try:
        # A session that has read nothing yet, reading without the write lock (SQLite): its read comes after the
        # store's listing (``sweep.find_orphans``).
        for stored in sweep.sweep(read_only(db.session), store, older_than=timedelta(hours=hours), dry_run=dry_run,
                                  force=force):
            click.echo(_line(stored, dry_run))
            count += 1
            size += stored.size
    except sweep.NoFileNamed as refusal:
        raise click.ClickException(
            f"this database names none of the store's {_files(refusal.files)}: is APPROVAL_DATABASE_URL the "
            f"database of this store? Nothing was removed from the store (--force removes them all).") from None
    except (StoreUnavailable, OSError) as error:  # a bucket or a folder that cannot be read or written
        done = (f"Stopped after removing {_files(count)}, {size} bytes." if count and not dry_run
                else "Nothing was removed from the store.")
        raise click.ClickException(f"the media store cannot be used: {error}. {done}") from None
    if dry_run:
        click.echo(f"Would remove {_files(count)}, {size} bytes (--dry-run: nothing was removed).")
    else:
        click.echo(f"Removed {_files(count)}, {size} bytes.")


def _sweep_staging(dry_run: bool) -> None:
    """Sweep this machine's staging folder (``sweep.sweep_staging``), a line for each leftover and their total."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    age = sweep.staging_age(app)
    count = size = 0
    try:
        for stored in sweep.sweep_staging(app, older_than=age, dry_run=dry_run):
            click.echo(_line(stored, dry_run))
            count += 1
            size += stored.size
    except OSError as error:  # a folder this user may not read or write in
        done = f"Stopped after removing {_leftovers(count)}, {size} bytes. " if count and not dry_run else ""
        raise click.ClickException(f"the staging folder cannot be swept: {error}. {done}Nothing was removed from "
                                   f"the media store.") from None
    verb = "Would remove" if dry_run else "Removed"
    click.echo(f"{verb} {_leftovers(count)} from the staging folder, {size} bytes (older than {_hours(age)}).")
