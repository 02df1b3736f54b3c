"""The README's curl session, run as written against a live server holding the demo (what `make run` serves)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from approval import create_app
from approval.db import make_engine
from approval.demo import load_demo

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_session() -> str:
    """The first shell block of the README's JSON API section."""
    section = README.read_text(encoding="utf-8").split("\n## JSON API\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "the README's JSON API section has no sh block"
    return match.group(1)


@pytest.fixture()
def demo_server(backend, databases, tmp_path):
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "readme"})
    app.instance_path = str(tmp_path)
    with app.app_context(), Session(engine) as session:  # the demo stores its pictures in the media store
        load_demo(session)
        session.commit()
    engine.dispose()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", url
    server.shutdown()
    thread.join(timeout=5)


def test_the_readme_session_creates_submits_approves_and_schedules(demo_server, tmp_path):
    for tool in ("bash", "curl", "jq"):
        if shutil.which(tool) is None:
            if os.environ.get("APPROVAL_TEST_README", "").lower() == "required":  # CI installs them (.ci/run)
                pytest.fail(f"the README's session needs {tool} (APPROVAL_TEST_README=required)")
            pytest.skip(f"the README's session needs {tool}")
    base, url = demo_server
    approval = Path(sys.executable).with_name("approval")
    script = readme_session().replace("http://127.0.0.1:5000", base).replace(".venv/bin/approval", str(approval))
    env = {**os.environ, "APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance")}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    scheduled, *history = result.stdout.split("\n}\n", 1)
    post = json.loads(scheduled + "}")
    assert post["state"] == "scheduled" and post["scheduled_at"].endswith(":00:00Z")
    assert [json.loads(line)[:2] for line in history[0].split()] == [
        ["create", "draft"], ["submit", "in_review"], ["approve", "approved"], ["schedule", "scheduled"]]


def test_every_endpoint_of_the_api_has_its_row_in_the_readme(tmp_path):
    """The README's table stopped at ``/lint``: media, stop switches, the calendar, notifications and the hub's
    summary (and the markets, campaigns, comments and revisions) were only in the OpenAPI document. Each endpoint the
    application serves has its row (bar the OpenAPI document and its page, which the text names), and each row an
    endpoint."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "SECRET_KEY": "readme"})
    served = {(method, re.sub(r"<[^>]*>", "{}", rule.rule.removeprefix("/api/v1")))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              and rule.endpoint.partition(".")[0] != "api-docs"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    section = README.read_text(encoding="utf-8").split("\n## JSON API\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z]+) (/[^`?]*)[^`]*` ", section, re.MULTILINE)
    documented = [(method, re.sub(r"\{[^}]*\}", "{}", path)) for method, path in rows]
    assert len(documented) == len(set(documented)), "a row twice"
    assert sorted(served - set(documented)) == [], "served, without a row in the README's table"
    assert sorted(set(documented) - served) == [], "in the README's table, not served"
