"""What a walk through the post editor and the post page found: a refused submission pointing under the text when
the errors sat on the pictures, a YouTube draft asked for "a picture or a video", live findings read again at every
pause in typing, a YouTube title held to the full stop, the side column tabbed to last, a reviewer offered the
author's button, times without the viewer's clock, and post texts read in the page's language."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select
from test_browser import chromium, live_server, sign_in  # noqa: F401 - fixtures
from test_post_page_flows import scene  # noqa: F401 - the same market, writer and reviewer

from approval import style
from approval.labels import said_wall
from approval.models import Post
from approval.models.notifications import NotificationProfile
from approval.workflow.states import Role, State
from tests.conftest import ONE_BACKEND
from tests.said_helpers import in_english


def _text(answer) -> str:  # noqa: ANN001
    return answer.get_data(as_text=True)


def _reload(db_session, post: Post) -> Post:  # noqa: ANN001
    db_session.expire_all()
    return db_session.get(Post, post.id)


def _section(page: str, start: str, end: str = "</section>") -> str:
    at = page.index(start)
    return page[at:page.index(end, at)]


def _flashes(page: str) -> str:
    """The messages at the top of the page, one a line."""
    return "\n".join(re.findall(r'class="flash [^"]*"[^>]*>(.*?)</(?:li|p)>', _section(page, "<main", "</main>"), re.S))


# 1. A refused submission says where its errors are -------------------------------------------------------------


def _submit(web, post: Post, body: str):  # noqa: ANN001, ANN202
    return web.post(f"/posts/{post.id}/edit", {"body": body, "version": post.version, "submit": "1"})


def test_errors_only_on_the_media_are_said_to_be_on_the_pictures_and_videos(make, web, db_session, scene):  # noqa: F811
    """An Instagram draft without a picture, its text fine: nothing was listed under the text, the error sat on the
    media card far below, and the message sent the author under the text."""
    france, writer, _reviewer = scene
    post = make.post(State.draft, account=make.account(france, "instagram"), author=writer, body="Le stade ce soir.")
    web.login(writer)
    answer = _submit(web, post, "Le stade ce soir, en photos.")
    assert answer.status_code in (302, 303)
    assert answer.headers["Location"] == f"/posts/{post.id}/edit#media-editor"  # where the errors are
    page = _text(web.get(answer.headers["Location"]))
    said = _flashes(page)
    assert "listed under the text" not in said
    assert "found errors about its pictures and videos, listed with them." in said
    assert 'href="#media-editor"' in said
    assert _reload(db_session, post).state is State.draft


def test_errors_under_the_text_and_on_the_media_are_said_to_be_in_both_places(make, web, db_session, scene):  # noqa: F811
    france, writer, _reviewer = scene
    post = make.post(State.draft, account=make.account(france, "instagram"), author=writer, body="Le stade ce soir.")
    web.login(writer)
    answer = _submit(web, post, "le stade ce soir.")
    assert answer.headers["Location"] == f"/posts/{post.id}/edit"  # the text first: its errors are at the top
    said = _flashes(_text(web.get(answer.headers["Location"])))
    assert "listed under the text and with its pictures and videos." in said
    assert 'href="#media-editor"' in said


def test_errors_only_in_the_text_are_still_said_to_be_under_it(make, web, db_session, scene):  # noqa: F811
    france, writer, _reviewer = scene
    post = make.post(State.draft, account=make.account(france, "x"), author=writer, body="Un texte correct.")
    web.login(writer)
    answer = _submit(web, post, "un texte sans majuscule.")
    said = _flashes(_text(web.get(answer.headers["Location"])))
    assert "It stays a draft: the style check found errors in it, listed under the text." in said
    assert "pictures and videos" not in said


# 2. A YouTube draft is asked for a video -----------------------------------------------------------------------


@pytest.mark.parametrize(("network", "asked"), [("youtube", "YouTube posts need a video: add it here"),
                                                ("instagram", "Instagram posts need a picture or a video: add it")])
def test_a_new_draft_is_told_what_its_network_takes(make, web, db_session, scene, network, asked):  # noqa: F811
    france, writer, _reviewer = scene
    account = make.account(france, network)
    web.login(writer)
    answer = web.post("/posts/new", {"account_id": account.id, "campaign_id": "", "body": "Les coulisses du stade."})
    page = _text(web.get(answer.headers["Location"]))
    assert asked in page
    if network == "youtube":
        assert "picture" not in _flashes(page)


# 3. The live findings are not read again at every pause ---------------------------------------------------------


def test_the_findings_list_is_not_live_and_a_short_status_says_the_counts(make, web, db_session, scene):  # noqa: F811
    france, writer, _reviewer = scene
    post = make.post(State.draft, account=make.account(france, "x"), author=writer, body="un texte sans point")
    web.login(writer)
    page = _text(web.get(f"/posts/{post.id}/edit"))
    findings = re.search(r'<ul id="live-findings"[^>]*>', page).group()
    assert "aria-live" not in findings
    status = re.search(r'<p id="findings-status"[^>]*>(.*?)</p>', page, re.S)
    assert 'role="status"' in status.group()
    assert status.group(1).strip() == "2 findings: 2 to fix."  # the saved text's, before any script runs

    def summary(body: str) -> str:
        answer = web.post("/posts/check", {"body": body, "account_id": post.account_id, "post_id": post.id})
        return answer.get_json()["summary"]

    assert summary("Un texte correct.") == "No findings."
    assert summary("Un texte  correct.") == "1 finding: none to fix."
    assert summary("un texte  sans point") == "3 findings: 2 to fix."


def test_the_status_speaks_the_readers_language(make, web, db_session, scene):  # noqa: F811
    france, writer, _reviewer = scene
    post = make.post(State.draft, account=make.account(france, "x"), author=writer, body="Un texte correct.")
    web.login(writer)
    web.post("/language", {"language": "fr", "next": "/posts"})
    answer = web.post("/posts/check", {"body": "un texte  sans point", "account_id": post.account_id})
    assert answer.get_json()["summary"] == "3 remarques\u00a0: 2 à corriger."


# 4. A YouTube post's first line is its title, not a sentence -----------------------------------------------------


def _rules(text: str, network: str | None) -> list[tuple[str, int]]:
    return [(f.rule, f.start) for f in style.check(text, style.Context(network=network, languages=("fr",)))
            if f.rule.startswith("house.")]


def test_a_youtube_title_needs_no_full_stop():
    assert _rules("Titre\nDescription.", "youtube") == []
    assert _rules("Un seul titre", "youtube") == []  # a video without a description: its title only
    assert _rules("  Titre de la vidéo  \n\nDescription.", "youtube") == []


def test_a_youtube_title_still_starts_with_a_capital_and_the_description_is_held_to_both_rules():
    assert _rules("titre\nDescription.", "youtube") == [("house.capital-start", 0)]
    text = "Titre\nune description sans point"
    assert _rules(text, "youtube") == [("house.capital-start", 6), ("house.full-stop-end", len(text))]


def test_on_other_networks_a_first_line_is_a_sentence():
    assert _rules("Titre\nDescription.", "facebook") == [("house.full-stop-end", 5)]
    assert _rules("Titre\nDescription.", None) == [("house.full-stop-end", 5)]


# 5. The post page's order follows its layout -----------------------------------------------------------------------


def test_the_side_column_comes_after_the_text_and_before_the_decisions_in_the_page(make, web, db_session, scene):  # noqa: F811
    france, writer, reviewer = scene
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    web.login(reviewer)
    page = _text(web.get(f"/posts/{post.id}"))
    text, side = page.index('<pre class="body"'), page.index('class="side-column"')
    assert text < side < page.index('id="previews"') < page.index('class="card actions-card"') \
        < page.index('id="comments"')


# 6. The change request's main button is the author's ------------------------------------------------------------


def test_the_change_requests_edit_button_is_the_authors(make, web, db_session, scene):  # noqa: F811
    france, writer, reviewer = scene
    post = make.post(State.changes_requested, account=make.account(france, "x"), author=writer)
    web.login(reviewer)
    box = _section(_text(web.get(f"/posts/{post.id}")), 'class="flash warning decision"')
    assert "Edit the post" not in box and "button primary" not in box
    web.login(writer)
    box = _section(_text(web.get(f"/posts/{post.id}")), 'class="flash warning decision"')
    assert 'class="button primary"' in box and "Edit the post" in box


# 7. Times in the history, a repeated hour's two instants, the spring gap's headline ----------------------------------


def test_the_history_tells_a_slot_in_the_viewers_time_too(make, web, db_session, scene):  # noqa: F811
    france, _writer, _reviewer = scene
    post = make.post(State.scheduled, account=make.account(france, "x"))
    new_yorker = make.user(Role.project_manager, markets=[france])
    db_session.add(NotificationProfile(user_id=new_yorker.id, timezone="America/New_York"))
    db_session.flush()
    web.login(new_yorker)
    history = _section(_text(web.get(f"/posts/{post.id}")), '<ol class="history">', "</ol>")
    assert "your time (America/New_York)" in _section(history, 'class="slot"', "</span>")


def test_a_move_onto_a_repeated_hour_shows_both_instants(app, make, web, db_session, scene):  # noqa: F811
    france, _writer, reviewer = scene
    post = make.post(State.scheduled, account=make.account(france, "x"), reviewer=reviewer)
    web.login(reviewer)
    page = _text(web.get(f"/posts/{post.id}?move_time=2027-10-31T02:30"))
    fold = _section(page, 'class="field fold-choice"', "</fieldset>")
    typed = in_english(app, said_wall, datetime(2027, 10, 31, 2, 30))  # "Oct 31, 2027, 02:30"
    assert f"{typed} UTC+02:00" in fold and f"{typed} UTC+01:00" in fold


def test_a_time_the_clocks_skip_is_refused_under_the_actions_headline(make, web, db_session, scene):  # noqa: F811
    france, _writer, reviewer = scene
    post = make.post(State.approved, account=make.account(france, "x"), reviewer=reviewer)
    web.login(reviewer)
    answer = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version,
                                                              "local_time": "2027-03-28T02:30"})
    assert answer.status_code == 422
    refusal = _section(_text(answer), 'class="flash error refusal"')
    assert "“Schedule” was refused." in refusal
    assert "clocks skip" in refusal  # and why, in the reasons under it
    assert _reload(db_session, post).state is State.approved


# 8. A post's text is marked with its language --------------------------------------------------------------------


def test_post_texts_carry_their_language(make, web, db_session, scene):  # noqa: F811
    france, writer, reviewer = scene
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer,
                     body="Le stade brille ce soir aux couleurs de l'équipe.")
    web.login(reviewer)
    page = _text(web.get(f"/posts/{post.id}"))
    assert re.search(r'<pre class="body" lang="fr">Le stade brille', page)
    queue = _text(web.get("/review"))
    assert re.search(r'<td class="excerpt" lang="fr"[^>]*><a [^>]*>Le stade brille', queue)
    listed = _text(web.get("/posts"))
    assert re.search(r'<td class="excerpt" lang="fr"[^>]*><a [^>]*>Le stade brille', listed)
    web.login(writer)
    editor = _text(web.get(f"/posts/{post.id}/edit"))
    assert re.search(r'<textarea[^>]* lang="fr"[^>]*name="body"|<textarea[^>]*name="body"[^>]* lang="fr"', editor)


def test_a_text_in_another_of_the_markets_languages_is_marked_as_written(make, web, db_session):
    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en", "sw"))
    reviewer = make.user(Role.project_manager, markets=[kenya])
    swahili = make.post(State.in_review, account=make.account(kenya, "x"),
                        body="Karibu Helio Nakuru. Duka letu jipya limefunguliwa leo katikati ya mji.")
    english = make.post(State.in_review, account=make.account(kenya, "x"),
                        body="Our new shop opens today in the middle of the town, come and see us.")
    web.login(reviewer)
    assert re.search(r'<pre class="body" lang="sw">Karibu', _text(web.get(f"/posts/{swahili.id}")))
    assert re.search(r'<pre class="body" lang="en">Our new shop', _text(web.get(f"/posts/{english.id}")))


def test_a_text_that_reads_as_another_language_is_marked_as_it_reads(make, web, db_session, scene):  # noqa: F811
    """The style gate keeps the language it detected when it is not the market's (``lang.mismatch``)."""
    france, writer, reviewer = scene
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer,
                     body="Our new shop opens today in the middle of the town, come and see us.")
    web.login(reviewer)
    assert re.search(r'<pre class="body" lang="en">Our new shop', _text(web.get(f"/posts/{post.id}")))


