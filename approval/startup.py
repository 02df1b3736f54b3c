"""What a long-running process checks and says when it starts: the web's ``approval.wsgi``, `approval worker`,
`approval notify`. Never ``create_app`` itself: the tests and the commands make applications on databases of every
age, and `approval db upgrade` is the one that brings them to the head.

- Its database connections carry the process's name (``application_name`` on PostgreSQL).
- A database whose schema is older than the code refuses a web process's start, in one line: a web process started
  before the migration answered 500s on every page that read a new column. A worker or a notifier waits for the
  upgrade instead (``wait_for_upgrade``): started with `approval db upgrade` during an upgrade, it quit, and nothing
  was published until someone started it again.
- Settings it can run with but should not (a short secret key; the web's throttles counted per process) are warnings.
- One line says what it runs on: the database (host and name, never the password), the media store, the mail.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import click
from flask import Flask
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import DBAPIError

from approval.config import Settings, SettingError, setting_warnings
from approval.db import set_application_name
from approval.logs import log_to_stderr
from approval.migrate import head_revision, known_revisions, revision_of, schema_behind

log = logging.getLogger("approval.startup")

#: gunicorn's exit status for "the application failed to load": its master stops instead of starting new workers
#: that would fail the same way, for ever (``gunicorn.arbiter.Arbiter.APP_LOAD_ERROR``).
APP_LOAD_ERROR = 4


#: Seconds between two looks at the schema's version while a process waits for `approval db upgrade`.
UPGRADE_CHECK_INTERVAL = 3.0


def start(app: Flask, process: str, *, announce: bool = True, wait_for_upgrade: bool = False) -> None:
    """The start of the long-running process ``process`` (``approval-worker``, ``approval-notify``) on ``app``:
    raises ``click.ClickException`` (one line, exit 1) when the database's schema is behind the code, or, with
    ``wait_for_upgrade``, waits until it is not (``wait_until_upgraded``).
    ``announce``: log the warnings and the line saying what it runs on (a single pass, ``--once``, answers as a
    command does: its errors alone on stderr)."""
    engine = app.extensions["approval.db"]["engine"]
    set_application_name(process, engine)
    if announce:
        for warning in setting_warnings(Settings.from_env()):
            log.warning("%s", warning)
    try:
        at = revision_of(engine)
    except DBAPIError:
        pass  # down or refused: the process starts all the same, and its passes or its requests say so
    else:
        behind = schema_behind(at)
        if behind is not None and not wait_for_upgrade:
            raise click.ClickException(behind)
        if behind is not None:
            at = wait_until_upgraded(engine, at)
        if at not in known_revisions():
            log.warning("the database is at %s, which this version (at %s) does not know: a newer version migrated "
                        "it; run that version", at, head_revision())
    if announce:
        log.info("%s %s starting: database %s, media %s, %s", process, _version(), describe_database(app),
                 describe_media(app), describe_mail(app))


def wait_until_upgraded(engine: Engine, at: str | None, interval: float = UPGRADE_CHECK_INTERVAL) -> str | None:
    """Wait until the database behind ``engine``, at migration ``at``, is no longer behind the code, and return the
    migration it is at then (the head, or a newer version's). Said once in the log, not at every look: a worker
    started with `approval db upgrade` waits seconds, one started on a database nobody upgrades waits for as long as
    it takes, and either is told why. SIGTERM and SIGINT end the wait and the process (exit 0), as they end a
    running one; a database that cannot be reached meanwhile (restarted by the upgrade) is looked at again, not
    started on."""
    stopped = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        stopped.set()

    before = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        log.warning("waiting for the database to be upgraded to %s (it %s: `approval db upgrade`); looking again "
                    "every %g s", head_revision(), "has no tables yet" if at is None else f"is at {at}", interval)
        while not stopped.wait(interval):
            try:
                at = revision_of(engine)
            except DBAPIError:
                continue
            if schema_behind(at) is None:
                log.info("the database is at %s: starting", at)
                return at
        log.info("stopped while waiting for the database to be upgraded")
        raise SystemExit(0)
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def start_web(app: Flask) -> None:
    """The start of a web process (``approval.wsgi``): its log lines as the workers' (one line each, on stderr),
    then ``start``, then the throttles' store if each process counts alone."""
    log_to_stderr(app.config["LOG_LEVEL"], app)
    start(app, "approval-web")
    if str(app.config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        log.warning("the throttles count in this process's memory: each web process counts failed logins alone, "
                    "and a client gets that many tries per process: set APPROVAL_RATELIMIT_STORAGE_URI "
                    "(redis://host:6379) when several processes serve the application")


def refuse(error: click.ClickException | SettingError) -> NoReturn:
    """Stop a web process that cannot start, with its one line on stderr (not a traceback per gunicorn worker and
    another for the master, the line buried among them), and the status that stops gunicorn's master."""
    said = error.format_message() if isinstance(error, click.ClickException) else str(error)
    print(f"approval: cannot start: {said}", file=sys.stderr, flush=True)  # noqa: T201 - before any log is set up
    raise SystemExit(APP_LOAD_ERROR)


def describe_database(app: Flask) -> str:
    """``postgresql db:5432/approval as approval_web`` or ``sqlite /srv/approval/approval.db``: never a password."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        return f"sqlite {url.database or ':memory:'}"
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    return f"{url.get_backend_name()} {where}" + (f" as {url.username}" if url.username else "")


def describe_media(app: Flask) -> str:
    """Where media files are kept: ``s3://bucket/prefix`` (and its server), or a folder."""
    url = app.config.get("MEDIA_URL")
    if not url:
        return f"folder {Path(app.instance_path) / 'media'}"
    if url.startswith("s3://"):
        endpoint = os.environ.get("APPROVAL_MEDIA_S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL")
        return url + (f" at {endpoint}" if endpoint else "")
    return f"folder {urlsplit(url).path if url.startswith('file:') else url}"


def describe_mail(app: Flask) -> str:
    """``mail through smtp://host:587`` or ``mail off``: its server, never its user or password."""
    smtp = app.config.get("SMTP_URL")
    if not smtp:
        return "mail off (APPROVAL_SMTP_URL is not set)"
    parts = urlsplit(smtp)
    return f"mail through {parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _version() -> str:
    try:
        return version("approval")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"
