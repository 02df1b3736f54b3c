"""The mail and the chat message of ``policy_refuses``: sent through a real SMTP server (aiosmtpd) and a real webhook
receiver, in the reader's language, leading to the post and to the publishing desk, naming the policy version and
the finding that refuses the post; nothing mailed to whoever turned the kind off. SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from approval import policies
from approval.models.notifications import (
    MailMode,
    MarketNotificationSettings,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from approval.notifications import texts
from approval.notifications.chat import ChatSender
from approval.notifications.mailer import Mailer
from approval.workflow.states import Role, State
from tests.conftest import Factory, app_session, committed_app, numbered_factory
from tests.notification_helpers import ChatServer, SmtpServer

SITE = "https://approval.helio.example"
NAMES_THE_REPORT = "Notre rapport annuel paraît demain sur notre site."
REPORT = {"phrase": "rapport annuel", "reason": "Say “bilan” until the general meeting.", "instead": "bilan"}


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def chat():
    with ChatServer() as server:
        yield server


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory, smtp):
    return committed_app(databases, backend, tmp_path_factory, SMTP_URL=smtp.url)


@pytest.fixture()
def session(world, smtp, chat):
    smtp.take()
    chat.take()
    yield from app_session(world)


_TESTS = itertools.count(1)


@pytest.fixture()
def make(session) -> Factory:
    return numbered_factory(session, _TESTS, 41)


def scene(make: Factory, code: str):  # noqa: ANN201
    """A market (French-speaking) with a scheduled post naming the report, a French and an English manager."""
    market = make.market(code, timezone="Europe/Paris", languages=("fr",))
    french = make.user(Role.project_manager, markets=[market], name="Pierre")
    make.chosen_locale = "en"
    english = make.user(Role.project_manager, markets=[market], name="Emma")
    make.chosen_locale = None
    post = make.post(State.scheduled, account=make.account(market), body=NAMES_THE_REPORT, reviewer=french)
    return market, french, english, post


def title_in(locale: str) -> str:
    with force_locale(locale):
        return texts.title(NotificationKind.policy_refuses)


def mails(world, session, smtp) -> dict:  # noqa: ANN001
    session.commit()
    Mailer(world).run_once()
    return {m.to[0]: m for m in smtp.take()}


def test_each_manager_is_mailed_in_their_language_with_the_post_the_desk_and_the_finding(world, session, make,
                                                                                          smtp):
    market, french, english, post = scene(make, "FR")
    admin = make.user(Role.admin, name="Ada Admin")
    session.commit()
    Mailer(world).run_once()
    smtp.take()  # what the scene itself told (the approval, the scheduling)

    version = policies.save_policy(session, market, admin, forbidden=[REPORT])
    got = mails(world, session, smtp)

    label = version.label
    assert set(got) >= {french.email, english.email}
    fr = got[french.email]
    assert fr.message["Content-Language"] == "fr"
    assert fr.subject.startswith(title_in("fr"))  # its French comes with the catalogue's next update
    text = fr.part("plain")
    assert f"La charte en vigueur ({label}) la refuse" in text and "policy.forbidden" in text
    assert "rapport annuel" in text
    assert f"{SITE}/posts/{post.id}" in text and f"{SITE}/publishing" in text
    assert "Par Ada Admin" in text
    html = fr.part("html")
    assert f'href="{SITE}/posts/{post.id}"' in html and f'href="{SITE}/publishing#policy"' in html
    assert "Ouvrir la page Mise en ligne" in html and "Ouvrir la publication" in html
    assert "À son heure, cette publication échouera" in text

    en = got[english.email]
    assert en.message["Content-Language"] == "en"
    assert en.subject.startswith("A new policy refuses a post on its way: it will not go out as it stands")
    text = en.part("plain")
    assert f"The policy in force ({label}) refuses it" in text and "policy.forbidden" in text
    assert f"{SITE}/posts/{post.id}" in text and f"{SITE}/publishing" in text
    assert "At its time this post will fail" in text


def test_a_manager_who_turned_the_kind_off_gets_no_mail(world, session, make, smtp):
    market, french, english, post = scene(make, "BE")
    admin = make.user(Role.admin)
    session.add(NotificationPreference(user_id=english.id, kind=NotificationKind.policy_refuses,
                                       mode=MailMode.off))
    session.commit()
    Mailer(world).run_once()
    smtp.take()

    policies.save_policy(session, market, admin, forbidden=[REPORT])
    got = mails(world, session, smtp)

    assert french.email in got and english.email not in got
    # Still in the bell: only the mail is off.
    notice = session.scalar(select(Notification).where(Notification.user_id == english.id,
                                                       Notification.kind == NotificationKind.policy_refuses))
    assert notice is not None and notice.mail == MailMode.off and notice.post_id == post.id


def test_the_markets_chat_hears_of_it_as_it_hears_of_failures(world, session, make, chat):
    market, _french, _english, post = scene(make, "LU")
    session.add(MarketNotificationSettings(market_id=market.id, chat_webhook_url=chat.url("/hook/LU")))
    session.commit()
    ChatSender(world).run_once()
    chat.take()

    version = policies.save_policy(session, market, make.user(Role.admin), forbidden=[REPORT])
    session.commit()
    assert ChatSender(world).run_once().sent == 1

    [body] = chat.take()
    assert body["path"] == "/hook/LU"
    assert body["text"].startswith(f"[LU] {title_in('fr')}")
    assert f"/posts/{post.id}" in body["text"] and version.label in body["text"]
    assert "policy.forbidden" in body["text"]
