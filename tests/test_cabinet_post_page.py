"""The cabinet's walk (cabinet M2, m1, m2, m5, m6, m8, p1, p7): the suggested message's page as the executive's office
reads it. What changed since the cabinet last decided (an accepted text changed since said so); a withdrawn
suggestion it had stays in its sight, withdrawn; the page's words addressed to it; after a decision, the next
suggestion; the comment boxes count their characters and refuse, never cut; an edit that dropped a slot says so;
comments drawn in their own direction, and no direction controls in them; an action's comment said once. SQLite and
PostgreSQL; the counter in Chromium."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.models import Comment, Post
from approval.models.notifications import Notification, NotificationKind
from approval.workflow import engine
from approval.workflow.states import Action, Role, State
from tests.said_helpers import said_in_english
from tests.test_browser import chromium  # noqa: F401 - the shared browser

FIRST = "Fière d'inaugurer le vélodrome avec nos équipes."
SECOND = "Fière d'inaugurer le vélodrome avec nos équipes. Rendez-vous au Social Hub !"
WHY = "Plus personnel, sans hashtag."


@pytest.fixture()
def office(make):
    """Hélène Marchand's X account in France and her cabinet of two; Camille writes for her, Lucile and Marc send."""
    france = make.market("FR")
    helene = make.executive("Hélène Marchand")
    return SimpleNamespace(
        france=france, account=make.account(france, "x", executive=helene), brand=make.account(france),
        sophie=make.user(Role.cabinet, executives=[helene], name="Sophie Bernard"),
        agnes=make.user(Role.cabinet, executives=[helene], name="Agnès Roux"),
        camille=make.user(Role.community_manager, markets=[france], name="Camille Dubois"),
        lucile=make.user(Role.project_manager, markets=[france], name="Lucile Tardieu"),
        marc=make.user(Role.project_manager, markets=[france], name="Marc Lefèvre"),
    )


def _sent(make, office, body: str = FIRST) -> Post:
    post = make.post(State.in_review, account=office.account, author=office.camille, body=body)
    make.act(post, Action.approve, office.lucile)
    return post


def _text(response) -> str:  # noqa: ANN001
    return html.unescape(response.get_data(as_text=True))


def _section(page: str, start: str, end: str) -> str:
    tail = page[page.index(start):]
    return tail[:tail.index(end)]


def _when(app, db_session, post: Post, action: Action) -> str:
    from approval.models import AuditEntry

    at = db_session.scalars(select(AuditEntry.at).where(AuditEntry.post_id == post.id, AuditEntry.action == action)
                            .order_by(AuditEntry.id.desc())).first()
    return said_in_english(app, at, "Europe/Paris")


# M2: what changed since the cabinet last decided ------------------------------------------------------------------


def test_an_answer_to_the_cabinets_request_shows_what_changed_since(app, make, web, office, db_session):
    post = _sent(make, office)
    make.act(post, Action.request_changes, office.sophie, comment=WHY)
    ops.edit_post(db_session, post, office.camille, SECOND, expected_version=post.version)
    make.act(post, Action.submit, office.camille)
    make.act(post, Action.approve, office.lucile)
    db_session.flush()
    web.login(office.sophie)
    page = _text(web.get(f"/posts/{post.id}"))
    assert "Changes from revision 1 to revision 2" in page
    assert (f"You asked for changes on revision 1 on {_when(app, db_session, post, Action.request_changes)}; this is "
            "revision 2, changed by Camille Dubois.") in page
    # Its list of revisions marks its own decisions, and whose: revision 1 sent back, not "approved" (the project
    # manager's).
    listed = _section(page, '<ul class="revisions">', "</ul>")
    assert "changes requested by Sophie Bernard" in listed and "approved" not in listed


