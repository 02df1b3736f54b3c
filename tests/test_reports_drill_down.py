"""The reports page's counts lead to the posts behind them: each count of posts is a link to the posts list filtered
by what happened to them in the period (``action``, ``acted_from``, ``acted_to``: each market's days, both
included), and the list shows the count the report showed, for each viewer, on SQLite and on PostgreSQL: two
markets, posts inside and outside the period, and on its last day."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import post_url
from sqlalchemy import text
from test_reports_review_fixes import Desk, T, _by_worker, _missed

from approval.models import Post
from approval.queries import posts as listing
from approval.queries.posts import PostFilters, page_posts
from approval.workflow.states import Action, Role, State

#: Monday 2 to Sunday 15 November 2026, both days included.
PERIOD = "from=2026-11-02&to=2026-11-15"
LINK = re.compile(r'<a href="(/posts\?[^"]*acted_from=[^"]*)">([^<]*)</a>')
RANGE = re.compile(r'<span class="range">\d+–\d+ of (\d+)</span>')
TIMES = re.compile(r'<span class="acted">(\d+) times?')
ROW = re.compile(r'<td><a href="/posts/(\d+)">#')


@pytest.fixture()
def trail(make, db_session):  # noqa: ANN001, ANN201
    """France (X) and Kenya (Facebook) in the first half of November 2026, and around it."""
    fr, ke = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
    france, kenya = Desk(make, db_session, fr), Desk(make, db_session, ke, network="facebook")
    on_time = france.scheduled(3, 10)
    _by_worker(db_session, on_time, Action.publish, T(3, 10, 5))
    late = france.scheduled(3, 12)
    _by_worker(db_session, late, Action.publish, T(3, 12, 40))  # 40 minutes after its slot: late (grace 15)
    failed = france.scheduled(4, 10)
    _by_worker(db_session, failed, Action.fail, T(4, 10, 1))
    twice = france.scheduled(5, 10)  # fails, is retried, fails again on the period's last day: two failed slots
    _by_worker(db_session, twice, Action.fail, T(5, 10, 1))
    make.act(twice, Action.retry, france.pm, now=T(15, 22, 50))  # 23:50 in Paris
    _by_worker(db_session, twice, Action.fail, T(15, 22, 59))
    unconfirmed = france.scheduled(6, 10)
    _by_worker(db_session, unconfirmed, Action.lose, T(6, 10, 1))
    make.act(unconfirmed, Action.confirm_published, france.pm, now=T(6, 12), url=post_url(france.account))
    by_hand = france.approved(9)
    make.act(by_hand, Action.mark_published, france.pm, now=T(9, 12), url=post_url(france.account))
    missed = france.scheduled(10, 10)
    _missed(db_session, missed, T(10, 11))
    last_day = france.rejected(T(15, 22, 30))  # the period's last day is in it (23:30 in Paris)
    after = france.rejected(datetime(2026, 11, 16, 0, 0, 30, tzinfo=UTC))
    before = france.rejected(datetime(2026, 11, 1, 22, 59, tzinfo=UTC))  # 23:59 in Paris
    kenyan_rejected = kenya.rejected(T(12, 9))
    kenyan_missed = kenya.scheduled(13, 10)
    _missed(db_session, kenyan_missed, T(13, 11))
    kenyan_failed = kenya.scheduled(14, 10)
    _by_worker(db_session, kenyan_failed, Action.fail, T(14, 10, 1))
    kenyan_earlier = kenya.scheduled(1, 10)
    _by_worker(db_session, kenyan_earlier, Action.fail, T(1, 10, 1))  # before the period
    db_session.flush()
    return {"fr": fr, "ke": ke, "france": france, "kenya": kenya, "on_time": on_time, "late": late,
            "failed": failed, "twice": twice, "unconfirmed": unconfirmed, "by_hand": by_hand, "missed": missed,
            "last_day": last_day, "after": after, "before": before, "kenyan_rejected": kenyan_rejected,
            "kenyan_missed": kenyan_missed, "kenyan_failed": kenyan_failed, "kenyan_earlier": kenyan_earlier}


def _links(page: str) -> list[tuple[str, int]]:
    """The report's links to posts, each with the count it shows."""
    return [(href.replace("&amp;", "&"), int(re.search(r"\d+", words).group()))  # type: ignore[union-attr]
            for href, words in LINK.findall(page)]


