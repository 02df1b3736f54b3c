"""The publishing desk and the stop switches page read the database a fixed number of times, however many posts are
held: in a crisis, with hundreds held, the desk asked what held each post one post at a time (and, for each post a
switch now off held, whether it may be released: again what holds it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import event

from approval.db import utcnow
from approval.models import Campaign, Post
from approval.publishing import controls
from approval.workflow.states import Role, State
from tests.conftest import TERRITORIES

#: The four things that hold a post on the desk, one post of each per round.
KINDS = ("market", "campaign", "all", "embargo")


def _statements(app, run: Callable[[], object]) -> list[str]:
    engine = app.extensions["approval.db"]["engine"]
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


class Crisis:
    """Posts held, each round one of each kind: its market stopped (a market of its own, its switch on), its
    campaign stopped (a campaign of its own, its switch on), held at its time by the switch over everything (off
    since: it waits to be released), its campaign under embargo (a campaign of its own)."""

    def __init__(self, make, db_session) -> None:  # noqa: ANN001
        self.make, self.session = make, db_session
        self.france = make.market("FR")
        self.pm = make.user(Role.project_manager, all_markets=True)
        self.admin = make.user(Role.admin)
        self.everything = controls.turn_on(db_session, self.admin, "all", reason="Deuil national.")
        controls.turn_off(db_session, self.admin, self.everything.id)
        self.markets = iter(code for code in TERRITORIES if code != "FR")
        self.posts: dict[str, list[Post]] = {kind: [] for kind in KINDS}

    def add(self, rounds: int) -> None:
        for _ in range(rounds):
            for kind in KINDS:
                self.posts[kind].append(getattr(self, f"_{kind}")())
        self.session.flush()

    def _market(self) -> Post:
        market = self.make.market(next(self.markets))
        post = self.make.post(State.scheduled, account=self.make.account(market))
        controls.turn_on(self.session, self.admin, "market", market_code=market.code, reason="Match perdu.")
        return post

    def _campaign(self) -> Post:
        post = self._in_campaign()
        controls.turn_on(self.session, self.admin, "campaign", campaign_id=post.campaign_id, reason="Rappel produit.")
        return post

    def _all(self) -> Post:
        post = self.make.post(State.scheduled, account=self.make.account(self.france))
        post.held_at, post.held_by_stop_id = utcnow(), self.everything.id
        return post

    def _embargo(self) -> Post:
        post = self._in_campaign()
        post.campaign.embargo_until = post.scheduled_at + timedelta(hours=6)
        return post

    def _in_campaign(self) -> Post:
        post = self.make.post(State.scheduled, account=self.make.account(self.france))
        campaign = Campaign(name=f"Campagne {self.make._next()}", market=self.france)
        self.session.add(campaign)
        self.session.flush()
        post.campaign, post.campaign_id = campaign, campaign.id
        return post


def _desk(app, web, crisis: Crisis) -> tuple[int, str]:
    crisis.session.flush()
    page: list[str] = []
    seen = _statements(app, lambda: page.append(web.get("/publishing").get_data(as_text=True)))
    return len(seen), page[0]


def _held_rows(page: str) -> dict[int, str]:
    """Each held row's "Why" cell, by post id."""
    section = re.search(r'<section class="card desk-held" id="held">(.*?)</section>', page, re.S).group(1)
    return {int(post_id): re.sub(r"\s+", " ", why) for post_id, why in re.findall(
        r'<a href="/posts/(\d+)">#\d+</a>.*?<td class="hold-reason">(.*?)</td>', section, re.S)}


def test_the_desk_reads_as_many_times_for_thirty_held_posts_as_for_three(app, make, web, db_session):
    crisis = Crisis(make, db_session)
    crisis.add(3)
    web.login(crisis.pm)
    web.get("/publishing")  # the first request of the app loads what it caches (the policies' words, ...)
    few, page = _desk(app, web, crisis)
    rows = _held_rows(page)
    assert len(rows) == 12
    for post in crisis.posts["market"]:
        assert f"Market {post.account.market.code} is stopped: Match perdu." in rows[post.id]
    for post in crisis.posts["campaign"]:
        assert f"Campaign {post.campaign.name} is stopped: Rappel produit." in rows[post.id]
    for post in crisis.posts["all"]:
        assert "A stop switch held it (Everything is stopped: Deuil national)" in rows[post.id]
        assert "Release post #" in rows[post.id]  # the switch is off: the engine lets the manager release it
    for post in crisis.posts["embargo"]:
        assert f"The campaign {post.campaign.name} is under embargo until" in rows[post.id]
        assert "Release post #" not in rows[post.id]

    crisis.add(27)  # 30 of each kind: 120 held, the desk shows its first 100
    many, page = _desk(app, web, crisis)
    assert len(_held_rows(page)) == 100
    assert many == few, f"{few} statements for 12 held posts, {many} for 120"


def test_the_stop_switches_page_counts_what_each_holds_in_as_many_statements_for_thirty(app, make, web, db_session):
    crisis = Crisis(make, db_session)
    crisis.add(3)
    web.login(crisis.pm)
    web.get("/publishing/stops")

    def stops_page() -> tuple[int, str]:
        db_session.flush()
        page: list[str] = []
        seen = _statements(app, lambda: page.append(web.get("/publishing/stops").get_data(as_text=True)))
        return len(seen), page[0]

    few, page = stops_page()
    everything = re.search(rf'<tr id="stop-{crisis.everything.id}".*?<td data-label="Holds" class="holds">(.*?)</td>',
                           page, re.S).group(1)
    assert ">3 posts<" in everything
    for post in crisis.posts["market"] + crisis.posts["campaign"]:
        assert post.id  # each switch on covers its one post
    assert page.count(">1 post<") == 6
    crisis.add(27)
    many, page = stops_page()
    assert page.count(">1 post<") == 60 and ">30 posts<" in page
    assert many == few, f"{few} statements for 7 switches, {many} for 61"
