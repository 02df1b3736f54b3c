"""The mail outbox against a real SMTP server on 127.0.0.1 (aiosmtpd), on SQLite and PostgreSQL: exactly the
expected mails to exactly the expected people, none for a rolled-back change, every mail once through refusals, the
daily digest at 08:00 in Paris and in Nairobi, each in the reader's language."""

from __future__ import annotations

import itertools
import re
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from approval import operations as ops
from approval.db import utcnow
from approval.labels import said_wall
from approval.models.notifications import MailMode, Notification, NotificationPreference, NotificationProfile
from approval.models.notifications import NotificationKind as Kind
from approval.notifications import dispatch
from approval.notifications.mailer import Mailer, SmtpSettings, last_digest_time
from approval.workflow.states import Action, Role, State
from tests.conftest import Factory, app_session, committed_app, numbered_factory
from tests.notification_helpers import SmtpServer, free_port
from tests.said_helpers import in_english


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory, smtp):
    return committed_app(databases, backend, tmp_path_factory, SMTP_URL=smtp.url)


@pytest.fixture()
def session(world, smtp):
    smtp.take()
    smtp.refuse(0)
    yield from app_session(world)


_TESTS = itertools.count(1)


@pytest.fixture()
def make(session) -> Factory:
    factory = numbered_factory(session, _TESTS, 41)
    factory.chosen_locale = "en"  # these mails are read in English; one who never chose reads their market's
    return factory


@pytest.fixture()
def scene(make, session):
    market = make.market(None, timezone="Europe/Paris")
    scene = {"market": market, "account": make.account(market),
             "cm": make.user(Role.community_manager, markets=[market], name="Camille Martin"),
             "pm": make.user(Role.project_manager, markets=[market], name="Pierre Durand"),
             "pm2": make.user(Role.project_manager, markets=[market], name="Paula Roy")}
    other = make.market(None, timezone="Africa/Nairobi")
    scene["outsider"] = make.user(Role.project_manager, markets=[other], name="Otieno")
    session.commit()
    return scene


def mailer(world, now: datetime | None = None, **kwargs) -> Mailer:
    return Mailer(world, clock=(lambda: now) if now else utcnow, **kwargs)


def send(world, session, now: datetime | None = None, **kwargs):  # noqa: ANN201
    """One pass of a sender; the test's session first ends its transaction (SQLite: it would hold the write lock)."""
    session.commit()
    return mailer(world, now, **kwargs).run_once()


def test_a_transition_mails_exactly_the_expected_people_once(world, session, make, scene, smtp):
    post = make.post(State.in_review, account=scene["account"], author=scene["cm"])
    session.commit()
    report = send(world, session)
    assert report.sent == 2
    mails = smtp.take()
    assert sorted(m.to for m in mails) == [(scene["pm"].email,), (scene["pm2"].email,)]
    mail = mails[0]
    assert mail.subject.startswith("A post awaits your review")
    assert mail.message["List-Unsubscribe"] == "<https://approval.helio.example/notifications/preferences>"
    assert f"https://approval.helio.example/posts/{post.id}" in mail.part("plain")
    assert f'href="https://approval.helio.example/posts/{post.id}"' in mail.part("html")
    assert "Camille Martin" not in [m.to for m in mails]
    assert send(world, session).sent == 0 and smtp.take() == []

    make.act(post, Action.approve, scene["pm"])
    session.commit()
    send(world, session)
    assert [(m.to, m.subject.split(" — ")[0]) for m in smtp.take()] == [
        ((scene["cm"].email,), "Your post was approved")]


def test_a_rolled_back_transition_mails_nobody(world, session, make, scene, smtp):
    post = make.post(State.draft, account=scene["account"], author=scene["cm"])
    session.commit()
    make.act(post, Action.submit, scene["cm"])
    session.rollback()
    assert send(world, session).sent == 0
    assert smtp.take() == []


