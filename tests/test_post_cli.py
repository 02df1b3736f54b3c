"""`approval post list|show|retry|confirm`, the on-call person's commands: what the desk lists, one post's publishing
story with its idempotency key, and the desk's two actions through the engine in a project manager's name, with
their rights and guards. Against a real webhook receiver on 127.0.0.1, on each backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from approval.post_cli import post_cli
from approval.publishing.worker import Worker
from approval.workflow.states import Action, Role, State
from tests.publishing_helpers import Answer
from tests.test_worker import Scene, make, session, soon  # noqa: F401  (fixtures)
from tests.test_worker_in_flight import calls_for, hooked, hooks, run, world  # noqa: F401, F811  (fixtures)


@pytest.fixture()
def scene(world, session, make, hooks) -> Scene:  # noqa: F811
    scene = Scene(world, session, make, connector="")
    hooked(scene, hooks)
    return scene


def invoke(scene: Scene, *args: str):  # noqa: ANN201
    """The command in an application context of its own, closed after it (its session with it), as a run is."""
    scene.session.commit()
    with scene.app.app_context():
        return scene.app.test_cli_runner().invoke(post_cli, list(args))


def test_the_on_call_person_lists_the_posts_that_need_someone_and_acts_on_them(scene, hooks):  # noqa: F811
    failed = scene.scheduled(slot := soon())
    scene.account = hooked(scene, hooks, scene.make.account(scene.market, "facebook"))
    unconfirmed = scene.scheduled(slot)
    hooks.script(failed.id, Answer(400, {"error": "Media type not supported"}))
    hooks.script(unconfirmed.id, Answer(drop=True))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    code = scene.market.code

    listed = invoke(scene, "list", "--market", code.lower())
    assert listed.exit_code == 0, listed.output
    lines = [line.split("\t") for line in listed.output.splitlines()[:-1]]
    assert [(kind, int(post_id)) for kind, post_id, *_rest in lines] == [
        ("failed", failed.id), ("unconfirmed", unconfirmed.id)]
    assert lines[0][2:4] == [code, "facebook"]
    assert 'HTTP 400 {"error": "Media type not supported"}' in lines[0][6]
    assert listed.output.splitlines()[-1] == "2 posts need a person."
    missed = invoke(scene, "list", "--kind", "missed", "--market", code)
    assert missed.output.splitlines() == ["Nothing needs a person."]
    assert invoke(scene, "list", "--market", "ZZ").exit_code == 2

    shown = invoke(scene, "show", str(unconfirmed.id)).output
    key = scene.reload(unconfirmed).publish_key
    assert f"Idempotency-Key: {key}" in shown and "Attempts: 1" in shown and "\tunknown\twebhook\t" in shown

    # Retrying an unconfirmed post asks that the network was checked, as the page does; a community manager may not.
    refused = invoke(scene, "retry", str(unconfirmed.id), "--as", scene.pm.email)
    assert refused.exit_code == 1 and "The network may already show this post" in refused.output
    assert invoke(scene, "retry", str(failed.id), "--as", scene.cm.email).exit_code == 1
    assert invoke(scene, "retry", str(failed.id), "--as", "nobody@example.com").exit_code == 2
    retried = invoke(scene, "retry", str(failed.id), "--as", scene.pm.email, "--comment", "Format fixed upstream.")
    assert retried.exit_code == 0, retried.output
    assert scene.reload(failed).state is State.scheduled and scene.trail(failed)[-1] == Action.retry
    from approval.models import AuditEntry
    from sqlalchemy import select

    said = scene.session.scalars(select(AuditEntry.comment).where(AuditEntry.post_id == failed.id)
                                 .order_by(AuditEntry.id.desc()).limit(1)).one()
    assert said.startswith("[approval retry (") and said.endswith(")] Format fixed upstream."), said  # not clicked

    confirmed = invoke(scene, "confirm", str(unconfirmed.id), "--as", scene.pm.email,
                       "--url", "https://www.facebook.com/helio/posts/1")
    assert confirmed.exit_code == 0, confirmed.output
    post = scene.reload(unconfirmed)
    assert post.state is State.published and post.published_url == "https://www.facebook.com/helio/posts/1"
    assert calls_for(hooks, post) == 1  # confirmed: never sent again
    other = scene.make.market(None, timezone="Africa/Nairobi")
    outsider = scene.make.user(Role.project_manager, markets=[other])
    assert "No post" in invoke(scene, "show", "999999").output
    assert invoke(scene, "retry", str(failed.id), "--as", outsider.email).output.startswith("Error: No post")
