"""The project manager's review as a team walked it: the comparison shows what changed since a project manager last
decided on the post (the whole text when none has), with the last save's change a click away; after a decision on
a post of the review queue, the next one awaiting review; and the post page's words (who did what in the cabinet's
list of revisions, a slot's time said once in the history, the outbox's two sentences)."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from approval import administration as admin
from approval import operations as ops
from approval.db import utcnow
from approval.models import Post
from approval.models.notifications import NotificationProfile
from approval.workflow.states import Action, Role, State

from conftest import WebClient
from test_media_samples import jpeg


def _text(response) -> str:  # noqa: ANN001
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def _words(response) -> str:  # noqa: ANN001
    """The page's words, without its tags."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _reload(db_session, post: Post) -> Post:  # noqa: ANN001
    db_session.expire_all()
    return db_session.get(Post, post.id)


def _upload(web: WebClient, post: Post, colour: str, name: str) -> None:
    answer = web.client.post(f"/posts/{post.id}/media", data={
        "csrf_token": web.token, "version": str(post.version), "alt": "",
        "file": (io.BytesIO(jpeg(color=colour)), name)}, content_type="multipart/form-data")
    assert answer.status_code in (200, 302, 303), answer.get_data(as_text=True)[:300]


def _team(make):  # noqa: ANN001, ANN202
    france = make.market("FR")
    camille = make.user(Role.community_manager, markets=[france], name="Camille Dubois")
    marc = make.user(Role.project_manager, markets=[france], name="Marc Lefèvre")
    return france, camille, marc


def _draft_session(make, web, db_session, post: Post, writer) -> Post:  # noqa: ANN001
    """What one sitting in the editor leaves: two pictures, then two saves of the text, then the submission; each
    save a revision."""
    web.login(writer)
    _upload(web, post, "red", "vitrine.jpg")
    _upload(web, _reload(db_session, post), "blue", "stade.jpg")
    post = _reload(db_session, post)
    for body in ("La vitrine illuminée ce soir, et le stade.", "La vitrine illuminée ce soir, et le stade !"):
        ops.edit_post(db_session, post, writer, body, expected_version=post.version)
    make.act(post, Action.submit, writer)
    db_session.flush()
    return post


# 1. What the reviewer compares ----------------------------------------------------------------------------------


def test_a_post_no_project_manager_decided_on_is_reviewed_whole_with_the_last_save_a_click_away(
        make, web, db_session):
    """Marc started the post, Camille finished it in one sitting (revisions 2 to 5) and submitted it: Marc reviews
    the whole text, not the last save's change (4 -> 5) his authorship used to pick; that one is a link away."""
    france, camille, marc = _team(make)
    post = ops.create_post(db_session, marc, make.account(france, "x"), "La vitrine ce soir.")
    post = _draft_session(make, web, db_session, post, camille)
    assert post.current_revision.number == 5 and post.state == State.in_review

    web.login(marc)
    page = _text(web.get(f"/posts/{post.id}"))
    assert "Changes from revision" not in page
    assert "No project manager has decided on this post yet: all of it is to review." in page
    link = re.search(r'<a class="last-change" href="([^"]+)"[^>]*>([^<]+)</a>', page)
    assert link is not None, "no link to the last save's change"
    assert link.group(2) == "See only the last change (revision 4 to revision 5)"
    assert "diff_from=4" in link.group(1) and "diff_to=5" in link.group(1)
    compared = _text(web.get(link.group(1)))
    assert "Changes from revision 4 to revision 5" in compared
    # Its author's own page still compares with the previous draft.
    web.login(camille)
    post_page = _text(web.get(f"/posts/{post.id}"))
    assert "No project manager has decided" not in post_page


