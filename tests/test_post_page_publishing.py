"""The post page while a worker sends the post, and after it failed or could not be confirmed: what the publishing
desk says of it (which worker, since when, until when; why it failed and what to do), said on the post's own page,
where its writer and the project manager who follows it read it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest

from approval.db import utcnow
from approval.models import Outcome, Post, PublicationAttempt
from approval.publishing import reasons
from approval.publishing.status import Remedy, publishing_status
from approval.workflow import engine
from approval.workflow.states import Action, Role, State


def _text(page: str) -> str:
    """The page's words, tags dropped (a paragraph's or an item's as a space) and spaces folded."""
    spaced = re.sub(r"</?(?:p|li|ol|ul|div|br)\b[^>]*>", " ", page)
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", "", spaced))).strip(" ")


def _block(page: str, css_class: str) -> str:
    """The words of the element that carries ``css_class`` (up to its closing tag, nested ones too)."""
    start = page.index(f'class="{css_class}') if f'class="{css_class}' in page else page.index(css_class)
    start = page.rindex("<", 0, start)
    tag = re.match(r"<(\w+)", page[start:]).group(1)
    depth, at = 0, start
    for found in re.finditer(rf"<(/?){tag}\b", page[start:]):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            at = page.index(">", start + found.end()) + 1
            break
    return _text(page[start:at])


def _taken(session, post: Post, *, worker: str = "vm:11789", ago: timedelta = timedelta(minutes=3, seconds=10),  # noqa: ANN001
           lease: timedelta = timedelta(minutes=2, seconds=5), sending: bool = False) -> None:
    """``post`` as a worker holds it: claimed ``ago`` by ``worker``, its lease ending ``lease`` from now (negative:
    ended); ``sending``: its call has left (an attempt in flight)."""
    now = utcnow()
    post.publish_key, post.claim_token, post.claimed_until = "k" * 32, "t" * 32, now + lease
    engine.record_step(session, post, Action.claim, now=now - ago,
                       payload={"worker": worker, "sha256": post.current_revision.sha256})
    if sending:
        session.add(PublicationAttempt(post_id=post.id, revision_id=post.current_revision_id,
                                       account_id=post.account_id, sha256=post.current_revision.sha256,
                                       idempotency_key=post.publish_key, connector="webhook",
                                       outcome=Outcome.sending, started_at=now - ago))
    session.flush()


def _failed(session, post: Post, *, why: list[dict[str, Any]] | None = None, outcome: Outcome | None = None,  # noqa: ANN001
            message: str | None = None) -> None:
    """``post`` failed as the worker records it: the checks before sending (``why``), or a call's ``outcome`` with
    the network's ``message`` (and the worker's own words, ``why``, where it has some)."""
    now = utcnow()
    payload: dict[str, Any] = {}
    if outcome is not None:
        post.publish_key, post.claim_token, post.claimed_until = "k" * 32, "t" * 32, now + timedelta(minutes=2)
        engine.record_step(session, post, Action.claim, now=now, payload={"worker": "vm:11789"})
        attempt = PublicationAttempt(post_id=post.id, revision_id=post.current_revision_id,
                                     account_id=post.account_id, sha256=post.current_revision.sha256,
                                     idempotency_key=post.publish_key, connector="webhook", outcome=outcome,
                                     message=message, why=(why or [None])[0], started_at=now, finished_at=now)
        session.add(attempt)
        session.flush()
        post.claim_token = post.claimed_until = None
        payload = {"attempt": attempt.id, "outcome": outcome.value, "message": message}
    if why:
        payload["why"] = why
    comment = reasons.text(why) if why else message
    engine.record_step(session, post, Action.fail, now=now, payload=payload, comment=comment)
    session.flush()


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


@pytest.fixture()
def pm(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.project_manager, markets=[france])


# Going out now ---------------------------------------------------------------------------------------------------


