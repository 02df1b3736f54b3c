"""Notifications during a crisis night (a stop switch over everything, webhooks failing, missed slots, releases), as
every role reads them, in English and French, on SQLite and PostgreSQL: a switch turned off says what stays held for
each reader; a failure says what the network's answer came to before quoting it; "Publish now" does not announce a
slot that is already here."""

from __future__ import annotations

import html
import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from approval.db import utcnow
from approval.models import Post
from approval.models.notifications import MailMode, Notification, NotificationPreference
from approval.models.notifications import NotificationKind as Kind
from approval.notifications.mailer import Mailer, last_digest_time
from approval.publishing import controls
from approval.workflow import engine
from approval.workflow.states import Action, Role, State
from tests.conftest import Factory, WebClient, app_session, numbered_factory, post_url
from tests.test_notification_mail import smtp, world  # noqa: F401 - the committed world and its SMTP server

#: What a webhook answered, as the worker records it: the network's own words, in English.
EXPIRED = "HTTP 401 The access token has expired: reconnect the account."
#: What a French reader reads first (the desk's sentence), then the network's words.
RECONNECT_FR = "Le réseau n’accepte plus l’accès du compte"
RECONNECT_EN = "The network no longer accepts the account's access"


def _mine(session, user, kind: Kind) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                           Notification.kind == kind).order_by(Notification.id)))


@pytest.fixture()
def night(make):
    """France and Kenya under a switch over everything: Wanjiru wrote four posts of Kenya's, Camille one of France's,
    all held at their time; Amina, another Kenyan writer, none. Gaia (group-wide) turned the switch on."""
    make.chosen_locale = "en"  # read in English unless a test says otherwise
    fr, ke = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en", "sw"))
    people = {
        "fr": fr, "ke": ke,
        "camille": make.user(Role.community_manager, markets=[fr], name="Camille"),
        "pierre": make.user(Role.project_manager, markets=[fr], name="Pierre"),
        "wanjiru": make.user(Role.community_manager, markets=[ke], name="Wanjiru"),
        "amina": make.user(Role.community_manager, markets=[ke], name="Amina"),
        "otieno": make.user(Role.project_manager, markets=[ke], name="Otieno"),
        "gaia": make.user(Role.project_manager, all_markets=True, name="Gaia"),
        "admin": make.user(Role.admin, name="Ada"),
    }
    account_fr, account_ke = make.account(fr), make.account(ke)
    stop = controls.turn_on(make.session, people["gaia"], "all", reason="Crise : tout arrêter")
    held = [make.post(State.scheduled, account=account_ke, author=people["wanjiru"], reviewer=people["otieno"])
            for _ in range(4)]
    held.append(make.post(State.scheduled, account=account_fr, author=people["camille"], reviewer=people["pierre"]))
    for post in held:
        post.held_at, post.held_by_stop_id = utcnow(), stop.id
    # A post the switch did not hold (scheduled for tomorrow): not counted.
    make.post(State.scheduled, account=account_ke, author=people["amina"], reviewer=people["otieno"])
    make.session.flush()
    people.update(stop=stop, held=held)
    return people


# 1. A switch turned off says, to each reader, what stays held --------------------------------------------------------


def test_a_switch_turned_off_tells_each_reader_how_many_posts_stay_held(night, app, db_session):
    """Wanjiru read "A stop switch was turned off · Every market" as "my posts are going out": four of hers stayed
    held until a project manager released them. Each reader is told what stays held of theirs, counted when the
    switch went off (a release later does not change what the notification told)."""
    controls.turn_off(db_session, night["admin"], night["stop"].id)
    db_session.flush()
    db_session.expire_all()
    released = db_session.get(Post, night["held"][0].id)
    released.held_at, released.held_by_stop_id = None, None  # released since: the notification keeps its count
    db_session.flush()

    cases = {
        "wanjiru": "4 of your posts stay held until a project manager releases them or gives them a new time.",
        "camille": "1 of your posts stays held until a project manager releases it or gives it a new time.",
        "amina": "None of your posts was held.",
        "otieno": "4 posts of your markets stay held: release them on the Publishing desk.",
        "pierre": "1 post of your markets stays held: release it on the Publishing desk.",
        "gaia": "5 posts of your markets stay held: release them on the Publishing desk.",
    }
    for name, line in cases.items():
        [off] = _mine(db_session, night[name], Kind.stop_off)
        assert off.why, name
        client = WebClient(app.test_client())
        client.login(night[name])
        page = client.get("/notifications").get_data(as_text=True)
        assert line in page, name
        assert "Crise : tout arrêter" in page, name  # the switch's reason is still quoted
        managers = night[name].role == Role.project_manager
        assert ('href="/publishing"' in page) is managers, name


