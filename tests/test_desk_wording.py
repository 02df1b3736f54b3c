"""The publishing desk's words: why a post did not go out, the network's own answer kept (it is what its support asks
for) but framed by a sentence in the reader's language saying what happened and what to do, then quoted as the
network's, cut where it is long with the whole of it a click away; and the held posts' advice, short, a case a line."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

from approval.db import utcnow
from approval.models import Outcome
from approval.publishing import reasons
from approval.workflow import engine
from approval.workflow.states import Action, Role, State


def _desk_section(page: str, key: str) -> str:
    found = re.search(rf'<section class="card desk-{key}" id="{key}">(.*?)</section>', page, re.S)
    assert found, f"no section {key} on the desk"
    return found.group(1)


def _why(section: str, post_id: int) -> str:
    """The "Why" cell of a post's row in a desk's section."""
    row = section[section.index(f">#{post_id}<"):]
    return re.search(r'<td class="failure-reason">(.*?)</td>', row, re.S).group(1)


def _failed(make, db_session, comment: str, payload: dict | None = None):  # noqa: ANN001, ANN202
    """A post of FR that the network refused, as the worker records it (the network's words, the call's outcome)."""
    post = make.post(State.scheduled, account=make.account(make.market("FR")))
    db_session.flush()
    engine.record_step(db_session, post, Action.fail, now=utcnow(),
                       payload={"outcome": "refused", "message": comment} if payload is None else payload,
                       comment=comment)
    db_session.flush()
    return post


def _desk(make, web, post) -> str:  # noqa: ANN001
    web.login(make.user(Role.project_manager, markets=[post.account.market]))
    return web.get("/publishing").get_data(as_text=True)


def test_the_networks_words_are_framed_quoted_as_its_own_and_escaped(make, web, db_session):
    """It was "HTTP 400 <b>…" alone in the Why column: the network's English, unframed, its markup a hazard."""
    said = 'HTTP 400 <script>alert("x")</script> & the text is too long for this page.'
    post = _failed(make, db_session, said)
    why = _why(_desk_section(_desk(make, web, post), "failed"), post.id)
    assert why.startswith("The network refused the post, for the reason in its answer: fix what it names")
    assert '<p class="network-said"><span class="network-label">The network said:</span> <q>' in why
    assert "HTTP 400 &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; the text is too long for this page." in why
    assert "<script>" not in why and "<details" not in why  # short: shown whole


def test_a_long_answer_is_cut_with_the_whole_of_it_a_click_away(make, web, db_session):
    body = json.dumps({"error": {"message": "(#100) The parameter message is too long for this Page: shorten it "
                                            "to 63206 characters and try again.", "type": "OAuthException",
                                 "code": 100, "fbtrace_id": "A1b2C3d4E5f6G7h8"}})
    said = f"HTTP 400 {body}"
    post = _failed(make, db_session, said)
    why = _why(_desk_section(_desk(make, web, post), "failed"), post.id)
    summary = re.search(r'<details class="network-said"><summary>(.*?)</summary>', why, re.S).group(1)
    shown = re.search(r"<q>(.*?)</q>", summary).group(1)
    assert shown.endswith("…") and len(html.unescape(shown)) <= reasons.WORDS_SHOWN + 1, shown
    assert shown.startswith("HTTP 400 {&#34;error&#34;: {&#34;message&#34;: &#34;(#100) The parameter")
    whole = re.search(r"<pre>(.*?)</pre>", why, re.S).group(1)
    assert whole == said.replace("&", "&amp;").replace('"', "&#34;")  # every word of it, escaped
    assert "fbtrace_id" in whole and "fbtrace_id" not in summary


def test_what_the_answer_came_to_says_what_to_do(make, web, db_session):
    """Each outcome its sentence: the account's access (an admin reconnects), a wait (the worker tries again), an
    answer that does not say (check the network); rows recorded before the worker kept the outcome, by their HTTP
    status."""
    reconnect = _failed(make, db_session, "HTTP 401 The access token has expired.",
                        {"outcome": "needs_reconnect"})
    older = _failed(make, db_session, "HTTP 403 Forbidden", {})
    france = reconnect.account.market
    waiting = make.post(State.scheduled, account=make.account(france))
    now = utcnow()
    waiting.scheduled_at, waiting.next_attempt_at = now - timedelta(minutes=5), now + timedelta(minutes=2)
    waiting.claim_token, waiting.claimed_until = "t" * 32, now + timedelta(minutes=2)
    engine.record_step(db_session, waiting, Action.claim, now=now - timedelta(minutes=1), payload={})
    waiting.claim_token = waiting.claimed_until = None
    engine.record_step(db_session, waiting, Action.postpone, now=now, payload={"outcome": "temporary_error"},
                       comment="HTTP 504 upstream timeout")
    db_session.flush()
    desk = _desk(make, web, reconnect)
    for post in (reconnect, older):
        why = _why(_desk_section(desk, "failed"), post.id)
        assert why.startswith("The network no longer accepts the account&#39;s access: an admin reconnects"), why
    why = _why(_desk_section(desk, "retrying"), waiting.id)
    assert why.startswith("The network could not take the post for now; nothing went out: the worker tries again")
    assert "<q>HTTP 504 upstream timeout</q>" in why