def test_a_post_going_out_says_which_worker_has_it_since_when_and_until_when(make, web, db_session, france, pm):
    """The page of a post a worker holds said nothing (after a kill -9 of the worker, for the whole lease): it says
    what the desk says, which worker took it, when, and when its lease ends."""
    post = make.post(State.scheduled, account=make.account(france))
    _taken(db_session, post)
    assert post.state is State.publishing
    web.login(pm)
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "going-out")
    assert said.startswith("Going out now"), said
    assert "a worker took it 3 minutes ago, at " in said and "by vm:11789" in said, said
    assert "its lease ends in 2 minutes" in said, said
    # Nothing has left yet (a worker sends the posts it took one after the other): if it stops, the post goes back.
    assert "Nothing has been sent yet" in said and "back in the queue" in said, said
    assert "unconfirmed" not in said
    # Its writer reads it too.
    web.login(post.created_by)
    assert "by vm:11789" in _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "going-out")


def test_a_post_whose_call_has_left_says_it_would_be_unconfirmed_never_sent_again(make, web, db_session, france,
                                                                                   pm):
    post = make.post(State.scheduled, account=make.account(france))
    _taken(db_session, post, sending=True)
    web.login(pm)
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "going-out")
    assert "The call has left for the network" in said, said
    assert "makes the post unconfirmed" in said and "never sent again by itself" in said, said
    assert "Nothing has been sent yet" not in said


def test_a_post_whose_workers_lease_ended_says_the_next_pass_settles_it(make, web, db_session, france, pm):
    """The worker was killed in its call: its lease ran out, and the page says so, and what comes next."""
    post = make.post(State.scheduled, account=make.account(france))
    _taken(db_session, post, lease=-timedelta(seconds=30), sending=True)
    web.login(pm)
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "going-out")
    assert "its lease ended 1 minute ago: the worker stopped or hangs" in said, said
    assert "the next worker's pass settles it" in said and "never sent again by itself" in said, said
    assert "its lease ends" not in said and "is a publishing worker running" not in said  # a pass takes a moment


def test_a_post_no_worker_settled_long_after_its_lease_asks_whether_one_runs(make, web, db_session, france, pm):
    """The worker was killed, and it was the only one (``approval run``'s own): nothing settles the post."""
    post = make.post(State.scheduled, account=make.account(france))
    _taken(db_session, post, ago=timedelta(minutes=10), lease=-timedelta(minutes=5), sending=True)
    web.login(pm)
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "going-out")
    assert "its lease ended 5 minutes ago" in said, said
    assert "No worker has taken it over since: is a publishing worker running (approval worker)?" in said, said


def test_a_post_going_out_is_told_in_french(make, web, db_session, france, pm):
    post = make.post(State.scheduled, account=make.account(france))
    _taken(db_session, post, sending=True)
    web.login(pm)
    web.post("/language", {"language": "fr", "next": f"/posts/{post.id}"})
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "going-out")
    assert said.startswith("En cours de publication"), said
    # The desk's words, in the desk's French (the page's own sentences are in the catalogue once translated).
    assert "par vm:11789" in said and "son bail se termine dans 2" in said, said


# Failed: what to do next ---------------------------------------------------------------------------------------------


FAILURES = [
    pytest.param(dict(outcome=Outcome.refused, message='HTTP 400 {"error": "text too long"}'), Remedy.answer,
                 id="network-refused"),
    pytest.param(dict(why=[reasons.reason(reasons.NO_TEXT)]), Remedy.edit, id="no-text"),
    pytest.param(dict(why=[reasons.reason(reasons.FILE_CHANGED, sha="0123456789ab")]), Remedy.edit, id="media"),
    pytest.param(dict(why=[reasons.reason(reasons.NOT_CONNECTED)]), Remedy.reconnect, id="not-connected"),
    pytest.param(dict(why=[reasons.reason(reasons.DEACTIVATED)]), Remedy.reconnect, id="deactivated"),
    pytest.param(dict(outcome=Outcome.needs_reconnect, message="HTTP 401 bad signature"), Remedy.reconnect,
                 id="credentials"),
    pytest.param(dict(outcome=Outcome.needs_reconnect, message="HTTP 301",
                      why=[reasons.reason(reasons.REDIRECTS_TO, status=301, location="https://elsewhere.example/")]),
                 Remedy.reconnect, id="redirect"),
    pytest.param(dict(outcome=Outcome.refused, message="could not call",
                      why=[reasons.reason(reasons.INTERNAL_ADDRESS, address="10.0.0.1",
                                          setting="APPROVAL_WEBHOOK_PRIVATE_ADDRESSES")]),
                 Remedy.reconnect, id="internal-address"),
    pytest.param(dict(outcome=Outcome.temporary_error, message="HTTP 503",
                      why=[reasons.reason(reasons.GAVE_UP_FAILING, tries=5, last="HTTP 503")]),
                 Remedy.retry, id="gave-up"),
    pytest.param(dict(why=[reasons.reason(reasons.CHECK_FAULT, error="OperationalError")]), Remedy.retry,
                 id="check-fault"),
]


