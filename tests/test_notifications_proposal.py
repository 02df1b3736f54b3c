"""A writer who changes the time they propose for a post already decided tells the project managers who schedule it
(``proposal_changed``): an approved post's reviewers and its market's project managers (the "Approved, to schedule"
list is theirs), a scheduled post's scheduler (its slot no longer matches). Never the writer, nor anyone for a post
not decided yet (its reviewer sees the proposal on its page). Only the latest proposal holds: a new one settles the
earlier; so does the post leaving its way, or being scheduled at the proposal. In the list, the mail and the
preferences, in the reader's language. SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from approval.db import make_engine, utcnow
from approval.migrate import downgrade, upgrade
from approval.models import Post
from approval.models.notifications import MailMode, Notification, NotificationKind, NotificationPreference
from approval.notifications import texts
from approval.notifications.inbox import no_longer_awaited
from approval.notifications.mailer import Mailer
from approval.operations import edit_post
from approval.workflow.states import Action, Role, State
from tests.conftest import Factory, app_session, committed_app, numbered_factory
from tests.notification_helpers import SmtpServer

CHANGED = NotificationKind.proposal_changed
SITE = "https://approval.helio.example"


def _ahead(days: int, hour: int = 19) -> datetime:
    """An instant ``days`` from now, on the hour (UTC): 20:00 in Paris in winter."""
    return (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def _propose(session, post: Post, writer, when: datetime | None) -> None:  # noqa: ANN001
    """The writer's new proposal alone, as the edit form and the API send it (``engine.propose``)."""
    entry = edit_post(session, post, writer, post.body, expected_version=post.version, proposed_at=when)
    assert entry is not None and entry.payload.get("proposal_only")
    session.flush()


def _notices(session, post: Post) -> list[Notification]:  # noqa: ANN001
    session.flush()
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.kind == CHANGED,
                                                           Notification.post_id == post.id)
                                .order_by(Notification.id)))


def _unread(session, post: Post) -> set[int]:  # noqa: ANN001
    return {n.user_id for n in _notices(session, post) if n.read_at is None}


@pytest.fixture()
def team(make):  # noqa: ANN001, ANN201
    france, kenya = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    return {
        "france": france,
        "account": make.account(france),
        "writer": make.user(Role.community_manager, markets=[france], name="Camille Writer"),
        "reviewer": make.user(Role.project_manager, markets=[france], name="Paula Reviewer"),
        "colleague": make.user(Role.project_manager, markets=[france], name="Pierre Colleague"),
        # France has managers of its own: a group-wide one hears of its posts only as their reviewer or scheduler.
        "group": make.user(Role.project_manager, all_markets=True, name="Gaia Group"),
        "kenyan": make.user(Role.project_manager, markets=[kenya], name="Otieno"),
        "other_writer": make.user(Role.community_manager, markets=[france], name="Chloé"),
    }


def test_an_approved_posts_new_proposal_tells_its_project_managers_not_its_writer(make, db_session, team):
    post = make.post(State.approved, account=team["account"], author=team["writer"], reviewer=team["reviewer"])
    assert _notices(db_session, post) == []
    when = _ahead(5)

    _propose(db_session, post, team["writer"], when)

    notices = _notices(db_session, post)
    assert sorted(n.user_id for n in notices) == sorted([team["reviewer"].id, team["colleague"].id])
    notice = next(n for n in notices if n.user_id == team["reviewer"].id)
    assert notice.actor_id == team["writer"].id and notice.read_at is None and notice.action == Action.edit
    assert not no_longer_awaited(notice)
    with force_locale("en"):
        said = texts.said(notice.comment, notice.why)
        local = texts.said_in(when, "Europe/Paris")
    assert said.startswith("Camille Writer proposes ") and local in said and "Europe/Paris" in said
    assert "schedule the post then" in said
    assert texts.title_for(notice, team["reviewer"]) == "The proposed time of an approved post changed"

    # Changed again: only the latest holds, one unread notice each.
    later = _ahead(6)
    _propose(db_session, post, team["writer"], later)
    notices = _notices(db_session, post)
    assert len(notices) == 4
    first, second = notices[:2], notices[2:]
    assert all(n.read_at is not None and no_longer_awaited(n) for n in first)
    assert all(n.read_at is None and not no_longer_awaited(n) for n in second)
    assert _unread(db_session, post) == {team["reviewer"].id, team["colleague"].id}

    # Withdrawn: said so.
    _propose(db_session, post, team["writer"], None)
    [*_, last] = _notices(db_session, post)
    with force_locale("en"):
        assert texts.said(last.comment, last.why) == ("Camille Writer withdrew the proposed time: schedule the post "
                                                      "when it suits.")
    assert len(_unread(db_session, post)) == 2


