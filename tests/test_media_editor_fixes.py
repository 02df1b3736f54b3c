"""What a walk of the media editor on a phone found: an alternative text typed and not saved was wiped when another
upload finished, and the keyboard's focus fell back to the page after a move or a removal; rule ids were shown to
community managers on the media cards; a file's size read "8.9 MB" on its card beside "8.5 MB: Instagram takes at
most 8 MB." (decimal and binary units); "notes.jpg This is neither…" listed types the post's network never takes,
"Drop" was offered where nothing can be dropped, a removal answered "Saved.", ↑ on the first file and ↓ on the last
answered "Already saved", a video was said to have "no alternative text" where none is taken; the LinkedIn preview
showed pictures and a video together without a word, Instagram's carousel showed its first slide only, and the
previews' links were a blue of 3:1 on white."""

from __future__ import annotations

import io
import os
import re
import threading

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from approval.models import Post
from approval.workflow.states import Role

from test_browser import PASSWORD, chromium, sign_in  # noqa: F401  (the browser fixture)
from test_media_samples import jpeg, video


@pytest.fixture()
def scene(make):  # noqa: ANN001, ANN201
    france = make.market("FR")
    writer = make.user(Role.community_manager, markets=[france])
    return france, writer


def _noise_jpeg(size: tuple[int, int]) -> bytes:
    """A picture of noise: it does not compress, so a few megabytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, "JPEG", quality=100, subsampling=0)
    return out.getvalue()


def _upload(web, post, data: bytes, name: str):  # noqa: ANN001, ANN202
    return web.client.post(f"/posts/{post.id}/media", data={
        "csrf_token": web.token, "version": str(post.version), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data", headers={"Accept": "application/json", "X-Requested-With": "fetch"})


def _reload(db_session, post: Post) -> Post:  # noqa: ANN001
    db_session.expire_all()
    return db_session.get(Post, post.id)


def _card_sizes(page: str) -> list[str]:
    """The size at the end of each file's line on the editor's cards."""
    return [re.sub(r"\s", " ", size) for size in re.findall(r'class="media-size">([^<]+)</span>', page)]


# Sizes ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "card", "finding"), [
    ("en", "8.5 MB", "8.5 MB: Instagram takes at most 8 MB."),
    ("fr", "8,5 Mo", "8,5 Mo : Instagram accepte 8 Mo au plus."),
])
def test_the_walks_picture_reads_the_same_size_on_its_card_and_in_its_finding(app, language, card, finding):
    """8,880,319 bytes read "8.9 MB" (decimal) on the card and "8.5 MB" (binary) in the finding beside it."""
    from approval.filters import file_size
    from approval.labels import finding_message
    from approval.style import Context, check
    from approval.style.media import MediaItem

    item = MediaItem("image", "image/jpeg", 8_880_319, 1080, 1350, alt="Le stade")
    [size] = [f for f in check("Le stade.", Context(network="instagram", media=(item,)))
              if f.rule == "network.media-size"]
    with app.test_request_context(headers={"Accept-Language": language}):
        assert re.sub(r"\s", " ", file_size(item.bytes)) == card
        assert re.sub(r"\s", " ", finding_message(size)).startswith(card)
        assert re.sub(r"\s", " ", finding_message(size)) == finding


def test_a_small_video_reads_kb_the_same_way_on_its_card_and_in_its_finding(app):
    """A 7,828-byte video read "7.8 kB" on its card and "7 KB: LinkedIn takes videos of 75 KB or more." beside it."""
    from approval.filters import file_size
    from approval.labels import finding_message
    from approval.style import Context, check
    from approval.style.media import MediaItem

    item = MediaItem("video", "video/mp4", 7_828, 640, 360, duration_s=4.0, codec="h264", frame_rate=25.0)
    [size] = [f for f in check("Le stade.", Context(network="linkedin", media=(item,)))
              if f.rule == "network.media-size"]
    with app.test_request_context():
        assert file_size(item.bytes) == "7.6\u00a0KB"  # never cut at a line's end
        assert finding_message(size) == "7.6 KB: LinkedIn takes videos of 75 KB or more."


@pytest.mark.parametrize(("size", "shown"), [
    (5 * 1024 * 1024 + 30_000, "5.03 MB"),  # over a cap of 5 MB: never "5 MB", nor "5.0 MB"
    (8 * 1024 * 1024 - 3_000, "7.99 MB"),   # under a cap of 8 MB: never "8 MB"
    (8 * 1024 * 1024, "8 MB"),
    (75 * 1024 - 40, "74.96 KB"),           # under a minimum of 75 KB: never "75 KB"
    (30_439, "29.7 KB"),
    (1023, "0.99 KB"),
])
def test_a_size_never_reads_as_a_whole_figure_it_is_not(app, size, shown):
    """The networks' limits are whole figures: a file a few bytes over (or under) one never reads as the limit."""
    from approval.filters import file_size

    with app.test_request_context():
        assert re.sub(r"\s", " ", file_size(size)) == shown


