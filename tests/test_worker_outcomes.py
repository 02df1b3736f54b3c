"""What the worker says of each outcome, and how it reads a receiver's odd answers. From an operations engineer's walk
of the webhook publishing path (PostgreSQL, two workers, a scripted receiver): the worker logged nothing; a 2xx
without the post's address counted as published; a redirect was retried until the slot was missed, where it went
shown nowhere; a receiver that could not be reached read as a network asking to wait; a post that gave up said only
"HTTP 429" and kept its next try; the request had no User-Agent; an address with a user name and password lost them
silently; the refusal of a private address at send time did not name its setting; the body carried the media
store's internal key.

On each backend, with a real receiver on 127.0.0.1 (``publishing_helpers.WebhookServer``)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import threading
from collections.abc import Iterator
from datetime import UTC, timedelta
from importlib.metadata import version
from typing import Any

import pytest
from sqlalchemy import select

from approval.media import samples
from approval.models import Account, AuditEntry, OutboxMessage, Outcome, Post, PublicationAttempt
from approval.publishing import controls, worker
from approval.publishing.addresses import refusal
from approval.publishing.holds import active_stops
from approval.publishing.worker import Worker
from approval.workflow.errors import GuardFailed
from approval.workflow.states import Action, State
from tests.publishing_helpers import Answer, WebhookServer, due_posts, open_desk, secret_for, states
from tests.test_worker import Scene, make, session, soon  # noqa: F401  (fixtures)
from tests.test_worker_in_flight import Crash, Steered, hooked, run, world  # noqa: F401  (world: a fixture)

LOGGER = "approval.publishing.worker"




class Receiver(WebhookServer):
    """The helpers' receiver, keeping each call's headers too."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[dict[str, str]] = []

    def record(self, account_id: int, headers: Any, raw: bytes):  # noqa: ANN201
        with self.lock:
            self.headers.append(dict(headers.items()))
        return super().record(account_id, headers, raw)


@pytest.fixture()
def hooks() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture()
def scene(world, session, make, hooks) -> Scene:  # noqa: F811
    scene = Scene(world, session, make, connector="")
    hooked(scene, hooks)
    return scene


def said_of(caplog: pytest.LogCaptureFixture, post: Post) -> list[logging.LogRecord]:
    """The worker's log lines about ``post``."""
    return [r for r in caplog.records if r.name == LOGGER and r.getMessage().startswith(f"post {post.id} ")]


def one_line(caplog: pytest.LogCaptureFixture, post: Post, outcome: str, level: int) -> str:
    """The one line saying ``post``'s ``outcome``, logged at ``level``."""
    said = said_of(caplog, post)
    found = [r for r in said if r.getMessage().startswith(f"post {post.id} {outcome}: ")]
    assert len(found) == 1, [r.getMessage() for r in said]
    message = found[0].getMessage()
    assert found[0].levelno == level, (found[0].levelname, message)
    return message


def comment_of(scene: Scene, post: Post, action: Action) -> str:
    return scene.session.scalars(select(AuditEntry.comment).where(AuditEntry.post_id == post.id,
                                                                  AuditEntry.action == action)
                                 .order_by(AuditEntry.id.desc())).first()


def attempts_of(scene: Scene, post: Post) -> list[PublicationAttempt]:
    return list(scene.session.scalars(select(PublicationAttempt).where(PublicationAttempt.post_id == post.id)
                                      .order_by(PublicationAttempt.id)))


# 1. The log ---------------------------------------------------------------------------------------------------------