def test_a_project_manager_who_proposes_is_not_told_their_own_proposal(make, db_session, team):
    post = make.post(State.approved, account=team["account"], author=team["writer"], reviewer=team["reviewer"])
    _propose(db_session, post, team["colleague"], _ahead(5))
    assert _unread(db_session, post) == {team["reviewer"].id}


def test_a_scheduled_posts_new_proposal_tells_its_scheduler_until_it_is_scheduled_there(make, db_session, team):
    post = make.post(State.approved, account=team["account"], author=team["writer"], reviewer=team["reviewer"])
    slot = _ahead(3)
    make.act(post, Action.schedule, team["group"], scheduled_at=slot)
    when = _ahead(4)

    _propose(db_session, post, team["writer"], when)

    [notice] = _notices(db_session, post)
    assert notice.user_id == team["group"].id  # the scheduler alone: the slot is theirs
    with force_locale("en"):
        said = texts.said(notice.comment, notice.why)
        assert texts.said_in(when, "Europe/Paris") in said and texts.said_in(slot, "Europe/Paris") in said
    assert "move its slot" in said

    # Unscheduled, the post waits again: the request holds; scheduled elsewhere, still.
    make.act(post, Action.unschedule, team["group"])
    assert _unread(db_session, post) == {team["group"].id}
    make.act(post, Action.schedule, team["group"], scheduled_at=_ahead(2))
    assert _unread(db_session, post) == {team["group"].id}
    # Moved to the proposal (a calendar move: an unscheduling, then a scheduling): settled.
    make.act(post, Action.unschedule, team["colleague"])
    make.act(post, Action.schedule, team["colleague"], scheduled_at=when)
    [notice] = _notices(db_session, post)
    assert notice.read_at is not None and no_longer_awaited(notice)


def test_an_approved_post_scheduled_at_the_proposal_settles_it(make, db_session, team):
    post = make.post(State.approved, account=team["account"], author=team["writer"], reviewer=team["reviewer"])
    when = _ahead(5)
    _propose(db_session, post, team["writer"], when)
    assert len(_unread(db_session, post)) == 2
    make.act(post, Action.schedule, team["colleague"], scheduled_at=when)
    assert _unread(db_session, post) == set()
    assert all(no_longer_awaited(n) for n in _notices(db_session, post))


def test_a_proposal_the_slot_already_matches_tells_nobody(make, db_session, team):
    post = make.post(State.approved, account=team["account"], author=team["writer"], reviewer=team["reviewer"])
    slot = _ahead(3)
    make.act(post, Action.schedule, team["reviewer"], scheduled_at=slot)
    _propose(db_session, post, team["writer"], slot)
    assert _notices(db_session, post) == []


def test_the_notice_settles_once_the_post_leaves_its_way(make, db_session, team):
    post = make.post(State.approved, account=team["account"], author=team["writer"], reviewer=team["reviewer"])
    _propose(db_session, post, team["writer"], _ahead(5))
    assert len(_unread(db_session, post)) == 2
    edit_post(db_session, post, team["writer"], "Un autre texte, pour une autre heure.",
              expected_version=post.version)
    assert post.state == State.in_review
    notices = _notices(db_session, post)
    assert all(n.read_at is not None and no_longer_awaited(n) for n in notices)