def test_the_card_and_the_finding_agree_for_a_file_over_the_cap(make, web, db_session, scene):
    """Uploaded, a picture over X's 5 MB: its card and its finding give one size, in one unit, in either language."""
    france, writer = scene
    post = make.post(account=make.account(france, "x"), author=writer, body="Le stade en grand.")
    web.login(writer)
    answer = _upload(web, post, _noise_jpeg((1600, 1200)), "grand.jpg")
    assert answer.status_code == 201, answer.get_json()
    state = answer.get_json()
    [finding] = [f for f in state["findings"] if f["rule"] == "network.media-size"]
    assert re.sub(r"\s", " ", state["media"][0]["size"]) == finding["message"].split(":")[0], finding
    for language in ("en", "fr"):
        page = web.get(f"/posts/{post.id}/edit", headers={"Accept-Language": language}).get_data(as_text=True)
        [card] = _card_sizes(page)
        said = web.client.post(f"/posts/{post.id}/media/arrange", data={
            "csrf_token": web.token, "version": str(_reload(db_session, post).version)},
            headers={"Accept": "application/json", "X-Requested-With": "fetch", "Accept-Language": language})
        [finding] = [f for f in said.get_json()["findings"] if f["rule"] == "network.media-size"]
        assert re.sub(r"\s", " ", finding["message"]).startswith(card + (" :" if language == "fr" else ":"))
        assert ("Mo" if language == "fr" else "MB") in card and "kB" not in page


# Words ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("network", "said"), [
    ("instagram", "This is neither a picture (JPEG) nor a video (MP4, MOV) that Instagram takes."),
    ("youtube", "This is not a video (MP4, MOV) that YouTube takes."),
    ("x", "This is neither a picture (JPEG, PNG, GIF, WebP) nor a video (MP4, MOV) that X takes."),
])
def test_a_file_that_is_no_picture_nor_video_hears_what_the_posts_network_takes(make, web, scene, network, said):
    france, writer = scene
    post = make.post(account=make.account(france, network), author=writer, body="Le stade\nLa visite.")
    web.login(writer)
    answer = _upload(web, post, b"Just some text pretending to be a picture.\n" * 20, "notes.jpg")
    assert answer.status_code == 415 and answer.get_json()["message"] == said


def test_a_removal_says_removed_and_the_ends_of_the_list_cannot_move_further(make, web, db_session, scene):
    france, writer = scene
    post = make.post(account=make.account(france, "x"), author=writer, body="Trois photos du stade.")
    web.login(writer)
    for color in ("red", "green", "blue"):
        assert _upload(web, _reload(db_session, post), jpeg(color=color), f"{color}.jpg").status_code == 201
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    ups = re.findall(r'<button type="submit" name="up"[^>]*>', page)
    downs = re.findall(r'<button type="submit" name="down"[^>]*>', page)
    assert ["disabled" in b for b in ups] == [True, False, False]
    assert ["disabled" in b for b in downs] == [False, False, True]
    first = _reload(db_session, post).current_revision.media[0].file.id
    removed = web.client.post(f"/posts/{post.id}/media/arrange", data={
        "csrf_token": web.token, "version": str(_reload(db_session, post).version), "remove": str(first)},
        headers={"Accept": "application/json", "X-Requested-With": "fetch"})
    assert removed.get_json()["message"] == "Removed."
    assert len(removed.get_json()["media"]) == 2