def _listed(web, href: str) -> tuple[int, int, list[int]]:  # noqa: ANN001
    """What the posts list says behind ``href``: its posts, the times counted (its posts when it says nothing
    more), and the ids of its first page."""
    page = web.get(href).get_data(as_text=True)
    total = RANGE.search(page)
    posts = int(total.group(1)) if total else 0
    times = TIMES.search(page)
    return posts, int(times.group(1)) if times else posts, [int(n) for n in ROW.findall(page)]


def _kinds(links: list[tuple[str, int]]) -> set[str]:
    return {re.search(r"action=(\w+)", href).group(1) for href, _count in links}  # type: ignore[union-attr]


def test_every_linked_count_is_what_the_posts_list_shows(trail, make, web):
    """For a group-wide project manager, a project manager of France alone and an admin: every count the page links
    (the totals, a row per market, a row per network, one market's page) is the posts list's count behind it."""
    viewers = {"group": make.user(Role.project_manager, all_markets=True),
               "france": make.user(Role.project_manager, markets=[trail["fr"]]),
               "admin": make.user(Role.admin)}
    for name, viewer in viewers.items():
        web.login(viewer)
        for address in (f"/reports?{PERIOD}", f"/reports?{PERIOD}&by=network", f"/reports?market=FR&{PERIOD}"):
            links = _links(web.get(address).get_data(as_text=True))
            assert _kinds(links) == {"approve", "reject", "miss", "fail", "lose", "mark_published",
                                     "confirm_published", "on_time", "late"}, (name, address)
            for href, count in links:
                posts, times, _ids = _listed(web, href)
                assert times == count, (name, address, href, posts, times)
        web.client.get("/logout")


def test_the_lists_behind_the_counts_hold_exactly_the_posts_of_the_period_and_market(trail, make, web):
    boss = make.user(Role.project_manager, all_markets=True)
    web.login(boss)
    page = web.get(f"/reports?{PERIOD}&by=network").get_data(as_text=True)
    links = dict(_links(page))
    period = "acted_from=2026-11-02&acted_to=2026-11-15"
    rejected = f"/posts?action=reject&{period}"
    assert links[rejected] == 2
    assert set(_listed(web, rejected)[2]) == {trail["last_day"].id, trail["kenyan_rejected"].id}
    assert links[f"/posts?market=FR&action=reject&{period}"] == 1
    assert _listed(web, f"/posts?market=FR&action=reject&{period}")[2] == [trail["last_day"].id]
    # Three failed slots in France, on two posts: the list lists the two and says three.
    assert links[f"/posts?market=FR&action=fail&{period}"] == 3
    assert _listed(web, f"/posts?market=FR&action=fail&{period}") == (2, 3, [trail["twice"].id, trail["failed"].id])
    assert links[f"/posts?network=facebook&action=fail&{period}"] == 1
    assert _listed(web, f"/posts?network=facebook&action=fail&{period}")[2] == [trail["kenyan_failed"].id]
    assert _listed(web, f"/posts?market=FR&action=late&{period}")[2] == [trail["late"].id]
    assert _listed(web, f"/posts?market=FR&action=on_time&{period}")[2] == [trail["on_time"].id]
    # The day after the period, and the day before, list the posts of those days.
    assert _listed(web, "/posts?action=reject&acted_from=2026-11-16&acted_to=2026-11-16")[2] == [trail["after"].id]
    assert _listed(web, "/posts?action=reject&acted_to=2026-11-01")[2] == [trail["before"].id]


