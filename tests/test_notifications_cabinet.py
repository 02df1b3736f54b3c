"""The cabinet's walk (cabinet): the office that signs off an executive's words hears what becomes of them (scheduled,
published, failed, missed, unconfirmed, changed after its acceptance, withdrawn); a comment in a post's discussion
reaches the people of that post who may see it; the preferences page offers the cabinet what it is told, in its
executives' zone. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.models import Post
from approval.models.notifications import ChatMessage, MarketNotificationSettings, Notification
from approval.models.notifications import NotificationKind as Kind
from approval.notifications import texts
from approval.workflow import engine
from approval.workflow.states import Action, Role, State


@pytest.fixture()
def office(make):
    """Hélène Marchand's X account in France and her cabinet; Grace Otieno's in Kenya and hers; the French team."""
    france, kenya = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en", "sw"))
    helene, grace = make.executive("Hélène Marchand"), make.executive("Grace Otieno")
    return {
        "france": france, "kenya": kenya,
        "account": make.account(france, "x", executive=helene),
        "grace_account": make.account(kenya, "x", executive=grace),
        "brand": make.account(france),
        "sophie": make.user(Role.cabinet, executives=[helene], name="Sophie Bernard"),
        "amani": make.user(Role.cabinet, executives=[grace], name="Amani Njoroge"),
        "camille": make.user(Role.community_manager, markets=[france], name="Camille Dubois"),
        "marc": make.user(Role.project_manager, markets=[france], name="Marc Lefèvre"),
        "lucile": make.user(Role.project_manager, markets=[france], name="Lucile Tardieu"),
        "wanjiru": make.user(Role.community_manager, markets=[kenya], name="Wanjiru Kamau"),
    }


def told(session, post: Post, kinds: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """(recipient, kind) of the post's notifications (of ``kinds``), in order."""
    session.expire_all()
    query = select(Notification).where(Notification.post_id == post.id).order_by(Notification.id)
    return [(n.user.name, n.kind.value) for n in session.scalars(query) if kinds is None or n.kind.value in kinds]


def cabinet_heard(session, post: Post) -> list[str]:
    return [kind for name, kind in told(session, post) if name in ("Sophie Bernard", "Amani Njoroge")]


def accepted(make, office, body: str = "Fière d'inaugurer le vélodrome avec nos équipes.") -> Post:
    """A suggestion Camille wrote, Lucile sent to the cabinet and Sophie accepted."""
    post = make.post(State.in_review, account=office["account"], author=office["camille"], body=body)
    make.act(post, Action.approve, office["lucile"])
    make.act(post, Action.accept, office["sophie"])
    return post


# M3: what becomes of an accepted suggestion -----------------------------------------------------------------------


def test_the_cabinet_hears_that_its_accepted_suggestion_is_scheduled_then_published(make, office, db_session):
    post = accepted(make, office)
    make.act(post, Action.schedule, office["lucile"], scheduled_at=utcnow() + timedelta(days=1))
    assert cabinet_heard(db_session, post) == ["cabinet_requested", "scheduled"]
    post.published_url, post.published_at = "https://x.com/HMarchand/status/1", utcnow()
    engine.record_step(db_session, post, Action.publish, now=utcnow())
    assert cabinet_heard(db_session, post) == ["cabinet_requested", "scheduled", "published"]
    # The author hears of it as before; Grace Otieno's cabinet hears nothing of Hélène Marchand's words.
    assert ("Camille Dubois", "published") in told(db_session, post)


def test_the_cabinet_hears_of_a_publication_a_project_manager_records_by_hand(make, office, db_session):
    post = accepted(make, office)
    make.act(post, Action.mark_published, office["lucile"], url="https://x.com/HMarchand/status/2")
    assert cabinet_heard(db_session, post) == ["cabinet_requested", "published"]


@pytest.mark.parametrize(("step", "kind"), [(Action.fail, "failed"), (Action.miss, "missed"),
                                            (Action.lose, "unconfirmed")])