def test_the_post_page_says_no_alternative_text_only_where_the_network_takes_one(make, web, db_session, scene):
    """A video on X showed "no alternative text" in italics: X takes none for videos."""
    france, writer = scene
    post = make.post(account=make.account(france, "x"), author=writer, body="Une photo et une vidéo.")
    web.login(writer)
    assert _upload(web, post, jpeg(color="red"), "rouge.jpg").status_code == 201
    assert _upload(web, _reload(db_session, post), video((64, 48), seconds=1.0), "clip.mp4").status_code == 201
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    shown = page[page.index('class="media-shown"'):]
    shown = shown[:shown.index("</ol>")]
    assert shown.count("no alternative text") == 1  # the picture's, not the video's
    # Each link says what it opens (a picture without alternative text left it nameless: axe's link-name).
    assert 'aria-label="Open picture 1 (rouge.jpg)"' in shown and 'aria-label="Open video 2 (clip.mp4)"' in shown


def test_rule_ids_on_the_media_cards_are_for_admins_only(make, web, scene):
    """The cards' findings are drawn by the editor's script: it is told to show the ids only on an admin's page."""
    france, writer = scene
    post = make.post(account=make.account(france, "x"), author=writer)
    web.login(writer)
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    editor = page[page.index('id="media-editor"'):]
    editor = editor[:editor.index(">")]
    assert "data-rules" not in editor


def test_the_drop_zone_offers_to_choose_before_any_script_says_drop(make, web, scene):
    """Without a script (and on a touch screen) nothing can be dropped: the zone says "choose"; the script says
    "drop" where a mouse can."""
    france, writer = scene
    post = make.post(account=make.account(france, "instagram"), author=writer)
    web.login(writer)
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert '<span id="media-choose-words">Add pictures (JPEG, PNG, GIF, WebP) or videos (MP4, MOV):</span>' in page
    assert ('<span id="media-drop-words" hidden>Drop pictures (JPEG, PNG, GIF, WebP) or videos (MP4, MOV) here, '
            'or</span>') in page


# Previews ---------------------------------------------------------------------------------------------------------

def test_the_linkedin_preview_says_it_would_not_show_a_video_beside_pictures(app):
    from flask import render_template

    from approval.media.previews import MediaView, build

    media = [MediaView(1, "image", 800, 800, "Photo 1", False), MediaView(2, "image", 800, 800, "Photo 2", False),
             MediaView(3, "video", 640, 360, "", False)]
    preview = build("linkedin", "Le stade.", media)
    assert [m.id for m in preview.media] == [1, 2] and preview.left_out == 1
    with app.test_request_context():
        html = render_template("media/_preview.html", preview=preview)
    assert html.count('class="pv-img') == 2
    assert "1 file is not shown: LinkedIn does not take pictures and a video in one post." in html
    # X: a video first, then pictures: the video is shown, the pictures are not.
    x = build("x", "Le stade.", [media[2], *media[:2]])
    assert [m.id for m in x.media] == [3] and x.left_out == 2


def test_the_instagram_preview_pages_through_its_slides(app):
    from flask import render_template

    from approval.media.previews import MediaView, build

    media = [MediaView(i, "image", 1080, 1350, f"Photo {i}", False) for i in (1, 2, 3)]
    with app.test_request_context():
        html = render_template("media/_preview.html", preview=build("instagram", "Le stade.", media))
    assert html.count('class="pv-slide"') == 3 and html.count('class="pv-slide" hidden') == 2
    assert 'class="pv-turn pv-prev"' in html and 'class="pv-turn pv-next"' in html
    assert 'aria-label="Previous slide"' in html and 'aria-label="Next slide"' in html


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_previews_links_and_tags_read_at_4_5_to_1_on_white(web):
    css = web.get("/static/previews.css").get_data(as_text=True)
    [colour] = re.findall(r"\.pv-link, \.pv-tag, \.pv-mention \{ color: (#[0-9a-fA-F]{6}); \}", css)
    assert (1.05) / (_luminance(colour) + 0.05) >= 4.5, colour