@pytest.mark.parametrize(("failure", "remedy"), FAILURES)
def test_a_failed_posts_status_says_what_it_needs_by_what_failed(make, db_session, france, failure, remedy):
    post = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, post, **failure)
    assert post.state is State.failed
    assert publishing_status(db_session, post).remedy is remedy


def test_a_failure_told_only_in_words_needs_a_person_to_read_them(make, db_session, france):
    """A failure recorded before the worker kept its outcome (a comment alone): no guess, the general advice."""
    post = make.post(State.scheduled, account=make.account(france))
    engine.record_step(db_session, post, Action.fail, now=utcnow(), payload={}, comment="HTTP 400 too long")
    assert publishing_status(db_session, post).remedy is None
    other = make.post(State.scheduled, account=make.account(france))
    assert publishing_status(db_session, other).remedy is None  # not failed


def test_a_post_the_network_refused_says_fix_the_text_or_retry(make, web, db_session, france, pm):
    """The page gave only the raw answer (Failed: HTTP 400 {"error": …}): it now says the next step, and the writer
    has the editor at hand."""
    post = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, post, outcome=Outcome.refused, message='HTTP 400 {"error": "text too long"}')
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    said = _block(page, "failed-reason")
    assert said.startswith("Failed: The network refused the post, for the reason in its answer"), said
    assert 'The network said: HTTP 400 {"error": "text too long"}' in said, said
    assert "its answer above says why" in said and "edit the post" in said and "“Retry now”" in said, said
    web.login(post.created_by)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    block = page[page.index('class="flash error failed-reason'):].split("</div>")[0]
    assert f'href="/posts/{post.id}/edit"' in block and "Edit the post" in block


def test_a_post_refused_before_sending_for_its_text_says_edit_it(make, web, db_session, france, pm):
    post = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, post, why=[reasons.reason(reasons.NO_TEXT)])
    web.login(pm)
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "failed-reason")
    assert "Fix the text or its media: edit the post. It goes back to review" in said, said
    assert "Reconnect" not in said and "Retry now" not in said


def test_a_post_failed_for_its_account_says_an_admin_reconnects_it(make, web, admin_web, db_session, france, pm):
    post = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, post, outcome=Outcome.needs_reconnect, message="HTTP 401 bad signature")
    page = admin_web.get(f"/posts/{post.id}").get_data(as_text=True)
    said = _block(page, "failed-reason")
    assert "Reconnect the account: an admin" in said and "Publishing › Publishing settings" in said, said
    assert "“Retry now”" in said and "edit the post" not in said, said
    block = page[page.index('class="flash error failed-reason'):].split("</div>")[0]
    assert 'href="/publishing/settings"' in block  # the admin's way there
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    block = page[page.index('class="flash error failed-reason'):].split("</div>")[0]
    assert 'href="/publishing/settings"' not in block  # not a project manager's page


def test_a_post_the_worker_gave_up_on_says_retry(make, web, db_session, france, pm):
    post = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, post, outcome=Outcome.temporary_error, message="HTTP 503",
            why=[reasons.reason(reasons.GAVE_UP_FAILING, tries=5, last="HTTP 503")])
    web.login(pm)
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "failed-reason")
    assert "Nothing in the text or the account needs fixing" in said and "“Retry now”" in said, said


