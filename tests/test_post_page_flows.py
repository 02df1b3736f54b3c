"""The post page's ways in and out, as a French team walked them: a refused decision's address opened again, the
comparison kept through a refusal, the editor's conflict saying what the other person changed, a refused
save-and-submit back in the editor, slots in the market's time and the viewer's, the review queue's phone cards."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from approval.models import Post
from approval.models.notifications import NotificationProfile
from approval.workflow.states import Action, Role, State

from conftest import PASSWORD, WebClient
from test_browser import chromium, live_server, sign_in  # noqa: F401 - fixtures
from test_edit_conflicts import Tab
from test_media_samples import jpeg
from tests.said_helpers import said_in_english, with_your_time


def _text(answer) -> str:  # noqa: ANN001
    return answer.get_data(as_text=True)


def _reload(db_session, post: Post) -> Post:  # noqa: ANN001
    db_session.expire_all()
    return db_session.get(Post, post.id)


def _upload(web: WebClient, post: Post, data: bytes, name: str, alt: str = ""):  # noqa: ANN202
    return web.client.post(f"/posts/{post.id}/media", data={
        "csrf_token": web.token, "version": str(post.version), "alt": alt,
        "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _section(page: str, start: str, end: str = "</section>") -> str:
    """The part of ``page`` from the first ``start`` to the next ``end``."""
    at = page.index(start)
    return page[at:page.index(end, at)]


@pytest.fixture()
def scene(make):  # noqa: ANN001, ANN201
    france = make.market("FR")
    writer = make.user(Role.community_manager, markets=[france], name="Camille")
    reviewer = make.user(Role.project_manager, markets=[france], name="Marc")
    return france, writer, reviewer


# 1. A refused action's address, opened again ------------------------------------------------------------------


def test_a_refused_decisions_address_opened_again_leads_back_to_the_post(make, web, db_session, scene):
    """Marc clicks "Request changes" without a comment: the refusal is drawn at /posts/ID/actions/request_changes.
    Reloaded after navigating, bookmarked or typed, that address answered 405: it leads back to the post page."""
    france, _writer, reviewer = scene
    post = make.post(State.in_review, account=make.account(france))
    approved = make.post(State.approved, account=make.account(france))
    web.login(reviewer)
    refused = web.post(f"/posts/{post.id}/actions/request_changes", {"version": post.version})
    assert refused.status_code == 422

    for target, action in ((post, "request_changes"), (approved, "schedule"), (post, "approve")):
        again = web.get(f"/posts/{target.id}/actions/{action}")
        assert again.status_code in (302, 303), (action, again.status_code)
        assert again.headers["Location"] == f"/posts/{target.id}"
    # The comparison the address asked for comes along.
    again = web.get(f"/posts/{post.id}/actions/approve?diff_from=1&diff_to=1")
    assert again.headers["Location"] == f"/posts/{post.id}?diff_from=1&diff_to=1"
    # The discussion's form, refused, was drawn at /posts/ID/comments.
    assert web.post(f"/posts/{post.id}/comments", {"body": " "}).status_code == 422
    again = web.get(f"/posts/{post.id}/comments")
    assert again.status_code in (302, 303) and again.headers["Location"] == f"/posts/{post.id}#comments"
    db_session.expire_all()
    assert db_session.get(Post, post.id).state is State.in_review  # a GET changes nothing


def test_a_refused_decisions_address_after_signing_in_again_opens_the_post(app, make, db_session, scene):
    """A session that ran out: the login page sends the person back to where they were, with a GET."""
    france, _writer, reviewer = scene
    post = make.post(State.in_review, account=make.account(france))
    web = WebClient(app.test_client())
    asked = web.get(f"/posts/{post.id}/actions/request_changes")
    assert asked.status_code == 302 and "/login" in asked.headers["Location"]
    web.refresh_token("/login")
    signed_in = web.client.post(asked.headers["Location"], data={"email": reviewer.email, "password": PASSWORD,
                                                                 "csrf_token": web.token}, follow_redirects=True)
    assert signed_in.status_code == 200
    assert signed_in.request.path == f"/posts/{post.id}"


def test_a_refused_decisions_address_of_a_post_elsewhere_stays_not_found(make, web, scene):
    france, _writer, _reviewer = scene
    post = make.post(State.in_review, account=make.account(france))
    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    web.login(make.user(Role.project_manager, markets=[kenya]))
    for path in (f"/posts/{post.id}/actions/approve", f"/posts/{post.id}/comments", "/posts/999999/actions/approve"):
        assert web.get(path).status_code == 404, path
    assert web.get(f"/posts/{post.id}/actions/frobnicate").status_code == 404


def test_every_address_under_a_post_opens_with_a_get(app):
    """A page drawn at a POST-only address is a 405 when opened again: every address under /posts/ID takes a GET,
    but the media forms', which never draw a page (their refusals go back to the editor, a redirect)."""
    redirects_only = {"media.upload_media", "media.arrange_media"}
    post_only = [rule.rule for rule in app.url_map.iter_rules()
                 if rule.rule.startswith("/posts/<id:post_id>/") and "GET" not in (rule.methods or ())
                 and rule.endpoint not in redirects_only]
    assert not post_only


