"""A team that starts without the demo (onboarding walk): the README's path from nothing to a first admin, what an
empty install says about getting in, and the words a newcomer met on the way (findings 1, 9, 11, 19, 24 and the
README's stop switches)."""

from __future__ import annotations

import html
import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from approval.config import PROJECT_ROOT
from sqlalchemy import text

from approval.db import make_engine
from approval.models.notifications import NotificationProfile
from approval.workflow.states import Role

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
FIRST_ADMIN = "approval user create EMAIL --name NAME --role admin"


def page_text(response) -> str:  # noqa: ANN001
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def section(title: str, text: str = README) -> str:
    """The README's section ``title`` (a heading line), up to the next heading of its level or above."""
    level = title.split(" ", 1)[0]
    body = text.split(f"\n{title}\n", 1)[1]
    ends = [body.find(f"\n{'#' * n} ") for n in range(2, len(level) + 1)]
    return body[:min((end for end in ends if end >= 0), default=len(body))]


# 1. An empty install says how to get in ----------------------------------------------------------------------------


def test_the_login_page_says_how_the_first_admin_is_made_while_nobody_has_an_account(web, make, db_session):
    page = page_text(web.get("/login"))
    assert "No one can log in yet: the operator creates the first admin from the command line:" in page
    assert FIRST_ADMIN in page
    make.user(Role.community_manager)
    db_session.flush()
    page = page_text(web.get("/login"))
    assert "No one can log in yet" not in page and FIRST_ADMIN not in page


@pytest.fixture()
def serve(monkeypatch, tmp_path):
    """``approval run ARGS`` on a fresh SQLite database, its server and worker returning at once: the result."""
    import werkzeug.serving

    from approval.publishing import worker as worker_module
    from approval.style import language
    from conftest import run_in_process

    class IdleWorker:
        def __init__(self, app: object) -> None:
            self.app = app

        def run(self) -> None:
            pass

        def stop(self) -> None:
            pass

    monkeypatch.setattr(worker_module, "Worker", IdleWorker)
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda *args, **kwargs: None)
    monkeypatch.setattr(language, "preload_in_background", lambda: None)
    env = {"APPROVAL_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "APPROVAL_SECRET_KEY": "k" * 32,
           "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance"), "APPROVAL_PUBLIC_URL": None}

    def run(*args: str, input: str | None = None):  # noqa: ANN202, A002
        result = run_in_process(list(args), env, input)
        for thread in threading.enumerate():
            if thread.name == "publishing-worker":
                thread.join(timeout=10)
        return result

    return run


def test_approval_run_says_how_to_make_the_first_admin_on_a_database_without_users(serve):
    said = serve("run", "--port", "5733")
    assert said.returncode == 0, said.stderr
    assert FIRST_ADMIN in said.stdout, said.stdout
    serve("user", "create", "you@example.com", "--name", "You", "--role", "admin", input="a-long-password\n")
    said = serve("run", "--port", "5733")
    assert said.returncode == 0, said.stderr
    assert FIRST_ADMIN not in said.stdout and "No user yet" not in said.stdout, said.stdout


# 9. A worker of its own needs APPROVAL_PUBLIC_URL ------------------------------------------------------------------


def test_approval_run_without_a_worker_says_what_address_a_worker_needs(serve):
    said = serve("run", "--no-worker", "--port", "5731")
    assert said.returncode == 0, said.stderr
    first = said.stdout.splitlines()[0]
    assert "without a publishing worker" in first and "APPROVAL_PUBLIC_URL=http://127.0.0.1:5731" in first, first


def test_the_readme_says_a_worker_of_its_own_needs_the_public_address():
    publishing = section("## Publishing")
    assert "A worker started on its own" in publishing and "`APPROVAL_PUBLIC_URL`" in publishing.split("\n\n")[0]


# 11. The upgrade does not advise running itself --------------------------------------------------------------------


