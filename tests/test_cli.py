"""The `approval` commands of CONTRACT.md against a fresh database of each backend. Their behaviour (output, exit
status, what they write) is checked in this process, through the group the ``approval`` script runs (``cli`` below);
what needs a process of its own (the settings read when it starts, the module run as a script) runs in a
subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from approval.db import make_engine
from approval.models import Account, AuditEntry, Executive, Market, Outcome, Post, PublicationAttempt, User
from approval.workflow.states import State


@pytest.fixture()
def cli(cli_in_process):  # noqa: ANN001, ANN201
    """The commands run in this process (conftest's ``cli_in_process``): a subprocess per command cost 1 to 2 s."""
    return cli_in_process


def test_db_upgrade_then_create_market_account_user(cli):
    cli("db", "upgrade")
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    out = cli("account", "create", "--market", "FR", "--network", "x", "--handle", "helio_fr", "--brand", "Helio")
    account_id = int(out.stdout.strip().splitlines()[-1])
    exec_out = cli("account", "create", "--market", "fr", "--network", "linkedin", "--handle", "hmarchand",
                   "--executive", "Hélène Marchand")
    cli("user", "create", "camille@helio.example", "--name", "Camille", "--role", "community_manager",
        "--market", "FR", "--password", "secret-password")
    cli("user", "create", "sophie@helio.example", "--name", "Sophie", "--role", "cabinet",
        "--executive", "Hélène Marchand", "--password", "secret-password")
    cli("user", "create", "lucile@helio.example", "--name", "Lucile", "--role", "project_manager",
        "--all-markets", input="prompted-password\nprompted-password\n")

    engine = make_engine(cli.url)
    with Session(engine) as session:
        market = session.scalar(select(Market).where(Market.code == "FR"))
        assert (market.timezone, market.languages) == ("Europe/Paris", ["fr"])
        assert session.get(Account, account_id).handle == "helio_fr"
        executive_account = session.get(Account, int(exec_out.stdout.split()[-1]))
        assert executive_account.is_executive and executive_account.executive.name == "Hélène Marchand"
        sophie = session.scalar(select(User).where(User.email == "sophie@helio.example"))
        assert [e.name for e in sophie.executives] == ["Hélène Marchand"]
        lucile = session.scalar(select(User).where(User.email == "lucile@helio.example"))
        assert lucile.all_markets and lucile.check_password("prompted-password")
    engine.dispose()


def test_bad_input_is_a_clear_usage_error(cli, databases):
    databases.migrate(cli.url)
    bad_zone = cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Pariss", "--lang", "fr", check=False)
    assert bad_zone.returncode == 2 and "time zone" in bad_zone.stderr
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    again = cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr", check=False)
    assert again.returncode == 1 and "exists already" in again.stderr
    no_market = cli("account", "create", "--market", "ZZ", "--network", "x", "--handle", "h", check=False)
    assert no_market.returncode == 2 and "no market" in no_market.stderr
    assert "Traceback" not in bad_zone.stderr + again.stderr + no_market.stderr


def test_demo_loads_every_state_with_a_true_history(cli):
    out = cli("demo", "--port", "8123").stdout
    for role in ("community_manager", "project_manager", "cabinet", "admin"):
        assert role in out
    assert "Log in at http://127.0.0.1:8123 with:" in out  # the address it will be served on
    engine = make_engine(cli.url)
    with Session(engine) as session:
        states = set(session.scalars(select(Post.state).distinct()))
        expected = {State.draft, State.in_review, State.changes_requested, State.with_cabinet, State.approved,
                    State.scheduled, State.published, State.rejected, State.declined, State.withdrawn,
                    State.failed, State.unconfirmed}
        assert expected <= states
        # the publishing worker's outcomes come with their attempt, as the worker records them: the desk has a post
        # the network refused and one whose call got no answer
        tried = {post.state: post for post in session.scalars(
            select(Post).where(Post.state.in_([State.failed, State.unconfirmed])))}
        for state, outcome in ((State.failed, Outcome.needs_reconnect), (State.unconfirmed, Outcome.unknown)):
            [attempt] = session.scalars(select(PublicationAttempt).where(
                PublicationAttempt.post_id == tried[state].id)).all()
            assert attempt.outcome is outcome and attempt.connector == tried[state].account.connector == "webhook"
            assert attempt.sha256 == tried[state].current_revision.sha256
        # every post's history starts at its creation and follows its state
        for post in session.scalars(select(Post)):
            entries = session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)
                                      .order_by(AuditEntry.id)).all()
            assert entries[0].action.value == "create"
            assert entries[-1].to_state is post.state
        assert {m.code for m in session.scalars(select(Market))} == {"FR", "KE", "PL"}
        assert session.scalar(select(func.count()).select_from(User)) >= 4
    engine.dispose()
    again = cli("demo", check=False)
    assert again.returncode == 1 and "not empty" in again.stderr


