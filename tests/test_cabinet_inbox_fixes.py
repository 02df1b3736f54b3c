"""The cabinet's walk (cabhub): a notification asking for an action is settled once the post no longer awaits it,
whoever moved it; the inbox says who wrote each suggestion, who sent it and what it carries; an open suggestion
page learns that it changed. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from approval.db import utcnow
from approval.media import samples
from approval.models import Post
from approval.models.notifications import Notification, NotificationKind as Kind
from approval.notifications import dispatch
from approval.workflow.states import Action, Role, State
from tests.test_browser import chromium  # noqa: F401 - the shared browser


@pytest.fixture()
def cabinet(make):
    """Hélène Marchand's account in France, her cabinet of two, two project managers and a community manager."""
    france = make.market("FR")
    executive = make.executive("Hélène Marchand")
    return {
        "france": france,
        "account": make.account(france, "x", executive=executive),
        "brand": make.account(france),
        "sophie": make.user(Role.cabinet, executives=[executive], name="Sophie Bernard"),
        "agnes": make.user(Role.cabinet, executives=[executive], name="Agnès Roux"),
        "marc": make.user(Role.project_manager, markets=[france], name="Marc Lefèvre"),
        "lucile": make.user(Role.project_manager, markets=[france], name="Lucile Tardieu"),
        "camille": make.user(Role.community_manager, markets=[france], name="Camille Dubois"),
    }


def unread(session, post: Post) -> list[tuple[str, str]]:
    """(recipient, kind) of the post's unread notifications, in order."""
    session.expire_all()
    return [(n.user.name, n.kind.value) for n in session.scalars(
        select(Notification).where(Notification.post_id == post.id, Notification.read_at.is_(None))
        .order_by(Notification.id))]


def _with_the_cabinet(make, cabinet, body: str = "Fière de nos équipes ce soir.") -> Post:
    post = make.post(State.in_review, account=cabinet["account"], author=cabinet["camille"], body=body)
    make.act(post, Action.approve, cabinet["lucile"])
    return post


# Finding 3: the bell counts what still waits ----------------------------------------------------------------------


@pytest.mark.parametrize(("who", "action", "comment"), [
    ("agnes", Action.accept, None),
    ("agnes", Action.decline, "Pas sur X."),
    ("sophie", Action.request_changes, "Plus court."),
])
def test_a_cabinet_decision_settles_the_suggestion_for_the_whole_cabinet(make, cabinet, db_session, who, action,
                                                                          comment):
    post = _with_the_cabinet(make, cabinet)
    assert {("Sophie Bernard", "cabinet_requested"), ("Agnès Roux", "cabinet_requested")} <= set(
        unread(db_session, post))
    make.act(post, action, cabinet[who], comment=comment)
    assert not [kind for _name, kind in unread(db_session, post) if kind == "cabinet_requested"]
    # What the decision tells stays unread (the author's news, the project manager's "the cabinet decided").
    assert ("Lucile Tardieu", "cabinet_decided") in unread(db_session, post)


def test_the_project_managers_edit_settles_the_cabinets_notification_and_asks_for_a_review(make, cabinet,
                                                                                            db_session):
    post = _with_the_cabinet(make, cabinet)
    from approval import operations as ops
    ops.edit_post(db_session, post, cabinet["marc"], "Fière de nos équipes, ce soir et demain.",
                  expected_version=post.version)
    left = unread(db_session, post)
    assert not [name for name, kind in left if kind == "cabinet_requested"]
    assert ("Lucile Tardieu", "review_requested") in left  # the new review is asked of the others


def test_the_bell_and_the_list_of_the_colleague_who_did_not_decide(make, cabinet, web, db_session):
    """The walk: Agnès accepts, Sophie's bell still said 1 and her list "awaits your cabinet", unread."""
    waiting = _with_the_cabinet(make, cabinet, "Toujours en attente du cabinet.")
    decided = _with_the_cabinet(make, cabinet, "Acceptée par Agnès.")
    make.act(decided, Action.accept, cabinet["agnes"])
    web.login(cabinet["sophie"])
    assert 'data-unread="1"' in web.get("/cabinet").get_data(as_text=True)
    listing = web.get("/notifications").get_data(as_text=True)
    assert listing.count('class="notification unread"') == 1
    # The settled one says the post no longer waits, and what it is now; the waiting one says nothing of the kind.
    settled, still = _notification_row(listing, decided), _notification_row(listing, waiting)
    assert "No longer waiting" in settled and "state-approved" in settled
    assert "No longer waiting" not in still


def _notification_row(page: str, post: Post) -> str:
    end = page.index(post.body[:20])
    return page[page.rindex("<tr", 0, end):page.index("</tr>", end)]


@pytest.mark.parametrize("how", ["approve", "request_changes", "reject", "recall"])
def test_a_review_by_anyone_settles_the_other_project_managers_notification(make, cabinet, db_session, how):
    post = make.post(State.in_review, account=cabinet["brand"], author=cabinet["camille"])
    assert sorted(unread(db_session, post)) == [("Lucile Tardieu", "review_requested"),
                                                ("Marc Lefèvre", "review_requested")]
    if how == "recall":
        make.act(post, Action.recall, cabinet["camille"])
    else:
        make.act(post, Action(how), cabinet["lucile"], comment=None if how == "approve" else "Non.")
    assert not [kind for _name, kind in unread(db_session, post) if kind == "review_requested"]