def test_the_review_compares_with_the_revision_a_project_manager_last_decided_on(make, web, db_session):
    """Marc asked for changes on revision 1; Camille's sitting made revisions 2 to 5: Marc's review shows 1 -> 5,
    says what he decided then and who changed it since, and offers the last save's change (4 -> 5)."""
    france, camille, marc = _team(make)
    post = make.post(State.in_review, account=make.account(france, "x"), author=camille, body="La vitrine ce soir.")
    make.act(post, Action.request_changes, marc, comment="Ajoutez les photos.")
    post = _draft_session(make, web, db_session, post, camille)
    assert post.current_revision.number == 5

    web.login(marc)
    page = _text(web.get(f"/posts/{post.id}"))
    diff = page[page.index('id="diff"'):]
    diff = diff[:diff.index("</section>")]
    assert "Changes from revision 1 to revision 5" in diff
    assert "You asked for changes on revision 1 on " in diff
    assert "; this is revision 5, changed by Camille Dubois." in diff
    assert "added at position 1" in diff and "added at position 2" in diff  # both pictures, not the last save only
    link = re.search(r'<a class="last-change" href="([^"]+)"[^>]*>([^<]+)</a>', diff)
    assert link is not None and link.group(2) == "See only the last change (revision 4 to revision 5)"
    # Another project manager reads the same comparison, told who decided.
    web.login(make.user(Role.project_manager, markets=[france], name="Lucile Tardieu"))
    page = _text(web.get(f"/posts/{post.id}"))
    assert "Changes from revision 1 to revision 5" in page
    assert "Marc Lefèvre asked for changes on revision 1 on " in page


def test_a_text_changed_after_the_cabinet_accepted_it_is_reviewed_against_the_approval(make, web, db_session):
    """The cabinet's acceptance is no project manager's decision: a change the writers made after it, back in
    review, compares with the revision the project manager approved, and the sentence tells his approval."""
    france, camille, marc = _team(make)
    helene = make.executive("Hélène Marchand")
    make.user(Role.cabinet, executives=[helene], name="Sophie Bernard")
    post = make.post(State.approved, account=make.account(france, "x", executive=helene), author=camille,
                     reviewer=marc, body="Fière d'inaugurer le vélodrome.")
    post = _reload(db_session, post)
    ops.edit_post(db_session, post, camille, "Fière d'inaugurer le vélodrome de Marseille.",
                  expected_version=post.version)
    post = _reload(db_session, post)
    if post.state != State.in_review:
        make.act(post, Action.submit, camille)
    db_session.flush()
    web.login(marc)
    page = _text(web.get(f"/posts/{post.id}"))
    assert "Changes from revision 1 to revision 2" in page
    assert "You approved revision 1 on " in page and "this is revision 2, changed by Camille Dubois." in page


# 2. After a decision, the next post ------------------------------------------------------------------------------


def _version(web: WebClient, post: Post) -> str:
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def test_after_a_review_decision_the_next_post_awaiting_review_then_the_queue(make, web, db_session):
    france, camille, marc = _team(make)
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    first = make.post(State.in_review, account=make.account(france), author=camille)
    elsewhere = make.post(State.in_review, account=make.account(kenya))  # not Marc's market
    second = make.post(State.in_review, account=make.account(france), author=camille)
    third = make.post(State.in_review, account=make.account(france), author=camille)
    own = make.post(State.in_review, account=make.account(france), author=marc)  # his words: not his to decide on
    db_session.flush()
    base = utcnow() - timedelta(hours=3)
    elsewhere.submitted_at = base
    first.submitted_at, second.submitted_at, third.submitted_at = (base + timedelta(minutes=m) for m in (10, 30, 20))
    own.submitted_at = base + timedelta(minutes=15)
    db_session.flush()
    web.login(marc)

    answer = web.post(f"/posts/{first.id}/actions/approve", {"version": _version(web, first), "comment": ""})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/posts/{third.id}#main"  # the queue's order
    page = _text(web.get(answer.headers["Location"]))
    assert f"You approved post #{first.id}: it can now be scheduled." in page
    assert f'href="/posts/{first.id}"' in page  # the way back to schedule it
    assert "Here is the next post awaiting your review." in page

    answer = web.post(f"/posts/{third.id}/actions/request_changes",
                      {"version": _version(web, third), "comment": "Le lien, merci."})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/posts/{second.id}#main"
    assert f"You sent post #{third.id} back to its author, with your request for changes." in _text(
        web.get(answer.headers["Location"]))

    answer = web.post(f"/posts/{second.id}/actions/reject", {"version": _version(web, second), "comment": "Non."})
    assert answer.status_code == 302 and answer.headers["Location"] == "/review"
    page = _text(web.get("/review"))
    assert f"You rejected post #{second.id}." in page
    assert "No other post awaits your review." in page
    assert db_session.get(Post, elsewhere.id).state == State.in_review