def test_a_failure_in_words_alone_gets_the_general_next_step(make, web, db_session, france, pm):
    post = make.post(State.scheduled, account=make.account(france))
    engine.record_step(db_session, post, Action.fail, now=utcnow(), payload={}, comment="HTTP 400 too long")
    web.login(pm)
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "failed-reason")
    # An answer recorded before the worker kept its outcome: what it came to, by its HTTP status.
    assert said.startswith("Failed: The network refused the post") and "The network said: HTTP 400 too long" in said
    assert "Next step:" in said, said


def test_a_failed_posts_next_step_is_told_in_french(make, web, db_session, france, pm):
    post = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, post, outcome=Outcome.refused, message='HTTP 400 {"error": "text too long"}')
    web.login(pm)
    web.post("/language", {"language": "fr", "next": f"/posts/{post.id}"})
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "failed-reason")
    assert said.startswith("Échec\u00a0:"), said
    assert "Réessayer maintenant" in said, said  # the button's own name, as the page below gives it


# Unconfirmed: check, then confirm or retry -----------------------------------------------------------------------


def test_an_unconfirmed_post_says_check_the_network_then_confirm_or_retry(make, web, db_session, france, pm):
    post = make.post(State.scheduled, account=make.account(france))
    _taken(db_session, post, sending=True)
    attempt = db_session.query(PublicationAttempt).filter_by(post_id=post.id).one()
    attempt.outcome, attempt.message, attempt.finished_at = Outcome.unknown, "no complete answer within 15 s", utcnow()
    post.claim_token = post.claimed_until = None
    engine.record_step(db_session, post, Action.lose, now=utcnow(), payload={"attempt": attempt.id},
                       comment=attempt.message)
    db_session.flush()
    web.login(pm)
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "unconfirmed-reason")
    assert "Unconfirmed: it was sent" in said, said
    handle = post.account.handle
    assert f"Look for it on Facebook, on the account @{handle}." in said, said
    assert "There: “Confirm as published”, with its address." in said, said
    assert "Not there: “Retry now”, once you have read the warning that it may go out twice." in said, said
    web.post("/language", {"language": "fr", "next": f"/posts/{post.id}"})
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "unconfirmed-reason")
    assert "Confirmer la publication" in said and "Réessayer maintenant" in said, said  # the buttons' names


def test_a_reader_who_cannot_retry_a_failed_post_is_told_whom_to_ask_and_reads_its_key(make, web, admin_web, db_session,
                                                                                       france, pm):
    """The admin on call read "a project manager retries it" and had no button: the page names who can. The attempts
    give the publication's Idempotency-Key, what the receiving tool's team searches for."""
    post = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, post, outcome=Outcome.needs_reconnect, message="HTTP 401 bad signature")
    make.user(Role.project_manager, all_markets=True, name="Gaia Group")
    page = admin_web.get(f"/posts/{post.id}").get_data(as_text=True)
    said = _block(page, "who-can-act")
    assert said.startswith("Only a project manager of FR can retry it or confirm it: ask "), said
    assert pm.name in said and said.endswith(" or Gaia Group."), said  # the market's own first
    assert f'<code title="Idempotency-Key">{"k" * 32}</code>' in page
    web.login(pm)
    assert "who-can-act" not in web.get(f"/posts/{post.id}").get_data(as_text=True)  # they have the buttons


def test_a_scheduled_post_the_policy_in_force_refuses_says_so_on_its_page(make, web, db_session, france, pm):
    from approval import policies

    post = make.post(State.scheduled, account=make.account(france), body="Le rapport annuel est en ligne.")
    policies.save_policy(db_session, france, make.user(Role.admin),
                         forbidden=[{"phrase": "rapport annuel", "reason": "Say bilan."}])
    db_session.flush()
    web.login(pm)
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "policy-refuses")
    assert "At its time this post will fail" in said and "“rapport annuel”" in said, said