def test_the_cabinet_hears_when_its_accepted_suggestion_does_not_go_out(make, office, db_session, step, kind):
    db_session.add(MarketNotificationSettings(market_id=office["france"].id, reminder_minutes=240,
                                              chat_webhook_url="http://127.0.0.1:9/hook"))
    post = accepted(make, office)
    make.act(post, Action.schedule, office["lucile"], scheduled_at=utcnow() + timedelta(hours=1))
    if step is Action.lose:  # a call sent, its worker gone: claimed first
        post.claim_token, post.claimed_until = "token", utcnow() + timedelta(minutes=2)
        engine.record_step(db_session, post, Action.claim, now=utcnow())
    engine.record_step(db_session, post, step, now=utcnow(), comment="HTTP 400.")
    assert cabinet_heard(db_session, post) == ["cabinet_requested", "scheduled", kind]
    # The market's chat hears it once, as before: the cabinet's statement tells no chat.
    told_in_chat = db_session.scalars(select(ChatMessage.kind).where(ChatMessage.post_id == post.id)).all()
    assert told_in_chat.count(Kind(kind)) == 1


def test_the_cabinet_hears_that_a_text_it_accepted_was_changed_and_its_slot_dropped(make, office, db_session):
    post = accepted(make, office)
    make.act(post, Action.schedule, office["lucile"], scheduled_at=utcnow() + timedelta(days=1))
    ops.edit_post(db_session, post, office["marc"], "Fière d'inaugurer le vélodrome. Rendez-vous au Social Hub !",
                  expected_version=post.version)
    assert cabinet_heard(db_session, post) == ["cabinet_requested", "scheduled", "accepted_changed"]
    changed = db_session.scalars(select(Notification).where(Notification.kind == Kind.accepted_changed)).one()
    assert changed.actor_id == office["marc"].id
    # The slot it was told of is gone: that notice is no longer news; the change is.
    unread = {n.kind.value for n in db_session.scalars(select(Notification).where(
        Notification.post_id == post.id, Notification.user_id == office["sophie"].id, Notification.read_at.is_(None)))}
    assert unread == {"accepted_changed"}
    # An edit of a brand post, or of an executive's post before the cabinet accepted it, tells no cabinet of this.
    brand = make.post(State.approved, account=office["brand"], author=office["camille"], reviewer=office["lucile"])
    ops.edit_post(db_session, brand, office["marc"], "Un autre texte pour la marque.", expected_version=brand.version)
    assert [kind for _name, kind in told(db_session, brand)].count("accepted_changed") == 0


def test_the_cabinet_hears_that_a_suggestion_it_had_been_sent_was_withdrawn(make, office, db_session):
    post = make.post(State.in_review, account=office["account"], author=office["camille"])
    make.act(post, Action.approve, office["lucile"])
    make.act(post, Action.request_changes, office["sophie"], comment="Plus personnel, sans hashtag.")
    make.act(post, Action.withdraw, office["camille"])
    assert cabinet_heard(db_session, post) == ["cabinet_requested", "withdrawn"]
    withdrawn = db_session.scalars(select(Notification).where(Notification.kind == Kind.withdrawn)).one()
    assert withdrawn.actor_id == office["camille"].id


def test_the_cabinet_hears_nothing_of_posts_it_was_never_sent(make, office, db_session):
    """Drafts, reviews and rejections stay between the writers and the project managers."""
    draft = make.post(State.draft, account=office["account"], author=office["camille"])
    make.act(draft, Action.withdraw, office["camille"])
    rejected = make.post(State.in_review, account=office["account"], author=office["camille"])
    make.act(rejected, Action.reject, office["lucile"], comment="Pas maintenant.")
    brand = make.post(State.approved, account=office["brand"], author=office["camille"], reviewer=office["lucile"])
    make.act(brand, Action.schedule, office["lucile"], scheduled_at=utcnow() + timedelta(days=1))
    for post in (draft, rejected, brand):
        assert cabinet_heard(db_session, post) == [], post.state


def test_the_cabinet_reads_its_own_words_for_what_it_is_told(make, office, db_session):
    """The author reads "Your suggested message was scheduled"; the cabinet, which wrote nothing, reads of the
    message it accepted."""
    post = accepted(make, office)
    make.act(post, Action.schedule, office["lucile"], scheduled_at=utcnow() + timedelta(days=1))
    notices = {n.user.name: n for n in db_session.scalars(select(Notification).where(
        Notification.post_id == post.id, Notification.kind == Kind.scheduled))}
    assert texts.title_for(notices["Camille Dubois"], office["camille"]) == "Your suggested message was scheduled"
    assert texts.title_for(notices["Sophie Bernard"], office["sophie"]) == \
        "A suggested message your cabinet accepted was scheduled"


