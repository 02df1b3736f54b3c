"""The lists that scale: the posts list, the review queue and the cabinet inbox page by keyset, say "N of M",
keep every filter in the URL and on the page, and count the state chips under the other filters."""

from __future__ import annotations

import base64
import json
import re

import pytest

from approval.models import Post
from approval.queries.paging import Cursor
from approval.queries.posts import PostFilters, page_posts, state_counts
from approval.workflow.states import Role, State

ROW = re.compile(r'<td><a href="/posts/(\d+)(?:\?queue=[^"]*)?">#')
NEXT = re.compile(r'href="([^"]+)" rel="next"')


def _ids(page: str) -> list[int]:
    return [int(n) for n in ROW.findall(page)]


def _next(page: str) -> str | None:
    found = NEXT.search(page)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture()
def france(make):
    return make.market("FR")


def test_every_post_is_reached_page_by_page_without_repeats(make, web, db_session, france):
    account = make.account(france, "x")
    author = make.user(Role.community_manager, markets=[france])
    created = [make.post(account=account, author=author, body=f"Message numéro {n} pour la page.").id
               for n in range(120)]
    web.login(author)
    seen: list[int] = []
    url = "/posts"
    pages = 0
    while url:
        page = web.get(url).get_data(as_text=True)
        pages += 1
        ids = _ids(page)
        assert f"{len(seen) + 1}–{len(seen) + len(ids)} of 120" in page
        seen += ids
        url = _next(page)
    assert pages == 3
    assert seen == sorted(created, reverse=True)


def test_a_filter_narrows_the_rows_and_the_chips_alike_and_shows_on_the_page(make, web, db_session, france):
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    pm = make.user(Role.project_manager, markets=[france, kenya])
    fr_account, ke_account = make.account(france, "x"), make.account(kenya, "facebook")
    for _ in range(3):
        make.post(State.in_review, account=ke_account, body="Karibu kwa mechi ya leo.")
    make.post(State.draft, account=ke_account, body="Karibu tena.")
    for _ in range(5):
        make.post(State.in_review, account=fr_account)
    web.login(pm)
    page = web.get("/posts?market=KE").get_data(as_text=True)
    assert len(_ids(page)) == 4
    assert "1–4 of 4" in page
    assert '<option value="KE" selected>' in page  # the filter in force shows on its control
    assert '<option value="facebook" >Facebook</option>' in page and '<option value="x" >X</option>' in page
    chips = dict(re.findall(r'state=(\w+)[^"]*"[^>]*>.*?<span class="count">(\d+)</span>', page))
    assert chips == {"in_review": "3", "draft": "1"}
    # The chips keep the market: following one narrows to both.
    assert 'href="/posts?market=KE&amp;state=in_review"' in page
    narrowed = web.get("/posts?market=KE&state=in_review").get_data(as_text=True)
    assert len(_ids(narrowed)) == 3 and "1–3 of 3" in narrowed
    # The chips count what the other filters select, whichever state is chosen.
    assert '<span class="count">1</span>' in narrowed


def test_search_finds_words_anywhere_in_the_current_text_and_ignores_accents_on_postgresql(
        make, db_session, france, backend):
    pm = make.user(Role.project_manager, markets=[france])
    account = make.account(france, "instagram")
    summer = make.post(account=account, body="Un été inoubliable au stade de France.")
    make.post(account=account, body="La rentrée arrive bientôt.")
    found = lambda q: [p.id for p in page_posts(db_session, pm, PostFilters(q=q)).items]  # noqa: E731
    assert found("inoubliable stade") == [summer.id]
    assert found("INOUBL") == [summer.id]  # a word's start, any case
    assert found("stade rentrée") == []  # every word must be there
    if backend == "postgresql":
        assert found("ete") == [summer.id]  # unaccent: « ete » finds « été »