def test_an_attempt_refused_here_is_not_said_refused_by_the_network(make, web, db_session, france, pm):
    """The attempts list read "refused by the network" for an address the worker would not call: nothing had left
    the server."""
    here = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, here, outcome=Outcome.refused, message="could not call",
            why=[reasons.reason(reasons.INTERNAL_ADDRESS, address="10.0.0.1",
                                setting="APPROVAL_WEBHOOK_PRIVATE_ADDRESSES")])
    network = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, network, outcome=Outcome.refused, message='HTTP 400 {"error": "text too long"}')
    web.login(pm)
    attempts = _block(web.get(f"/posts/{here.id}").get_data(as_text=True), "attempts")
    assert "refused before sending: nothing left this server" in attempts and "by the network" not in attempts
    attempts = _block(web.get(f"/posts/{network.id}").get_data(as_text=True), "attempts")
    assert "refused by the network" in attempts


# Why it did not go out: the desk's words, on the post's page ---------------------------------------------------------


def _stepped(session, post: Post, step: Action, comment: str | None, payload: dict[str, Any],  # noqa: ANN001
             **moved: Any) -> None:
    """``post`` brought by the worker's ``step`` (its comment, its payload), its columns ``moved`` as the step sets
    them (a missed slot, a next try)."""
    for name, value in moved.items():
        setattr(post, name, value)
    engine.record_step(session, post, step, now=utcnow(), payload=payload, comment=comment)
    session.flush()


def test_a_failed_posts_page_frames_the_networks_words_as_the_desk_does_escaped(make, web, db_session, france, pm):
    """It read "Failed: HTTP 400 …", the network's English raw: a sentence now says what the call came to, then the
    network's words, quoted as its own and escaped."""
    said = 'HTTP 400 <script>alert("x")</script> & the text is too long for this page.'
    post = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, post, outcome=Outcome.refused, message=said)
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    block = page[page.index('class="flash error failed-reason'):].split("</div>")[0]
    assert ('<p class="told"><strong>Failed:</strong> The network refused the post, for the reason in its answer: '
            "fix what it names") in block, block
    assert ('<p class="network-said"><span class="network-label">The network said:</span> <q>HTTP 400 &lt;script&gt;'
            "alert(&#34;x&#34;)&lt;/script&gt; &amp; the text is too long for this page.</q></p>") in block, block
    assert "<script>" not in block and "<details" not in block  # short: shown whole


def test_a_long_answer_on_the_post_page_is_cut_with_the_whole_of_it_a_click_away(make, web, db_session, france, pm):
    said = "HTTP 401 " + "The access token has expired; reconnect the application. " * 6
    post = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, post, outcome=Outcome.needs_reconnect, message=said)
    web.login(pm)
    block = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "failed-reason")
    assert block.startswith("Failed: The network no longer accepts the account's access: an admin reconnects"), block
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    summary = re.search(r'<details class="network-said"><summary>(.*?)</summary>', page, re.S).group(1)
    assert len(unescape(re.search(r"<q>(.*?)</q>", summary).group(1))) <= reasons.WORDS_SHOWN + 1
    assert f"<pre>{said}</pre>" in page  # every word of it