def test_a_project_manager_never_reaches_posts_outside_their_markets_and_a_cabinet_sees_no_reports(trail, make, web):
    french_pm = make.user(Role.project_manager, markets=[trail["fr"]])
    web.login(french_pm)
    page = web.get(f"/reports?{PERIOD}").get_data(as_text=True)
    assert "market=KE" not in page
    listed = {post_id for href, _count in _links(page) for post_id in _listed(web, href)[2]}
    assert listed and not listed & {trail[name].id for name in ("kenyan_rejected", "kenyan_missed", "kenyan_failed")}
    # Asked by hand: Kenya's rows of the period are none of theirs.
    assert _listed(web, "/posts?market=KE&action=fail&acted_from=2026-11-02&acted_to=2026-11-15")[:2] == (0, 0)
    assert _listed(web, "/posts?action=miss&acted_from=2026-11-02&acted_to=2026-11-15")[2] == [trail["missed"].id]
    web.client.get("/logout")
    executive = make.executive("Hélène Martin")
    cabinet = make.user(Role.cabinet, executives=[executive])
    web.login(cabinet)
    assert web.get(f"/reports?{PERIOD}").status_code == 403


def test_the_filter_reads_leniently_and_writes_itself_back():
    read = PostFilters.from_args({"action": "fail", "acted_from": "2026-11-02", "acted_to": "2026-11-15"})
    assert (read.action, read.acted_from, read.acted_to) == ("fail", date(2026, 11, 2), date(2026, 11, 15))
    assert read.args() == {"action": "fail", "acted_from": "2026-11-02", "acted_to": "2026-11-15"}
    assert PostFilters.from_args({"action": "late"}).action == "late"  # an outcome the report counts
    bad = PostFilters.from_args({"action": "explode", "acted_from": "2026-02-30", "acted_to": "x" * 500})
    assert (bad.action, bad.acted_from, bad.acted_to) == (None, None, None)
    # A period without an action selects nothing by itself: dropped, as a value that makes no sense.
    alone = PostFilters.from_args({"acted_from": "2026-11-02", "market": "fr"})
    assert (alone.acted_from, alone.market, alone.active) == (None, "FR", ["market"])
    assert read.without("action").active == []  # removing the action removes its period


def test_the_filter_shows_as_a_removable_chip_and_stays_through_the_form_and_the_pages(trail, make, web, db_session):
    boss = make.user(Role.project_manager, all_markets=True)
    for n in range(51):  # a second page
        trail["france"].rejected(T(7, 8) + timedelta(minutes=n))
    db_session.flush()
    web.login(boss)
    page = web.get("/posts?market=FR&action=reject&acted_from=2026-11-02&acted_to=2026-11-15").get_data(as_text=True)
    page = page.replace("&amp;", "&")
    chip = re.search(r'<p class="chips">(.*?)</p>', page, re.S)
    assert chip and "rejected" in chip.group(1) and "Nov 2, 2026" in chip.group(1) and "Nov 15, 2026" in chip.group(1)
    assert 'href="/posts?market=FR"' in chip.group(1)  # removed, the other filters stay
    for name, value in (("action", "reject"), ("acted_from", "2026-11-02"), ("acted_to", "2026-11-15")):
        assert f'<input type="hidden" name="{name}" value="{value}">' in page  # the form keeps it
    assert "1–50 of 52" in page
    following = re.search(r'href="([^"]+)" rel="next"', page).group(1)  # type: ignore[union-attr]
    assert "action=reject" in following and "acted_from=2026-11-02" in following and "acted_to=2026-11-15" in following
    second = web.get(following).get_data(as_text=True)
    assert "51–52 of 52" in second
    first_ids = [int(n) for n in ROW.findall(page)]
    second_ids = [int(n) for n in ROW.findall(second)]
    assert len(set(first_ids + second_ids)) == 52 and trail["after"].id not in first_ids + second_ids


