"""The desk's controls for held posts, as a project manager meets them in a crisis: "Publish now" is not offered for a
post a switch on or an embargo still holds (pressing it answered 422), the row says what to do first; once the switch
is off, one primary control releases them all, the others secondary and worded apart; and "Release all" says what it
left out even when each line quotes a long reason (ten of them overflowed the session cookie: the browser dropped it,
and the desk said nothing)."""

from __future__ import annotations

import random
import re
import string
from datetime import timedelta

from approval.db import utcnow
from approval.models import Campaign, Post
from approval.publishing import controls
from approval.workflow.states import Role, State
from tests.publishing_helpers import held_by_a_switch_now_off


def _section(page: str, key: str) -> str:
    start = page.index(f'id="{key}"')
    return page[start:page.index("</section>", start)]


def _row(section: str, post_id: int) -> str:
    at = section.index(f'type="checkbox" name="post" value="{post_id}"')
    return section[section.rindex("<tr>", 0, at):section.index("</tr>", at)]


def _held_under(db_session, post: Post, stop_id: int) -> None:
    post.held_at, post.held_by_stop_id = utcnow(), stop_id
    db_session.flush()


def test_publish_now_is_not_offered_for_posts_a_switch_on_still_holds_and_the_row_says_why(make, web, db_session):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
    pm = make.user(Role.project_manager, markets=[france, kenya])
    held = make.post(State.scheduled, account=make.account(france))
    missed = make.post(State.approved, account=make.account(france))
    missed.missed_at = utcnow() - timedelta(hours=1)
    stop = controls.turn_on(db_session, pm, "market", market_code="FR", reason="Deuil national.")
    _held_under(db_session, held, stop.id)
    web.login(pm)
    page = web.get("/publishing").get_data(as_text=True)
    told = (f'<small class="still-held">Held by switch #{stop.id}: turn it off first '
            f'(<a href="/publishing/stops#stop-{stop.id}">Stop switches</a>).</small>')
    for key, post in (("held", held), ("missed", missed)):
        section = _section(page, key)
        assert "Publish the checked posts now" not in section, key
        assert "Give the checked posts this time" in section  # a later time still works
        assert told in _row(section, post.id) and "data-in-force" in _row(section, post.id)
    # The server still refuses it, should the form come from an older page.
    answer = web.post("/publishing/reschedule", {"post": [str(held.id)], "when": "now",
                                                 f"version-{held.id}": str(held.version)})
    assert answer.status_code == 422

    # Beside a post whose switch is off, "Publish now" is offered for the list; the held row still says why it is not
    # for that one (a script disables the button while it is checked; the server refuses it without one).
    free = make.post(State.scheduled, account=make.account(kenya))
    held_by_a_switch_now_off(db_session, free, pm, market_code="KE")
    section = _section(web.get("/publishing").get_data(as_text=True), "held")
    assert "Publish the checked posts now" in section
    assert ('id="move-held-now-why" hidden>A checked post is still held: uncheck it to publish the others now.'
            in section)
    assert told in _row(section, held.id) and "still-held" not in _row(section, free.id)
    assert "data-in-force" not in _row(section, free.id) and "data-releasable" in _row(section, free.id)


