"""The command line as an operations engineer runs it along the publishing path: the stop switches listed and turned
off with what they still hold, what a worker's pass did to each post, the long-running commands' log lines and
settings, and commands that say what they did without warnings nobody asked for. Each runs on a fresh database of
each backend: in this process through the group the ``approval`` script runs (``cli_in_process``) where the command's
output, exit status and writes are the point, in a subprocess (``cli``) where a process is: its log lines on stderr,
the warnings of its imports, a password piped to its stdin."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from conftest import Factory, run_in_process
from sqlalchemy import update

from approval import create_app
from approval.config import PROJECT_ROOT, SettingError, Settings, flask_config
from approval.db import db, utcnow
from approval.migrate import alembic_config, upgrade
from approval.models import Post
from approval.publishing import controls
from approval.style.network import network_name
from approval.workflow.states import State

ISO_UTC = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"


def _app(url: str):  # noqa: ANN202
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret", "TESTING": True})


def _due_posts(url: str) -> dict[str, tuple[int, str, str, str]]:
    """Four posts whose time came a minute ago (the last half an hour ago, past France's 15 minutes of grace): one on
    an account that publishes through the outbox, one on an account connected to nothing, one in Poland, one
    overdue. Made as people make them (the factories, through the engine), then their times moved. Each as its
    id, market, network and handle."""
    app = _app(url)
    with app.app_context(), db.transaction() as session:
        make = Factory(session)
        france, poland = make.market("FR"), make.market("PL", timezone="Europe/Warsaw", languages=("pl", "en"))
        connected, unconnected = make.account(france, network="x"), make.account(france, network="facebook")
        polish, late = make.account(poland, network="linkedin"), make.account(france, network="linkedin")
        for account in (connected, polish, late):
            controls.connect_account(session, account, "outbox")
        posts = {name: make.post(State.scheduled, account=account) for name, account in (
            ("published", connected), ("failed", unconnected), ("held", polish), ("missed", late))}
        for name, post in posts.items():
            ago = timedelta(minutes=30 if name == "missed" else 1)
            session.execute(update(Post).where(Post.id == post.id).values(scheduled_at=utcnow() - ago))
        return {name: (post.id, post.account.market.code, network_name(post.account.network), post.account.handle)
                for name, post in posts.items()}


# 1, 2. Stop switches: listed, and turned off with what they still hold ------------------------------------------------


def test_stop_list_shows_each_switch_with_what_it_holds_and_stop_off_says_what_stays_held(cli_in_process, databases):
    cli = cli_in_process
    databases.migrate(cli.url)
    _due_posts(cli.url)
    poland = cli("stop", "on", "--market", "pl", "--reason", "Match perdu.\nWe wait.").stdout.split()[-1]
    everything = cli("stop", "on", "--all", "--reason", "Outage at the network.").stdout.split()[-1]
    cli("stop", "off", everything)
    cli("worker", "--once")  # holds the Polish post under its switch

    listed = cli("stop", "list").stdout.splitlines()
    assert len(listed) == 1, listed  # only those on, by default
    assert re.fullmatch(rf"{poland}\tmarket PL\ton since {ISO_UTC}\tby the command line\tholds 1 post\t"
                        r"Match perdu\. We wait\.", listed[0]), listed  # a reason on one line
    every = cli("stop", "list", "--all").stdout.splitlines()
    assert every[0] == listed[0], "the ones on first"
    assert re.fullmatch(rf"{everything}\teverything\toff since {ISO_UTC}\tby the command line\tholds 0 posts\t"
                        r"Outage at the network\.", every[1]), every

    off = cli("stop", "off", poland)
    assert off.stdout.strip() == (f"Stop switch {poland} off. 1 post it held stays held until a project manager "
                                  "releases it or gives it a new time (Publishing desk)."), off.stdout
    again = cli("stop", "off", poland, check=False)
    assert again.returncode == 1, again
    assert re.search(rf"Stop switch {poland} was already off \(since {ISO_UTC}\): nothing changed\.", again.stderr), \
        again.stderr
    assert "1 post it held still waits for a release or a new time (Publishing desk)." in again.stderr
    unknown = cli("stop", "off", "4242", check=False)
    assert unknown.returncode == 1 and "No stop switch 4242" in unknown.stderr, unknown.stderr
    assert "approval stop list --all" in unknown.stderr
    assert cli("stop", "list").stdout == ""
    assert "No stop switch is on" in cli("stop", "list").stderr
    assert re.search(rf"{poland}\tmarket PL\toff since {ISO_UTC}\tby the command line\tholds 1 post\t",
                     cli("stop", "list", "--all").stdout)


def test_a_switch_that_held_nothing_says_so_when_turned_off(cli_in_process, databases):
    cli = cli_in_process
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    stop_id = cli("stop", "on", "--market", "FR", "--reason", "Strike.").stdout.split()[-1]
    off = cli("stop", "off", stop_id)
    assert off.stdout.strip() == (f"Stop switch {stop_id} off. It held no post; the posts it covered go out at "
                                  "their time.")


# 3. What a worker's pass did, post by post -----------------------------------------------------------------------


def test_worker_once_prints_one_line_per_post_it_handled(cli_in_process, databases):
    cli = cli_in_process
    databases.migrate(cli.url)
    posts = _due_posts(cli.url)
    cli("stop", "on", "--market", "PL", "--reason", "Match perdu.")
    once = cli("worker", "--once")
    assert "published 1, failed 1, unconfirmed 0, postponed 0, held 1, missed 1" in once.stderr, once.stderr
    lines = {line.split("\t")[0]: line.split("\t") for line in once.stdout.splitlines()}
    assert set(lines) == {str(post_id) for post_id, *_account in posts.values()}, once.stdout

    def columns(name: str) -> list[str]:
        post_id, *account = posts[name]
        assert lines[str(post_id)][1:4] == [account[0], account[1], f"@{account[2]}"], lines[str(post_id)]
        return lines[str(post_id)][4:]

    published = columns("published")
    assert published[0] == "published" and published[1].startswith("outbox:"), published
    failed = columns("failed")
    assert failed[0] == "failed" and "not connected to a publisher" in failed[1], failed
    held = columns("held")
    assert held[0] == "held" and "Match perdu" in held[1], held
    missed = columns("missed")
    assert missed[0] == "missed" and missed[1], missed

    assert cli("worker", "--once").stdout == ""  # nothing due: nothing listed, status 0
    helped = cli("worker", "--help").stdout
    assert "one line per post" in helped and "exit status is 0" in helped, helped


# 4. Log lines of the long-running commands ---------------------------------------------------------------------------

LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) [\w.]+: .+$")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True, scope="session")  # the process is the point
def test_the_worker_and_the_notifier_log_with_time_level_and_logger(cli, databases):
    """A mail that cannot be sent is a warning of the mailer's, in the worker's pass: a line with its time, level
    and logger on stderr (before, it went nowhere useful)."""
    databases.migrate(cli.url)
    _due_posts(cli.url)  # the failed one tells its author and the project managers: mail, to a server that is down
    cli.env["APPROVAL_SMTP_URL"] = "smtp://127.0.0.1:9?timeout=2"
    once = cli("worker", "--once")
    logged = [line for line in once.stderr.splitlines() if LOG_LINE.match(line)]
    assert any(" WARNING approval.notifications.mailer: mail to user " in line for line in logged), once.stderr
    quiet = cli("worker", "--once", "--log-level", "error")
    assert not any(LOG_LINE.match(line) for line in quiet.stderr.splitlines()), quiet.stderr

    cli.env["APPROVAL_LOG_LEVEL"] = "ERROR"
    assert not any(LOG_LINE.match(line) for line in cli("notify", "--once").stderr.splitlines())
    # The settings and options refused, through the script's group in this process (no log line to read there).
    bad = run_in_process(["worker", "--once"], {**cli.env, "APPROVAL_LOG_LEVEL": "loud"})
    assert bad.returncode == 1 and "Traceback" not in bad.stderr, bad.stderr
    assert bad.stderr.startswith("Error: APPROVAL_LOG_LEVEL is DEBUG, INFO, WARNING or ERROR, not 'loud'"), bad.stderr
    del cli.env["APPROVAL_LOG_LEVEL"]
    assert "--log-level [debug|info|warning|error]" in run_in_process(["notify", "--help"], cli.env).stdout.lower()
    refused = run_in_process(["worker", "--once", "--log-level", "chatty"], cli.env)
    assert refused.returncode == 2 and "--log-level" in refused.stderr


# 5. The worker's timeout and lease, from the environment -------------------------------------------------------------


def test_the_webhook_timeout_and_the_lease_are_settings(tmp_path):
    base = {"APPROVAL_INSTANCE_PATH": str(tmp_path)}
    default = Settings.from_env(base)
    assert (default.publish_webhook_timeout_s, default.publish_lease_seconds) == (15, 120)
    chosen = Settings.from_env({**base, "APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S": "7.5",
                                "APPROVAL_PUBLISH_LEASE_SECONDS": "300"})
    config = flask_config(chosen, {"SECRET_KEY": "x"})
    assert (config["PUBLISH_WEBHOOK_TIMEOUT_S"], config["PUBLISH_LEASE_SECONDS"]) == (7.5, 300)
    refused = {
        ("APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S", "soon"): "APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S is a number of seconds "
                                                        "from 1 to 300, not 'soon'",
        ("APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S", "0"): "from 1 to 300",
        ("APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S", "nan"): "from 1 to 300",
        ("APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S", "-5"): "from 1 to 300",
        ("APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S", "\u0661\u0665"): "from 1 to 300",  # digits, but not ASCII ones
        ("APPROVAL_PUBLISH_LEASE_SECONDS", "1e9"): "APPROVAL_PUBLISH_LEASE_SECONDS is a number of seconds from 10 "
                                                   "to 3600, not '1e9'",
        ("APPROVAL_PUBLISH_LEASE_SECONDS", "5"): "from 10 to 3600",
        # The default lease (120 s) is too short for a minute's timeout: the lease must outlive the call.
        ("APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S", "60"): "APPROVAL_PUBLISH_LEASE_SECONDS (120, the default) is at least "
                                                      "4 times APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S (60): 240 or more",
    }
    for (variable, value), said in refused.items():
        with pytest.raises(SettingError) as error:
            Settings.from_env({**base, variable: value})
        assert said in str(error.value), (variable, value, str(error.value))
    with pytest.raises(SettingError, match=r"APPROVAL_PUBLISH_LEASE_SECONDS \(100\) is at least 4 times "):
        Settings.from_env({**base, "APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S": "30", "APPROVAL_PUBLISH_LEASE_SECONDS": "100"})
    # The command line says it in one line, as for any other setting.
    result = subprocess.run([sys.executable, "-m", "approval.cli", "worker", "--once"], capture_output=True,
                            text=True, timeout=120, env={**os.environ, **base, "APPROVAL_PUBLISH_LEASE_SECONDS": "x"})
    assert result.returncode == 1 and result.stderr.startswith("Error: APPROVAL_PUBLISH_LEASE_SECONDS is a number"), \
        result.stderr
    # Documented beside the other settings.
    settings = (PROJECT_ROOT / "README.md").read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    for variable in ("APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S", "APPROVAL_PUBLISH_LEASE_SECONDS", "APPROVAL_LOG_LEVEL"):
        assert f"| `{variable}` |" in settings, variable


# 6. Commands that say what they did, without warnings nobody asked for -------------------------------------------


def test_db_upgrade_says_what_it_did(cli_in_process):
    cli = cli_in_process
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    before = script.get_revision(head).down_revision
    assert cli("db", "upgrade").stdout.strip() == f"Database created at revision {head}."
    assert cli("db", "upgrade").stdout.strip() == f"Already up to date ({head})."
    cli("db", "upgrade")
    from approval.migrate import downgrade

    downgrade(cli.url, before)
    assert cli("db", "upgrade").stdout.strip() == f"Upgraded from {before} to {head}."
    assert upgrade(cli.url) == (head, head)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True, scope="session")  # the process is the point
def test_no_command_prints_the_pkg_resources_deprecation_of_twitter_text(cli):
    """twitter-text imports pkg_resources, whose deprecation warning landed in every log of a command that counts a
    post's length for X (the linter, the worker). That warning alone is silenced: the same words from elsewhere
    still show."""
    linted = cli("lint", "--network", "x", "-", input="Read more at www.helio.example today.\n")
    assert "pkg_resources" not in linted.stderr and "UserWarning" not in linted.stderr, linted.stderr
    elsewhere = subprocess.run(
        [sys.executable, "-c", "import warnings; from approval import cli; "
                               "warnings.warn('pkg_resources is deprecated as an API.', UserWarning)"],
        capture_output=True, text=True, timeout=120, env=cli.env)
    assert "pkg_resources is deprecated" in elsewhere.stderr, elsewhere.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True, scope="session")  # the process is the point
def test_a_piped_password_is_read_without_warnings(cli, databases):
    databases.migrate(cli.url)
    created = cli("user", "create", "ops@helio.example", "--name", "Ops", "--role", "admin",
                  input="pass-word-12345\npass-word-12345\n")
    assert created.stdout.strip() == "User ops@helio.example created (admin)."
    assert created.stderr == "", created.stderr  # no GetPassWarning, no "Password input may be echoed"
    one_line = cli("user", "create", "one@helio.example", "--name", "One", "--role", "admin",
                   input="pass-word-12345\n")
    assert one_line.stderr == "", one_line.stderr
    differ = cli("user", "create", "two@helio.example", "--name", "Two", "--role", "admin",
                 input="pass-word-12345\npass-word-54321\n", check=False)
    assert differ.returncode == 2 and "--password" in differ.stderr and "differ" in differ.stderr, differ.stderr
    empty = cli("user", "create", "three@helio.example", "--name", "Three", "--role", "admin", input="", check=False)
    assert empty.returncode == 2 and "--password" in empty.stderr, empty.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True, scope="session")  # the process is the point
def test_the_readme_s_piped_user_creation_works_as_written(cli, databases):
    databases.migrate(cli.url)
    deployment = (PROJECT_ROOT / "README.md").read_text().split("### Deployment", 1)[1]
    line = next(line for line in deployment.splitlines() if line.startswith("printf "))
    command = line.split("  #", 1)[0]
    assert "| approval user create" in command, command
    bin_dir = str(Path(sys.executable).parent)
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120,
                            env={**cli.env, "PASSWORD": "a-long-admin-password", "PATH": bin_dir + os.pathsep +
                                 os.environ.get("PATH", "")})
    assert result.returncode == 0, shlex.quote(command) + result.stderr
    assert result.stderr == "", result.stderr
    assert "created (admin)" in result.stdout