def test_a_post_the_user_can_no_longer_see_is_not_mailed(world, session, make, scene, smtp):
    """Moved to another market between the notification and its mail: the post's text does not leave by mail (the
    in-app list hides it too); what they still see is mailed."""
    make.post(State.in_review, account=scene["account"], author=scene["cm"], body="Le secret du lundi.")
    session.commit()
    scene["pm"].markets = list(scene["outsider"].markets)
    session.commit()
    assert send(world, session).sent == 1
    mails = smtp.take()
    assert [m.to for m in mails] == [(scene["pm2"].email,)]  # who still sees it reads its text, in both parts
    assert "Le secret du lundi." in mails[0].part("plain") and "Le secret du lundi." in mails[0].part("html")
    assert send(world, session).sent == 0 and smtp.take() == []  # not kept for later either


def test_the_users_language_and_preference_decide(world, session, make, scene, smtp):
    scene["pm"].locale = "fr"
    session.add(NotificationPreference(user_id=scene["pm2"].id, kind=Kind.review_requested, mode=MailMode.off))
    session.commit()
    make.post(State.in_review, account=scene["account"], author=scene["cm"])
    session.commit()
    send(world, session)
    mails = smtp.take()
    assert [m.to for m in mails] == [(scene["pm"].email,)]
    assert mails[0].subject.startswith("Une publication attend votre relecture")
    assert "Bonjour" in mails[0].part("plain") and mails[0].message["Content-Language"] == "fr"


def test_a_server_refusing_for_a_while_gets_every_mail_once(world, session, make, scene, smtp):
    posts = [make.post(State.in_review, account=scene["account"], author=scene["cm"]) for _ in range(3)]
    session.commit()
    down = SmtpSettings.from_url(f"smtp://127.0.0.1:{free_port()}?timeout=2")  # nobody listens there
    now = utcnow()
    first = send(world, session, now, settings=down)
    assert first.failed == 2 and smtp.take() == []  # one mail a person, its three posts in it
    smtp.refuse(4)
    received = []
    for minutes in range(1, 12):  # the backoff lets them go again after 30 s, 1 min, 2 min...
        send(world, session, now + timedelta(minutes=minutes * 2))
        received += smtp.take()
    assert smtp.refused == 4 or smtp.refused >= 4
    expected = sorted((user.email, post.id) for post in posts for user in (scene["pm"], scene["pm2"]))
    got = sorted((m.to[0], int(post_id)) for m in received for post_id in re.findall(r"/posts/(\d+)", m.part("plain")))
    assert got == expected
    session.expire_all()
    rows = session.scalars(select(Notification).where(Notification.post_id.in_([p.id for p in posts]))).all()
    assert all(n.mail_sent_at is not None and n.mail_claim is None for n in rows)
    assert max(n.mail_attempts for n in rows) >= 2