def test_the_writer_reads_that_it_was_the_cabinet_that_asked_for_changes(make, office, db_session):
    post = make.post(State.in_review, account=office["account"], author=office["camille"])
    make.act(post, Action.approve, office["lucile"])
    make.act(post, Action.request_changes, office["sophie"], comment="Plus personnel.")
    asked = db_session.scalars(select(Notification).where(Notification.kind == Kind.changes_requested)).one()
    assert texts.title_for(asked, office["camille"]) == "The cabinet asked for changes to your suggested message"
    brand = make.post(State.in_review, account=office["brand"], author=office["camille"])
    make.act(brand, Action.request_changes, office["lucile"], comment="Plus court.")
    asked = db_session.scalars(select(Notification).where(Notification.kind == Kind.changes_requested,
                                                          Notification.post_id == brand.id)).one()
    assert texts.title_for(asked, office["camille"]) == "Changes were requested on your post"


# M5: a comment reaches the people of its post ---------------------------------------------------------------------


def test_a_comment_reaches_the_author_the_reviewer_and_the_other_commenters_never_the_commenter(
        make, office, db_session):
    camille, marc, lucile = office["camille"], office["marc"], office["lucile"]
    post = make.post(State.in_review, account=office["brand"], author=camille)
    make.act(post, Action.request_changes, marc, comment="Plus court, s'il te plaît.")
    ops.add_comment(db_session, post, camille, "Raccourci, et le hashtag retiré.")
    assert told(db_session, post, ("commented",)) == [("Marc Lefèvre", "commented")]
    comment = db_session.scalars(select(Notification).where(Notification.kind == Kind.commented)).one()
    assert (comment.actor_id, comment.comment) == (camille.id, "Raccourci, et le hashtag retiré.")
    # Lucile joins the discussion: the author and the reviewer hear of her comment.
    ops.add_comment(db_session, post, lucile, "Je relis cet après-midi.")
    assert sorted(told(db_session, post, ("commented",))[1:]) == [("Camille Dubois", "commented"),
                                                                  ("Marc Lefèvre", "commented")]
    # Marc answers: Camille and Lucile (who commented) hear of it; Marc does not hear of his own words.
    ops.add_comment(db_session, post, marc, "Merci !")
    assert sorted(told(db_session, post, ("commented",))[3:]) == [("Camille Dubois", "commented"),
                                                                  ("Lucile Tardieu", "commented")]


def test_a_comment_reaches_nobody_deactivated_nor_outside_the_posts_markets(make, office, db_session):
    camille, marc, lucile = office["camille"], office["marc"], office["lucile"]
    post = make.post(State.in_review, account=office["brand"], author=camille)
    make.act(post, Action.request_changes, marc, comment="Plus court.")
    ops.add_comment(db_session, post, lucile, "D'accord avec Marc.")
    marc.active = False
    lucile.markets = [office["kenya"]]  # moved to Kenya: France's posts are no longer hers
    db_session.flush()
    before = len(told(db_session, post))
    ops.add_comment(db_session, post, camille, "C'est fait.")
    assert told(db_session, post)[before:] == []


def test_the_cabinet_hears_of_comments_on_the_suggestions_it_sees_only(make, office, db_session):
    camille, lucile, sophie = office["camille"], office["lucile"], office["sophie"]
    # Before it is sent to the cabinet, the discussion stays between the writers and the project managers.
    post = make.post(State.in_review, account=office["account"], author=camille)
    make.act(post, Action.request_changes, lucile, comment="Plus personnel.")
    ops.add_comment(db_session, post, camille, "Je reprends le texte.")
    assert told(db_session, post, ("commented",)) == [("Lucile Tardieu", "commented")]
    # Sent to it, the cabinet asks a question: the author and the project manager who sent it hear of it.
    make.act(post, Action.submit, camille)
    make.act(post, Action.approve, lucile)
    ops.add_comment(db_session, post, sophie, "Pourrait-elle le publier à 9 h plutôt ?")
    assert sorted(told(db_session, post, ("commented",))[1:]) == [("Camille Dubois", "commented"),
                                                                  ("Lucile Tardieu", "commented")]
    # The writer answers the cabinet: the cabinet hears of it; Grace Otieno's cabinet does not.
    ops.add_comment(db_session, post, camille, "Oui, 9 h conviendra.")
    assert sorted(told(db_session, post, ("commented",))[3:]) == [("Lucile Tardieu", "commented"),
                                                                  ("Sophie Bernard", "commented")]
    # Recalled to a draft, the post is the writers' again: the cabinet hears nothing of its discussion.
    make.act(post, Action.request_changes, sophie, comment="Finalement, plus court.")
    make.act(post, Action.submit, camille)
    make.act(post, Action.recall, camille)
    before = len(told(db_session, post, ("commented",)))
    ops.add_comment(db_session, post, lucile, "On en parle demain.")
    assert told(db_session, post, ("commented",))[before:] == [("Camille Dubois", "commented")]