# 2. A failure says what the call came to, then quotes the network ----------------------------------------------------


def _failed_by_the_network(make, db_session, night, comment: str = EXPIRED, outcome: str = "needs_reconnect") -> Post:
    post = make.post(State.scheduled, account=make.account(night["fr"]), author=night["camille"],
                     reviewer=night["pierre"])
    engine.record_step(db_session, post, Action.fail, now=utcnow(), comment=comment,
                       payload={"outcome": outcome, "attempt": 1, "message": comment})
    db_session.flush()
    return post


def test_a_failure_s_notification_says_what_the_answer_came_to_before_quoting_it(night, make, web, db_session):
    """Pierre, reading French, saw only "HTTP 401 The access token has expired…": the desk says first, in his
    language, what the answer came to and what to do, then quotes the network's words, escaped."""
    night["pierre"].locale = "fr"
    post = _failed_by_the_network(make, db_session, night, EXPIRED + " <script>x</script>")
    [failed] = _mine(db_session, night["pierre"], Kind.failed)
    assert failed.post_id == post.id
    web.login(night["pierre"])
    page = web.get("/notifications").get_data(as_text=True)
    assert RECONNECT_FR in page
    assert "Le réseau a répondu" in page and "HTTP 401 The access token has expired" in page
    assert page.index(RECONNECT_FR) < page.index("HTTP 401 The access token")
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page


def test_a_failure_s_words_are_shortened_in_the_list(night, make, web, db_session):
    """An HTML error page filled the list: the network's words are cut, as the desk cuts them."""
    long_page = "HTTP 502 <html>" + " ".join(["Bad gateway"] * 80) + " END-OF-PAGE</html>"
    _failed_by_the_network(make, db_session, night, long_page, "temporary_error")
    web.login(night["pierre"])
    page = web.get("/notifications").get_data(as_text=True)
    assert "END-OF-PAGE" not in page and "Bad gateway Bad gateway" in page
    [quoted] = re.findall(r'<span class="network-said">.*?<q>(.*?)</q>', page, re.S)
    assert quoted.endswith("…") and len(html.unescape(quoted)) <= 101  # as the desk cuts them (``reasons.WORDS_SHOWN``)


def test_a_missed_slot_s_notification_quotes_the_networks_last_answer_apart(night, make, web, db_session):
    """The worker's reason for a missed slot named the network's last answer inside its sentence: the sentence is
    said in the reader's language, the answer quoted after it, as the desk does."""
    from approval.publishing import reasons

    night["pierre"].locale = "fr"
    post = make.post(State.scheduled, account=make.account(night["fr"]), author=night["camille"],
                     reviewer=night["pierre"])
    why = [reasons.reason(reasons.MISSED_REFUSED, last="HTTP 429 Slow down <b>now</b>")]
    engine.record_step(db_session, post, Action.miss, now=utcnow(), payload={"why": why}, comment=reasons.text(why))
    db_session.flush()
    web.login(night["pierre"])
    page = web.get("/notifications").get_data(as_text=True).replace("\u00a0", " ")
    assert "Le réseau a demandé d’attendre (en dernier : sa réponse, citée ci-dessous)" in page
    assert "Le réseau a répondu" in page and "HTTP 429 Slow down &lt;b&gt;now&lt;/b&gt;" in page


# The mails, immediate and daily, against a real SMTP server -----------------------------------------------------------


@pytest.fixture()
def mail_session(world, smtp):  # noqa: F811
    smtp.take()
    smtp.refuse(0)
    yield from app_session(world)


_TESTS = itertools.count(1)


@pytest.fixture()
def mail_make(mail_session) -> Factory:
    factory = numbered_factory(mail_session, _TESTS, 53)
    factory.chosen_locale = "en"
    return factory