def test_a_text_changed_after_the_cabinet_accepted_it_says_so_when_it_comes_back(app, make, web, office,
                                                                                 db_session):
    post = _sent(make, office)
    make.act(post, Action.accept, office.sophie, comment="Parfait, merci.")
    slot = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    make.act(post, Action.schedule, office.lucile, scheduled_at=slot)
    ops.edit_post(db_session, post, office.marc, SECOND, expected_version=post.version)
    make.act(post, Action.approve, office.lucile)
    db_session.flush()
    assert post.state is State.with_cabinet
    accepted_at = _when(app, db_session, post, Action.accept)
    web.login(office.sophie)
    page = _text(web.get(f"/posts/{post.id}"))
    assert "Changes from revision 1 to revision 2" in page
    assert (f"You accepted revision 1 on {accepted_at}; this is revision 2, changed by Marc Lefèvre.") in page
    # m8: the history says the edit dropped the slot the cabinet had accepted a text for.
    history = _section(page, '<ol class="history">', "</ol>")
    assert f"and dropped the slot of {said_in_english(app, slot, 'Europe/Paris')}" in history
    web.login(office.agnes)  # her colleague reads who accepted it
    page = _text(web.get(f"/posts/{post.id}"))
    assert f"Sophie Bernard accepted revision 1 on {accepted_at}; this is revision 2, changed by Marc Lefèvre." \
        in page


def test_a_suggestion_sent_for_the_first_time_has_nothing_to_compare(make, web, office, db_session):
    post = _sent(make, office)
    db_session.flush()
    web.login(office.sophie)
    page = _text(web.get(f"/posts/{post.id}"))
    assert "Changes from revision" not in page and "this is revision" not in page


# m1: a withdrawn suggestion the cabinet had -----------------------------------------------------------------------


def test_a_withdrawn_suggestion_stays_in_the_cabinets_sight_as_withdrawn(app, make, web, office, db_session):
    post = _sent(make, office)
    make.act(post, Action.request_changes, office.sophie, comment=WHY)
    ops.edit_post(db_session, post, office.camille, "Brouillon abandonné, à ne pas montrer.",
                  expected_version=post.version)
    make.act(post, Action.withdraw, office.camille)
    db_session.flush()
    web.login(office.sophie)
    page = _text(web.get(f"/posts/{post.id}"))
    assert f"Camille Dubois withdrew this suggested message on {_when(app, db_session, post, Action.withdraw)}" in page
    assert FIRST in page and "Brouillon abandonné" not in page
    inbox = _text(web.get("/cabinet"))
    assert f'href="/posts/{post.id}"' in inbox and "withdrawn" in inbox and "Brouillon abandonné" not in inbox
    told = db_session.scalars(select(Notification).where(
        Notification.post_id == post.id, Notification.user_id == office.sophie.id,
        Notification.kind == NotificationKind.cabinet_requested)).first()
    opened = web.get(f"/notifications/{told.id}")
    assert opened.headers["Location"] == f"/posts/{post.id}"


def test_a_suggestion_recalled_to_a_draft_is_said_back_with_its_writers_not_out_of_the_cabinets_markets(
        make, web, office, db_session):
    post = _sent(make, office)
    ops.edit_post(db_session, post, office.marc, SECOND, expected_version=post.version)
    make.act(post, Action.recall, office.camille)
    db_session.flush()
    assert post.state is State.draft
    told = db_session.scalars(select(Notification).where(Notification.post_id == post.id,
                                                         Notification.user_id == office.sophie.id)).first()
    web.login(office.sophie)
    opened = web.get(f"/notifications/{told.id}", follow_redirects=True)
    page = _text(opened)
    assert "back with its writers" in page and "no longer yours" not in page


# m2: the page's words for the cabinet --------------------------------------------------------------------------


def test_the_page_speaks_to_the_cabinet_and_names_who_sent_the_suggestion(make, web, office, db_session):
    post = _sent(make, office)
    brand = make.post(State.in_review, account=office.brand, author=office.camille)
    db_session.flush()
    web.login(office.sophie)
    page = _text(web.get(f"/posts/{post.id}"))
    assert f"Suggested message #{post.id}" in page and f"Post #{post.id}" not in page
    assert "Lucile Tardieu sent you this revision; your answer is awaited." in page
    assert "the executive's cabinet decides now" not in page
    assert "Style checked against the policy" not in page
    web.login(office.lucile)
    page = _text(web.get(f"/posts/{post.id}"))
    assert f"Suggested message #{post.id}" in page
    assert ("Lucile Tardieu approved this revision and sent it to the cabinet of Hélène Marchand; its answer is "
            "awaited.") in page
    assert "Style checked against the policy" in page
    assert f"Post #{brand.id}" in _text(web.get(f"/posts/{brand.id}"))