# In a browser ------------------------------------------------------------------------------------------------------

@pytest.fixture()
def walk_server(backend, databases, tmp_path):  # noqa: ANN001, ANN201
    from approval import administration as admin
    from approval import create_app
    from approval import operations as ops
    from approval.db import make_engine
    from approval.media import samples

    url = databases.migrated_url(backend)
    engine = make_engine(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "walk", "TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    posts = {}
    with app.app_context(), Session(engine) as session:
        france = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        writer = admin.create_user(session, "camille@helio.example", "Camille Dubois", Role.community_manager,
                                   PASSWORD, markets=[france])
        x = admin.create_account(session, france, "x", "helio_x", "Helio")
        posts["x"] = ops.create_post(session, writer, x, "Trois photos du stade.").id
        instagram = admin.create_account(session, france, "instagram", "helio_instagram", "Helio")
        carousel = ops.create_post(session, writer, instagram, "Les coulisses du stade en trois photos.")
        for index in range(3):
            samples.attach_bytes(session, carousel, writer, samples.draw_picture(
                (1080, 1350), f"slide {index + 1}", samples.COLORS[index]), f"slide-{index + 1}.jpg",
                f"Slide {index + 1}")
        posts["instagram"] = carousel.id
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", engine, posts
    server.shutdown()
    thread.join(timeout=5)
    engine.dispose()


def _focused(page) -> str:  # noqa: ANN001
    return page.evaluate("""() => {
      const el = document.activeElement, item = el.closest('.media-item');
      return (item ? item.dataset.id + ':' : '') + (el.name || el.className || el.tagName);
    }""")


def _saved_alts(engine, post_id: int) -> list[str]:  # noqa: ANN001
    with Session(engine) as session:
        return [m.alt for m in session.scalar(select(Post).where(Post.id == post_id)).current_revision.media]


@pytest.mark.browser
def test_typed_alternative_texts_and_the_keyboards_place_survive_every_redraw(chromium, walk_server):  # noqa: ANN001, F811
    base, engine, posts = walk_server
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB", is_mobile=True,
                                   has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(base + "/login")  # a phone: "Log out" is in the menu (test_browser.sign_in waits for it in sight)
    page.fill("input[name=email]", "camille@helio.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/posts/{posts['x']}/edit")
    # A touch screen: nothing to drop, the zone says to choose.
    assert page.locator("#media-choose-words").is_visible() and not page.locator("#media-drop-words").is_visible()
    items = page.locator("#media-list .media-item")

    def add(name: str, color: str, count: int) -> None:
        page.set_input_files("#media-file", files=[{"name": name, "mimeType": "image/jpeg",
                                                    "buffer": jpeg((600, 400), color=color)}])
        page.wait_for_function(f"() => document.querySelectorAll('#media-list .media-item').length === {count}")

    add("rouge.jpg", "red", 1)
    alt = page.locator("#media-list .media-alt")
    alt.nth(0).click()
    page.keyboard.type("La tribune rouge")
    # Another upload finishes while the text is being typed: the text stays, and so does the keyboard.
    add("vert.jpg", "green", 2)
    assert alt.nth(0).input_value() == "La tribune rouge"
    assert _focused(page).endswith(":alt-" + items.nth(0).get_attribute("data-id"))
    page.keyboard.type(", de face")
    assert alt.nth(0).input_value() == "La tribune rouge, de face"
    assert _saved_alts(engine, posts["x"]) == ["", ""]  # typed, not saved yet
    alt.nth(1).fill("La pelouse verte")
    add("bleu.jpg", "blue", 3)
    assert [alt.nth(i).input_value() for i in range(3)] == ["La tribune rouge, de face", "La pelouse verte", ""]

    # The first cannot go up, the last cannot go down.
    assert items.nth(0).locator("button[name=up]").is_disabled()
    assert items.nth(2).locator("button[name=down]").is_disabled()
    assert not items.nth(1).locator("button[name=up]").is_disabled()

    # Move the third up with the keyboard: the focus stays on its "Move up", wherever it went.
    third = items.nth(2).get_attribute("data-id")
    items.nth(2).locator("button[name=up]").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelectorAll('#media-list .media-item')[1].dataset.id === '{third}'")
    assert _focused(page) == f"{third}:up"
    alt.nth(0).fill("La tribune rouge, de loin")  # typed, then a move: kept (and saved with the move)
    page.keyboard.press("Tab")
    items.nth(1).locator("button[name=up]").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelectorAll('#media-list .media-item')[0].dataset.id === '{third}'")
    # At the top its "Move up" is disabled: the focus is on its "Move down", not lost on the page.
    assert _focused(page) == f"{third}:down"
    assert alt.nth(1).input_value() == "La tribune rouge, de loin"
    assert "Saved." in page.inner_text("#media-status")

    # Remove the first (confirmed): the focus goes to the file that took its place.
    following = items.nth(1).get_attribute("data-id")
    items.nth(0).locator("button[name=remove]").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#media-list .media-item').length === 2")
    assert _focused(page).startswith(f"{following}:")
    assert page.inner_text("#media-status") == "Removed."
    assert [alt.nth(i).input_value() for i in range(2)] == ["La tribune rouge, de loin", "La pelouse verte"]

    # The findings on a card: the message first, no rule id for a community manager (it is in data-rule).
    finding = page.locator("#media-list .findings li").first
    page.locator("#media-list .media-alt").nth(0).fill("")
    page.locator("#media-save").click()
    finding.wait_for()
    assert finding.get_attribute("data-rule") == "network.alt-text"
    assert "network.alt-text" not in page.inner_text("#media-list")
    assert finding.inner_text().startswith("warning Picture 1 has no alternative text")

    # A file that is neither: its name, a separator, what X takes.
    page.set_input_files("#media-file", files=[{"name": "notes.jpg", "mimeType": "image/jpeg",
                                                "buffer": b"just text\n" * 50}])
    page.wait_for_selector("#media-uploads li.error")
    assert page.inner_text("#media-uploads li.error").startswith("notes.jpg: This is neither a picture (JPEG, PNG")

    # Instagram's carousel: a reviewer pages through its slides with the keyboard.
    page.goto(f"{base}/posts/{posts['instagram']}")
    slides = page.locator("#previews .pv-slide")
    assert slides.count() == 3 and slides.nth(0).is_visible() and not slides.nth(1).is_visible()
    following_slide = page.locator("#previews .pv-next")
    following_slide.focus()
    page.keyboard.press("Enter")
    assert slides.nth(1).is_visible() and not slides.nth(0).is_visible()
    assert page.inner_text("#previews .pv-frame .pv-count") == "2/3"
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # at the last slide: nothing further, the focus stays
    assert slides.nth(2).is_visible() and _focused(page).startswith("pv-turn pv-next")
    page.locator("#previews .pv-prev").click()
    assert slides.nth(1).is_visible()
    assert not errors, errors
    context.close()


@pytest.mark.browser
def test_a_mouse_is_offered_to_drop(chromium, walk_server):  # noqa: ANN001, F811
    base, _engine, posts = walk_server
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(f"{base}/posts/{posts['x']}/edit")
    assert page.locator("#media-drop-words").is_visible() and not page.locator("#media-choose-words").is_visible()
    context.close()


def test_the_plain_forms_empty_description_keeps_a_re_sent_files_text(make, web, db_session, scene):
    """The plain form always sends its one description field: empty, it said "no text" and erased what the file
    already showed when the same file was picked again."""
    from test_media_pages import _upload as _plain_upload

    france, writer = scene
    post = make.post(account=make.account(france, "x"), author=writer, body="La tribune.")
    web.login(writer)
    picture = jpeg(color="red")
    assert _plain_upload(web, post, picture, "rouge.jpg", "La tribune rouge").status_code == 302
    post = _reload(db_session, post)
    assert _plain_upload(web, post, picture, "rouge.jpg", "").status_code == 302
    post = _reload(db_session, post)
    assert [m.alt for m in post.current_revision.media] == ["La tribune rouge"]