def test_the_live_check_names_the_texts_language(make, web, db_session, scene):  # noqa: F811
    france, writer, _reviewer = scene
    account = make.account(france, "x")
    web.login(writer)
    answer = web.post("/posts/check", {"body": "Le stade ce soir.", "account_id": account.id})
    assert answer.get_json()["lang"] == "fr"


# In a browser: the status, the excerpt's line break, the tab order --------------------------------------------------


def _browser_post(engine, network: str, body: str) -> int:  # noqa: ANN001
    from sqlalchemy.orm import Session

    from approval import operations as ops
    from approval.models import Account, User

    with Session(engine) as session:
        account = session.scalar(select(Account).where(Account.network == network))
        if account is None:
            from approval import administration as admin

            account = admin.create_account(session, session.scalar(select(Account)).market, network, "helio_yt",
                                           "Helio")
        writer = session.scalar(select(User).where(User.email == "camille@helio.example"))
        post = ops.create_post(session, writer, account, body)
        session.commit()
        return post.id


def _editor(chromium, live_server):  # noqa: ANN001, ANN202, F811
    """A browser context on the editor of a fresh X draft of Camille's, signed in as her."""
    base, engine = live_server
    post_id = _browser_post(engine, "x", "Un texte correct.")
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(f"{base}/posts/{post_id}/edit")
    return context, page


