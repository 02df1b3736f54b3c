"""A person who never logged in (nor chose a language) reads their mails in their first market's language, not in
English: a French project manager added by an admin got "A post awaits your review" until their first login. Their
own choice, once made, wins. Through a real SMTP server (aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import pytest

from approval.notifications.mailer import Mailer
from approval.workflow.states import Role, State
from tests.conftest import Factory, app_session, committed_app, numbered_factory
from tests.notification_helpers import SmtpServer


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
    yield from app_session(world)


_TESTS = itertools.count(1)


@pytest.fixture()
def make(session) -> Factory:
    return numbered_factory(session, _TESTS, 37)


def mails_to(world, session, smtp) -> dict[str, tuple[str, str]]:
    """One pass of the mailer: each recipient's (Content-Language, subject)."""
    session.commit()
    Mailer(world).run_once()
    return {m.to[0]: (m.message["Content-Language"], m.subject) for m in smtp.take()}


def test_a_user_who_never_logged_in_reads_their_first_markets_language(world, session, make, smtp):
    france = make.market("FR", timezone="Europe/Paris", languages=("fr",))
    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en", "sw"))
    poland = make.market("PL", timezone="Europe/Warsaw", languages=("pl",))  # no Polish catalogue: none to follow
    senegal = make.market("SN", timezone="Africa/Dakar", languages=("fr", "wo"))
    french = make.user(Role.project_manager, markets=[france])
    kenyan = make.user(Role.project_manager, markets=[kenya])
    chose_english = make.user(Role.project_manager, markets=[france])
    chose_english.locale = "en"
    polish_and_senegalese = make.user(Role.project_manager, markets=[poland, senegal])
    only_polish = make.user(Role.project_manager, markets=[poland])
    for market in (france, kenya, poland, senegal):
        make.post(State.in_review, account=make.account(market), author=make.user(markets=[market]))
    got = mails_to(world, session, smtp)
    assert got[french.email][0] == "fr" and got[french.email][1].startswith("Une publication attend votre relecture")
    assert got[kenyan.email][0] == "en" and got[kenyan.email][1].startswith("A post awaits your review")
    assert got[chose_english.email][0] == "en"  # their own choice wins
    # The first of their markets whose language the mails are written in (by code, as their digest's zone).
    assert got[polish_and_senegalese.email][0] == "fr"
    assert got[only_polish.email][0] == "en"


def test_a_cabinet_member_reads_their_executives_market_language(world, session, make, smtp):
    """A cabinet member belongs to no market: the first market their executives' accounts are in."""
    france = make.market("FR", timezone="Europe/Paris", languages=("fr",))
    ceo = make.executive("Hélène Marchand")
    account = make.account(france, executive=ceo)
    cabinet = make.user(Role.cabinet, executives=[ceo])
    make.post(State.with_cabinet, account=account, author=make.user(markets=[france]))
    got = mails_to(world, session, smtp)
    assert got[cabinet.email][0] == "fr", got
    assert got[cabinet.email][1].startswith("Un message proposé attend votre cabinet"), got[cabinet.email]