# One set of rules: the command line refuses what the admin forms refuse (issue 10, defect 12) -----------------------


def test_the_command_line_applies_the_forms_rules(cli, databases):
    databases.migrate(cli.url)
    refused = {
        "--lang": cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "xx",
                      check=False),
        "CODE": cli("market", "create", "FRA", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr",
                    check=False),
    }
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    refused |= {
        "--handle": cli("account", "create", "--market", "FR", "--network", "x", "--handle", "<b>helio</b>",
                        check=False),
        "--market": cli("user", "create", "cm@helio.example", "--name", "Camille", "--role", "community_manager",
                        "--password", "secret-password", check=False),
        "--password": cli("user", "create", "pm@helio.example", "--name", "Pat", "--role", "project_manager",
                          "--all-markets", "--password", "short", check=False),
        "EMAIL": cli("user", "create", "not-an-address", "--name", "Nobody", "--role", "admin",
                     "--password", "secret-password", check=False),
    }
    messages = {
        "--lang": "Unknown language code(s): xx.", "CODE": "Two letters (ISO 3166-1 alpha-2), e.g. FR.",
        "--handle": "Letters, digits and underscores only.",  # an X handle
        "--market": "Choose at least one market, or all markets.", "--password": "At least 8 characters.",
        "EMAIL": "Invalid email address.",
    }
    for option, result in refused.items():
        assert result.returncode == 2, (option, result.stdout, result.stderr)
        assert f"{option}: {messages[option]}" in result.stderr, (option, result.stderr)
        assert "Traceback" not in result.stderr

    engine = make_engine(cli.url)
    with Session(engine) as session:  # nothing refused was written
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(Account)) == 0
        assert [m.code for m in session.scalars(select(Market))] == ["FR"]
    engine.dispose()


def test_a_duplicate_is_named_by_its_constraint_and_the_command_writes_nothing(cli, databases):
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    cli("account", "create", "--market", "FR", "--network", "x", "--handle", "helio_fr")

    again = cli("account", "create", "--market", "FR", "--network", "x", "--handle", "Helio_FR", "--executive",
                "Hélène Marchand", check=False)

    assert again.returncode == 1 and "X already has the account @helio_fr." in again.stderr, again.stderr
    engine = make_engine(cli.url)
    with Session(engine) as session:  # the executive the command would have created is not there either
        assert session.scalar(select(func.count()).select_from(Executive)) == 0
    engine.dispose()


def test_a_database_without_its_tables_is_one_line_naming_the_fix(cli):
    """Before ``approval db upgrade`` (PostgreSQL: undefined table; SQLite: no such table): no traceback."""
    for args in (("audit", "verify"), ("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris",
                                       "--lang", "fr")):
        result = cli(*args, check=False)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("Error: the database cannot be used: ")
        assert "approval db upgrade" in result.stderr
    linted = cli("lint", "--market", "FR", "-", input="Bonjour.", check=False)  # exit 2: it cannot check the market
    assert linted.returncode == 2 and "the database cannot be used: " in linted.stderr and "SELECT" not in linted.stderr


def test_a_mistyped_sqlite_folder_is_an_error_and_is_not_created(tmp_path):
    missing = tmp_path / "no-such-folder"
    result = subprocess.run([sys.executable, "-m", "approval.cli", "audit", "verify"], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "APPROVAL_DATABASE_URL": f"sqlite:///{missing / 'x.db'}",
                                              "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance")})
    assert result.returncode == 1 and "unable to open database file" in result.stderr, result.stderr
    assert not missing.exists()