# The preferences page -------------------------------------------------------------------------------------------


def test_the_cabinets_preferences_offer_what_it_is_told_in_its_executives_zone(make, office, web):
    web.login(office["sophie"])
    page = web.get("/notifications/preferences").get_data(as_text=True)
    offered = set(re.findall(r'name="mode-(\w+)"', page))
    assert offered == {"cabinet_requested", "cabinet_reminder", "scheduled", "published", "failed", "missed",
                       "unconfirmed", "accepted_changed", "withdrawn", "commented"}
    assert "A suggested message my cabinet accepted was published" in page
    assert "My post was published" not in page
    # Its digest comes at 08:00 in Paris, where Hélène Marchand's account is: the page says so.
    assert "the digest in my executives&#39; market&#39;s (Europe/Paris)" in page and "no market of my own" not in page


def test_the_writers_preferences_offer_comments_and_not_the_cabinets_own_kinds(make, office, web):
    web.login(office["camille"])
    page = web.get("/notifications/preferences").get_data(as_text=True)
    offered = set(re.findall(r'name="mode-(\w+)"', page))
    assert "commented" in offered and "published" in offered
    assert not offered & {"cabinet_requested", "cabinet_reminder", "accepted_changed", "withdrawn",
                          "cabinet_escalation"}
    web.login(office["lucile"])
    offered = set(re.findall(r'name="mode-(\w+)"', web.get("/notifications/preferences").get_data(as_text=True)))
    assert {"commented", "cabinet_escalation", "cabinet_decided"} <= offered
    assert not offered & {"cabinet_requested", "cabinet_reminder", "accepted_changed", "withdrawn"}


def test_the_cabinets_list_shows_the_text_it_was_sent_not_the_writers_drafts(make, office, db_session, web):
    post = make.post(State.in_review, account=office["account"], author=office["camille"],
                     body="Fière d'inaugurer le vélodrome avec nos équipes.")
    make.act(post, Action.approve, office["lucile"])
    make.act(post, Action.request_changes, office["sophie"], comment="Plus personnel.")
    ops.edit_post(db_session, post, office["camille"], "BROUILLON INTERNE : ne pas montrer au cabinet.",
                  expected_version=post.version)
    ops.add_comment(db_session, post, office["camille"], "Je reprends le texte.")
    web.login(office["sophie"])
    page = web.get("/notifications").get_data(as_text=True)
    assert "New comment on a suggested message sent to your cabinet" in page and "Je reprends le texte." in page
    assert "BROUILLON" not in page and "Fière d&#39;inaugurer le vélodrome" in page
    web.login(office["lucile"])
    assert "BROUILLON INTERNE" in web.get("/notifications").get_data(as_text=True)  # the writers' table


@pytest.mark.parametrize("action", [Action.request_changes, Action.decline])
def test_the_cabinet_taking_its_acceptance_back_is_told_to_who_sent_and_who_scheduled_it(make, office, db_session,
                                                                                         action):
    post = make.post(State.in_review, account=office["account"], author=office["camille"])
    make.act(post, Action.approve, office["marc"])
    make.act(post, Action.accept, office["sophie"])
    make.act(post, Action.schedule, office["lucile"], scheduled_at=utcnow() + timedelta(days=1))
    before = len(told(db_session, post, ("cabinet_decided",)))  # Marc heard of the acceptance
    make.act(post, action, office["sophie"], comment="Mme Marchand a changé d'avis.")
    decided = told(db_session, post, ("cabinet_decided",))[before:]
    assert sorted(decided) == [("Lucile Tardieu", "cabinet_decided"), ("Marc Lefèvre", "cabinet_decided")]