@pytest.mark.parametrize("state", [State.draft, State.in_review, State.changes_requested])
def test_a_post_not_decided_yet_tells_nobody(make, db_session, team, state):
    """In review, its reviewer reads the proposal on the post's page (the "Approve and schedule" button offers it)."""
    post = make.post(state, account=team["account"], author=team["writer"], reviewer=team["reviewer"])
    _propose(db_session, post, team["writer"], _ahead(5))
    assert post.state == state
    assert _notices(db_session, post) == []


def test_only_project_managers_choose_how_it_is_mailed():
    assert CHANGED in texts.kinds_for(Role.project_manager) and CHANGED in texts.kinds_for(Role.admin)
    assert CHANGED not in texts.kinds_for(Role.community_manager)
    assert CHANGED not in texts.kinds_for(Role.cabinet)


def test_the_preferences_page_and_the_list_show_it(make, web, db_session, team):
    post = make.post(State.approved, account=team["account"], author=team["writer"], reviewer=team["reviewer"])
    when = _ahead(5)
    _propose(db_session, post, team["writer"], when)
    web.login(team["reviewer"])
    page = web.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="mode-proposal_changed"' in page
    assert "The proposed time of an approved or scheduled post changes" in page
    assert web.post("/notifications/preferences", {"mode-proposal_changed": "daily"}).status_code in (302, 303)
    chosen = db_session.get(NotificationPreference, (team["reviewer"].id, CHANGED))
    assert chosen is not None and chosen.mode == MailMode.daily

    listing = web.get("/notifications").get_data(as_text=True)
    assert "The proposed time of an approved post changed" in listing
    assert "Camille Writer proposes" in listing and "Europe/Paris" in listing
    assert "another time was proposed since" not in listing
    _propose(db_session, post, team["writer"], _ahead(6))  # the first one answered by the second
    listing = web.get("/notifications").get_data(as_text=True)
    assert listing.count("The proposed time of an approved post changed") == 2 * 2  # its link, its checkbox
    assert listing.count("No longer waiting: another time was proposed since, or the post was scheduled at this "
                         "one.") == 1

    web.login(team["writer"])
    assert 'name="mode-proposal_changed"' not in web.get("/notifications/preferences").get_data(as_text=True)


# The mail, through a real SMTP server ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory, smtp):  # noqa: ANN001, ANN201
    return committed_app(databases, backend, tmp_path_factory, SMTP_URL=smtp.url)


@pytest.fixture()
def session(world, smtp):  # noqa: ANN001, ANN201
    smtp.take()
    yield from app_session(world)


_TESTS = itertools.count(1)


@pytest.fixture()
def maker(session) -> Factory:  # noqa: ANN001
    return numbered_factory(session, _TESTS, 41)