def test_what_the_pages_refuse_the_commands_refuse_too(tmp_path, databases):
    """Control characters (a market named "FR\\x1b[2J" cleared the screen of whoever listed it), names of invisible
    characters, contradictory options, "nan" seconds (the notifier then never waited) and unknown languages: each a
    usage error naming what is wrong (exit 2), nothing written. In-process, the group the ``approval`` script runs."""
    from click.testing import CliRunner

    from approval.cli import main

    url = f"sqlite:///{tmp_path / 'app.db'}"
    env = {"APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance"),
           "APPROVAL_SECRET_KEY": "test"}

    def run(*args: str, input: str | None = None):  # noqa: ANN202
        return CliRunner().invoke(main, list(args), env=env, input=input)

    databases.migrate(url)
    assert run("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr").exit_code == 0
    refused = {
        "Invalid value for '--name': no control characters, please.": run(
            "market", "create", "BE", "--name", "Belgique\x1b[2J", "--tz", "Europe/Brussels", "--lang", "fr"),
        "--name: This field is required.": run(
            "market", "create", "BE", "--name", "\u200b\u2060", "--tz", "Europe/Brussels", "--lang", "fr"),
        "give --market or --all-markets, not both": run(
            "user", "create", "pm@helio.example", "--name", "Pat", "--role", "project_manager", "--all-markets",
            "--market", "FR", "--password", "secret-password"),
        "Name the screen.": run("kiosk", "create", "--name", "\u3164"),
        "'nan' is not a number of seconds": run("notify", "--once", "--interval", "nan"),
        "not a language code the detector knows: 'zz'": run("lint", "--lang", "zz", input="Bonjour à tous.\n"),
    }
    for message, result in refused.items():
        assert result.exit_code == 2, (message, result.output)
        assert message in result.output, (message, result.output)
    assert run("lint", "--lang", "fr", input="Bonjour à tous, voici notre nouvelle offre.\n").exit_code == 0
    # The same through ``flask --app approval`` (the application's own group, not the ``approval`` script's).
    from approval import create_app

    flask_cli = create_app({"DATABASE_URL": url, "SECRET_KEY": "test"}).test_cli_runner()
    refused = flask_cli.invoke(args=["kiosk", "create", "--name", "Mur\x1b[2J"])
    assert refused.exit_code == 2 and "no control characters" in refused.output, refused.output

    engine = make_engine(url)
    with Session(engine) as session:
        assert [m.code for m in session.scalars(select(Market))] == ["FR"]
        assert session.scalar(select(func.count()).select_from(User)) == 0
    engine.dispose()


def test_db_upgrade_creates_a_missing_postgresql_database(tmp_path, databases):
    """As SQLite makes its file, ``approval db upgrade`` makes the PostgreSQL database the URL names."""
    from conftest import POSTGRES_ADMIN_URL, run_in_process

    url = databases.new_url("postgresql")  # a name of the session's, dropped at its end; PostgreSQL required or skip
    server = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{url.rsplit("/", 1)[1]}"'))
    server.dispose()
    env = {"APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance")}
    said = []
    for _ in range(2):  # the second time it is there: nothing to create, nothing to migrate
        result = run_in_process(["db", "upgrade"], env)
        assert result.returncode == 0, result.stderr
        said.append(result.stdout.split(" ", 1)[0])
    assert said == ["Database", "Already"], said
    listed = run_in_process(["account", "list"], env)
    assert listed.returncode == 0, listed.stderr


