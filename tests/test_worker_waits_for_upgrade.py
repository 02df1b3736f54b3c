"""A worker started while `approval db upgrade` runs (the product walk: it found the database one migration behind
and quit, and nothing was published until someone started it again) waits for the upgrade, says so once, and starts
when it is done; SIGTERM still stops it while it waits. A single pass (``--once``) and the web still refuse at once,
and a database a newer version migrated is not waited for."""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from approval import create_app
from approval.migrate import alembic_config, head_revision, upgrade
from approval.startup import start


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


class Process:
    """A command running in the background, its stderr read line by line as it comes."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.popen = subprocess.Popen([sys.executable, "-m", "approval.cli", *args], env=env, text=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        self.said: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, words: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.popen.poll() is None or not self.lines.empty(), "\n".join(self.said)
                continue
            self.said.append(line)
            if words in line:
                return line
        raise AssertionError(f"never said {words!r}:\n" + "\n".join(self.said))

    def stop(self) -> int:
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=30)
        finally:
            if self.popen.poll() is None:
                self.popen.kill()


# What each says once it runs (its SIGTERM handler in place).
@pytest.mark.parametrize(("command", "running_says"), [("worker", "publishing worker"),
                                                      ("notify", "APPROVAL_SMTP_URL is not set")])
def test_a_worker_started_during_the_upgrade_waits_for_it_then_starts(behind, command, running_says):
    running = Process(behind, command)
    try:
        running.wait_for(f"waiting for the database to be upgraded to {head_revision()} (it is at "
                         f"{_previous_revision()}: `approval db upgrade`)")
        upgrade(behind["APPROVAL_DATABASE_URL"])
        running.wait_for(f"the database is at {head_revision()}: starting")
        running.wait_for("starting: database sqlite")
        running.wait_for(running_says)
    finally:
        assert running.stop() == 0, "\n".join(running.said)
    assert sum("waiting for the database" in line for line in running.said) == 1, running.said
    assert not any("Traceback" in line for line in running.said), running.said


def test_sigterm_stops_a_worker_that_waits_for_the_upgrade(behind):
    running = Process(behind, "worker")
    running.wait_for("waiting for the database to be upgraded to")
    assert running.stop() == 0, "\n".join(running.said)
    assert not any("Traceback" in line for line in running.said)


def test_a_database_a_newer_version_migrated_is_not_waited_for(tmp_path, caplog):
    """Its processes are the newer version's: this one says so at once (as before), it does not wait for an
    upgrade that will never come."""
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "s" * 32})
    began = time.monotonic()
    with caplog.at_level(logging.INFO, logger="approval.startup"):
        start(app, "approval-worker", announce=False, wait_for_upgrade=True)
    assert time.monotonic() - began < 2
    assert "the database is at 9999, which this version" in caplog.text
    assert "waiting for the database" not in caplog.text