def test_each_calls_outcome_is_logged_once_with_what_an_operator_needs(scene, hooks, make, caplog):  # noqa: F811
    """One line per outcome: the post, the account and its handle, the connector and where it called (scheme, host,
    port and path), the HTTP status, the call's duration, the attempt, and the reason; a warning for what a person
    must look at."""
    slot = soon()
    answers = {"published": (Answer(201), logging.INFO),
               "postponed": (Answer(503, {"error": "busy"}), logging.INFO),
               "failed": (Answer(400, {"error": "caption too long"}), logging.WARNING),
               "unconfirmed": (Answer(drop=True), logging.WARNING)}
    posts: dict[str, tuple[Post, Account]] = {}
    for outcome, (answer, _level) in answers.items():
        scene.account = hooked(scene, hooks, make.account(scene.market, "facebook"))
        post = scene.scheduled(slot)
        hooks.script(post.id, answer)
        posts[outcome] = (post, scene.account)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    for outcome, (post, account) in posts.items():
        assert len(said_of(caplog, post)) == 1, [r.getMessage() for r in said_of(caplog, post)]
        line = one_line(caplog, post, outcome, answers[outcome][1])
        assert f"account {account.id} (@{account.handle})" in line, line
        assert f"webhook to http://127.0.0.1:{hooks.port}/hooks/{account.id}" in line, line
        assert re.search(r", \d+ ms, attempt 1\b", line), line
        assert secret_for(account.id) not in line
    published, _ = posts["published"]
    line = one_line(caplog, published, "published", logging.INFO)
    assert "HTTP 201" in line and f"url https://social.example/{posts['published'][1].handle}/{published.id}" in line
    postponed = scene.reload(posts["postponed"][0])
    line = one_line(caplog, postponed, "postponed", logging.INFO)
    # In UTC to the second, as the line's own time (it was Python's isoformat, with microseconds and +00:00).
    next_try = postponed.next_attempt_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "HTTP 503" in line and f"next try {next_try}" in line, line
    assert line.endswith('; HTTP 503 {"error": "busy"}'), line
    line = one_line(caplog, posts["failed"][0], "failed", logging.WARNING)
    assert line.endswith('; HTTP 400 {"error": "caption too long"}'), line
    line = one_line(caplog, posts["unconfirmed"][0], "unconfirmed", logging.WARNING)
    assert "HTTP" not in line and "; the connection broke after sending, before an answer" in line, line


def test_no_log_line_holds_an_addresss_password_or_token(scene, hooks, make, caplog):  # noqa: F811
    """An address set in the database by hand, with a user name, a password and a token in its query: the log
    names its scheme, host, port and path only; a network's link with a token in its query is logged without it."""
    slot = soon()
    account = scene.account
    account.connector_url = f"http://helio:pa55word@127.0.0.1:{hooks.port}/hooks/{account.id}?token=s3cr3t"
    scene.session.commit()
    hidden = scene.scheduled(slot)  # the receiver knows no such path: 404
    scene.account = hooked(scene, hooks, make.account(scene.market, "facebook"))
    linked = scene.scheduled(slot)
    hooks.script(linked.id, Answer(201, {"id": "n1", "url": "https://social.example/p/1?access_token=t0ken#top"}))
    with caplog.at_level(logging.INFO, logger=LOGGER):
        run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    line = one_line(caplog, hidden, "failed", logging.WARNING)
    assert f"webhook to http://127.0.0.1:{hooks.port}/hooks/{account.id}," in line, line
    assert "HTTP 404" in line
    line = one_line(caplog, linked, "published", logging.INFO)
    assert "url https://social.example/p/1," in line or line.endswith("url https://social.example/p/1"), line
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("pa55word", "helio:", "s3cr3t", "t0ken", secret_for(account.id)):
        assert secret not in everything, secret
    from approval.publishing.addresses import bare_address

    assert bare_address("https://u:p@hooks.example:8443/a/b?token=x#f") == "https://hooks.example:8443/a/b"