def test_a_setting_the_command_cannot_use_is_one_line(tmp_path):
    """Each bad setting names its variable and what it takes (exit 1), never a traceback: the first in a process of
    its own, as the script starts, the others in this process through the script's group."""
    from conftest import run_in_process

    for n, (variable, value, said) in enumerate((
        ("APPROVAL_PROXIES", "two", "APPROVAL_PROXIES is the number of proxies"),
        ("APPROVAL_DATABASE_URL", "notaurl", "APPROVAL_DATABASE_URL is not a database URL"),
        ("APPROVAL_SMTP_URL", "http://x", "APPROVAL_SMTP_URL is smtp://"),
        ("APPROVAL_SMTP_URL", "smtp://mailer:S3cretPassw0rd@host:99999", "APPROVAL_SMTP_URL is smtp://"),
        ("APPROVAL_SMTP_URL", "smtp://host?timeout=soon", "APPROVAL_SMTP_URL is smtp://"),  # as the mailer reads it
        ("APPROVAL_DATABASE_URL", "postgresql+psycopg://approval:S3cretPassw0rd@db:notaport/approval",
         "APPROVAL_DATABASE_URL is not a database URL"),
    )):
        env = {variable: value, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance")}
        if n == 0:
            result = subprocess.run([sys.executable, "-m", "approval.cli", "account", "list"], capture_output=True,
                                    text=True, timeout=120, env={**os.environ, **env})
        else:
            result = run_in_process(["account", "list"], env)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith(f"Error: {said}"), result.stderr
        assert "S3cretPassw0rd" not in result.stderr  # a password in the setting is never printed
    # /proc takes no folder, whoever asks (root included).
    result = run_in_process(["account", "list"], {"APPROVAL_INSTANCE_PATH": "/proc/approval-instance",
                                                  "APPROVAL_SECRET_KEY": ""})
    assert result.returncode == 1 and "cannot keep the secret key" in result.stderr, result.stderr


def test_the_development_server_s_links_lead_to_its_own_address(tmp_path, monkeypatch):
    """``approval run --port 8080`` mailed links to port 5000, where nothing answered: without a setting, the links
    the application sends lead to where the development server serves it; a setting keeps the last word."""
    from approval import create_app
    from approval.cli import server_url
    from approval.config import public_url, serving_at

    monkeypatch.delenv("APPROVAL_PUBLIC_URL", raising=False)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", "SECRET_KEY": "s"})
    serving_at(app, server_url("0.0.0.0", 8080))  # noqa: S104 - every interface, reached through localhost
    assert public_url(app) == "http://127.0.0.1:8080"
    monkeypatch.setenv("APPROVAL_PUBLIC_URL", "https://approval.helio.example/")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "SECRET_KEY": "s"})
    serving_at(app, server_url("127.0.0.1", 8080))
    assert public_url(app) == "https://approval.helio.example"


def test_an_executive_is_found_however_their_name_is_typed(cli, databases):
    """Case, or a ü typed as u and a combining diaeresis: the commands find the executive the pages show, as the
    pages refuse a second one of that name."""
    databases.migrate(cli.url)
    cli("market", "create", "DE", "--name", "Deutschland", "--tz", "Europe/Berlin", "--lang", "de")
    cli("account", "create", "--market", "DE", "--network", "linkedin", "--handle", "jschmidt",
        "--executive", "Ju\u0308rgen Schmidt")
    cli("account", "create", "--market", "DE", "--network", "x", "--handle", "jschmidt", "--executive",
        "JÜRGEN SCHMIDT")
    cli("user", "create", "anna@helio.example", "--name", "Anna", "--role", "cabinet", "--executive",
        "jürgen schmidt", "--password", "secret-password")
    engine = make_engine(cli.url)
    with Session(engine) as session:
        assert session.scalars(select(Executive.name)).all() == ["Jürgen Schmidt"]  # one, its name composed
        anna = session.scalar(select(User).where(User.email == "anna@helio.example"))
        assert [e.name for e in anna.executives] == ["Jürgen Schmidt"]
        assert {a.executive.name for a in session.scalars(select(Account))} == {"Jürgen Schmidt"}
    engine.dispose()


# `approval lint` as a CI gate: exit 1 means "the text has an error", and nothing else ------------------------------

#: A text with a house error (it starts with a small letter) and one without.
FAULTY, CLEAN = "bonjour à tous.\n", "Bonjour à tous.\n"


def test_lint_needs_no_instance_folder_secret_key_or_database(tmp_path):
    """A plain lint (house and network rules) ran the application's start: with an instance folder it could not
    write and no secret key it said "cannot keep the secret key" and exited 1, which a CI gate reads as "the text has
    an error"; with a database URL it cannot use, 1 too; and where it could, it made the instance folder and a
    ``secret_key`` file. It needs none of them, and makes none."""
    from conftest import run_in_process

    instance = tmp_path / "instance"
    for settings in ({"APPROVAL_INSTANCE_PATH": str(instance)},
                     {"APPROVAL_INSTANCE_PATH": "/proc/approval-instance"},  # /proc takes no folder, root included
                     {"APPROVAL_INSTANCE_PATH": str(instance), "APPROVAL_DATABASE_URL": "mysql://x/y"},
                     {"APPROVAL_INSTANCE_PATH": str(instance), "APPROVAL_PROXIES": "two"}):
        env = {"APPROVAL_SECRET_KEY": None, "APPROVAL_DATABASE_URL": None, **settings}
        clean = run_in_process(["lint", "--network", "x", "-"], env, input=CLEAN)
        assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", ""), (settings, clean.stderr)
        faulty = run_in_process(["lint", "--format", "json", "-"], env, input=FAULTY)
        assert faulty.returncode == 1, (settings, faulty.stderr)
        assert "house.capital-start" in [f["rule"] for f in json.loads(faulty.stdout)["findings"]]
    assert not instance.exists()
    # The script itself, as a CI job runs it.
    result = subprocess.run([sys.executable, "-m", "approval.cli", "lint", "-"], input=CLEAN, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "APPROVAL_INSTANCE_PATH": "/proc/approval-x",
                                                         "APPROVAL_SECRET_KEY": ""})
    assert (result.returncode, result.stderr) == (0, ""), result.stderr