def test_a_project_managers_own_posts_wait_apart_for_another_project_manager(make, web, db_session):
    """The campaign walk found Marc's own post counted and listed as awaiting his review, whose page then said
    another project manager must approve it. His own revisions are listed apart, and not counted as his to review;
    a post another wrote after him (its current revision theirs) is his to decide on again."""
    france, camille, marc = _team(make)
    camilles = make.post(State.in_review, account=make.account(france), author=camille)
    own = make.post(State.in_review, account=make.account(france), author=marc)
    web.login(marc)
    page = web.get("/review").get_data(as_text=True)
    awaiting, apart = page.split("Your posts, awaiting another project manager")
    assert f">#{camilles.id}<" in awaiting and f">#{own.id}<" not in awaiting
    assert re.search(r'Awaiting your review <span class="count">1</span>', awaiting)
    assert f">#{own.id}<" in apart and f">#{camilles.id}<" not in apart
    # With nothing of his own waiting, the list apart is not shown.
    ops.edit_post(db_session, own, camille, "Une autre version du texte.", expected_version=own.version)
    db_session.commit()
    page = web.get("/review").get_data(as_text=True)
    assert "Your posts, awaiting another project manager" not in page and f">#{own.id}<" in page


def test_a_post_opened_from_a_filtered_queue_leads_to_the_next_post_of_that_queue(make, web, db_session):
    """A project manager who filtered the queue to Facebook was taken, after each decision, to the next post of the
    whole queue: the links of a filtered queue carry its filters, and the next post is that queue's."""
    from urllib.parse import parse_qs, urlsplit

    france, camille, marc = _team(make)
    facebook, x = make.account(france, "facebook"), make.account(france, "x")
    first = make.post(State.in_review, account=facebook, author=camille)
    other = make.post(State.in_review, account=x, author=camille)  # waiting longer, another network
    second = make.post(State.in_review, account=facebook, author=camille)
    ops.edit_post(db_session, first, camille, first.body + " Venez nombreux.", expected_version=first.version)
    db_session.flush()
    base = utcnow() - timedelta(hours=3)
    other.submitted_at, first.submitted_at, second.submitted_at = base, base + timedelta(minutes=5), \
        base + timedelta(minutes=10)
    db_session.flush()
    web.login(marc)
    queue = _text(web.get("/review?network=facebook"))
    link = f"/posts/{first.id}?queue=network%3Dfacebook"
    assert f'href="{link}"' in queue and f"/posts/{other.id}?" not in queue
    page = _text(web.get(link))
    assert f'action="/posts/{first.id}/actions/approve?queue=network%3Dfacebook"' in page
    # The page's own links keep it: a revision opened, a comparison, and the page after them.
    assert f'href="/posts/{first.id}?r=1&queue=network%3Dfacebook"' in page
    assert '<input type="hidden" name="queue" value="network=facebook">' in page
    page = _text(web.get(f"/posts/{first.id}?r=1&queue=network%3Dfacebook"))
    assert f'action="/posts/{first.id}/actions/approve?r=1&queue=network%3Dfacebook"' in page

    answer = web.post(f"/posts/{first.id}/actions/approve?queue=network%3Dfacebook",
                      {"version": _version(web, first), "comment": ""})
    assert answer.status_code == 302
    where = urlsplit(answer.headers["Location"])
    assert where.path == f"/posts/{second.id}" and parse_qs(where.query) == {"queue": ["network=facebook"]}
    answer = web.post(f"/posts/{second.id}/actions/approve?{where.query}", {"version": _version(web, second),
                                                                          "comment": ""})
    assert answer.status_code == 302 and answer.headers["Location"] == "/review?network=facebook"
    assert "No other post of the queue as you filtered it awaits your review." in _text(web.get("/review"))
    # Whatever the address carries, only filters are read, and a state among them changes nothing.
    assert web.get(f"/posts/{other.id}?queue=state%3Ddraft%26q%3D%3Cscript%3E").status_code == 200
    answer = web.post(f"/posts/{other.id}/actions/approve?queue=state%3Ddraft", {"version": _version(web, other),
                                                                               "comment": ""})
    assert answer.status_code == 302 and answer.headers["Location"] == "/review"