def test_missed_unconfirmed_and_retrying_posts_say_why_as_the_desk_does(make, web, db_session, france, pm):
    """The three other places a post's page quoted the worker or the network: a slot missed, a call nobody knows the
    end of, a next try."""
    now = utcnow()
    missed = make.post(State.scheduled, account=make.account(france))
    last = reasons.reason(reasons.MISSED_REFUSED, last="HTTP 429 slow down")
    _stepped(db_session, missed, Action.miss, reasons.text([last]), {"why": [last]}, missed_at=missed.scheduled_at,
             scheduled_at=None)
    unsure = make.post(State.scheduled, account=make.account(france))
    _taken(db_session, unsure, sending=True)
    unsure.claim_token = unsure.claimed_until = None
    _stepped(db_session, unsure, Action.lose, 'HTTP 202 {"status": "queued"}', {"outcome": "unknown"})
    waiting = make.post(State.scheduled, account=make.account(france))
    _taken(db_session, waiting)
    waiting.claim_token = waiting.claimed_until = None
    _stepped(db_session, waiting, Action.postpone, "HTTP 503 upstream timeout", {"outcome": "temporary_error"},
             next_attempt_at=now + timedelta(minutes=2))
    assert (missed.state, unsure.state, waiting.state) == (State.approved, State.unconfirmed, State.scheduled)
    web.login(pm)

    said = _block(web.get(f"/posts/{missed.id}").get_data(as_text=True), "flash warning missed")
    assert ("The network kept asking to wait (last: its answer, quoted below) until its grace period passed. "
            "The network said: HTTP 429 slow down") in said, said
    page = web.get(f"/posts/{unsure.id}").get_data(as_text=True)
    said = _block(page, "unconfirmed-reason")
    assert 'The network said: HTTP 202 {"status": "queued"}' in said, said
    assert "What the call got: HTTP 202" not in said  # its words quoted, not run into a sentence
    page = web.get(f"/posts/{waiting.id}").get_data(as_text=True)
    said = _block(page, "next-attempt")
    assert said.startswith("Next try not before "), said
    assert ("The network could not take the post for now; nothing went out: the worker tries again at the time "
            "shown. The network said: HTTP 503 upstream timeout") in said, said
    assert "<q>HTTP 503 upstream timeout</q>" in page


def test_the_post_pages_framing_is_in_the_readers_language_the_networks_words_as_they_came(make, web, db_session,
                                                                                           france, pm):
    post = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, post, outcome=Outcome.needs_reconnect, message="HTTP 401 The access token has expired.")
    web.login(pm)
    web.post("/language", {"language": "fr", "next": f"/posts/{post.id}"})
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    said = _block(page, "failed-reason")
    assert said.startswith("Échec\u00a0: Le réseau n’accepte plus l’accès du compte\u00a0: un administrateur "
                           "reconnecte le compte"), said
    assert ("<span class=\"network-label\">Le réseau a répondu\u00a0:</span> <q>HTTP 401 The access token has "
            "expired.</q>") in page


# Going out now: released, or scheduled for now, and not called overdue before a worker's pass could send it --------


def _overdue_everywhere(web, post: Post) -> dict[str, bool]:  # noqa: ANN001
    """Whether each page calls ``post`` overdue: its own page, the publishing desk, the review queue's "Going out
    next", the wall."""
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    desk = web.get("/publishing").get_data(as_text=True)
    section = re.search(r'<section class="card desk-overdue" id="overdue">(.*?)</section>', desk, re.S).group(1)
    queue = web.get("/review").get_data(as_text=True)
    row = queue[queue.index(f">#{post.id}<"):].split("</tr>")[0]
    wall = web.get("/hub").get_data(as_text=True)
    return {"page": 'class="flash warning overdue"' in page, "desk": f">#{post.id}<" in section,
            "queue": "overdue-label" in row, "wall": 'class="overdue alert"' in wall}


def test_a_post_released_after_its_time_goes_out_now_and_is_overdue_only_once_a_pass_could_have_sent_it(
        make, web, db_session, france, pm):
    """"Release the hold" on a post whose time had passed (within its grace period): the page said at once "Due
    since … and not out yet: is a publishing worker running?", and the worker sent it a few seconds later. The
    worker has a minute from the release, as from a post's time; the page, the desk, the queue and the wall agree."""
    from tests.publishing_helpers import held_by_a_switch_now_off

    post = make.post(State.scheduled, account=make.account(france))
    post.scheduled_at = utcnow() - timedelta(minutes=5)  # its slot came while the switch was on
    held_by_a_switch_now_off(db_session, post, pm)
    web.login(pm)
    assert web.post(f"/posts/{post.id}/actions/release", {"version": post.version}).status_code == 302
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    said = _block(page, "going-now")
    assert said.startswith("Released: going out now"), said
    assert "is a publishing worker running" not in page
    assert _overdue_everywhere(web, post) == {"page": False, "desk": False, "queue": False, "wall": False}
    # The page reloads itself once a pass could have sent it (static/post_watch.js): then it says overdue.
    seconds = int(re.search(r'data-overdue-in="(\d+)"', page).group(1))
    assert 0 < seconds <= 60

    # Released two minutes ago, and still not out: no worker sent it.
    late = make.post(State.scheduled, account=make.account(france))
    late.scheduled_at = utcnow() - timedelta(minutes=6)
    held_by_a_switch_now_off(db_session, late, pm)
    engine.apply(db_session, late, Action.release, pm, expected_version=late.version,
                 now=utcnow() - timedelta(minutes=2))
    db_session.flush()
    assert _overdue_everywhere(web, late) == {"page": True, "desk": True, "queue": True, "wall": True}
    assert "going-now" not in web.get(f"/posts/{late.id}").get_data(as_text=True)