# 6. The comparison kept through a refusal ----------------------------------------------------------------------


def _edited_three_times(make, db_session, france, writer) -> Post:  # noqa: ANN001
    from approval import operations as ops

    post = make.post(State.draft, account=make.account(france), author=writer, body="Première version.")
    for body in ("Deuxième version.", "Troisième version."):
        ops.edit_post(db_session, post, writer, body, expected_version=post.version)
    make.act(post, Action.submit, writer)
    return post


def test_a_refused_decision_keeps_the_comparison_the_reviewer_had_open(make, web, db_session, scene):
    france, writer, reviewer = scene
    post = _edited_three_times(make, db_session, france, writer)
    web.login(reviewer)
    page = _text(web.get(f"/posts/{post.id}?diff_from=1&diff_to=2"))
    assert "Changes from revision 1 to revision 2" in page
    action = unescape(re.search(r'<form method="post" action="([^"]+)" class="decide">', page).group(1))
    assert "diff_from=1" in action and "diff_to=2" in action
    asking = unescape(re.search(r'formaction="([^"]+request_changes[^"]*)"', page).group(1))
    refused = web.post(asking, {"version": post.version, "comment": ""})
    assert refused.status_code == 422
    shown = _text(refused)
    assert "A comment is required" in shown
    assert "Changes from revision 1 to revision 2" in shown
    # Each button of the shared form goes to its own action, with the comparison too.
    for button in re.findall(r'formaction="([^"]+)"', _section(shown, 'class="decide"', "</form>")):
        assert "diff_from=1" in unescape(button) and "diff_to=2" in unescape(button)
    # The discussion's form keeps it as well.
    commented = web.post(f"/posts/{post.id}/comments?diff_from=1&diff_to=2", {"body": ""})
    assert commented.status_code == 422 and "Changes from revision 1 to revision 2" in _text(commented)


# 2. The editor's conflict says what the other person changed ---------------------------------------------------


def _preview(page: str) -> str:
    return _section(page, 'id="preview-body"')


def test_a_conflict_over_pictures_alone_says_so_and_keeps_the_typed_text(app, make, web, db_session, scene):
    """Tabs A and B on the editor; A adds a picture; B saves a text. B was shown "here is the newer text", the text
    B started from, with no word of the picture; and the preview showed the saved text, not B's."""
    france, writer, _reviewer = scene
    post = make.post(State.draft, account=make.account(france), author=writer,
                     body="Nos boutiques de Lyon vous accueillent samedi.")
    web.login(writer)
    path = f"/posts/{post.id}/edit"
    tab_b = Tab(web, path)
    assert _upload(web, post, jpeg(color="red"), "vitrine.jpg", "Vitrine de la boutique de Lyon.").status_code in (
        200, 302, 303)

    answer = tab_b.save(body="Nos conseillers de Lyon vous attendent samedi.")
    assert answer.status_code == 409
    page = _text(answer)
    conflict = _section(page, 'class="card conflict"')
    assert "they changed its pictures and videos, not its text" in conflict
    assert "1 added" in conflict
    assert "vitrine.jpg" in conflict  # which file
    assert "Nos boutiques de Lyon" not in conflict  # no "newer text" that is the one B started from
    assert tab_b.fields["body"].strip() == "Nos conseillers de Lyon vous attendent samedi."  # B's, in the editor
    preview = _preview(page)
    assert "Nos conseillers de Lyon" in preview and "Nos boutiques de Lyon" not in preview
    assert "media-preview" in preview or "<img" in preview  # with the picture A added

    # A revision number no page writes (a digit Python reads as one, "²", was a 500): the conflict, said plainly.
    for odd in ("²", "٣", "-1", "99999999999"):
        stale = Tab(web, path)
        stale.fields["version"] = str(int(stale.fields["version"]) - 1)
        assert stale.save(body="Autre texte.", revision_shown=odd).status_code == 409, odd

    # Saved again, B's text goes out with A's picture.
    assert tab_b.save(body=tab_b.fields["body"].lstrip()).status_code == 302  # as a browser reads the textarea
    post = _reload(db_session, post)
    assert post.body == "Nos conseillers de Lyon vous attendent samedi."
    assert [m.alt for m in post.current_revision.media] == ["Vitrine de la boutique de Lyon."]