@pytest.mark.parametrize("digest", [False, True])
def test_a_failure_s_mail_says_what_the_answer_came_to_before_quoting_it(world, mail_session, mail_make, smtp,  # noqa: F811
                                                                        digest):
    """The immediate mail and the daily digest, in French: the sentence, then the network's words quoted."""
    market = mail_make.market(None, timezone="Europe/Paris")
    pm = mail_make.user(Role.project_manager, markets=[market], name="Pierre Durand")
    pm.locale = "fr"
    post = mail_make.post(State.approved, account=mail_make.account(market), reviewer=pm)
    mail_make.act(post, Action.schedule, pm, scheduled_at=utcnow() + timedelta(hours=1))
    if digest:
        mail_session.add(NotificationPreference(user_id=pm.id, kind=Kind.failed, mode=MailMode.daily))
    mail_session.commit()
    Mailer(world).run_once()
    smtp.take()
    engine.record_step(mail_session, post, Action.fail, now=utcnow(), comment=EXPIRED,
                       payload={"outcome": "needs_reconnect", "attempt": 1, "message": EXPIRED})
    mail_session.commit()
    now = utcnow()
    if digest:
        now = last_digest_time(now + timedelta(days=1), "Europe/Paris") + timedelta(seconds=1)
    Mailer(world, clock=lambda: now).run_once()
    [mail] = [m for m in smtp.take() if m.to == (pm.email,)]
    for part in ("plain", "html"):
        text = " ".join(mail.part(part).split())
        assert RECONNECT_FR in text.replace("&#39;", "’"), part
        assert "Le réseau a répondu" in text and "HTTP 401 The access token has expired" in text, part
        assert text.index(RECONNECT_FR) < text.index("HTTP 401 The access token"), part


def test_a_switch_turned_off_says_what_stays_held_in_the_mail(world, mail_session, mail_make, smtp):  # noqa: F811
    """The mail says the count the notification kept, in the reader's language: a community manager how many of
    theirs stay held, a project manager how many of their markets', with the publishing desk to release them."""
    market = mail_make.market(None, timezone="Africa/Nairobi")
    writer = mail_make.user(Role.community_manager, markets=[market], name="Wanjiru Kamau")
    pm = mail_make.user(Role.project_manager, markets=[market], name="Otieno Ouma")
    admin = mail_make.user(Role.admin, name="Ada")
    account = mail_make.account(market)
    stop = controls.turn_on(mail_session, pm, "market", market_code=market.code, reason="Elections")
    for _ in range(2):
        post = mail_make.post(State.scheduled, account=account, author=writer, reviewer=pm)
        post.held_at, post.held_by_stop_id = utcnow(), stop.id
    mail_session.commit()
    Mailer(world).run_once()
    smtp.take()
    controls.turn_off(mail_session, admin, stop.id)
    mail_session.commit()
    Mailer(world).run_once()
    mails = {m.to[0]: m for m in smtp.take()}
    for part in ("plain", "html"):
        assert ("2 of your posts stay held until a project manager releases them or gives them a new time."
                in " ".join(mails[writer.email].part(part).split())), part
        to_pm = " ".join(mails[pm.email].part(part).split())
        assert "2 posts of your markets stay held: release them on the Publishing desk." in to_pm, part
        assert "/publishing" in to_pm, part


# 3. "Publish now" does not announce a slot ---------------------------------------------------------------------


def test_publish_now_does_not_announce_a_slot_that_is_already_here(night, make, db_session):
    """"Publish now" (a slot seconds ahead) told the author and the cabinet "scheduled", then "published", seconds
    apart. A slot that is already here announces nothing: what came of it follows. A real slot is announced."""
    executive = make.executive("Hélène Marchand")
    make.user(Role.cabinet, executives=[executive], name="Lucile")
    account = make.account(night["fr"], executive=executive)
    author, pm = night["camille"], night["pierre"]

    now_post = make.post(State.approved, account=account, author=author, reviewer=pm)
    make.act(now_post, Action.schedule, pm, scheduled_at=utcnow() + timedelta(seconds=2))
    assert [n for n in _all(db_session, now_post) if n.kind is Kind.scheduled] == []
    make.act(now_post, Action.mark_published, pm, url=post_url(account))
    assert sorted(n.user.name for n in _all(db_session, now_post) if n.kind is Kind.published) == ["Camille",
                                                                                                    "Lucile"]

    later = make.post(State.approved, account=account, author=author, reviewer=pm)
    make.act(later, Action.schedule, pm, scheduled_at=utcnow() + timedelta(minutes=3))
    announced = [n for n in _all(db_session, later) if n.kind is Kind.scheduled]
    assert sorted(n.user.name for n in announced) == ["Camille", "Lucile"]


def _all(session, post: Post) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.post_id == post.id)
                                .order_by(Notification.id)))