def test_a_lint_that_cannot_run_exits_two_with_the_reason_never_one(tmp_path):
    """``--market`` needs the database: a setting it cannot use is a lint that could not run, status 2 (bad usage)
    with the reason on stderr (and as ``{"error": ...}`` under ``--format json``), never 1. The other commands
    keep theirs: 1."""
    from conftest import run_in_process

    for settings, said in (
        ({"APPROVAL_DATABASE_URL": "mysql://x/y"}, "APPROVAL_DATABASE_URL is PostgreSQL"),
        ({"APPROVAL_INSTANCE_PATH": "/proc/approval-instance", "APPROVAL_SECRET_KEY": None},
         "cannot keep the secret key"),
    ):
        env = {"APPROVAL_INSTANCE_PATH": str(tmp_path / "instance"), "APPROVAL_SECRET_KEY": "k" * 32, **settings}
        for given in (CLEAN, FAULTY):
            result = run_in_process(["lint", "--market", "FR", "-"], env, input=given)
            assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
            assert result.stderr.startswith("approval lint: cannot load the policy of market FR: ") \
                and said in result.stderr, result.stderr
        result = run_in_process(["lint", "--market", "FR", "--format", "json", "-"], env, input=FAULTY)
        assert result.returncode == 2 and said in json.loads(result.stdout)["error"], result.stdout
        other = run_in_process(["account", "list"], env)
        assert other.returncode == 1 and other.stderr.startswith("Error: ") and said in other.stderr, other.stderr


def test_lint_with_a_market_reads_its_policy_from_the_database(cli, databases):
    """Loaded for ``--market`` alone, the application finds the market and its policy as before."""
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    assert cli("lint", "--market", "FR", "-", input=CLEAN).returncode == 0
    unknown = cli("lint", "--market", "KE", "-", input=CLEAN, check=False)
    assert unknown.returncode == 2 and "no market KE" in unknown.stderr, unknown.stderr
    assert cli("lint", "--market", "FR", "-", input=FAULTY, check=False).returncode == 1


# `approval run`: the development server, and a publishing worker unless told not to -------------------------------


@pytest.fixture()
def serve(monkeypatch, tmp_path):
    """``approval run ARGS`` whose server returns at once and whose worker is counted: ``serve(*args)`` -> (result,
    workers started)."""
    import werkzeug.serving

    from approval.publishing import worker as worker_module
    from approval.style import language
    from conftest import run_in_process

    started: list[object] = []

    class CountedWorker:
        def __init__(self, app: object) -> None:
            self.app = app

        def run(self) -> None:
            started.append(self.app)

        def stop(self) -> None:
            pass

    monkeypatch.setattr(worker_module, "Worker", CountedWorker)
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda *args, **kwargs: None)
    monkeypatch.setattr(language, "preload_in_background", lambda: None)
    env = {"APPROVAL_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "APPROVAL_SECRET_KEY": "k" * 32,
           "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance")}

    def run(*args: str):  # noqa: ANN202
        del started[:]
        result = run_in_process(["run", *args], env)
        for thread in threading.enumerate():
            if thread.name == "publishing-worker":
                thread.join(timeout=10)
        return result, len(started)

    return run


def test_run_starts_a_publishing_worker_unless_told_not_to(serve):
    """Pointed at a shared database, ``approval run`` published due posts from a developer's machine: ``--no-worker``
    serves alone. The default stays (``make run``: the demo's post scheduled two minutes ahead goes out), and the
    first line says which it is."""
    result, workers = serve()
    assert result.returncode == 0, result.stderr
    assert workers == 1 and "with a publishing worker" in result.stdout, result.stdout
    result, workers = serve("--no-worker")
    assert result.returncode == 0, result.stderr
    assert workers == 0 and "without a publishing worker" in result.stdout, result.stdout
    assert "--no-worker" in serve("--help")[0].stdout
    said = " ".join(serve("--help")[0].stdout.split())
    assert "publishing worker" in said and "approval worker" in said, said