def _tab_a_saved_a_text(make, web, scene):  # noqa: ANN001, ANN202
    """Two tabs on a draft's editor; tab A saved another text: the post and tab B, still on the first one."""
    france, writer, _reviewer = scene
    post = make.post(State.draft, account=make.account(france), author=writer, body="Texte de départ.")
    web.login(writer)
    path = f"/posts/{post.id}/edit"
    tab_a, tab_b = Tab(web, path), Tab(web, path)
    assert tab_a.save(body="Texte de l’onglet A.").status_code == 302
    return post, tab_b


def test_a_conflict_over_the_text_says_so_and_previews_the_text_being_edited(make, web, db_session, scene):
    _post, tab_b = _tab_a_saved_a_text(make, web, scene)
    answer = tab_b.save(body="Texte de l’onglet B.")
    assert answer.status_code == 409
    page = _text(answer)
    conflict = _section(page, 'class="card conflict"')
    assert "they changed its text" in conflict and "pictures" not in conflict
    assert "Texte de <del>départ</del><ins>l’onglet A</ins>." in conflict  # their text, their changes marked
    assert tab_b.fields["body"].strip() == "Texte de l’onglet B."
    preview = _preview(page)
    assert "Texte de l’onglet B." in preview and "onglet A" not in preview


def test_a_conflict_over_both_says_both(make, web, db_session, scene):
    post, tab_b = _tab_a_saved_a_text(make, web, scene)
    _upload(web, _reload(db_session, post), jpeg(color="blue"), "bleu.jpg", "Bleu")
    page = _text(tab_b.save(body="Texte de l’onglet B."))
    conflict = _section(page, 'class="card conflict"')
    assert "they changed its text and its pictures and videos" in conflict and "1 added" in conflict
    assert "bleu.jpg" in conflict


# 5. A save-and-submit refused by the style gate stays in the editor ----------------------------------------------


def test_a_new_post_refused_by_the_style_gate_opens_in_its_editor(make, web, db_session, scene):
    france, writer, _reviewer = scene
    account = make.account(france, "x")
    web.login(writer)
    answer = web.post("/posts/new", {"account_id": account.id, "submit": "1",
                                     "body": "la tour Eiffel brille ce soir pour les supporters #EURO2028"})
    post = db_session.scalars(select(Post).where(Post.account_id == account.id)).one()
    assert post.state is State.draft
    assert answer.status_code in (302, 303)
    assert answer.headers["Location"] == f"/posts/{post.id}/edit"
    page = _text(web.get(answer.headers["Location"]))
    assert "Saved, but not submitted: fix the errors first." in page
    assert "It stays a draft: the style check found errors in it, listed under the text." in page
    findings = _section(page, 'id="live-findings"', "</ul>")
    assert 'class="finding error"' in findings and "house.capital-start" in findings  # beside the text, no script
    assert page.count("house.capital-start") == 1  # said once, under the text, not in a message above too


def test_an_edit_refused_by_the_style_gate_stays_in_the_editor(make, web, db_session, scene):
    france, writer, _reviewer = scene
    post = make.post(State.draft, account=make.account(france, "x"), author=writer, body="Un texte correct.")
    web.login(writer)
    answer = web.post(f"/posts/{post.id}/edit", {"body": "un texte sans majuscule.", "version": post.version,
                                                 "submit": "1"})
    assert answer.headers["Location"] == f"/posts/{post.id}/edit"
    page = _text(web.get(answer.headers["Location"]))
    assert "Saved, but not submitted: fix the errors first." in page
    assert "house.capital-start" in _section(page, 'id="live-findings"', "</ul>")
    assert _reload(db_session, post).state is State.draft
    # Submitted again unchanged: not saved, and still in the editor.
    post = _reload(db_session, post)
    again = web.post(f"/posts/{post.id}/edit", {"body": "un texte sans majuscule.", "version": post.version,
                                                "submit": "1"})
    assert again.headers["Location"] == f"/posts/{post.id}/edit"
    assert "Not submitted: fix the errors first." in _text(web.get(again.headers["Location"]))