def test_an_embargoed_post_is_not_offered_publish_now_either_and_the_legend_says_its_case_alone(make, web,
                                                                                               db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    campaign = Campaign(name="Lancement", market=france, embargo_until=utcnow() + timedelta(days=2))
    db_session.add(campaign)
    post = make.post(State.scheduled, account=make.account(france))
    post.campaign = campaign
    post.held_at = utcnow()
    db_session.flush()
    web.login(pm)
    section = _section(web.get("/publishing").get_data(as_text=True), "held")
    assert "Publish the checked posts now" not in section and "data-in-force" in _row(section, post.id)
    assert "is under embargo until" in _row(section, post.id)  # its reason says it: no second sentence
    assert "still-held" not in _row(section, post.id)
    # The legend names the one case listed, not the four a crisis may bring.
    legend = section[section.index('class="muted desk-cases"'):section.index("</ul>", section.index("desk-cases"))]
    assert re.findall(r"<strong>([^<]*)</strong>", legend) == ["Embargo"]
    # Missed, in the same campaign: its row says why it cannot be published now.
    missed = make.post(State.approved, account=make.account(france))
    missed.campaign, missed.missed_at = campaign, utcnow() - timedelta(hours=1)
    db_session.flush()
    section = _section(web.get("/publishing").get_data(as_text=True), "missed")
    assert "Publish the checked posts now" not in section
    assert ('<small class="still-held">Under its campaign’s embargo: it cannot go out before the embargo lifts.'
            '</small>') in _row(section, missed.id)


def test_once_the_switch_is_off_release_all_is_the_one_primary_control(make, web, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    posts = [make.post(State.scheduled, account=make.account(france)) for _ in range(3)]
    for post in posts:
        held_by_a_switch_now_off(db_session, post, pm)
    web.login(pm)
    section = _section(web.get("/publishing").get_data(as_text=True), "held")
    primaries = re.findall(r'<button[^>]*class="button primary"[^>]*>([^<]*)<', section)
    assert primaries == ["Release all 3 posts"]
    assert section.index("Release all 3 posts") < section.index("<table")  # at the list's head
    assert "Their switches are off: each goes out at its own time" in section
    one = re.search(r'<button type="submit" class="link" aria-label="Release post #\d+">([^<]*)<', section)
    assert one is not None and one.group(1) == "Release this post only"
    checked = re.search(r'<button[^>]*formaction="/publishing/release"[^>]*>([^<]*)<', section)
    assert checked is not None and checked.group(1) == "Release only the checked posts"
    assert 'class="button"' in checked.group(0) and "data-needs-releasable" in checked.group(0)
    # Without a script it works as it always did.
    form = {"post": [str(posts[0].id)], f"version-{posts[0].id}": str(posts[0].version)}
    answer = web.post("/publishing/release", form, follow_redirects=True)
    assert f"Post #{posts[0].id} released" in answer.get_data(as_text=True)


def _campaign_switches(make, db_session, pm, france, count: int) -> list[Post]:
    """``count`` posts, each held by its own campaign's switch, on, with a reason of the longest a switch takes."""
    posts = []
    for n in range(count):
        campaign = Campaign(name=f"Campagne {n}", market=france)
        db_session.add(campaign)
        db_session.flush()
        post = make.post(State.scheduled, account=make.account(france))
        post.campaign_id = campaign.id
        # Words that do not compress (the session's cookie is compressed): as distinct as people's reasons are.
        words = "".join(random.Random(n).choices(string.ascii_letters + "      ", k=controls.MAX_REASON))
        stop = controls.turn_on(db_session, pm, "campaign", campaign_id=campaign.id,
                                reason=f"Raison {n} {words}"[:controls.MAX_REASON])
        _held_under(db_session, post, stop.id)
        posts.append(post)
    return posts


def _cookies(answer) -> int:  # noqa: ANN001
    return sum(len(value) for value in answer.headers.getlist("Set-Cookie"))


def test_release_all_says_what_it_left_out_without_overflowing_the_session_cookie(make, web, db_session):
    from approval.views.publishing import LEFT_OUT_CHARS, LEFT_OUT_SAID

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    stuck = _campaign_switches(make, db_session, pm, france, 12)
    free = make.post(State.scheduled, account=make.account(france))
    held_by_a_switch_now_off(db_session, free, pm)
    web.login(pm)
    posts = [free, *stuck]
    form = {"post": [str(p.id) for p in posts], **{f"version-{p.id}": str(p.version) for p in posts}}
    answer = web.post("/publishing/release/all", form)
    page = answer.get_data(as_text=True)
    assert _cookies(answer) < 4096  # a browser keeps a cookie of 4 KB at most
    assert answer.status_code == 200  # the desk itself, not a redirect whose cookie carries the lines
    assert "1 post released: it goes out at its own time." in page and "12 posts were left out:" in page
    lines = re.findall(r'<p class="flash warning"[^>]*>(#\d+: [^<]*)</p>', page)
    assert len(lines) == LEFT_OUT_SAID and all(len(line) <= LEFT_OUT_CHARS for line in lines)
    assert all(re.search(r"Stop switch #\d+ still holds it", line) for line in lines)
    assert f"… and {12 - LEFT_OUT_SAID} others." in page
    # Nothing in the cookie for the next page to say again.
    assert "were left out" not in web.get("/publishing").get_data(as_text=True)

    # None released: a conflict, the desk saying why.
    answer = web.post("/publishing/release/all", {"post": [str(stuck[0].id)],
                                                  f"version-{stuck[0].id}": str(stuck[0].version)})
    assert answer.status_code == 409 and _cookies(answer) < 4096
    assert "1 post was left out:" in answer.get_data(as_text=True)

    # All released: back to the desk, the short message carried over.
    other = make.post(State.scheduled, account=make.account(france))
    held_by_a_switch_now_off(db_session, other, pm)
    answer = web.post("/publishing/release/all", {"post": [str(other.id)], f"version-{other.id}": str(other.version)})
    assert answer.status_code == 303