def test_a_suggestion_approved_for_the_cabinet_is_said_so_and_a_later_step_stays_on_the_post(make, web, db_session):
    france, camille, marc = _team(make)
    helene = make.executive("Hélène Marchand")
    make.user(Role.cabinet, executives=[helene], name="Sophie Bernard")
    suggestion = make.post(State.in_review, account=make.account(france, "x", executive=helene), author=camille)
    approved = make.post(State.approved, account=make.account(france), author=camille)
    db_session.flush()
    web.login(marc)
    answer = web.post(f"/posts/{suggestion.id}/actions/approve", {"version": _version(web, suggestion),
                                                                   "comment": ""})
    assert answer.status_code == 302 and answer.headers["Location"] == "/review"
    assert (f"You approved suggested message #{suggestion.id} and sent it to the cabinet of Hélène Marchand."
            in _text(web.get("/review")))
    # Scheduling is no review decision: the post's page, to see the time it was given.
    local = (utcnow() + timedelta(days=5)).astimezone(ZoneInfo("Europe/Paris")).replace(hour=9, minute=0)
    answer = web.post(f"/posts/{approved.id}/actions/schedule", {"version": _version(web, approved),
                                                                  "local_time": local.strftime("%Y-%m-%dT%H:%M")})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/posts/{approved.id}"


# 3. The post page's words ----------------------------------------------------------------------------------------


def test_the_cabinets_list_of_revisions_names_who_wrote_and_who_decided(make, web, db_session):
    france, camille, marc = _team(make)
    helene = make.executive("Hélène Marchand")
    agnes = make.user(Role.cabinet, executives=[helene], name="Agnès Roux")
    post = make.post(State.in_review, account=make.account(france, "x", executive=helene), author=camille)
    make.act(post, Action.approve, marc)
    make.act(post, Action.request_changes, agnes, comment="Plus court.")
    db_session.flush()
    web.login(agnes)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    listed = page[page.index('<ul class="revisions">'):]
    revisions = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", listed[:listed.index("</ul>")])))
    assert "by Camille Dubois" in revisions
    assert "changes requested by Agnès Roux" in revisions
    assert "· requested changes" not in revisions


def _schedule_at_two(make, web, db_session, pm):  # noqa: ANN001, ANN202
    france = make.market("FR")
    post = make.post(State.approved, account=make.account(france, "x"))
    chosen = (utcnow().astimezone(ZoneInfo("Europe/Paris")) + timedelta(days=10)).replace(
        hour=14, minute=0, second=0, microsecond=0, tzinfo=None)
    web.login(pm)
    answer = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version,
                                                              "local_time": chosen.strftime("%Y-%m-%dT%H:%M")})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:300]
    return post, chosen


def _history(page: str) -> str:
    return page[page.index("History"):page.index("Revisions")]