# 3. Slots in the market's time and, when it reads otherwise, the viewer's -------------------------------------


def _scheduled_in_paris(make, db_session, france, at: datetime) -> Post:  # noqa: ANN001
    post = make.post(State.scheduled, account=make.account(france), body="Le stade ce soir.")
    post.scheduled_at = at
    db_session.flush()
    return post


def test_a_slot_is_told_in_the_markets_time_and_the_viewers_own(app, make, web, db_session, scene):
    france, _writer, _reviewer = scene
    year = datetime.now(UTC).year + 1
    post = _scheduled_in_paris(make, db_session, france, datetime(year, 12, 8, 8, 0, tzinfo=UTC))
    late = _scheduled_in_paris(make, db_session, france, datetime(year, 12, 9, 4, 30, tzinfo=UTC))
    new_yorker = make.user(Role.project_manager, markets=[france])
    db_session.add(NotificationProfile(user_id=new_yorker.id, timezone="America/New_York"))
    db_session.flush()
    web.login(new_yorker)

    both = with_your_time(app, post.scheduled_at, "Europe/Paris", "America/New_York")  # "... · 03:00 your time"
    other_day = with_your_time(app, late.scheduled_at, "Europe/Paris", "America/New_York")  # "... · Dec 8, ..., 23:30"
    assert both in _text(web.get(f"/posts/{post.id}"))
    assert other_day in _text(web.get(f"/posts/{late.id}"))
    queue = _section(_text(web.get("/review")), "Going out next", "</table>")
    assert both in queue and other_day in queue
    desk = _text(web.get("/publishing"))  # the accounts have no publisher: the desk lists them as bound to fail
    assert both in desk and other_day in desk
    assert both in _text(web.get(f"/posts/{post.id}/edit"))  # "saving a change drops that time"


def test_a_viewer_in_the_markets_zone_reads_one_time(app, make, web, db_session, scene):
    france, _writer, _reviewer = scene
    year = datetime.now(UTC).year + 1
    post = _scheduled_in_paris(make, db_session, france, datetime(year, 12, 8, 8, 0, tzinfo=UTC))
    parisian = make.user(Role.project_manager, markets=[france])
    db_session.add(NotificationProfile(user_id=parisian.id, timezone="Europe/Paris"))
    db_session.flush()
    web.login(parisian)
    for path in (f"/posts/{post.id}", "/review", "/publishing"):
        page = _text(web.get(path))
        assert said_in_english(app, post.scheduled_at, "Europe/Paris") in page, path
        assert "your time" not in page, path


def test_a_published_post_tells_when_in_both_times(app, make, web, db_session, scene):
    france, _writer, _reviewer = scene
    year = datetime.now(UTC).year - 1
    post = make.post(State.published, account=make.account(france))
    post.published_at = datetime(year, 6, 1, 7, 15, tzinfo=UTC)  # summer: 09:15 in Paris, 03:15 in New York
    db_session.flush()
    new_yorker = make.user(Role.project_manager, markets=[france])
    db_session.add(NotificationProfile(user_id=new_yorker.id, timezone="America/New_York"))
    db_session.flush()
    web.login(new_yorker)
    assert (with_your_time(app, post.published_at, "Europe/Paris", "America/New_York")
            in _text(web.get(f"/posts/{post.id}")))


# 4. The review queue's phone cards: every cell says what it is -------------------------------------------------