def test_holds_releases_missed_slots_and_recovered_leases_are_logged(scene, hooks, caplog):
    slot = soon()
    stopped = scene.scheduled(slot)
    code = scene.market.code
    with caplog.at_level(logging.INFO, logger=LOGGER):
        controls.turn_on(scene.session, None, "market", market_code=code, reason="Match perdu.")
        scene.session.commit()
        run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
        line = one_line(caplog, stopped, "held", logging.INFO)
        assert f"account {scene.account.id} (@{scene.account.handle})" in line and "Match perdu." in line, line
        caplog.clear()
        run(scene, Worker(scene.app, clock=lambda: slot + timedelta(minutes=16)))
        line = one_line(caplog, stopped, "missed", logging.WARNING)
        assert f"slot {slot.isoformat()}" in line, line
        assert line.endswith(f"; The stop switch over market {code} (“Match perdu.”, turned on by the command line) "
                             "held it until its grace period passed."), line
        for stop in active_stops(scene.session):
            controls.turn_off(scene.session, None, stop.id)
        scene.session.commit()

        later = slot + timedelta(hours=1)
        embargoed = scene.held_by_embargo(later, "Tournoi")
        caplog.clear()
        run(scene, Worker(scene.app, clock=lambda: later + timedelta(minutes=6)))
        assert one_line(caplog, embargoed, "released", logging.INFO).endswith("; its embargo lifted")
        assert one_line(caplog, embargoed, "published", logging.INFO)  # then it went out, in the same pass

        recovered = scene.scheduled(later + timedelta(minutes=10))
        with pytest.raises(Crash):  # the attempt committed, then the worker died: nobody knows what went out
            run(scene, Steered(scene.app, crash_at="sending", clock=lambda: later + timedelta(minutes=10, seconds=1)))
        caplog.clear()
        run(scene, Worker(scene.app, clock=lambda: later + timedelta(minutes=13)))
        line = one_line(caplog, recovered, "unconfirmed", logging.WARNING)
        assert "lease recovered" in line and "attempt 1" in line, line
        assert line.endswith("; the worker stopped while sending; the network cannot be asked whether the post went "
                             "out"), line


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True, scope="session")
def test_two_workers_log_each_posts_outcome_once(world, hooks, caplog):  # noqa: F811
    """The walk's set-up: two workers sharing the queue (SKIP LOCKED), each post's outcome logged by the worker that
    recorded it, once."""
    desk = open_desk(world.config["DATABASE_URL"], accounts=3, hooks=hooks)
    try:
        ids = due_posts(desk, 6)
        with caplog.at_level(logging.INFO, logger=LOGGER):
            for _ in range(6):
                workers = [Worker(world, name=f"w{n}") for n in range(2)]
                threads = [threading.Thread(target=w.run, kwargs={"once": True}) for w in workers]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                if set(states(desk.engine, ids).values()) == {"published"}:
                    break
        assert set(states(desk.engine, ids).values()) == {"published"}
        lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
        for post_id in ids:
            assert sum(line.startswith(f"post {post_id} published: ") for line in lines) == 1, post_id
    finally:
        desk.engine.dispose()


# 2. A 2xx without the post's address ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["ok", "", "[]", '"https://social.example/p/1"', {"id": "n1"},
                                  {"id": "n1", "url": ""}, {"id": "n1", "url": "ftp://social.example/p/1"},
                                  {"id": "n1", "url": "javascript:alert(1)"}])
def test_a_2xx_without_the_posts_address_leaves_it_unconfirmed(scene, hooks, body):
    """A webhook pointing at any server that answers 200 to a POST marked posts published: now nobody knows whether
    such a post went out, and a person confirms it with its address or retries; it is never sent again by itself."""
    post = scene.scheduled(slot := soon())
    hooks.script(post.id, Answer(200, body))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    post = scene.reload(post)
    assert (post.state, post.published_url) == (State.unconfirmed, None)
    said = comment_of(scene, post, Action.lose)
    assert said == "the receiver answered HTTP 200 without the post's address (a JSON object with its \"url\")", said
    [attempt] = attempts_of(scene, post)
    assert attempt.outcome is Outcome.unknown and attempt.url is None
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(minutes=10)))
    assert hooks.per_post()[post.id] == 1 and scene.reload(post).state is State.unconfirmed


def test_a_2xx_with_the_posts_address_and_no_id_is_published(scene, hooks):
    post = scene.scheduled(slot := soon())
    hooks.script(post.id, Answer(201, {"url": "https://social.example/p/9"}))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    post = scene.reload(post)
    assert (post.state, post.published_url) == (State.published, "https://social.example/p/9")
    [attempt] = attempts_of(scene, post)
    assert (attempt.remote_id, attempt.message) == (None, "the answer gave no usable id")


