"""What a crisis night and a review showed on the post page, the posts list and the editor: a held post read as plain
"scheduled" in the list, "Publish now" and "Retry now" pressed under a stop switch without a word, a duplicate
submitted that stayed a draft, a next try told to the minute, a stale "Approve and schedule" refused in the words of
"Approve", history lines that did not read as sentences, a French plural."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from approval import administration as admin
from approval import operations as ops
from approval.db import utcnow
from approval.models import Post
from approval.publishing import controls, reasons
from approval.workflow.states import Action, Role, State

from test_post_page_publishing import _block, _failed, _stepped, _taken, _text


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


@pytest.fixture()
def pm(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.project_manager, markets=[france], name="Lucile Martin")


@pytest.fixture()
def writer(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.community_manager, markets=[france], name="Camille Dubois")


def _missed(make, session, account) -> Post:  # noqa: ANN001
    post = make.post(State.scheduled, account=account)
    last = reasons.reason(reasons.MISSED_REFUSED, last="HTTP 429 slow down")
    _stepped(session, post, Action.miss, reasons.text([last]), {"why": [last]}, missed_at=post.scheduled_at,
             scheduled_at=None)
    assert post.state == State.approved
    return post


def _in_french(web, url: str) -> str:  # noqa: ANN001
    web.post("/language", {"language": "fr", "next": url})
    return _text(web.get(url).get_data(as_text=True))


# 1. A grace period of one minute, in French -------------------------------------------------------------------------

def test_a_one_minute_grace_period_is_singular_in_french(make, web, db_session, france, pm):
    france.grace_minutes = 1
    post = _missed(make, db_session, make.account(france))
    web.login(pm)
    english = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "flash warning missed")
    assert "(beyond the 1-minute grace period)" in english, english
    french = _in_french(web, f"/posts/{post.id}")
    assert "1 minutes" not in french, french


# 2. Held posts in the posts list -------------------------------------------------------------------------------------

def test_the_posts_list_marks_the_posts_a_stop_switch_holds(make, web, db_session, france, pm):
    belgium = make.market("BE")
    held = make.post(State.scheduled, account=make.account(france))
    going = make.post(State.scheduled, account=make.account(belgium))
    controls.turn_on(db_session, None, "market", market_code="FR", reason="Deuil national")
    watcher = make.user(Role.project_manager, markets=[france, belgium])
    web.login(watcher)
    page = web.get("/posts?state=scheduled").get_data(as_text=True)
    rows = {int(m.group(1)): m.group(0) for m in re.finditer(r'<tr>\s*<td><a href="/posts/(\d+)">.*?</tr>', page, re.S)}
    assert 'class="state state-held"' in rows[held.id] and ">held</span>" in rows[held.id]
    assert "state-held" not in rows[going.id]
    french = web.post("/language", {"language": "fr", "next": "/posts?state=scheduled"})
    assert french.status_code in (302, 303)
    page = web.get("/posts?state=scheduled").get_data(as_text=True)
    assert ">retenue</span>" in page


# 3. "Publish now" and "Retry now" under a stop switch or an embargo --------------------------------------------------

def test_publish_now_on_a_missed_post_says_a_stop_switch_would_hold_it(make, web, db_session, france, pm):
    post = _missed(make, db_session, make.account(france))
    web.login(pm)
    quiet = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "would-hold" not in quiet
    controls.turn_on(db_session, None, "all", reason="Crise en cours")
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    said = _block(page, "flash warning would-hold")
    assert said.startswith("A stop switch is on over this post (Everything is stopped: Crise en cours): it will "
                           "be held, not sent,"), said
    button = re.search(r'<button[^>]*class="button publish-now"[^>]*>', page, re.S).group(0)
    assert "A stop switch is on over this post" in unescape(re.search(r'data-confirm="([^"]*)"', button).group(1))
    # Not forbidden: it is still offered, and still recorded when pressed.
    assert ">Publish now</button>" in page


def test_retry_now_on_a_failed_post_says_a_stop_switch_would_hold_it(make, web, db_session, france, pm):
    post = make.post(State.scheduled, account=make.account(france))
    _failed(db_session, post, message="HTTP 503 upstream")
    assert post.state == State.failed
    controls.turn_on(db_session, None, "market", market_code="FR", reason="Deuil national")
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert _block(page, "flash warning would-hold").startswith(
        "A stop switch is on over this post (Market FR is stopped: Deuil national)")
    button = re.search(r'<button[^>]*action-retry[^>]*>', page, re.S).group(0)
    assert "A stop switch is on over this post" in unescape(re.search(r'data-confirm="([^"]*)"', button).group(1))


def test_publish_now_under_an_embargo_says_until_when(make, web, db_session, france, pm):
    campaign = admin.create_campaign(db_session, "Coupe du monde", france, embargo_until=utcnow() + timedelta(days=2))
    post = _missed(make, db_session, make.account(france))
    post.campaign = campaign
    db_session.flush()
    web.login(pm)
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "flash warning would-hold")
    assert said.startswith("The campaign Coupe du monde is under embargo until "), said
    assert "it will be held, not sent, until then" in said


# 4. Duplicate, then "Save and submit for review" --------------------------------------------------------------------

def _form_key(page: str) -> str:
    return re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)


def test_a_duplicate_saved_and_submitted_is_submitted(make, web, db_session, france, writer):
    paris = make.account(france, "facebook")
    original = make.post(State.published, account=paris, author=writer, body="Le stade brille ce soir.")
    web.login(writer)
    page = web.get(f"/posts/new?copy_of={original.id}").get_data(as_text=True)
    answer = web.post("/posts/new", {"account_id": str(paris.id), "campaign_id": "", "copy_of": str(original.id),
                                     "body": "Le stade brille encore ce soir.", "submit": "1",
                                     "form_key": _form_key(page)})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
    copy = db_session.scalar(select(Post).where(Post.id != original.id, Post.account_id == paris.id))
    assert copy.state == State.in_review
    assert answer.headers["Location"] == f"/posts/{copy.id}"
    shown = _text(web.get(answer.headers["Location"]).get_data(as_text=True))
    assert f"a copy of post #{original.id}" in shown and "Submitted for review." in shown


def test_a_duplicate_for_an_account_that_needs_media_stays_a_draft(make, web, db_session, france, writer):
    paris = make.account(france, "facebook")
    insta = make.account(france, "instagram")
    original = make.post(State.published, account=paris, author=writer, body="Le stade brille ce soir.")
    web.login(writer)
    page = web.get(f"/posts/new?copy_of={original.id}").get_data(as_text=True)
    answer = web.post("/posts/new", {"account_id": str(insta.id), "campaign_id": "", "copy_of": str(original.id),
                                     "body": "Le stade brille ce soir.", "submit": "1", "form_key": _form_key(page)})
    copy = db_session.scalar(select(Post).where(Post.account_id == insta.id))
    assert copy.state == State.draft
    assert answer.headers["Location"].startswith(f"/posts/{copy.id}/edit")
    said = _text(web.get(answer.headers["Location"]).get_data(as_text=True))
    assert "Instagram posts need a picture or a video: add it here, then submit the post." in said


# 5. The next try, to the second -------------------------------------------------------------------------------------

def test_a_next_try_within_the_hour_is_told_to_the_second(make, web, db_session, france, pm):
    post = make.post(State.scheduled, account=make.account(france))
    soon = (utcnow() + timedelta(minutes=10)).replace(second=30, microsecond=0)
    _taken(db_session, post)
    post.claim_token = post.claimed_until = None
    _stepped(db_session, post, Action.postpone, "HTTP 503 upstream timeout", {"outcome": "temporary_error"},
             next_attempt_at=soon)
    web.login(pm)
    said = _block(web.get(f"/posts/{post.id}").get_data(as_text=True), "muted next-attempt")
    assert re.search(r"Next try not before (\w{3} \d+, \d{4}, )?\d\d:\d\d:30 \(Europe/Paris", said), said
    later = make.post(State.scheduled, account=make.account(france))
    _taken(db_session, later)
    later.claim_token = later.claimed_until = None
    _stepped(db_session, later, Action.postpone, "HTTP 503", {"outcome": "temporary_error"},
             next_attempt_at=(utcnow() + timedelta(hours=3)).replace(second=30, microsecond=0))
    said = _block(web.get(f"/posts/{later.id}").get_data(as_text=True), "muted next-attempt")
    assert not re.search(r"\d\d:\d\d:30", said), said


# 7. A stale "Approve and schedule" --------------------------------------------------------------------------------

def _ahead(days: int = 3):  # noqa: ANN202
    return (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)


def test_a_stale_approve_and_schedule_is_refused_in_its_own_words(make, web, db_session, france, pm, writer):
    post = ops.create_post(db_session, writer, make.account(france), "Le stade brille ce soir.",
                           proposed_at=_ahead())
    make.act(post, Action.submit, writer)
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "action-approve-and-schedule" in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)
    ops.edit_post(db_session, post, writer, post.body, expected_version=post.version, proposed_at=_ahead(4))
    answer = web.post(f"/posts/{post.id}/actions/approve", {"version": version, "seen": seen, "comment": "",
                                                            "and_schedule": "y"})
    assert answer.status_code == 409
    said = _text(answer.get_data(as_text=True))
    assert "“Approve and schedule” was not recorded: the post changed while you were reading it." in said, said


def test_a_stale_approve_is_still_refused_as_approve(make, web, db_session, france, pm, writer):
    post = make.post(State.in_review, account=make.account(france), author=writer)
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)
    ops.edit_post(db_session, post, writer, "Un autre texte.", expected_version=post.version)
    answer = web.post(f"/posts/{post.id}/actions/approve", {"version": version, "seen": seen, "comment": ""})
    assert "“Approve” was not recorded: the post changed" in _text(answer.get_data(as_text=True))


# 8. The history's proposal lines as sentences -----------------------------------------------------------------------

def test_the_history_tells_the_proposals_in_sentences(make, web, db_session, france, pm, writer):
    post = ops.create_post(db_session, writer, make.account(france), "Le stade brille ce soir.",
                           proposed_at=_ahead())
    ops.edit_post(db_session, post, writer, post.body, expected_version=post.version, proposed_at=_ahead(4))
    ops.edit_post(db_session, post, writer, post.body, expected_version=post.version, proposed_at=None)
    web.login(writer)
    page = _text(web.get(f"/posts/{post.id}").get_data(as_text=True))
    history = page[page.index("History"):page.index("Revisions")]
    assert re.search(r"Camille Dubois · created it, proposing \w{3} \d+, \d{4}, \d\d:\d\d \(Europe/Paris", history), \
        history
    assert re.search(r"Camille Dubois · proposed a new time: \w{3} \d+, \d{4}, \d\d:\d\d \(Europe/Paris", history), \
        history
    assert "Camille Dubois · withdrew the proposed time" in history, history
    assert "created proposed time" not in history and "edited proposed time" not in history
    assert "proposed time cleared" not in history


# 9. The editor's warning --------------------------------------------------------------------------------------------

def test_the_editors_warning_says_a_new_proposed_time_alone_does_not_send_it_back(make, web, db_session, france,
                                                                                     writer):
    post = make.post(State.approved, account=make.account(france), author=writer)
    web.login(writer)
    said = _text(web.get(f"/posts/{post.id}/edit").get_data(as_text=True))
    assert "sends this post back to review" in said
    assert "Changing the proposed publication time alone does not." in said, said


# 10. A post of a set in the list -------------------------------------------------------------------------------------

def test_the_posts_list_links_a_post_to_its_set(make, web, db_session, france, writer):
    post_set = ops.create_post_set(db_session, writer, 2)
    first = ops.create_post(db_session, writer, make.account(france), "Un message.", post_set=post_set)
    alone = make.post(account=make.account(france), author=writer)
    web.login(writer)
    page = web.get("/posts").get_data(as_text=True)
    rows = {int(m.group(1)): m.group(0) for m in re.finditer(r'<tr>\s*<td><a href="/posts/(\d+)">.*?</tr>', page, re.S)}
    assert f'href="/sets/{post_set.id}"' in rows[first.id] and f"set #{post_set.id}" in rows[first.id]
    assert "/sets/" not in rows[alone.id]