def test_a_reason_of_the_workers_quoting_the_networks_last_answer_points_to_it(make, web, db_session):
    """"Gave up after 5 tries (last: HTTP 503 …)" carried the network's words inside the worker's sentence."""
    gave_up = reasons.reason(reasons.GAVE_UP_FAILING, tries=5, last="HTTP 503 upstream timeout")
    post = _failed(make, db_session, reasons.text([gave_up]), {"outcome": "temporary_error", "why": [gave_up]})
    why = _why(_desk_section(_desk(make, web, post), "failed"), post.id)
    assert why.startswith("The worker gave up after 5 tries at this slot that did not go through (last: its answer, "
                          "quoted below); a retry starts a new series."), why
    assert "<q>HTTP 503 upstream timeout</q>" in why


def test_the_workers_own_words_are_said_as_they_were(make, web, db_session):
    """No network spoke: nothing is quoted as its words (the worker's reasons are sentences in the reader's language,
    a missed slot's last answer a reason of its own)."""
    own = reasons.reason(reasons.NOT_CONNECTED)
    post = _failed(make, db_session, reasons.text([own]), {"why": [own]})
    why = _why(_desk_section(_desk(make, web, post), "failed"), post.id)
    assert why == "The account is not connected to a publisher: connect it, then retry."
    missed = reasons.reason(reasons.MISSED_UNREACHABLE, last=reasons.reason(reasons.NO_ANSWER_IN_TIME, seconds=15.0))
    assert reasons.told(None, {"why": [missed]}, outcome=Outcome.unknown) == reasons.Told(
        "The receiver could not be reached (last: no complete answer within 15 s) until its grace period passed.")
    assert reasons.told("Refused by hand.", {}, outcome=Outcome.refused) == reasons.Told("Refused by hand.")
    assert reasons.told(None, {}, outcome=Outcome.refused) is None


def test_the_frame_is_in_the_readers_language_the_networks_words_as_they_came(make, web, db_session):
    post = _failed(make, db_session, "HTTP 504 upstream timeout", {"outcome": "needs_reconnect"})
    gave_up = reasons.reason(reasons.GAVE_UP_RATE_LIMITED, tries=3, last="HTTP 429 slow down")
    limited = _failed(make, db_session, reasons.text([gave_up]), {"outcome": "rate_limited", "why": [gave_up]})
    web.login(make.user(Role.project_manager, markets=[post.account.market]))
    web.post("/language", {"language": "fr", "next": "/publishing"})
    section = _desk_section(web.get("/publishing").get_data(as_text=True), "failed")
    why = _why(section, post.id)
    assert why.startswith("Le réseau n’accepte plus l’accès du compte\u00a0: un administrateur reconnecte le "
                          "compte"), why
    assert "<span class=\"network-label\">Le réseau a répondu\u00a0:</span> <q>HTTP 504 upstream timeout</q>" in why
    why = _why(section, limited.id)
    assert "(en dernier\u00a0: sa réponse, citée ci-dessous)" in why and "<q>HTTP 429 slow down</q>" in why, why


def test_the_held_posts_advice_is_a_line_and_a_case_a_line(make, web, db_session):
    """A paragraph of five clauses, read by no one in a crisis: what holds them and that none goes out, then what
    becomes of each, a case a line."""
    from approval.publishing import controls

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    make.post(State.scheduled, account=make.account(france))
    controls.turn_on(db_session, pm, "market", market_code="FR", reason="Match perdu.")
    db_session.flush()
    web.login(pm)
    held = _desk_section(web.get("/publishing").get_data(as_text=True), "held")
    lead = re.search(r'<p class="muted">(.*?)</p>', held).group(1)
    assert lead == ("A stop switch or an embargo holds these posts (the reason is beside each): none goes out while "
                    "held.")
    cases = re.findall(r"<li><strong>(.*?)</strong>: (.*?)</li>", held)
    # The cases of the rows listed only: here one post, its switch on and its time ahead.
    assert [name for name, _ in cases] == ["Stop switch, not due yet"]
    assert all(len(said) <= 130 for _, said in cases), cases