# 3. Redirects -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 307, 308])
def test_a_redirect_fails_at_once_naming_where_it_leads_and_is_never_followed(scene, hooks, status):
    post = scene.scheduled(slot := soon())
    hooks.script(post.id, Answer(status, "", {"Location": "https://helio:pw@hooks.example.com/x?token=abc#top"}))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    post = scene.reload(post)
    assert post.state is State.failed and post.next_attempt_at is None
    assert comment_of(scene, post, Action.fail) == (
        f"the webhook's address redirects (HTTP {status}) to https://hooks.example.com/x: an admin updates the "
        "account's address")
    [attempt] = attempts_of(scene, post)
    assert attempt.outcome is Outcome.needs_reconnect
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(minutes=5)))
    assert hooks.per_post()[post.id] == 1


def test_a_redirect_on_the_same_server_is_not_followed_and_one_nowhere_says_so(scene, hooks):
    post = scene.scheduled(slot := soon())
    hooks.script(post.id, Answer(307, "", {"Location": f"/hooks/{scene.account.id}?again=1"}))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    assert hooks.per_post()[post.id] == 1  # followed, the receiver would have seen a second call
    assert comment_of(scene, scene.reload(post), Action.fail) == (
        f"the webhook's address redirects (HTTP 307) to http://127.0.0.1:{hooks.port}/hooks/{scene.account.id}: an "
        "admin updates the account's address")
    nowhere = scene.scheduled(slot := soon(7))
    hooks.script(nowhere.id, Answer(301, ""))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    assert comment_of(scene, scene.reload(nowhere), Action.fail) == (
        "the webhook's address redirects (HTTP 301), to no address it names: an admin checks the account's address")


# 4. A receiver that cannot be reached -----------------------------------------------------------------------------


def test_a_slot_missed_because_the_receiver_could_not_be_reached_says_so(scene, hooks):
    unreachable = scene.scheduled(slot := soon())
    controls.connect_account(scene.session, scene.account, "webhook", url="http://127.0.0.1:9/hooks/1",
                             secret=secret_for(scene.account.id))
    scene.session.commit()
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    assert scene.reload(unreachable).next_attempt_at is not None
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(minutes=16)))
    assert scene.reload(unreachable).state is State.approved
    said = comment_of(scene, unreachable, Action.miss)
    assert said.startswith("The receiver could not be reached (last: could not connect: "), said
    assert said.endswith(") until its grace period passed."), said


def test_a_post_whose_next_try_would_come_after_its_grace_period_misses_its_slot_at_once(scene, hooks):
    """A 503 asking to wait an hour, 15 minutes of grace: the API announced a try past the grace period, and the
    project manager heard of the missed slot only when the period ended."""
    post = scene.scheduled(slot := soon())
    hooks.script(post.id, Answer(503, {"error": "busy"}, headers={"Retry-After": "3600"}))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    post = scene.reload(post)
    assert post.state is State.approved and post.missed_at == slot and post.next_attempt_at is None
    assert comment_of(scene, post, Action.miss) == (
        'The network kept asking to wait (last: HTTP 503 {"error": "busy"}): its next try would come after its grace '
        "period.")
    assert hooks.per_post()[post.id] == 1


# 5. Giving up, and the next try a failed post kept ----------------------------------------------------------------


@pytest.mark.parametrize(("limit", "answer", "said"), [
    ("MAX_RATE_LIMITED", Answer(429, {"error": "slow down"}),
     'The worker gave up after 2 rate-limited tries at this slot (last: HTTP 429 {"error": "slow down"}); a retry '
     "starts a new series."),
    ("MAX_ATTEMPTS", Answer(503, {"error": "busy"}),
     'The worker gave up after 2 tries at this slot that did not go through (last: HTTP 503 {"error": "busy"}); a '
     "retry starts a new series."),
], ids=["rate-limited", "server-errors"])
def test_a_post_that_gives_up_says_so_and_keeps_no_next_try(scene, hooks, monkeypatch, limit, answer, said):
    monkeypatch.setattr(worker, limit, 2)
    post = scene.scheduled(slot := soon())
    hooks.script(post.id, answer, answer)
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    assert scene.reload(post).next_attempt_at is not None
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(minutes=2)))
    post = scene.reload(post)
    assert post.state is State.failed and post.next_attempt_at is None
    assert comment_of(scene, post, Action.fail) == said