def test_the_scheduler_is_mailed_in_their_language_with_the_new_time_in_the_markets_zone(world, session, maker,
                                                                                          smtp):
    france = maker.market("FR", timezone="Europe/Paris", languages=("fr",))
    writer = maker.user(Role.community_manager, markets=[france], name="Camille Écrivaine")
    french = maker.user(Role.project_manager, markets=[france], name="Pierre")  # never chose: France's French
    maker.chosen_locale = "en"
    english = maker.user(Role.project_manager, markets=[france], name="Emma")
    maker.chosen_locale = None
    post = maker.post(State.approved, account=maker.account(france), author=writer, reviewer=french)
    slot = _ahead(3)
    maker.act(post, Action.schedule, french, scheduled_at=slot)
    session.commit()
    Mailer(world).run_once()
    smtp.take()  # what the scene itself told

    when = _ahead(4, hour=8)  # 09:00 in Paris
    _propose(session, post, writer, when)
    session.commit()
    Mailer(world).run_once()
    got = {m.to[0]: m for m in smtp.take()}

    assert set(got) == {french.email}  # the scheduler; not Emma, not the writer
    fr = got[french.email]
    assert fr.message["Content-Language"] == "fr"
    with force_locale("fr"):
        assert fr.subject.startswith(texts.title(CHANGED))
        local, scheduled = texts.said_in(when, "Europe/Paris"), texts.said_in(slot, "Europe/Paris")
    text = fr.part("plain")
    assert re.search(r"\b09:00 \(Europe/Paris, UTC\+0[12]:00\)", local)
    assert local in text and scheduled in text  # French dates ("déc."), in Paris
    assert "Camille Écrivaine" in text
    assert f"{SITE}/posts/{post.id}" in text and "Ouvrir la publication" in fr.part("html")
    line = next(line for line in text.splitlines() if local in line)
    assert not line.strip().startswith(("“", "«"))  # the app's words, not quoted as a person's

    # Emma schedules a post too: an English reader of the same news.
    other = maker.post(State.approved, account=maker.account(france), author=writer, reviewer=french)
    _propose(session, other, writer, when)
    maker.act(other, Action.schedule, english, scheduled_at=slot)
    session.commit()
    Mailer(world).run_once()
    smtp.take()
    _propose(session, other, writer, None)
    session.commit()
    Mailer(world).run_once()
    [en] = smtp.take()
    assert en.to == (english.email,) and en.message["Content-Language"] == "en"
    assert en.subject.startswith("The proposed time of an approved post changed")
    text = en.part("plain")
    assert "Camille Écrivaine withdrew the proposed time" in text
    with force_locale("en"):
        assert texts.said_in(slot, "Europe/Paris") in text


# The migration -----------------------------------------------------------------------------------------------------


def test_0038_admits_the_kind_and_its_downgrade_forbids_it_again(databases, backend):  # noqa: ANN001
    url = databases.new_url(backend)
    upgrade(url, "0037")
    engine = make_engine(url)
    insert = text("INSERT INTO notification_preferences (user_id, kind, mode) VALUES (1, :kind, 'off')")
    count = text("SELECT count(*) FROM notification_preferences WHERE kind = 'proposal_changed'")
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO users (id, email, name, role, password_hash, active, all_markets, "
                                    "created_at) VALUES (1, 'pm@helio.example', 'Pierre', 'project_manager', 'x', "
                                    "true, false, CURRENT_TIMESTAMP)"))
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert, {"kind": "proposal_changed"})

        upgrade(url, "0038")
        with engine.begin() as connection:
            connection.execute(insert, {"kind": "proposal_changed"})
            connection.execute(insert, {"kind": "policy_refuses"})
        engine.dispose()
        downgrade(url, "0037")
        with engine.connect() as connection:
            assert connection.scalar(count) == 0
            assert connection.scalar(text("SELECT count(*) FROM notification_preferences")) == 1  # the others stay
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert, {"kind": "proposal_changed"})
    finally:
        engine.dispose()


def test_a_proposal_replaced_before_its_mail_went_is_not_mailed(world, session, maker, smtp):
    france = maker.market("FR", timezone="Europe/Paris", languages=("fr",))
    writer = maker.user(Role.community_manager, markets=[france], name="Camille")
    maker.chosen_locale = "en"
    scheduler = maker.user(Role.project_manager, markets=[france], name="Emma")
    maker.chosen_locale = None
    post = maker.post(State.approved, account=maker.account(france), author=writer, reviewer=scheduler)
    maker.act(post, Action.schedule, scheduler, scheduled_at=_ahead(3))
    session.commit()
    Mailer(world).run_once()
    smtp.take()

    first, second = _ahead(4, hour=8), _ahead(4, hour=10)
    _propose(session, post, writer, first)
    _propose(session, post, writer, second)
    session.commit()
    Mailer(world).run_once()

    [mail] = smtp.take()
    text = mail.part("plain")
    with force_locale("en"):
        assert texts.said_in(second, "Europe/Paris") in text and texts.said_in(first, "Europe/Paris") not in text
    replaced = session.scalar(select(Notification).where(Notification.post_id == post.id, Notification.kind == CHANGED)
                              .order_by(Notification.id).limit(1))
    assert replaced.mail_sent_at is not None and replaced.mail_error == "settled before the mail"