def test_a_post_published_now_says_going_out_now_then_overdue_once_a_pass_could_have_sent_it(make, web, db_session,
                                                                                              france, pm):
    post = make.post(State.approved, account=make.account(france))
    web.login(pm)
    answer = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version, "when": "now"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    said = _block(page, "going-now")
    assert said.startswith("Going out now"), said
    assert "Released" not in said and "is a publishing worker running" not in page
    assert _overdue_everywhere(web, post) == {"page": False, "desk": False, "queue": False, "wall": False}
    db_session.expire_all()
    post = db_session.get(Post, post.id)
    post.scheduled_at = utcnow() - timedelta(minutes=2)  # its time, two minutes ago, and not out
    db_session.flush()
    assert _overdue_everywhere(web, post) == {"page": True, "desk": True, "queue": True, "wall": True}
    assert "going-now" not in web.get(f"/posts/{post.id}").get_data(as_text=True)


def test_the_overdue_rule_is_the_same_in_python_and_in_sql_for_a_released_post(make, db_session, france, pm):
    from sqlalchemy import select

    from approval.models import Account
    from approval.publishing.status import OVERDUE_AFTER, overdue, overdue_clause
    from tests.publishing_helpers import held_by_a_switch_now_off

    now = utcnow()
    account = make.account(france)
    cases = {"released just now": timedelta(seconds=10), "released long ago": OVERDUE_AFTER * 3}
    posts = {}
    for name, ago in cases.items():
        post = make.post(State.scheduled, account=account)
        post.scheduled_at = now - timedelta(minutes=10)
        held_by_a_switch_now_off(db_session, post, pm)
        engine.apply(db_session, post, Action.release, pm, expected_version=post.version, now=now - ago)
        posts[name] = post
    db_session.flush()
    listed = set(db_session.scalars(select(Post.id).join(Post.account).where(overdue_clause(now),
                                                                              Account.id == account.id)))
    assert {name for name, post in posts.items() if post.id in listed} == {
        name for name, post in posts.items() if overdue(post, now)} == {"released long ago"}


def test_the_wall_reads_what_the_networks_words_came_to_by_the_desks_rule(make, web, db_session, france, pm):
    """The wall had a copy of the desk's rule that called an answer nobody could read "Refused by the network": it
    follows the desk's (``reasons.came_to``) and says what it is."""
    unsure = make.post(State.scheduled, account=make.account(france))
    _taken(db_session, unsure, sending=True)
    unsure.claim_token = unsure.claimed_until = None
    _stepped(db_session, unsure, Action.lose, 'HTTP 202 {"status": "queued"}', {"outcome": "unknown"})
    refused = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, refused, outcome=Outcome.refused, message='HTTP 400 {"error": "text too long"}')
    older = make.post(State.scheduled, account=make.account(france))  # recorded before outcomes were kept
    engine.record_step(db_session, older, Action.fail, now=utcnow(), payload={}, comment="HTTP 401 expired")
    db_session.flush()
    web.login(pm)
    wall = web.get("/hub").get_data(as_text=True)
    assert '<span class="reason">Unknown whether it went out (HTTP 202)</span>' in wall
    assert '<span class="reason">Refused by the network (HTTP 400)</span>' in wall
    assert '<span class="reason">Reconnect the account (HTTP 401)</span>' in wall