@pytest.mark.parametrize("then", ["unknown", "refused", "deactivated"])
def test_a_post_waiting_for_a_new_try_that_fails_or_is_unconfirmed_keeps_no_next_try(scene, hooks, then):
    """The API's ``publication.next_attempt_at`` still showed a time for a post that had failed."""
    post = scene.scheduled(slot := soon())
    hooks.script(post.id, Answer(503), Answer(drop=True) if then == "unknown" else Answer(400))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    assert scene.reload(post).next_attempt_at is not None
    if then == "deactivated":
        scene.account.active = False
        scene.session.commit()
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(minutes=2)))
    post = scene.reload(post)
    assert post.state is (State.unconfirmed if then == "unknown" else State.failed)
    assert post.next_attempt_at is None


# 6. What the request carries, and addresses with credentials ----------------------------------------------------


def test_the_webhook_request_names_its_sender(scene, hooks):
    post = scene.scheduled(slot := soon())
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    assert scene.reload(post).state is State.published
    assert hooks.headers[-1]["User-Agent"] == f"approval/{version('approval')}"


CREDENTIALS = "Put no user name or password in the address: the receiver checks the X-Approval-Signature header " \
              "instead."


@pytest.mark.parametrize("url", ["https://helio:pw@hooks.example.com/p", "https://helio@hooks.example.com/p",
                                 "https://:pw@hooks.example.com/p"])
def test_an_address_with_a_user_name_or_password_is_refused(scene, url):
    with scene.app.test_request_context():
        assert refusal(url) == CREDENTIALS
        with pytest.raises(GuardFailed) as refused:
            controls.connect_account(scene.session, scene.account, "webhook", url=url, secret="a" * 20)
    assert refused.value.errors == {"url": [CREDENTIALS]}


def test_the_admin_form_refuses_an_address_with_a_password(scene, make):  # noqa: F811
    from html import unescape

    from approval.workflow.states import Role
    from tests.conftest import WebClient

    admin = make.user(Role.admin)
    scene.session.commit()
    account_id, before, _ = scene.account.id, scene.account.connector_url, admin.email
    scene.session.expunge(admin)
    scene.session.commit()  # SQLite: the reads above began a transaction holding the write lock the login needs
    web = WebClient(scene.app.test_client())

    def refused_by_the_form() -> Any:
        web.login(admin)
        return web.post(f"/publishing/settings/accounts/{account_id}", {
            "connector": "webhook", "url": "https://helio:pa55word@hooks.example.com/p", "secret": "a" * 20})

    # Outside the test's app context: inside it, every request would share its ``g`` (and a stale CSRF token).
    refused = contextvars.Context().run(refused_by_the_form)
    page = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and CREDENTIALS in page, page[:3000]
    scene.session.expire_all()
    assert scene.session.get(Account, account_id).connector_url == before


def test_the_command_line_refuses_an_address_with_a_password(cli_in_process, databases):
    cli = cli_in_process  # the commands' behaviour: no process of their own needed
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    account_id = cli("account", "create", "--market", "FR", "--network", "x", "--handle", "helio").stdout.split()[-1]
    refused = cli("account", "connect", account_id, "--connector", "webhook", "--url",
                  "https://helio:pa55word@hooks.example/p", "--secret", "a-secret-of-enough-length", check=False)
    assert refused.returncode == 2 and "Put no user name or password in the address" in refused.stderr
    assert "pa55word" not in cli("account", "list").stdout


# 7. A private address refused at send time -----------------------------------------------------------------------


def test_a_private_address_refused_at_send_time_names_its_setting(scene, hooks, monkeypatch):
    monkeypatch.setitem(scene.app.config, "WEBHOOK_PRIVATE_ADDRESSES", False)
    post = scene.scheduled(slot := soon())
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    assert hooks.per_post()[post.id] == 0
    assert comment_of(scene, scene.reload(post), Action.fail) == (
        "the webhook's address leads to 127.0.0.1, on this server's own network: nothing was sent (set a public "
        "address, or allow private ones with APPROVAL_WEBHOOK_PRIVATE_ADDRESSES=1)")


# 8. The media items carry no store key ----------------------------------------------------------------------------