@pytest.mark.browser
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_the_editor_announces_counts_only_when_they_change(chromium, live_server):  # noqa: F811
    context, page = _editor(chromium, live_server)
    status = page.locator("#findings-status")
    assert status.get_attribute("role") == "status"
    assert page.locator("#live-findings").get_attribute("aria-live") is None
    page.wait_for_function("() => document.getElementById('limit').textContent === '280'")
    assert status.inner_text() == "No findings."
    # Every change of the status is recorded: typing that changes no count changes nothing.
    page.evaluate("""() => { window.said = []; new MutationObserver(function () {
        window.said.push(document.getElementById('findings-status').textContent); })
        .observe(document.getElementById('findings-status'), {childList: true, characterData: true, subtree: true});
    }""")
    body = page.locator("textarea[name=body]")
    body.fill("un texte")
    page.wait_for_function("() => document.getElementById('findings-status').textContent.includes('2 to fix')")
    body.press_sequentially(" sans", delay=300)  # a check at each pause: the same two errors
    page.wait_for_timeout(600)
    assert page.evaluate("window.said") == ["2 findings: 2 to fix."]
    context.close()


@pytest.mark.browser
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_a_findings_excerpt_keeps_its_line_break_visible(chromium, live_server):  # noqa: F811
    context, page = _editor(chromium, live_server)
    page.locator("textarea[name=body]").fill("Nos boutiques de Lyon\nLe jour de la finale, écran géant et jeux.")
    stop = page.locator('#live-findings li.finding[data-rule="house.full-stop-end"] .at')
    stop.wait_for()
    assert stop.inner_text() == "“Nos boutiques de Lyon ⏎ Le jour de la finale,…”"  # not "…de Lyon Le jour…"
    assert stop.get_attribute("lang") == "fr"
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_the_post_pages_tab_order_follows_its_layout(chromium, live_server, width):  # noqa: F811
    base, engine = live_server
    post_id = _browser_post(engine, "x", "Un texte correct.")
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")  # its "Log out" is folded in a menu on a phone
    page.set_viewport_size({"width": width, "height": 844 if width < 900 else 900})
    page.goto(f"{base}/posts/{post_id}")
    # Each card's box and column, in the order the keyboard reaches them.
    cards = page.evaluate("""() => Array.from(document.querySelectorAll('.columns .card')).map(function (card) {
        const r = card.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, side: !!card.closest('.side-column')}; })""")
    if width == 1366:
        # The text, then the side column beside it at the top right, then the rest of the main column below the text.
        sides = [i for i, card in enumerate(cards) if card["side"]]
        assert sides and sides == list(range(sides[0], sides[-1] + 1)) and sides[0] > 0
        text, side = cards[0], cards[sides[0]]
        assert abs(side["top"] - text["top"]) < 1 and side["left"] >= text["right"]
        rest = cards[sides[-1] + 1:]
        assert rest and all(card["right"] <= side["left"] for card in rest)
        tops = [card["top"] for card in cards[:sides[0]] + rest]
        assert tops == sorted(tops)
    else:
        tops = [card["top"] for card in cards]
        assert tops == sorted(tops)
    context.close()
