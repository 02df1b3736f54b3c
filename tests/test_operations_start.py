"""What the long-running processes check and say when they start (the operator's walk, M7, M4, m6): a web process or
a worker started on a database older than the code refuses in one line naming the fix (it served 500s on every page
reading a new column); the web logs as the workers do, one line each, and warns when each process counts failed
logins alone; each process names itself to PostgreSQL; the worker's and the notifier's first line says what they run
on (the database's host and name, never its password; the media store; the mail)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from approval import create_app
from approval.migrate import alembic_config, head_revision, upgrade

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
LOG_LINE = re.compile(rf"^{STAMP} (DEBUG|INFO|WARNING|ERROR) [\w.-]+: ")


def _previous_revision() -> str:
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(head_revision()).down_revision
    assert isinstance(previous, str)
    return previous


@pytest.fixture()
def behind(tmp_path: Path) -> dict[str, str]:
    """The environment of a process on a SQLite database one migration behind the code."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, _previous_revision())
    return {**os.environ, "APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance"),
            "APPROVAL_SECRET_KEY": "k" * 32}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=120)


def test_a_web_process_on_an_older_schema_refuses_to_start_in_one_line(behind):
    said = f"the database is at {_previous_revision()}, this version needs {head_revision()}: run `approval db upgrade`"
    web = _run(behind, "-c", "import approval.wsgi")
    assert web.returncode == 4, web.stderr  # gunicorn's "App failed to load": its master stops, not respawns
    assert web.stderr == f"approval: cannot start: {said}\n"
    # A setting it cannot use: the same single line (under gunicorn it was two tracebacks per worker).
    bad = _run({**behind, "APPROVAL_LOG_LEVEL": "verbose"}, "-c", "import approval.wsgi")
    assert bad.returncode == 4 and bad.stderr.startswith("approval: cannot start: APPROVAL_LOG_LEVEL is "), bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.splitlines()) == 1


@pytest.mark.parametrize("command", [["worker", "--once"], ["notify", "--once"]])
def test_the_worker_and_the_notifier_on_an_older_schema_refuse_to_start(behind, command):
    """A run of one pass refuses; the long-running ones wait for the upgrade (``test_worker_waits_for_upgrade``)."""
    said = (f"Error: the database is at {_previous_revision()}, this version needs {head_revision()}: "
            "run `approval db upgrade`")
    refused = _run(behind, "-m", "approval.cli", *command)
    assert refused.returncode == 1, refused.stderr
    assert refused.stderr.splitlines()[-1] == said, refused.stderr
    assert "Traceback" not in refused.stderr


def test_an_application_made_on_an_older_schema_is_made_all_the_same(behind):
    """The check is the processes' start, not ``create_app``: the tests and the commands make applications on
    databases of every age (`approval db upgrade` among them)."""
    app = create_app({"TESTING": True, "DATABASE_URL": behind["APPROVAL_DATABASE_URL"], "SECRET_KEY": "s"})
    assert app.name == "approval"


def test_the_web_process_logs_as_the_workers_do_and_warns_of_counts_per_process(databases, tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    databases.migrate(url)
    env = {**os.environ, "APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance"),
           "APPROVAL_SECRET_KEY": "k" * 32}
    env.pop("APPROVAL_RATELIMIT_STORAGE_URI", None)
    probe = ("import approval.wsgi as wsgi\n"
             "try:\n    1 / 0\nexcept ZeroDivisionError:\n    wsgi.app.logger.exception('Exception on /x [GET]')\n")
    web = _run(env, "-c", probe)
    assert web.returncode == 0, web.stderr
    lines = web.stderr.splitlines()
    assert all(LOG_LINE.match(line) for line in lines), web.stderr  # every line, the traceback's too
    assert any(re.search(r" INFO approval\.startup: approval-web \S+ starting: database sqlite .*app\.db, media "
                         r"folder .*instance/media, mail off", line) for line in lines), web.stderr
    assert any(" WARNING approval.startup: the throttles count in this process's memory" in line
               and "set APPROVAL_RATELIMIT_STORAGE_URI" in line for line in lines), web.stderr
    error = [line for line in lines if " ERROR approval: " in line]
    assert error[0].endswith("ERROR approval: Exception on /x [GET]"), web.stderr
    assert error[1].endswith("ERROR approval: | Traceback (most recent call last):"), web.stderr
    assert error[-1].endswith("| ZeroDivisionError: division by zero"), web.stderr
    shared = _run({**env, "APPROVAL_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}, "-c", "import approval.wsgi")
    assert shared.returncode == 0 and "throttles count in this process" not in shared.stderr, shared.stderr


def test_each_process_names_itself_to_postgresql_and_says_what_it_runs_on(databases, tmp_path):
    url = databases.migrated_url("postgresql")  # PostgreSQL required, or skipped
    name = url.rsplit("/", 1)[1]
    with_password = url.replace("postgres@", "postgres:S3cretPassw0rd@")  # trust auth: the password goes unused
    env = {**os.environ, "APPROVAL_DATABASE_URL": with_password, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance"),
           "APPROVAL_SECRET_KEY": "k" * 32, "APPROVAL_MEDIA_URL": "s3://approval-media/team",
           "APPROVAL_SMTP_URL": "smtp://mailer:M4ilPassw0rd@127.0.0.1:9?starttls=1",
           "APPROVAL_PUBLIC_URL": "https://approval.example.com"}
    from conftest import POSTGRES_ADMIN_URL

    server = create_engine(POSTGRES_ADMIN_URL)
    for command, process in ((["worker"], "approval-worker"), (["notify", "--interval", "0.5"], "approval-notify")):
        running = subprocess.Popen([sys.executable, "-m", "approval.cli", *command], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            first = running.stderr.readline()
            assert re.match(rf"^{STAMP} INFO approval\.startup: {process} \S+ starting: database postgresql "
                            rf"127\.0\.0\.1:5432/{name} as postgres, media s3://approval-media/team, mail through "
                            r"smtp://127\.0\.0\.1:9$", first), first
            assert "S3cretPassw0rd" not in first and "M4ilPassw0rd" not in first
            deadline = time.monotonic() + 30
            names: list[str] = []
            while process not in names and time.monotonic() < deadline:
                time.sleep(0.2)
                with server.connect() as connection:
                    names = list(connection.scalars(text(
                        "SELECT application_name FROM pg_stat_activity WHERE datname = :name"), {"name": name}))
            assert process in names, names
        finally:
            running.send_signal(signal.SIGTERM)
            running.communicate(timeout=60)
    server.dispose()
