"""`approval worker`, `approval account connect` and `approval stop on|off`, run as an operator would, against a
fresh database of each backend: the demo's scheduled posts go out when due, and the commands refuse bad input."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from approval.db import make_engine, utcnow
from approval.models import Account, Market, Post, StopSwitch
from approval.workflow.states import State


def test_account_connect_and_stop_switches_from_the_command_line(cli_in_process, databases):
    cli = cli_in_process  # the commands' behaviour: no process of their own needed
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    account_id = cli("account", "create", "--market", "FR", "--network", "x", "--handle", "helio_fr").stdout.split()[-1]

    refused = cli("account", "connect", account_id, "--connector", "webhook", "--url", "ftp://x", check=False)
    assert refused.returncode == 2 and "--url" in refused.stderr
    short = cli("account", "connect", account_id, "--connector", "webhook", "--url", "https://hooks.example/p",
                "--secret", "short", check=False)
    assert short.returncode == 2 and "--secret" in short.stderr
    cli("account", "connect", account_id, "--connector", "webhook", "--url", "https://hooks.example/p",
        "--secret", "a-secret-of-enough-length")
    assert cli("account", "connect", "999", "--connector", "outbox", check=False).returncode == 1
    # The ids the commands take, listed: how each account publishes, never a webhook's secret.
    cli("market", "create", "KE", "--name", "Kenya", "--tz", "Africa/Nairobi", "--lang", "en")
    kenya_id = cli("account", "create", "--market", "KE", "--network", "instagram",
                   "--handle", "helio_ke").stdout.split()[-1]
    listed = cli("account", "list").stdout
    assert listed.splitlines() == [f"{account_id}\tFR\tX\t@helio_fr\thttps://hooks.example/p",
                                   f"{kenya_id}\tKE\tInstagram\t@helio_ke\tnot connected"], listed
    assert "a-secret-of-enough-length" not in listed
    assert cli("account", "list", "--market", "ke").stdout.splitlines() == [
        f"{kenya_id}\tKE\tInstagram\t@helio_ke\tnot connected"]

    assert cli("stop", "on", "--reason", "x", check=False).returncode == 2, "a scope is required"
    assert cli("stop", "on", "--all", "--market", "FR", "--reason", "x", check=False).returncode == 2
    unknown = cli("stop", "on", "--market", "ZZ", "--reason", "x", check=False)
    assert unknown.returncode == 2 and "No market ZZ." in unknown.stderr and "yours" not in unknown.stderr
    assert cli("stop", "on", "--market", "FR", "--reason", " ", check=False).returncode == 2
    stop_id = int(cli("stop", "on", "--market", "fr", "--reason", "Match perdu.").stdout.strip().splitlines()[-1])
    cli("stop", "off", str(stop_id))
    assert cli("stop", "off", "12345", check=False).returncode == 1

    engine = make_engine(cli.url)
    with Session(engine) as session:
        account = session.get(Account, int(account_id))
        assert (account.connector, account.connector_url, account.connector_secret) == (
            "webhook", "https://hooks.example/p", "a-secret-of-enough-length")
        stop = session.get(StopSwitch, stop_id)
        assert stop.reason == "Match perdu." and stop.turned_off_at is not None
        assert session.scalar(select(Market.code).where(Market.id == stop.market_id)) == "FR"
    engine.dispose()


def test_a_webhook_secret_can_come_from_standard_input_not_the_command_line(cli_in_process, databases):
    """``--secret -`` reads it from stdin: a secret typed on the command line stays in the shell's history and shows
    in the process list while the command runs."""
    cli = cli_in_process
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    account_id = cli("account", "create", "--market", "FR", "--network", "x", "--handle", "helio_fr").stdout.split()[-1]
    cli("account", "connect", account_id, "--connector", "webhook", "--url", "https://hooks.example/p",
        "--secret", "-", input="a-secret-from-a-pipe-1234\n")
    empty = cli("account", "connect", account_id, "--connector", "webhook", "--url", "https://hooks.example/p",
                "--secret", "-", input="", check=False)
    assert empty.returncode == 2 and "--secret" in empty.stderr
    engine = make_engine(cli.url)
    with Session(engine) as session:
        assert session.get(Account, int(account_id)).connector_secret == "a-secret-from-a-pipe-1234"
    engine.dispose()


def test_the_worker_publishes_the_demos_due_posts_and_stops_on_sigterm(cli_in_process, tmp_path):
    cli = cli_in_process  # demo and worker --once in this process; the looping worker below is a process of its own
    cli("demo")
    engine = make_engine(cli.url)
    with Session(engine) as session:
        scheduled = session.scalars(select(Post.id).where(Post.state == State.scheduled)).all()
        assert scheduled
        # Their time came a minute ago (within the grace period).
        session.execute(update(Post).where(Post.id.in_(scheduled)).values(scheduled_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    once = cli("worker", "--once")
    assert f"published {len(scheduled)}" in once.stderr
    instance = Path(cli.env["APPROVAL_INSTANCE_PATH"])
    lines = [json.loads(line) for line in (instance / "outbox.jsonl").read_text().splitlines()]
    assert sorted(line["post_id"] for line in lines) == sorted(scheduled)
    with Session(engine) as session:
        assert set(session.scalars(select(Post.state).where(Post.id.in_(scheduled)))) == {State.published}
    engine.dispose()

    looping = subprocess.Popen([sys.executable, "-m", "approval.cli", "worker"], env=cli.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any("started" in line for line in lines):  # printed once its signal handlers are in place
            lines.append(looping.stderr.readline())
            assert lines[-1], f"the worker ended before starting: {lines}"
        assert any("APPROVAL_PUBLIC_URL is not set" in line for line in lines)  # its files' links name 127.0.0.1
        # Log lines as all the others it writes: time, level, logger (the walk found these two bare).
        stamp = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
        assert re.search(stamp + r"INFO approval\.publishing\.worker: publishing worker \S+ started$", lines[-1]), lines
        time.sleep(1)
        looping.send_signal(signal.SIGTERM)
        _out, err = looping.communicate(timeout=60)
    finally:
        if looping.poll() is None:
            os.kill(looping.pid, signal.SIGKILL)
    assert looping.returncode == 0, err
    assert re.search(r"INFO approval\.publishing\.worker: publishing worker \S+ stopped; its last pass: published 0",
                     err), err