def test_an_upgrade_that_cannot_reach_its_database_does_not_advise_running_the_upgrade(tmp_path):
    from conftest import run_in_process

    env = {"APPROVAL_DATABASE_URL": f"sqlite:///{tmp_path / 'no such folder' / 'app.db'}",
           "APPROVAL_SECRET_KEY": "k" * 32, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance")}
    result = run_in_process(["db", "upgrade"], env)
    assert result.returncode == 1 and result.stderr.startswith("Error: the database cannot be used: "), result.stderr
    assert "approval db upgrade" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert "its folder exists" in result.stderr, result.stderr


def test_the_readme_s_postgresql_role_has_a_password_and_says_when_one_is_asked():
    deployment = section("### Deployment")
    assert "createuser --createdb --pwprompt approval" in deployment
    assert "postgresql+psycopg://approval:change-me@db/approval" in deployment
    assert "peer" in deployment and "trust" in deployment and "no password supplied" in deployment


# 1. The README's path without the demo -----------------------------------------------------------------------------


def test_the_readme_starts_without_the_demo_right_after_the_two_commands():
    two_commands = README.split("\n## Two commands\n", 1)[1].split("\n## ", 1)[0]
    assert "\n### Start without the demo\n" in two_commands
    start = section("### Start without the demo")
    for step in ("APPROVAL_INSTANCE_PATH", "approval db upgrade", "--role admin", "approval run", "Markets",
                 "Accounts", "Connect", "Users"):
        assert step in start, step


def test_the_readme_s_start_without_the_demo_runs_as_written(tmp_path):
    """Its commands, one by one in a shell, the password piped as a terminal would take it; `approval run` serves
    for ever and is left out (its line is checked above)."""
    block = re.search(r"```sh\n(.*?)```", section("### Start without the demo"), re.S)
    assert block, "no sh block"
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "HOME": str(tmp_path), "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    env.pop("APPROVAL_DATABASE_URL", None)
    env.pop("APPROVAL_INSTANCE_PATH", None)
    commands = [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines()]
    assert commands[0] == "make install" and commands[1] == ". .venv/bin/activate" and commands[-1] == "approval run"
    script = "\n".join(["set -e", *commands[2:-1]])  # installed already: this interpreter's
    result = subprocess.run(["bash", "-c", script], input="a-long-admin-password\n", capture_output=True, text=True,
                            timeout=180, env=env, cwd=tmp_path)
    assert result.returncode == 0, shlex.quote(script) + result.stderr
    assert "created (admin)" in result.stdout, result.stdout
    engine = make_engine(f"sqlite:///{tmp_path / 'approval' / 'approval.db'}")
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT email, role, must_change_password FROM users")).one()
    finally:
        engine.dispose()
    assert tuple(first) == ("you@example.com", "admin", 1)


def test_the_deployment_defines_every_variable_its_user_creation_uses():
    deployment = section("### Deployment")
    assert "$PASSWORD" not in deployment.split("```sh\n", 2)[2].split("```", 1)[0]  # the settings' block
    piped = next(line for line in deployment.splitlines() if line.startswith("printf "))
    assert "PASSWORD:" in piped.split("  #", 1)[1], piped  # said where it comes from


# 19. Who works at a desk one may not open --------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "path", "said"), [
    (Role.admin, "/posts/new", "Posts are written by community managers and project managers."),
    (Role.admin, "/review", "Posts are reviewed by project managers."),
    (Role.community_manager, "/review", "Posts are reviewed by project managers."),
    (Role.admin, "/cabinet", "Suggested messages are decided by the cabinets of the executives."),
])
def test_a_desk_of_other_roles_says_who_works_there(make, web, role, path, said):
    web.login(make.user(role))
    answer = web.get(path)
    assert answer.status_code == 403
    assert f"You may not see or do this. {said}" in page_text(answer)


def test_other_refusals_keep_their_words(make, web):
    web.login(make.user(Role.community_manager))
    answer = web.get("/admin")
    assert answer.status_code == 403 and "Posts are" not in page_text(answer)


# 24. The zones one may choose: places, not their old names ---------------------------------------------------------


def test_the_zone_list_offers_places_and_utc_without_their_old_names(make, web, db_session):
    web.login(make.user(Role.project_manager))
    page = web.get("/notifications/preferences").get_data(as_text=True)
    offered = set(re.findall(r'<option value="([^"]*)"', page))
    assert {"UTC", "Africa/Asmara", "Asia/Kolkata", "Europe/Kyiv", "Europe/Paris"} <= offered
    assert not {"Africa/Asmera", "Asia/Calcutta", "Europe/Kiev", "US/Pacific", "localtime", "Factory"} & offered


def test_a_zone_saved_under_its_old_name_stays_offered_and_saved(make, web, db_session):
    user = make.user(Role.project_manager)
    db_session.add(NotificationProfile(user_id=user.id, timezone="Asia/Calcutta"))
    db_session.flush()
    web.login(user)
    page = web.get("/notifications/preferences").get_data(as_text=True)
    assert '<option selected value="Asia/Calcutta">' in page or 'value="Asia/Calcutta" selected' in page, \
        re.findall(r"<option[^>]*Calcutta[^>]*>", page)
    assert web.post("/notifications/preferences", {"timezone": "Asia/Calcutta"}).status_code == 302


# The README's stop switches: one story -----------------------------------------------------------------------------


def test_the_readme_says_alike_what_becomes_of_the_posts_a_switch_held():
    command_line = section("## Command line")
    said = " ".join(command_line.split("`approval stop off` turns a switch off", 1)[1].split(".", 1)[0].split())
    assert "releases them" in said and "new time" in said, said
    assert "released, or given new times" not in command_line
    api = section("## JSON API")
    row = next(line for line in api.splitlines() if line.startswith("| `DELETE /stops/{id}`"))
    assert "release" in row, row