class Cells(HTMLParser):
    """The cells of the tables of class ``posts``: each ``<td>``'s attributes, with ``first`` for a row's first."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict] = []
        self.depth = 0
        self.first = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table" and "posts" in (dict(attrs).get("class") or "").split():
            self.depth += 1
        elif tag == "tr":
            self.first = True
        elif tag == "td" and self.depth:
            self.cells.append({**dict(attrs), "first": self.first})
            self.first = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1


def test_every_cell_of_the_review_queue_carries_its_label(make, web, db_session, scene):
    france, _writer, reviewer = scene
    make.post(State.in_review, account=make.account(france))
    make.post(State.approved, account=make.account(france))
    make.post(State.scheduled, account=make.account(france))
    web.login(reviewer)
    page = _text(web.get("/review"))
    cells = Cells()
    cells.feed(page)
    assert len(cells.cells) >= 15
    # Every cell but the post's number ("#59", which says what it is) names itself on a phone's card.
    unnamed = [cell for cell in cells.cells if not cell.get("data-label") and not cell["first"]]
    assert not unnamed
    assert 'data-label="Waiting for"' in page and 'data-label="Scheduled for"' in page


# 7. The media diff names each file's alternative text ------------------------------------------------------------


def test_a_picture_added_between_two_revisions_is_shown_with_its_alternative_text(make, web, db_session, scene):
    france, writer, reviewer = scene
    post = make.post(State.draft, account=make.account(france, "x"), author=writer, body="Première version.")
    web.login(writer)
    _upload(web, post, jpeg(color="red"), "vitrine.jpg", "La vitrine illuminée.")
    post = _reload(db_session, post)
    from approval import operations as ops

    ops.edit_post(db_session, post, writer, "Deuxième version.", expected_version=post.version)
    db_session.flush()
    web.login(reviewer)
    page = _text(web.get(f"/posts/{post.id}?diff_from=1&diff_to=3"))
    diff = _section(page, 'id="diff"')
    assert "added at position 1" in diff and "La vitrine illuminée." in diff


# In a real browser --------------------------------------------------------------------------------------------


def _post_id(engine, body_start: str) -> int:  # noqa: ANN001
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        return next(p.id for p in session.scalars(select(Post)) if p.body.startswith(body_start))


@pytest.mark.browser
def test_the_walk_in_chromium_editor_refusals_conflicts_and_the_phone_queue(chromium, live_server):  # noqa: F811
    """Camille's save-and-submit refused by the style gate leaves her in the editor, its findings beside the text;
    Lucile's refused decision, its address opened again, is the post page; on a phone the queue says what the
    waiting time is; two tabs of the editor, the second's conflict previews its own text."""
    base, engine = live_server
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(base + "/posts/new")
    page.select_option("select[name=account_id]", label="FR · X · @helio_fr")
    page.fill("textarea[name=body]", "la Tour Eiffel brille ce soir")
    page.click("button[name=submit]")
    page.wait_for_load_state()
    post_id = _post_id(engine, "la Tour Eiffel")
    assert page.url.endswith(f"/posts/{post_id}/edit")
    assert "Saved, but not submitted" in page.inner_text("main")
    page.wait_for_selector("#live-findings li.finding.error")
    assert page.input_value("textarea[name=body]") == "la Tour Eiffel brille ce soir"
    page.fill("textarea[name=body]", "La Tour Eiffel brille ce soir.")
    page.click("button[name=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(f"/posts/{post_id}")

    # The project manager's refused decision; its address, opened again, is the post page.
    context.clear_cookies()
    sign_in(page, base, "lucile@helio.example")
    page.goto(f"{base}/posts/{post_id}")
    page.click("button.action-request_changes")
    page.wait_for_load_state()
    assert page.url.endswith(f"/posts/{post_id}/actions/request_changes")
    page.goto(base + "/review")
    answer = page.goto(f"{base}/posts/{post_id}/actions/request_changes")
    assert answer is not None and answer.status == 200
    assert page.url.endswith(f"/posts/{post_id}")

    # On a phone, the waiting time says what it is.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/review")
    label = page.evaluate("getComputedStyle(document.querySelector('td.age'), '::before').content")
    assert "Waiting for" in label
    page.set_viewport_size({"width": 1280, "height": 900})

    # Two tabs of the editor: the second's conflict keeps its text, and previews it.
    tab_a, tab_b = page, context.new_page()
    for tab in (tab_a, tab_b):
        tab.goto(f"{base}/posts/{post_id}/edit")
    tab_a.fill("textarea[name=body]", "La Tour Eiffel brille ce soir, onglet A.")
    tab_a.click("button[name=save]")
    tab_a.wait_for_load_state()
    tab_b.fill("textarea[name=body]", "La Tour Eiffel brille ce soir, onglet B.")
    tab_b.click("button[name=save]")
    tab_b.wait_for_load_state()
    assert "they changed its text" in tab_b.inner_text("#conflict")
    tab_b.wait_for_timeout(800)  # the scripts' first checks are in
    assert tab_b.input_value("textarea[name=body]") == "La Tour Eiffel brille ce soir, onglet B."
    assert "onglet B" in tab_b.inner_text("#preview-body") and "onglet A" not in tab_b.inner_text("#preview-body")
    context.close()
