"""`approval token list [--email E]` and `approval token revoke ID`: an operator sees who holds which API token, never
its secret, and revokes one at once, saying what it did."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from approval.api.tokens import issue_token, revoke_token
from approval.db import utcnow
from approval.models import AdminLogEntry, ApiToken
from approval.workflow.states import Role

from .contract import ApiClient, assert_error


@pytest.fixture()
def run(app, db_session):
    """The `approval` command line in this test's transaction (``db_session``)."""

    def invoke(*args: str):  # noqa: ANN202
        db_session.flush()
        result = app.test_cli_runner().invoke(args=list(args))
        db_session.expire_all()
        return result

    return invoke


def test_token_list_shows_who_holds_which_token_and_never_its_secret(make, db_session, run):
    camille = make.user(Role.community_manager, name="Camille")
    lucile = make.user(Role.project_manager, name="Lucile")
    ci, ci_secret = issue_token(db_session, camille, "CI\tnightly")
    old, old_secret = issue_token(db_session, camille, "Old laptop")
    revoke_token(db_session, camille, old.id)
    zapier, zapier_secret = issue_token(db_session, lucile, "Zapier")
    zapier.last_used_at = utcnow() - timedelta(hours=2)
    db_session.flush()

    listed = run("token", "list")
    assert listed.exit_code == 0, listed.output
    for secret in (ci_secret, old_secret, zapier_secret):
        assert secret not in listed.output and secret[5:17] not in listed.output
    rows = {int(line.split("\t")[0]): line.split("\t") for line in listed.output.splitlines()}
    assert set(rows) >= {ci.id, old.id, zapier.id}
    assert rows[ci.id][1:3] == [camille.email, "CI nightly"]  # a tab in a label does not shift the columns
    assert rows[ci.id][3] == f"{ci.created_at:%Y-%m-%d %H:%M}Z" and rows[ci.id][4:] == ["never used", "live"]
    assert rows[zapier.id][4] == f"last used {zapier.last_used_at:%Y-%m-%d %H:%M}Z"
    assert rows[old.id][5] == f"revoked {old.revoked_at:%Y-%m-%d %H:%M}Z"

    mine = run("token", "list", "--email", camille.email.upper())
    assert mine.exit_code == 0
    assert {int(line.split("\t")[0]) for line in mine.output.splitlines()} == {ci.id, old.id}
    nobody = run("token", "list", "--email", "nobody@helio.example")
    assert nobody.exit_code == 2 and "no user" in nobody.output
    quiet = make.user(Role.community_manager)
    assert run("token", "list", "--email", quiet.email).output == f"No API token for {quiet.email}.\n"


def test_token_revoke_stops_the_token_at_once_and_says_what_it_did(app, make, db_session, run):
    camille = make.user(Role.community_manager)
    token, secret = issue_token(db_session, camille, "CI")
    client = ApiClient(app, secret)
    assert client.get("/me").status_code == 200

    revoked = run("token", "revoke", str(token.id))
    assert revoked.exit_code == 0, revoked.output
    assert revoked.output == f"API token {token.id} (CI, {camille.email}) revoked.\n"
    assert_error(client.get("/me"), 401)
    when = db_session.get(ApiToken, token.id).revoked_at
    assert when is not None
    logged = db_session.scalars(select(AdminLogEntry).where(AdminLogEntry.subject_id == token.id)).all()
    assert any(entry.action == "revoked" for entry in logged)

    again = run("token", "revoke", str(token.id))
    assert again.exit_code == 0, again.output
    assert again.output == (f"API token {token.id} (CI, {camille.email}) was already revoked on "
                            f"{when:%Y-%m-%d %H:%M}Z: nothing changed.\n")
    assert db_session.get(ApiToken, token.id).revoked_at == when

    missing = run("token", "revoke", "999999")
    assert missing.exit_code == 1 and "No API token 999999." in missing.output
    assert run("token", "revoke", "ci").exit_code == 2