def test_the_outbox_id_and_the_policy_are_the_teams_not_the_cabinets(make, web, office, db_session):
    post = _sent(make, office)
    make.act(post, Action.accept, office.sophie)
    make.act(post, Action.schedule, office.lucile, scheduled_at=utcnow() + timedelta(hours=1))
    post.published_url, post.published_at = "outbox:45", utcnow()
    engine.record_step(db_session, post, Action.publish, now=utcnow(), payload={"policy_version": "FR-v0"})
    db_session.flush()
    web.login(office.sophie)
    page = _text(web.get(f"/posts/{post.id}"))
    assert "outbox:45" not in page and "FR-v0" not in page and "Published on" in page
    web.login(office.lucile)
    assert "outbox:45" in _text(web.get(f"/posts/{post.id}"))


# m5: after a decision, the next suggestion ------------------------------------------------------------------------


def test_after_deciding_the_cabinet_is_led_to_the_next_suggestion_then_to_its_inbox(make, web, office, db_session):
    first, second = _sent(make, office), _sent(make, office, SECOND)
    db_session.flush()
    web.login(office.sophie)
    page = _text(web.get(f"/posts/{first.id}"))
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    answer = web.post(f"/posts/{first.id}/actions/accept", {"version": version, "comment": ""})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/posts/{second.id}#main"
    page = _text(web.get(answer.headers["Location"]))
    assert f"You accepted suggested message #{first.id}" in page
    assert "the next suggested message awaiting your answer" in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    answer = web.post(f"/posts/{second.id}/actions/decline", {"version": version, "comment": "Pas sur X."})
    assert answer.status_code == 302 and answer.headers["Location"] == "/cabinet"
    page = _text(web.get("/cabinet"))
    assert f"You declined suggested message #{second.id}" in page
    assert "No other suggested message awaits your answer." in page


def test_the_hand_publishing_form_is_no_decision(make, web, office, db_session):
    post = _sent(make, office)
    make.act(post, Action.accept, office.agnes)
    db_session.flush()
    web.login(office.sophie)
    page = _text(web.get(f"/posts/{post.id}"))
    by_hand = _section(page, '<section class="card by-hand">', "</section>")
    assert "Posted by Hélène Marchand directly?" in by_hand and "action-mark_published" in by_hand
    assert "Posted by hand?" not in page
    if 'class="card actions-card"' in page:  # the cabinet may still take its acceptance back there
        assert "mark_published" not in _section(page, 'class="card actions-card"', "</section>")


# m6: the comment boxes count and refuse; nothing is cut -----------------------------------------------------------


def test_a_comment_too_long_is_refused_with_its_length_and_kept_in_both_boxes(make, web, office, db_session):
    post = _sent(make, office)
    db_session.flush()
    web.login(office.sophie)
    page = _text(web.get(f"/posts/{post.id}"))
    assert 'id="body-count"' in page and 'id="decide-comment-count"' in page
    discussion = _section(page, 'id="comments"', "</form>")
    assert "maxlength" not in discussion
    long = ("Mme Marchand relira ce texte demain matin. " * 300)[:10000]
    answer = web.post(f"/posts/{post.id}/comments", {"body": long})
    assert answer.status_code == 422
    page = _text(answer)
    assert "The comment has 10,000 characters; at most 5,000 are allowed." in page
    assert long.strip() in page  # kept in its box
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    answer = web.post(f"/posts/{post.id}/actions/request_changes", {"version": version, "comment": long})
    assert answer.status_code == 422
    page = _text(answer)
    assert "The comment has 10,000 characters; at most 5,000 are allowed." in page and long in page
    assert not db_session.scalars(select(Comment).where(Comment.post_id == post.id)).all()
    # Line breaks count once, as the page's counter counts them (a browser sends them as CRLF).
    lines = "\r\n".join(["Une ligne de commentaire."] * 192)  # 25 × 192 + 191 = 4,991 characters
    assert web.post(f"/posts/{post.id}/comments", {"body": lines}).status_code == 302