def _with_a_picture(scene: Scene, slot) -> Post:  # noqa: ANN001
    post = scene.make.post(State.draft, account=scene.account, author=scene.cm, body="Une photo du stade.")
    samples.attach_bytes(scene.session, post, scene.cm, samples.draw_picture((400, 300), "1", samples.COLORS[1]),
                         "un.jpg", "Tribune rouge")
    for action, actor, params in ((Action.submit, scene.cm, {}), (Action.approve, scene.pm, {}),
                                  (Action.schedule, scene.pm, {"scheduled_at": slot})):
        scene.make.act(post, action, actor, **params)
    scene.session.commit()
    return post


SENT = {"id", "kind", "mime", "bytes", "width", "height", "duration_s", "sha256", "alt", "url"}


def test_the_media_items_sent_carry_no_internal_store_key(scene, hooks, make):  # noqa: F811
    slot = soon()
    post = _with_a_picture(scene, slot)
    file = post.current_revision.media[0].file
    scene.account = outbox = make.account(scene.market, "facebook")
    controls.connect_account(scene.session, outbox, "outbox")
    scene.session.commit()
    fed = _with_a_picture(scene, slot)
    with scene.app.app_context():
        run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    assert (scene.reload(post).state, scene.reload(fed).state) == (State.published, State.published)
    [item] = [call.body for call in hooks.snapshot() if call.post_id == post.id][0]["media"]
    assert set(item) == SENT and file.storage_key not in json.dumps(item)
    assert (item["sha256"], item["alt"], item["mime"], item["bytes"], item["width"], item["height"]) == (
        file.sha256, "Tribune rouge", file.mime, file.bytes, file.width, file.height)
    [message] = scene.session.scalars(select(OutboxMessage).where(OutboxMessage.post_id == fed.id)).all()
    assert set(message.body["media"][0]) == SENT
    with open(f"{scene.app.instance_path}/outbox.jsonl", encoding="utf-8") as feed:
        [line] = [json.loads(row) for row in feed if json.loads(row)["post_id"] == fed.id]
    assert set(line["media"][0]) == SENT


@pytest.mark.parametrize(("url", "shown"), [
    # A Slack-style webhook keeps its secret in its last segment; a catch hook its account and key.
    ("https://hooks.slack.example/services/T0A1B2C3D/B0A1B2C3D/AbCdEfGh1234567890abcdef",
     "https://hooks.slack.example/services/T0A1B2C3D/B0A1B2C3D/AbCd…"),
    ("https://hooks.example/catch/123456/a1b2c3d4e5f6a7b8c9d0", "https://hooks.example/catch/123456/a1b2…"),
    ("https://publish.example/v2/accounts/42/hooks/publish", "https://publish.example/v2/accounts/42/hooks/publish"),
    ("https://publish.example/internationalization-endpoint", "https://publish.example/internationalization-endpoint"),
])
def test_a_secret_kept_in_a_webhook_s_path_is_not_shown(url, shown):
    """The log, the trail (which a community manager reads) and ``approval account list`` show a webhook's address
    without the opaque tokens some receivers keep in its path: a long segment of letters and digits mixed."""
    from approval.publishing.addresses import bare_address

    assert bare_address(url) == shown


def test_a_passs_notices_are_one_act_though_each_outcome_has_its_own_transaction(scene, hooks, make):  # noqa: F811
    """Through a webhook each outcome is recorded in a transaction of its own; the notices of one pass are still one
    act (``dispatch.share_act``), so the posts of a set published together are one line in their author's list. The
    next pass is another act."""
    from approval.notifications.dispatch import Kind
    from approval.models.notifications import Notification

    slot = soon()
    posts = []
    for _ in range(3):
        scene.account = hooked(scene, hooks, make.account(scene.market, "facebook"))
        posts.append(scene.scheduled(slot))
    later = scene.scheduled(slot + timedelta(minutes=1))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(minutes=1, seconds=1)))

    def acts(post_ids: list[int]) -> set[int | None]:
        scene.session.expire_all()
        return set(scene.session.scalars(select(Notification.act_id).where(
            Notification.post_id.in_(post_ids), Notification.user_id == scene.cm.id,
            Notification.kind == Kind.published.value)))

    assert {scene.reload(post).state for post in [*posts, later]} == {State.published}
    together = acts([post.id for post in posts])
    assert len(together) == 1 and None not in together
    assert acts([later.id]).isdisjoint(together)