def test_the_reminders_of_a_stay_in_review_are_settled_with_it(make, cabinet, db_session):
    post = make.post(State.in_review, account=cabinet["brand"], author=cabinet["camille"])
    group = make.user(Role.project_manager, all_markets=True, name="Gaia")
    for kind, audience in ((Kind.review_reminder, dispatch.Audience.market_pms),
                           (Kind.review_escalation, dispatch.Audience.group_pms)):
        dispatch.notify_post(db_session, kind, (audience,), post_id=post.id, actor_id=None, at=utcnow())
    assert ("Gaia", "review_escalation") in unread(db_session, post)
    make.act(post, Action.approve, cabinet["marc"])
    assert [kind for _name, kind in unread(db_session, post)] == ["approved"]  # the author's news only
    assert group.id


def test_an_edit_in_review_keeps_the_request_and_a_new_stay_asks_again(make, cabinet, db_session):
    from approval import operations as ops
    post = make.post(State.in_review, account=cabinet["brand"], author=cabinet["camille"])
    ops.edit_post(db_session, post, cabinet["camille"], "Un autre texte.", expected_version=post.version)
    assert sorted(unread(db_session, post)) == [("Lucile Tardieu", "review_requested"),
                                                ("Marc Lefèvre", "review_requested")]
    make.act(post, Action.request_changes, cabinet["marc"], comment="Plus court.")
    make.act(post, Action.submit, cabinet["camille"])
    # The first stay's requests are settled; the new stay's are not.
    assert [kind for _name, kind in unread(db_session, post)] == ["changes_requested", "review_requested",
                                                                   "review_requested"]
    first = db_session.scalars(select(Notification).where(Notification.post_id == post.id,
                                                          Notification.kind == Kind.review_requested)
                               .order_by(Notification.id)).all()
    assert [n.read_at is None for n in first] == [False, False, True, True]


# Finding 9: the inbox says who wrote it, who sent it, what it carries ----------------------------------------------


def test_the_inbox_says_who_wrote_each_suggestion_who_sent_it_and_its_pictures(make, cabinet, web, db_session, app):
    with_pictures = make.post(State.draft, account=cabinet["account"], author=cabinet["camille"],
                              body="Deux photos du stade.")
    with app.app_context():  # the store is the application's
        for label in ("rouge", "bleu"):
            samples.attach_bytes(db_session, with_pictures, cabinet["camille"], samples.draw_picture((64, 48), label),
                                 f"{label}.jpg", f"Tribune {label}")
    make.act(with_pictures, Action.submit, cabinet["camille"])
    make.act(with_pictures, Action.approve, cabinet["marc"])
    plain = _with_the_cabinet(make, cabinet, "Sans image.")
    answered = _with_the_cabinet(make, cabinet, "Déjà acceptée.")
    make.act(answered, Action.accept, cabinet["agnes"])
    web.login(cabinet["sophie"])
    page = web.get("/cabinet").get_data(as_text=True)
    rows = {post.id: _row(page, post.id) for post in (with_pictures, plain, answered)}
    assert "Camille Dubois" in rows[with_pictures.id] and "Marc Lefèvre" in rows[with_pictures.id]
    assert "2 pictures" in rows[with_pictures.id]
    assert "Lucile Tardieu" in rows[plain.id] and "picture" not in rows[plain.id]
    assert "Camille Dubois" in rows[answered.id] and "Lucile Tardieu" in rows[answered.id]


def _row(page: str, post_id: int) -> str:
    start = page.index(f'<a href="/posts/{post_id}">#{post_id}</a>')
    return page[start:page.index("</tr>", start)]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True, scope="session")
def test_a_reminder_pass_leaves_a_post_being_reviewed_to_its_review(backend, databases, tmp_path):
    """The pass read the posts in review, then wrote their reminders: a review committed between the two settled
    nothing the pass had not written yet, and its reminder stayed unread on a post no longer in review. The pass now
    holds the posts it reminds of, and leaves one a review holds to its next pass (PostgreSQL; SQLite's writers queue
    whole transactions)."""
    from datetime import timedelta

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from approval import create_app
    from approval.db import make_engine
    from approval.models.notifications import ReviewReminder
    from approval.notifications.reminders import Reminders
    from tests.conftest import Factory

    url = databases.migrated_url(backend)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test"})
    app.instance_path = str(tmp_path)
    engine = make_engine(url)
    with Session(engine) as session:
        make = Factory(session)
        france = make.market("FR")
        make.user(Role.project_manager, markets=[france], name="Marc Lefèvre")
        held, free = (make.post(State.in_review, account=make.account(france)) for _ in range(2))
        for post in (held, free):
            post.submitted_at = utcnow() - timedelta(days=3)
        session.commit()
        held_id, free_id = held.id, free.id
    with engine.connect() as reviewer:
        review = reviewer.begin()
        reviewer.execute(text("SELECT id FROM posts WHERE id = :id FOR NO KEY UPDATE"), {"id": held_id})  # as an UPDATE
        Reminders(app).run_once()
        review.rollback()
    with Session(engine) as session:
        reminded = set(session.scalars(select(ReviewReminder.post_id)))
    engine.dispose()
    assert reminded == {free_id}