# p1: a comment's direction is its own ---------------------------------------------------------------------------


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069"])
def test_a_direction_control_is_refused_in_a_comment(make, web, office, db_session, control):
    post = _sent(make, office)
    db_session.flush()
    web.login(office.sophie)
    text = f"Texte {control}inversé\u202c ici."
    answer = web.post(f"/posts/{post.id}/comments", {"body": text})
    assert answer.status_code == 422
    assert f"U+{ord(control):04X}" in _text(answer)
    page = _text(web.get(f"/posts/{post.id}"))
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    answer = web.post(f"/posts/{post.id}/actions/decline", {"version": version, "comment": text})
    assert answer.status_code == 422 and f"U+{ord(control):04X}" in _text(answer)
    assert not db_session.scalars(select(Comment).where(Comment.post_id == post.id)).all()


def test_comments_and_decisions_are_drawn_in_their_own_direction(make, web, office, db_session):
    post = _sent(make, office)
    make.act(post, Action.request_changes, office.sophie, comment="يرجى تقصير النص.")
    ops.add_comment(db_session, post, office.camille, "C'est noté, merci.")
    db_session.flush()
    web.login(office.camille)
    page = _text(web.get(f"/posts/{post.id}"))
    assert '<blockquote dir="auto">يرجى تقصير النص.</blockquote>' in page  # the request, at the top
    assert "<p dir=\"auto\">C'est noté, merci.</p>" in page


# p7: an action's comment is said once, in the discussion ----------------------------------------------------------


def test_a_decisions_comment_is_in_the_discussion_once_and_the_history_points_to_it(make, web, office, db_session):
    post = _sent(make, office)
    make.act(post, Action.accept, office.sophie, comment="Parfait, Mme Marchand valide.")
    db_session.flush()
    web.login(office.lucile)
    page = _text(web.get(f"/posts/{post.id}"))
    assert page.count("Parfait, Mme Marchand valide.") == 1
    comment = db_session.scalars(select(Comment).where(Comment.post_id == post.id)).one()
    history = _section(page, '<ol class="history">', "</ol>")
    assert f'href="#comment-{comment.id}"' in history
    said = _section(page, f'id="comment-{comment.id}"', "</div>")
    assert "accepted" in said and "Parfait, Mme Marchand valide." in said


# m6: the counter, in a browser ---------------------------------------------------------------------------------

_STATIC = Path(__file__).resolve().parent.parent / "approval" / "static"


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True, scope="session")
def test_the_comment_boxes_count_their_characters_as_they_are_typed(make, web, office, db_session,
                                                                     chromium):  # noqa: F811
    """The post page as the server draws it, served to Chromium by the browser itself (``page.route``)."""
    post = _sent(make, office)
    db_session.flush()
    web.login(office.sophie)
    html = _text(web.get(f"/posts/{post.id}"))
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()

    def answer(route):  # noqa: ANN001, ANN202
        path = route.request.url.split("http://counter.test", 1)[1].split("?")[0]
        if path.startswith("/static/") and (_STATIC / path[len("/static/"):]).is_file():
            kind = "text/javascript" if path.endswith(".js") else "text/css"
            return route.fulfill(body=(_STATIC / path[len("/static/"):]).read_bytes(), content_type=kind)
        if path == f"/posts/{post.id}":
            return route.fulfill(body=html, content_type="text/html")
        return route.fulfill(status=404, body="")

    page.route("http://counter.test/**", answer)
    page.goto(f"http://counter.test/posts/{post.id}")
    page.fill("#body", "Bonjour 👋\nMerci")
    assert page.text_content("#body-count [data-count]") == "15"
    page.fill("#decide-comment", "x" * 5001)
    assert page.text_content("#decide-comment-count [data-count]") == "5,001"
    assert "over" in page.get_attribute("#decide-comment-count", "class")
    assert page.eval_on_selector("#body", "box => box.maxLength") == -1  # no cut
    context.close()