def test_the_history_tells_a_slot_once_with_the_readers_time_when_it_differs(make, web, db_session):
    france = make.market("FR")
    new_yorker = make.user(Role.project_manager, markets=[france])
    db_session.add(NotificationProfile(user_id=new_yorker.id, timezone="America/New_York"))
    db_session.flush()
    post, _chosen = _schedule_at_two(make, web, db_session, new_yorker)
    history = _history(_words(web.get(f"/posts/{post.id}")))
    line = history[history.index(" for "):]
    assert "chosen as" not in history
    assert line.count("14:00") == 1 and "08:00 your time (America/New_York)" in line
    # In French, the slot's zone is not "heure de Europe/Paris".
    french = _history(_words(web.get(f"/posts/{post.id}", headers={"Accept-Language": "fr"})).replace(
        "Historique", "History").replace("Versions", "Revisions"))
    assert "heure de Europe/Paris" not in french


def test_the_time_chosen_is_said_when_the_markets_zone_changed_since(make, web, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post, chosen = _schedule_at_two(make, web, db_session, pm)
    admin.update_market(db_session, france, "FR", france.name, "Asia/Tokyo", list(france.languages))
    db_session.flush()
    history = _history(_words(web.get(f"/posts/{post.id}")))
    assert "22:00 (Asia/Tokyo, UTC+09:00)" in history
    day = f"{chosen.day} {chosen.strftime('%b')}"
    if chosen.year != utcnow().astimezone(ZoneInfo("Europe/Paris")).year:
        day += f" {chosen.year}"
    assert f"chosen as 14:00 on {day} (Europe/Paris)" in history


def test_the_outbox_line_is_two_sentences(make, web, db_session):
    france, _camille, marc = _team(make)
    post = make.post(State.scheduled, account=make.account(france), reviewer=marc)
    post.published_url, post.published_at = "outbox:44", datetime.now(UTC)
    db_session.flush()
    web.login(marc)
    page = _text(web.get(f"/posts/{post.id}"))
    line = page[page.index("Handed to the outbox"):]
    line = line[:line.index("</p>")]
    assert re.sub(r"<[^>]+>", "", line) == "Handed to the outbox as outbox:44. Another tool publishes it from there."


def test_the_card_of_a_posts_next_steps_says_decide_only_where_there_is_a_decision(make, web, db_session):
    """The author's own submitted post had a "Decide" card whose only button was "Recall"."""
    france, camille, marc = _team(make)
    post = make.post(State.in_review, account=make.account(france), author=camille)
    web.login(camille)
    page = _text(web.get(f"/posts/{post.id}"))
    card = page[page.index('class="card actions-card"'):].split("</section>")[0]
    assert "<h2>Actions</h2>" in card and "Recall" in card and "Decide" not in card
    web.login(marc)
    page = _text(web.get(f"/posts/{post.id}"))
    assert "<h2>Decide</h2>" in page[page.index('class="card actions-card"'):].split("</section>")[0]


def test_the_next_post_after_a_decision_skips_any_number_of_the_reviewers_own(make, web, db_session):
    """The next post was looked for among the queue's 20 oldest, the reviewer's own then left out: with 20 of their
    own first, they were told no other post awaited them."""
    france, camille, marc = _team(make)
    first = make.post(State.in_review, account=make.account(france), author=camille)
    own = [make.post(State.in_review, account=make.account(france), author=marc) for _ in range(21)]
    last = make.post(State.in_review, account=make.account(france), author=camille)
    db_session.flush()
    base = utcnow() - timedelta(hours=5)
    first.submitted_at = base
    for n, post in enumerate(own):
        post.submitted_at = base + timedelta(minutes=n + 1)
    last.submitted_at = base + timedelta(hours=1)
    db_session.flush()
    web.login(marc)
    answer = web.post(f"/posts/{first.id}/actions/approve", {"version": _version(web, first), "comment": ""})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/posts/{last.id}#main"
