"""The new-post form's files in a headless Chromium: a file that is neither a picture nor a video (a text, a PDF, a
PDF renamed ".jpg"), picked with pictures, is left out as it is picked and named, and the pictures stay picked and are
saved with the post (sent, the server refused the whole form for it, and the browser had lost every file picked).
Without scripts, the server's refusal names the file and keeps the text. Screenshots land in
test-artifacts/browser/new-post-not-media/.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures
from tests.conftest import ONE_BACKEND

pytestmark = pytest.mark.browser


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 400), colour).save(out, "PNG")
    return out.getvalue()


def _files() -> list[dict]:
    return [{"name": "rouge.png", "mimeType": "image/png", "buffer": _png("red")},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Ne pas publier.\n"},
            {"name": "bleu.png", "mimeType": "image/png", "buffer": _png("blue")}]


def _media_of_posts(engine) -> list[list[str]]:  # noqa: ANN001
    from approval.models import Post

    with Session(engine) as session:
        return [[m.name for m in post.current_revision.media]
                for post in session.scalars(select(Post).order_by(Post.id))]


@ONE_BACKEND  # the form's script, the same on either database
def test_a_file_that_is_no_picture_is_left_out_and_named_and_the_pictures_are_saved(chromium, live_server):  # noqa: F811
    base, engine = live_server
    folder = ARTIFACTS / "new-post-not-media"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, base, "camille@helio.example")
        page.goto(base + "/posts/new")
        page.fill("textarea[name=body]", "Le stade brille ce soir.")
        page.set_input_files("#new-media-file", files=_files())
        status = page.locator("#new-media-status")
        expect(status).to_have_text("notes.txt was left out: it is neither a picture nor a video. "
                                    "The other files picked stay.")
        expect(page.locator("#new-media-picked li")).to_have_count(2)
        assert page.inner_text("#new-media-picked").count("notes.txt") == 0
        assert page.evaluate("() => Array.from(document.getElementById('new-media-file').files, f => f.name)") \
            == ["rouge.png", "bleu.png"]
        page.locator("#new-media").screenshot(path=str(folder / "01-left-out.png"))
        # Two at once are named together, a PDF renamed ".jpg" too (it does not start as a picture); the pictures
        # picked before stay.
        page.set_input_files("#new-media-file", files=[
            {"name": "plan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n"},
            {"name": "affiche.jpg", "mimeType": "image/jpeg", "buffer": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"}])
        expect(status).to_have_text("plan.pdf, affiche.jpg were left out: they are neither pictures nor videos. "
                                    "The other files picked stay.")
        expect(page.locator("#new-media-picked li")).to_have_count(2)
        with page.expect_navigation():
            page.get_by_role("button", name="Save", exact=True).click()
        assert _media_of_posts(engine) == [["rouge.png", "bleu.png"]]
        assert not errors, errors
    finally:
        context.close()


@ONE_BACKEND
def test_without_scripts_the_refusal_names_the_file_and_keeps_the_text(chromium, live_server):  # noqa: F811
    base, engine = live_server
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB",
                                   java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, base, "camille@helio.example")
        page.goto(base + "/posts/new")
        page.fill("textarea[name=body]", "Le stade brille ce soir.")
        page.set_input_files("#new-media-file", files=_files())
        with page.expect_navigation():
            page.get_by_role("button", name="Save", exact=True).click()
        said = page.inner_text("#new-media-errors")
        assert said.startswith("notes.txt (file 2 of 3): This is neither a picture"), said
        assert "pick the files again, without this one" in said
        assert page.input_value("textarea[name=body]") == "Le stade brille ce soir."
        assert _media_of_posts(engine) == []
    finally:
        context.close()


@ONE_BACKEND  # the form's script, the same on either database
def test_a_video_the_browser_types_by_its_container_stays_picked(chromium, live_server):  # noqa: F811
    """A review: an ".m4v" the browser types "video/x-m4v" (Safari does) was left out as "neither a picture nor a
    video"; a video goes for the server to read, whatever its container's name."""
    base, _engine = live_server
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "camille@helio.example")
        page.goto(base + "/posts/new")
        page.set_input_files("#new-media-file", files=[
            {"name": "clip.m4v", "mimeType": "video/x-m4v", "buffer": b"\x00\x00\x00\x18ftypM4V \x00\x00\x00\x01"}])
        expect(page.locator("#new-media-picked li")).to_have_count(1)
        assert "left out" not in page.inner_text("#new-media-status")
        assert page.evaluate("() => Array.from(document.getElementById('new-media-file').files, f => f.name)") \
            == ["clip.m4v"]
    finally:
        context.close()