def test_two_senders_at_once_never_send_a_mail_twice(world, session, make, scene, smtp):
    posts = [make.post(State.in_review, account=scene["account"], author=scene["cm"]) for _ in range(10)]
    session.commit()
    session.commit()
    senders = [mailer(world, batch=3) for _ in range(3)]

    def drain(sender: Mailer) -> None:
        with world.app_context():
            for _ in range(10):
                sender.run_once()

    threads = [threading.Thread(target=drain, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    received = smtp.take()
    keys = [(m.to[0], post_id) for m in received for post_id in re.findall(r"/posts/(\d+)", m.part("plain"))]
    assert len(keys) == 20 and len(set(keys)) == 20
    assert posts


@pytest.mark.parametrize(("zone", "digest_utc"), [("Europe/Paris", "07:00"), ("Africa/Nairobi", "05:00")])
def test_the_daily_digest_goes_at_eight_in_the_users_zone(world, session, make, scene, smtp, zone, digest_utc):
    market = make.market(None, timezone=zone)
    account = make.account(market)
    author = make.user(Role.community_manager, markets=[market], name=f"Author in {zone}")
    for kind in (Kind.approved, Kind.published):
        session.add(NotificationPreference(user_id=author.id, kind=kind, mode=MailMode.daily))
    session.commit()
    posts = [make.post(State.draft, account=account, author=author) for _ in range(3)]
    session.commit()
    day = datetime(2026, 12, 1, tzinfo=UTC)
    # Two items the day before, one at 08:30 local on the day (after that day's digest).
    at = [day - timedelta(hours=10), day - timedelta(hours=2), last_digest_time(day + timedelta(hours=12), zone)
          + timedelta(minutes=30)]
    for post, when, kind in zip(posts, at, (Kind.approved, Kind.published, Kind.approved), strict=True):
        dispatch.notify_post(session, kind, (dispatch.Audience.author,), post_id=post.id, actor_id=None, at=when)
    session.commit()
    hour, minute = map(int, digest_utc.split(":"))
    eight = day.replace(hour=hour, minute=minute)
    assert send(world, session, eight - timedelta(minutes=1)).digests == 0
    assert [m for m in smtp.take() if m.to == (author.email,)] == []
    assert send(world, session, eight).digests == 1
    mails = [m for m in smtp.take() if m.to == (author.email,)]
    assert len(mails) == 1
    text = mails[0].part("plain")
    assert f"/posts/{posts[0].id}" in text and f"/posts/{posts[1].id}" in text and f"/posts/{posts[2].id}" not in text
    assert mails[0].subject == "Your daily digest: 2 notifications"
    assert send(world, session, eight + timedelta(hours=3)).digests == 0
    next_day = send(world, session, eight + timedelta(days=1))
    assert next_day.digests == 1
    assert [f"/posts/{posts[2].id}" in m.part("plain") for m in smtp.take() if m.to == (author.email,)] == [True]


def test_a_cabinet_members_zone_is_their_executives_market_s(world, session, make):
    """A cabinet member belongs to no market: their digest went out at 08:00 UTC and their pages told UTC. Their
    zone is now the first market their executives' accounts are in (their own, when they chose one)."""
    from approval.notifications.zones import zone_of

    kenya = make.market(None, timezone="Africa/Nairobi")
    ceo = make.executive("Wanjiru Kamau")
    make.account(kenya, executive=ceo)
    cabinet = make.user(Role.cabinet, executives=[ceo])
    session.commit()
    assert zone_of(None, cabinet) == "Africa/Nairobi"
    assert mailer(world, None)._zones(session, {cabinet.id}) == {cabinet.id: "Africa/Nairobi"}
    session.add(NotificationProfile(user_id=cabinet.id, timezone="Europe/Paris"))
    session.flush()
    assert mailer(world, None)._zones(session, {cabinet.id}) == {cabinet.id: "Europe/Paris"}


def test_a_users_own_zone_overrides_their_markets(world, session, make, smtp):
    market = make.market(None, timezone="Europe/Paris")
    user = make.user(Role.community_manager, markets=[market])
    session.add(NotificationProfile(user_id=user.id, timezone="Africa/Nairobi"))
    session.add(NotificationPreference(user_id=user.id, kind=Kind.approved, mode=MailMode.daily))
    post = make.post(State.draft, account=make.account(market), author=user)
    session.commit()
    dispatch.notify_post(session, Kind.approved, (dispatch.Audience.author,), post_id=post.id, actor_id=None,
                         at=datetime(2026, 11, 30, 12, tzinfo=UTC))
    session.commit()
    assert send(world, session, datetime(2026, 12, 1, 5, tzinfo=UTC)).digests == 1
    assert [m.to for m in smtp.take()] == [(user.email,)]


def test_the_smtp_url_says_how_to_connect():
    s = SmtpSettings.from_url("smtp://me%40helio:p%3Ass@mail.helio.example:587?starttls=1&from=ops@helio.example")
    assert (s.host, s.port, s.username, s.password, s.starttls, s.tls, s.sender) == (
        "mail.helio.example", 587, "me@helio", "p:ss", True, False, "ops@helio.example")
    assert SmtpSettings.from_url("smtps://mail.helio.example").port == 465
    assert SmtpSettings.from_url("smtp://mail.helio.example").port == 25
    # Without from=, the sender is at the server's name, or its address as an address literal (never approval@1.2.3.4)
    assert SmtpSettings.from_url("smtp://mail.helio.example").sender == "approval@mail.helio.example"
    assert SmtpSettings.from_url("smtp://127.0.0.1:2525").sender == "approval@[127.0.0.1]"
    assert SmtpSettings.from_url("smtp://[::1]:2525").sender == "approval@[IPv6:::1]"
    with pytest.raises(ValueError):
        SmtpSettings.from_url("http://mail.helio.example")


def test_a_scheduled_post_s_mail_says_when_and_where_it_goes_out(world, session, make, scene, smtp):
    """The author reads when the post goes out (its market's time), on which network by the name the pages use, and
    its text in the plain part too (a mail reader that shows only that part had the title and a link)."""
    post = make.post(State.approved, account=scene["account"], author=scene["cm"], body="Le stade ce soir.")
    session.commit()
    slot = (utcnow() + timedelta(days=2)).replace(hour=9, minute=30, second=0, microsecond=0)
    make.act(post, Action.schedule, scene["pm"], scheduled_at=slot)
    session.commit()
    send(world, session)
    [mail] = [m for m in smtp.take() if m.to == (scene["cm"].email,)]  # approved, then scheduled: one mail
    plain = mail.part("plain")
    local = in_english(world, said_wall, slot.astimezone(ZoneInfo("Europe/Paris")))  # "Dec 8, 2026, 10:30"
    assert f"Goes out on {local} (Europe/Paris" in plain and f"Goes out on {local}" in mail.part("html")
    assert f"· Facebook @{scene['account'].handle}" in plain and "facebook @" not in plain
    assert "> Le stade ce soir." in plain


def test_a_persons_notifications_due_together_go_in_one_mail(world, session, make, scene, smtp):
    """A reminder pass over many waiting posts sent a mail for each: what falls due for one person in one pass goes
    in one mail, each post with its link, its subject naming the first and how many more."""
    posts = [make.post(State.in_review, account=scene["account"], author=scene["cm"]) for _ in range(4)]
    session.commit()
    report = send(world, session)
    mails = smtp.take()
    assert report.sent == 2 and sorted(m.to for m in mails) == [(scene["pm"].email,), (scene["pm2"].email,)]
    for mail in mails:
        assert sorted(map(int, re.findall(r"/posts/(\d+)", mail.part("plain")))) == sorted(p.id for p in posts)
        assert mail.subject == "A post awaits your review, and 3 more"


def test_a_reminder_says_how_long_the_post_has_waited_and_who_wrote_it(world, session, make, scene, smtp):
    from approval.notifications.reminders import Reminders

    monday_nine = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Paris
    post = make.post(State.in_review, account=scene["account"], author=scene["cm"])
    post.submitted_at = monday_nine
    session.commit()
    smtp.take()
    at = monday_nine + timedelta(hours=4)
    Reminders(world, clock=lambda: at).run_once()
    send(world, session, at)
    [mail] = [m for m in smtp.take() if m.to == (scene["pm"].email,)]
    assert "In review for 4 hours; written by Camille Martin." in mail.part("plain")


def test_a_mail_gathers_only_notifications_at_the_same_try(world, session, make, scene, smtp):
    """A failure counts a try for the whole mail: a new notification gathered with one at its seventh try would have
    been given up after a single failure of its own."""
    old, new = (make.post(State.in_review, account=scene["account"], author=scene["cm"]) for _ in range(2))
    session.commit()
    session.execute(update(Notification).where(Notification.post_id == old.id).values(mail_attempts=7))
    session.commit()
    send(world, session)
    to_pm = [m for m in smtp.take() if m.to == (scene["pm"].email,)]
    assert sorted(len(re.findall(r"/posts/(\d+)", m.part("plain"))) for m in to_pm) == [1, 1]
    assert new.id


def test_a_failure_in_the_workers_own_words_is_mailed_and_listed_in_the_readers_language(world, session, make,
                                                                                        scene, smtp):
    """The pages said why a post failed in French; its mail quoted the worker's English ("The account is not
    connected to a publisher…"). The notification keeps the reasons as message ids, as the step does."""
    from approval.publishing import reasons
    from approval.workflow import engine

    scene["pm"].locale = "fr"  # an unconnected account is told to its project managers (and the admins)
    post = make.post(State.approved, account=scene["account"], author=scene["cm"], reviewer=scene["pm"])
    make.act(post, Action.schedule, scene["pm"], scheduled_at=utcnow() + timedelta(hours=1))
    send(world, session)
    smtp.take()  # the approval's mails
    why = [reasons.reason(reasons.NOT_CONNECTED)]
    engine.record_step(session, post, Action.fail, now=utcnow(), payload={"why": why}, comment=reasons.text(why))
    send(world, session)
    mails = {m.to[0]: m for m in smtp.take()}
    french = "Le compte n’est relié à aucun moyen de publication"
    for part in ("plain", "html"):
        assert french in mails[scene["pm"].email].part(part) and "reliez-le" in mails[scene["pm"].email].part(part)
    assert "The account is not connected to a publisher" in mails[scene["pm2"].email].part("plain")
    assert scene["cm"].email not in mails
    # The person's list of notifications says it in their language too: in a thread of its own, outside the test's
    # application context (which would keep the first request's language), once the test's transaction is over.
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    from tests.conftest import WebClient

    reader = SimpleNamespace(email=scene["pm"].email)
    session.commit()

    def listed() -> str:
        client = WebClient(world.test_client())
        client.login(reader)
        return client.get("/notifications").get_data(as_text=True)

    with ThreadPoolExecutor(1) as thread:
        assert french in thread.submit(listed).result()


def test_a_digest_leaves_out_the_requests_someone_settled_before_it(world, session, make, scene, smtp):
    """A manager reading the 08:00 digest was asked to review posts a colleague had approved since: the digest
    asks only for what still awaits them, and a digest of nothing but settled requests is not sent (nor later)."""
    reader = make.user(Role.project_manager, markets=[scene["market"]], name="Digest reader")
    session.add(NotificationPreference(user_id=reader.id, kind=Kind.review_requested, mode=MailMode.daily))
    session.commit()
    waiting, settled = (make.post(State.in_review, account=scene["account"], author=scene["cm"]) for _ in range(2))
    session.commit()
    ops.act_on_post(session, settled, Action.approve, scene["pm"], expected_version=settled.version)
    session.commit()
    eight = last_digest_time(utcnow() + timedelta(days=1), "Europe/Paris")
    assert send(world, session, eight).digests == 1
    mails = [m for m in smtp.take() if m.to == (reader.email,)]
    assert len(mails) == 1
    assert set(re.findall(r"/posts/(\d+)", mails[0].part("plain"))) == {str(waiting.id)}
    # Only settled requests: no digest, that day or the next.
    again = make.post(State.in_review, account=scene["account"], author=scene["cm"])
    session.commit()
    ops.act_on_post(session, again, Action.approve, scene["pm"], expected_version=again.version)
    session.commit()
    for day in (1, 2):
        assert send(world, session, eight + timedelta(days=day)).digests == 0
    assert [m for m in smtp.take() if m.to == (reader.email,)] == []
    session.expire_all()
    row = session.scalars(select(Notification).where(Notification.post_id == again.id,
                                                     Notification.user_id == reader.id)).one()
    assert row.mail_claim is None and row.mail_error == "settled before the digest"  # done, as an unseen post's