# Finding 2: an open suggestion page learns that it changed ----------------------------------------------------------

_WATCH_JS = Path(__file__).resolve().parent.parent / "approval" / "static" / "post_watch.js"


def _watched_page(browser, notice: bool):  # noqa: ANN001, ANN202
    """A post page carrying ``post_watch.js`` as templates/posts/show.html draws it, served by the browser itself
    (``page.route``); the post's version answers 3, then 4 from the second question on. A typed reason stands for
    the cabinet member's work on the page."""
    asked = []
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    extra = ' data-notice="post-changed"' if notice else ""
    html = f"""<!doctype html><html><body>
      <div id="post-watch" hidden data-url="/posts/7/version" data-version="3" data-page="/posts/7"{extra}></div>
      <div id="post-changed" role="alert" hidden>This suggested message changed. <span data-said></span></div>
      <textarea id="reason">Mme Marchand préfère ne pas en parler sur X.</textarea>
      <script src="/static/post_watch.js"></script></body></html>"""

    def answer(route):  # noqa: ANN001, ANN202
        path = route.request.url.split("http://watch.test", 1)[1]
        if path == "/static/post_watch.js":
            return route.fulfill(body=_WATCH_JS.read_text(), content_type="text/javascript")
        if path == "/posts/7/version":
            asked.append(path)
            version = 3 if len(asked) < 2 else 4
            return route.fulfill(json={"version": version, "state": "approved",
                                       "said": ["Agnès Roux accepted this suggested message at 22:21."]})
        # The page as opened (the answer to a form, say); its own address (``data-page``) draws it anew.
        return route.fulfill(body=html if path == "/posts/7/open" else "<!doctype html><p id=reloaded>reloaded</p>",
                             content_type="text/html")

    page.route("http://watch.test/**", answer)
    return context, page, asked


@pytest.mark.browser
def test_a_page_that_names_a_notice_shows_it_when_the_post_changes_and_keeps_what_was_typed(chromium):  # noqa: F811
    context, page, asked = _watched_page(chromium, notice=True)
    page.goto("http://watch.test/posts/7/open")
    page.wait_for_selector("#post-changed:not([hidden])", timeout=15000)
    assert "Agnès Roux accepted this suggested message at 22:21." in page.text_content("#post-changed")
    assert page.url.endswith("/posts/7/open")  # not reloaded: the reason typed is still there
    assert page.input_value("#reason").startswith("Mme Marchand")
    page.wait_for_timeout(4000)
    assert len(asked) == 2  # and it stopped asking
    context.close()


@pytest.mark.browser
def test_a_page_without_a_notice_still_goes_to_the_post_when_it_changes(chromium):  # noqa: F811
    context, page, _asked = _watched_page(chromium, notice=False)
    page.goto("http://watch.test/posts/7/open")
    page.wait_for_selector("#reloaded", timeout=15000)
    assert page.url == "http://watch.test/posts/7"
    context.close()



# The walk "oncall": a post that failed, went unconfirmed or missed its slot is settled once a person dealt with it


@pytest.mark.parametrize(("step", "kind", "then"), [
    (Action.fail, "failed", (Action.retry, {})),
    (Action.lose, "unconfirmed", (Action.confirm_published, {"url": "https://www.facebook.com/helio/posts/1"})),
    (Action.miss, "missed", (Action.schedule, {})),
])
def test_what_went_wrong_is_settled_once_a_project_manager_dealt_with_it(make, cabinet, db_session, step, kind,
                                                                        then):
    """"A post failed to publish" still read as the news of the day after the post was retried and published,
    where a review request reads "No longer waiting" once given."""
    from datetime import timedelta

    from approval.notifications import inbox
    from approval.workflow import engine

    post = make.post(State.scheduled, account=cabinet["brand"], author=cabinet["camille"], reviewer=cabinet["marc"])
    if step is Action.lose:  # a call sent, its worker gone: claimed first
        post.claim_token, post.claimed_until = "token", utcnow() + timedelta(minutes=2)
        engine.record_step(db_session, post, Action.claim, now=utcnow())
        post.claim_token = post.claimed_until = None
    engine.record_step(db_session, post, step, now=utcnow())  # failed or missed at the claim's checks
    db_session.flush()
    assert ("Lucile Tardieu", kind) in unread(db_session, post)
    action, inputs = then
    if action is Action.schedule:
        inputs = {"scheduled_at": utcnow() + timedelta(hours=2)}
    make.act(post, action, cabinet["lucile"], acknowledge_warnings=True, **inputs)
    assert kind not in [k for _name, k in unread(db_session, post)]
    told = db_session.scalars(select(Notification).where(Notification.post_id == post.id,
                                                         Notification.kind == Kind(kind))).first()
    assert inbox.no_longer_awaited(told)