def test_the_list_reads_the_trail_through_its_index_on_the_action_and_the_time(trail, make, db_session):
    """The rows of one action in a period, few among the trail's, read from ``ix_audit_entries_action_at`` or from
    each market's rows in its days' window, as the report reads them: never the whole table (PostgreSQL: its
    sequential scans forbidden, a few rows read anyhow otherwise)."""
    bind = db_session.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:
        db_session.execute(text("SET LOCAL enable_seqscan = off"))
    period = {"acted_from": date(2026, 11, 2), "acted_to": date(2026, 11, 15)}
    viewers = [make.user(Role.project_manager, all_markets=True),
               make.user(Role.project_manager, markets=[trail["fr"]])]
    for viewer in viewers:
        for chosen in (PostFilters(action="fail", **period), PostFilters(market="FR", action="late", **period),
                       PostFilters(action="reject", acted_to=date(2026, 11, 1))):
            query = listing.matching(db_session, viewer, chosen).with_only_columns(Post.id)
            compiled = query.compile(bind, compile_kwargs={"render_postcompile": True})
            explain = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
            plan = "\n".join(str(row[0] if postgresql else row[-1]) for row in db_session.connection()
                             .exec_driver_sql(explain + str(compiled), compiled.positiontup and tuple(
                                 compiled.params[name] for name in compiled.positiontup) or compiled.params))
            assert "Seq Scan on audit_entries" not in plan and "SCAN audit_entries" not in plan, plan
            # The action's rows, or each market's rows in its own days' window (the index the report reads), or the
            # period's rows by time where the planner finds that cheaper (a small trail).
            assert re.search(r"ix_audit_entries_(action_|market_id_)?at\b", plan), plan


def test_paging_by_keyset_keeps_the_filter(trail, make, db_session):
    boss = make.user(Role.project_manager, all_markets=True)
    filters = PostFilters(action="fail", acted_from=date(2026, 11, 2), acted_to=date(2026, 11, 15))
    first = page_posts(db_session, boss, filters, limit=2)
    assert [post.id for post in first.items] == [trail["kenyan_failed"].id, trail["twice"].id]
    assert (first.total, first.extra["acted"]) == (3, 4)
    second = page_posts(db_session, boss, filters, cursor=first.next_cursor, limit=2)
    assert [post.id for post in second.items] == [trail["failed"].id] and second.next_cursor is None


def test_a_cabinet_reads_no_trail_through_the_filter(make, web, db_session):
    """The trail a cabinet reads starts at its first sending: a filter on what happened to its suggestions (a
    request for changes, an approval, on a given day) would tell it what the writers and the project managers did
    before. Its lists take no such filter, and the filter names only what a report's count links to."""
    france = make.market("FR")
    helene = make.executive("Hélène Marchand")
    sophie = make.user(Role.cabinet, executives=[helene], name="Sophie Bernard")
    account = make.account(france, "x", executive=helene)
    camille = make.user(Role.community_manager, markets=[france])
    lucile = make.user(Role.project_manager, markets=[france])
    sent = []
    for body in ("Fière de nos équipes ce soir.", "Un autre texte ce soir."):
        post = make.post(State.in_review, account=account, author=camille, body=body)
        make.act(post, Action.approve, lucile)  # to the cabinet
        sent.append(post)
    db_session.flush()
    web.login(sophie)
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    for url in ("/posts", "/cabinet"):
        page = web.get(f"{url}?action=approve&acted_from={yesterday}&acted_to={yesterday}").get_data(as_text=True)
        assert {post.id for post in sent} <= set(map(int, re.findall(r'href="/posts/(\d+)"', page))), url
        assert "Remove this filter" not in page, url
    assert PostFilters.from_args({"action": "request_changes"}).action is None  # no count links to it
    assert PostFilters.from_args({"action": "submit"}).action is None
