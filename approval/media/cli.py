"""`approval media sweep`: removes the files of the media store that no row names (``approval.media.sweep``)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from approval.db import db, read_only
from approval.media import sweep
from approval.media.storage import StoreUnavailable, storage

media_cli = AppGroup("media", help="The media store: the posts' pictures and videos, and their thumbnails.")

#: A century: beyond, a grace age means "never" and would overflow the dates it is taken from.
MAX_HOURS = 100 * 366 * 24


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


@media_cli.command("sweep")
@click.option("--older-than", "hours", type=click.IntRange(0, MAX_HOURS), default=24, show_default=True,
              metavar="HOURS", help="Only files last written this many hours ago or more: an upload between its "
              "put and its commit is younger (0 takes them too: only while nothing uploads).")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; remove nothing.")
@click.option("--force", is_flag=True, help="Sweep even when the database names none of the store's files "
              "(every file older than --older-than goes).")
def sweep_command(hours: int, dry_run: bool, force: bool) -> None:
    """Remove the files and thumbnails of the media store that no media file names (an upload that failed half-way),
    and the folder store's unfinished copies, once older than --older-than: one tab-separated line each (removed,
    key, bytes, last written in UTC), then the total. A file a media file names is never removed: safe from cron."""
    try:
        store = storage()
    except ValueError as error:  # APPROVAL_MEDIA_URL names no store
        raise click.ClickException(str(error)) from None
    count = size = 0
    try:
        # A session that has read nothing yet, reading without the write lock (SQLite): its read comes after the
        # store's listing (``sweep.find_orphans``).
        for stored in sweep.sweep(read_only(db.session), store, older_than=timedelta(hours=hours), dry_run=dry_run,
                                  force=force):
            click.echo(f"{'would remove' if dry_run else 'removed'}\t{stored.key}\t{stored.size}\t"
                       f"{stored.modified:%Y-%m-%d %H:%M}Z")
            count += 1
            size += stored.size
    except sweep.NoFileNamed as refusal:
        raise click.ClickException(
            f"this database names none of the store's {_files(refusal.files)}: is APPROVAL_DATABASE_URL the "
            f"database of this store? Nothing was removed (--force removes them all).") from None
    except (StoreUnavailable, OSError) as error:  # a bucket or a folder that cannot be read or written
        done = (f"Stopped after removing {_files(count)}, {size} bytes." if count and not dry_run
                else "Nothing was removed.")
        raise click.ClickException(f"the media store cannot be used: {error}. {done}") from None
    if dry_run:
        click.echo(f"Would remove {_files(count)}, {size} bytes (--dry-run: nothing was removed).")
    else:
        click.echo(f"Removed {_files(count)}, {size} bytes.")