def test_a_search_reads_its_matches_once_for_the_chips_the_total_and_the_page(make, web, db_session, france):
    """The matches (id and state) are read once: the chips count them, the "N of M" is their number (or the chosen
    state's), and the page shows the newest of them, continued by its cursor."""
    from sqlalchemy import event

    pm = make.user(Role.project_manager, markets=[france])
    account = make.account(france, "x")
    festival = [make.post(state, account=account, body=f"Le festival numéro {n} commence ce soir.").id
                for n, state in enumerate([State.in_review, State.draft] * 30)]
    make.post(State.draft, account=account, body="Rien à voir.")
    web.login(pm)
    reads: list[str] = []
    engine = db_session.get_bind().engine

    def on_execute(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        where = statement.partition("WHERE")[2]
        searches = "posts.search @@" in where or "revisions.body" in where  # PostgreSQL's words, SQLite's LIKE
        if searches and not statement.startswith("EXPLAIN"):
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        first = web.get("/posts?q=festival").get_data(as_text=True)
        reads_per_page = len(reads)
        narrowed = web.get("/posts?q=festival&state=in_review").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert reads_per_page == 1 and len(reads) == 2, reads
    assert "1–50 of 60" in first and "1–30 of 30" in narrowed
    assert _ids(first) == sorted(festival, reverse=True)[:50]
    second = web.get(_next(first)).get_data(as_text=True)
    assert _ids(second) == sorted(festival, reverse=True)[50:] and "51–60 of 60" in second
    assert _ids(narrowed) == sorted(festival[::2], reverse=True)
    assert state_counts(db_session, pm, PostFilters(q="festival")) == {State.in_review: 30, State.draft: 30}
    assert web.get("/posts?q=festival&after=WyJ4Il0").status_code == 200  # a cursor that does not decode


def test_the_search_reads_the_current_text_only(make, db_session, france):
    author = make.user(Role.community_manager, markets=[france])
    post = make.post(account=make.account(france), author=author, body="Ancienne version du texte.")
    from approval import operations as ops

    ops.edit_post(db_session, post, author, "Nouvelle rédaction du message.", expected_version=post.version)
    assert [p.id for p in page_posts(db_session, author, PostFilters(q="ancienne")).items] == []
    assert [p.id for p in page_posts(db_session, author, PostFilters(q="nouvelle")).items] == [post.id]


def test_author_date_campaign_and_network_filters(make, db_session, france):
    from datetime import timedelta

    from approval.db import utcnow
    from approval.models import Campaign

    pm = make.user(Role.project_manager, markets=[france])
    writer = make.user(Role.community_manager, markets=[france])
    x, fb = make.account(france, "x"), make.account(france, "facebook")
    campaign = Campaign(name="Roland-Garros", market=france)
    db_session.add(campaign)
    db_session.flush()
    mine = make.post(account=x, author=writer)
    other = make.post(account=fb, author=pm)
    from approval import operations as ops

    tagged = ops.create_post(db_session, pm, x, "Le tournoi commence demain.", campaign)
    today = utcnow().date()
    ids = lambda **kw: {p.id for p in page_posts(db_session, pm, PostFilters(**kw)).items}  # noqa: E731
    assert ids(author_id=writer.id) == {mine.id}
    assert ids(network="facebook") == {other.id}
    assert ids(campaign_id=campaign.id) == {tagged.id}
    assert ids(created_from=today, created_to=today) == {mine.id, other.id, tagged.id}
    assert ids(created_from=today + timedelta(days=1)) == set()
    assert ids(created_to=today - timedelta(days=1)) == set()
    assert state_counts(db_session, pm, PostFilters(network="x")) == {State.draft: 2}


def test_nonsense_in_the_url_is_ignored_never_a_server_error(make, web, france):
    make.post(account=make.account(france))
    web.login(make.user(Role.project_manager, markets=[france]))
    for query in ("after=%%%", "after=bm90IGpzb24", "after=W1tdLDFd", "state=flying", "market=FRANCE",
                  "account_id=-1", "account_id=99999999999999", "created_from=2026-13-45", "q=%27;--%25_",
                  "q=" + "mot " * 500, "network=myspace"):
        assert web.get(f"/posts?{query}").status_code == 200, query
        assert web.get(f"/review?{query}").status_code == 200, query
    assert web.get("/posts?q=%00").status_code < 500  # a NUL is refused by the input checks, never a crash


def test_a_cursor_round_trips_and_refuses_what_it_did_not_write():
    from datetime import UTC, datetime

    cursor = Cursor((datetime(2026, 12, 1, 8, 30, tzinfo=UTC), 42), 51)
    assert Cursor.decode(cursor.encode(), (Post.submitted_at, Post.id)) == cursor
    assert Cursor.decode(cursor.encode(), (Post.id,)) is None
    assert Cursor.decode("not-base64!", (Post.id,)) is None


def _hand_made(values: list, position: int = 2) -> str:
    return base64.urlsafe_b64encode(json.dumps([values, position]).encode()).decode().rstrip("=")


# Values that do not fit the sort key's columns: too large for an id (on PostgreSQL, an int4), a text or a float
# for an id, a number or a text for a time, a time past year 9999 once in UTC, a position that is no page's.
ODD_CURSORS = [[99999999999999999999], [3000000000], ["abc"], [1.5], [True], [None], [{"dt": "x"}],
               [["nested"]], {"a": 1}]
ODD_TIMED = [["x", "y"], [1, 1], [{"dt": "9999-12-31T23:59:59-14:00"}, 1], [{"dt": "2026-01-01T00:00"}, "z"],
             [{"dt": "2026-01-01T00:00"}, 3000000000]]


def test_a_hand_made_cursor_starts_the_listing_over_never_a_server_error(make, web, france):
    """Each list page and its cursor parameter, with values that decode but fit no row: the first page (they
    answered 500: an integer out of range, a text compared with a time)."""
    make.post(State.in_review, account=make.account(france))
    assert Cursor.decode(_hand_made([5], position=0), (Post.id,)) is None
    assert Cursor.decode(_hand_made([5], position=2**40), (Post.id,)) is None
    pages = [("/posts", "after", ODD_CURSORS), ("/posts?q=Texte", "after", ODD_CURSORS),
             ("/review", "after", ODD_TIMED + ODD_CURSORS)]
    web.login(make.user(Role.project_manager, markets=[france]))
    for path, name, cursors in pages:
        for values in cursors:
            joiner = "&" if "?" in path else "?"
            answer = web.get(f"{path}{joiner}{name}={_hand_made(values)}")
            assert answer.status_code == 200, (path, values)
    cabinet = make.user(Role.cabinet)
    web.login(cabinet)
    for name in ("after", "answered_after"):
        for values in ODD_CURSORS:
            assert web.get(f"/cabinet?{name}={_hand_made(values)}").status_code == 200, (name, values)


def test_the_review_queue_pages_the_oldest_first_and_filters(make, web, db_session, france):
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    pm = make.user(Role.project_manager, markets=[france, kenya])
    account = make.account(france, "x")
    waiting = [make.post(State.in_review, account=account, body=f"Texte en attente numéro {n}.").id
               for n in range(55)]
    make.post(State.in_review, account=make.account(kenya, "x"), body="Habari za leo.")
    web.login(pm)
    first = web.get("/review?market=FR").get_data(as_text=True)
    assert "1–50 of 55" in first
    second = web.get(_next(first)).get_data(as_text=True)
    assert "51–55 of 55" in second
    shown = [i for i in _ids(first) + _ids(second) if i in waiting]
    assert shown == waiting  # oldest first, none twice
    assert "Habari" not in first + second
    assert "Habari" in web.get("/review?market=KE").get_data(as_text=True)


def test_the_cabinet_inbox_pages_and_filters(make, web, db_session, france):
    ceo = make.executive("Hélène Marchand")
    x, linkedin = make.account(france, "x", executive=ceo), make.account(france, "linkedin", executive=ceo)
    for n in range(3):
        make.post(State.with_cabinet, account=x, body=f"Fière de nos équipes, épisode {n}.")
    make.post(State.with_cabinet, account=linkedin, body="Nos résultats annuels sont en ligne.")
    cabinet = make.user(Role.cabinet, executives=[ceo])
    web.login(cabinet)
    inbox = web.get("/cabinet").get_data(as_text=True)
    assert "1–4 of 4" in inbox
    assert inbox.count(">waiting for ") == 4  # since when each waits for the cabinet's answer
    only_linkedin = web.get("/cabinet?network=linkedin").get_data(as_text=True)
    assert "Nos résultats annuels" in only_linkedin and "Fière" not in only_linkedin
    assert web.get("/cabinet?after=garbage&answered_after=garbage").status_code == 200


def test_counts_stop_at_a_cap_and_say_so(make, web, db_session, france, monkeypatch):
    from approval.queries import posts as listing

    account = make.account(france, "x")
    author = make.user(Role.community_manager, markets=[france])
    for n in range(5):
        make.post(account=account, author=author, body=f"Concert numéro {n} ce soir.")
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    page = listing.page_posts(db_session, author, PostFilters(q="concert"))
    assert page.capped and len(page.items) == 5  # the page shows them all; the count stopped early
    web.login(author)
    assert "1–5 of 5+" in web.get("/posts?q=concert").get_data(as_text=True)
    # Without a search, the kept counts answer exactly.
    assert listing.page_posts(db_session, author, PostFilters(market="FR")).total == 5


def test_a_cabinet_member_searches_their_suggested_messages(make, db_session, france):
    ceo = make.executive("Hélène Marchand")
    post = make.post(State.with_cabinet, account=make.account(france, "x", executive=ceo),
                     body="Fière de nos équipes au festival.")
    cabinet = make.user(Role.cabinet, executives=[ceo])
    page = page_posts(db_session, cabinet, PostFilters(q="festival"))
    assert [p.id for p in page.items] == [post.id] and page.total == 1
    assert state_counts(db_session, cabinet, PostFilters(q="festival")) == {State.with_cabinet: 1}


def test_the_list_says_when_a_scheduled_post_goes_out_and_when_a_published_one_went(make, web, db_session, france):
    """The campaign walk: a list of "scheduled" badges told nothing of which went out first. Each scheduled post's
    row gives its time in its market's zone, a published one's the time it went out; the others say nothing."""
    from datetime import UTC, datetime

    scheduled = make.post(State.scheduled, account=make.account(france))
    published = make.post(State.published, account=make.account(france))
    draft = make.post(State.draft, account=make.account(france))
    scheduled.scheduled_at = datetime(2027, 6, 15, 18, 0, tzinfo=UTC)   # 20:00 in Paris (summer time)
    published.published_at = datetime(2027, 6, 14, 7, 30, tzinfo=UTC)   # 09:30 in Paris
    db_session.flush()
    web.login(make.user(Role.project_manager, markets=[france]))
    page = web.get("/posts").get_data(as_text=True)

    def row(post: Post) -> str:
        start = page.index(f'>#{post.id}<')
        return page[start:page.index("</tr>", start)]

    assert 'data-label="Scheduled for"' in row(scheduled) and "20:00" in row(scheduled)
    assert 'data-label="Published"' in row(published) and "09:30" in row(published)
    assert '<td class="when"></td>' in row(draft)


def test_the_network_filter_offers_the_networks_of_the_accounts_the_reader_sees(make, web, france):
    """The product walk: a cabinet whose executive posts on X and LinkedIn was offered all six networks."""
    make.account(france, "facebook")
    executive = make.executive("Hélène Marchand")
    make.account(france, "x", executive=executive)
    make.account(france, "linkedin", executive=executive)
    web.login(make.user(Role.cabinet, executives=[executive]))
    page = web.get("/cabinet").get_data(as_text=True)
    networks = page[page.index('<select name="network">'):]
    networks = networks[:networks.index("</select>")]
    assert re.findall(r'<option value="(\w+)"', networks) == ["x", "linkedin"]
