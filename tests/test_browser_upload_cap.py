"""A new post's pictures and videos over what one request may carry: the server refuses such a body before reading it
(413), so its text cannot come back with the refusal. The page's script stops the form before it is sent, names the
files to leave out and keeps the text; sent anyway (without scripts), the 413 is a page that says the text was not
saved and that the browser's Back button brings the form back. Real Chromium, served by a thread, with media caps
small enough for a test (a body of 3 MB at most)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from approval import administration as admin
from approval import create_app
from approval.db import make_engine
from approval.workflow.states import Role

from conftest import ONE_BACKEND
from test_browser import PASSWORD, chromium, sign_in  # noqa: F401 - the shared browser fixtures

pytestmark = [pytest.mark.browser, ONE_BACKEND]

KB = 1024
#: 20 pictures of 100 KB or a video of 2 MB, and the envelope's 1 MB: 3 MB (``intake.Limits.body_bytes``).
CAPS = {"MEDIA_MAX_IMAGE_BYTES": 100 * KB, "MEDIA_MAX_VIDEO_BYTES": 2048 * KB}
TEXT = "Les coulisses du Social Hub : une journée avec l’équipe qui répond à vos messages."


@pytest.fixture()
def capped_server(backend, databases):  # noqa: ANN001, ANN201
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    with Session(engine) as session:
        france = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        admin.create_account(session, france, "linkedin", "helio", "Helio")
        admin.create_user(session, "camille@helio.example", "Camille Dubois", Role.community_manager, PASSWORD,
                          markets=[france])
        session.commit()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "journey", "TESTING": True, **CAPS})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    engine.dispose()


def _videos(*sizes_kb: int) -> list[dict]:
    return [{"name": f"clip-{i}.mp4", "mimeType": "video/mp4", "buffer": b"\0" * (size * KB)}
            for i, size in enumerate(sizes_kb, 1)]


def _new_post_form(browser, base: str, scripts: bool = True):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                   java_script_enabled=scripts)
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(base + "/posts/new")
    page.fill("textarea[name=body]", TEXT)
    return page


def test_a_selection_over_the_cap_is_stopped_before_it_is_sent(chromium, capped_server):  # noqa: F811
    page = _new_post_form(chromium, capped_server)
    assert page.locator("#new-media").get_attribute("data-body-bytes") == str(3 * 1024 * KB)
    # 1.9 MB + 1.5 MB + 60 KB: 3.4 MB, over the 3 MB; leaving out the largest is enough.
    page.set_input_files("#new-media-file", _videos(1900, 1500, 60))
    sent = []
    page.on("request", lambda request: sent.append(request.url)
            if request.method == "POST" and request.url.endswith("/posts/new") else None)
    page.get_by_role("button", name="Save", exact=True).click()
    status = page.locator("#new-media-status")
    status.wait_for()
    said = status.inner_text()
    assert "Not sent" in said and "3 MB at most" in said and "Leave out clip-1.mp4," in said, said
    assert "clip-2.mp4" not in said and "clip-3.mp4" not in said, said
    assert "your text is kept" in said
    assert sent == [] and page.url.endswith("/posts/new")
    assert page.input_value("textarea[name=body]") == TEXT
    marked = page.locator(".picked-item.too-large")
    assert marked.count() == 1 and "clip-1.mp4" in marked.inner_text()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Leave out clip-1.mp4"
    # Left out as it says, the form goes, within the cap (these zeros are no video: the answer refuses them, and
    # gives the text back, as any refusal the server reads the form for).
    page.keyboard.press("Enter")
    assert status.is_hidden()
    with page.expect_navigation() as answer:
        page.get_by_role("button", name="Save", exact=True).click()
    assert answer.value.status != 413 and len(sent) == 1
    assert page.input_value("textarea[name=body]") == TEXT
    page.context.close()


def test_the_413_of_the_form_says_the_text_was_not_saved_and_how_to_get_it_back(chromium, capped_server):  # noqa: F811
    """Without scripts nothing stops the form: the server's answer is a page that says what happened, and the
    browser's Back button (its "Back to the form" with scripts) brings the form back with the text typed."""
    page = _new_post_form(chromium, capped_server, scripts=False)
    page.set_input_files("#new-media-file", _videos(1900, 1500))
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    said = page.locator("main").inner_text()
    assert page.title().startswith("Not sent: the pictures and videos are too large"), page.title()
    assert "The upload is 3.3 MB: one request carries 3 MB at most" in said, said
    assert "Your post was not saved" in said and "Back button" in said, said
    assert not page.get_by_role("button", name="Back to the form").is_visible()  # a script's button
    page.go_back()
    assert page.input_value("textarea[name=body]") == TEXT
    page.context.close()

    page = _new_post_form(chromium, capped_server)
    page.evaluate("document.getElementById('new-media').dataset.bodyBytes = '0'")  # a cap the page did not know
    page.set_input_files("#new-media-file", _videos(1900, 1500))
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert page.title().startswith("Not sent")
    back = page.get_by_role("button", name="Back to the form")
    assert back.is_visible()
    with page.expect_navigation():
        back.click()
    assert page.url.endswith("/posts/new")
    assert page.input_value("textarea[name=body]") == TEXT
    page.context.close()


#: The body as it was reckoned before its line breaks counted as CR LF: each field's part, the text in UTF-8 as typed.
LF_ESTIMATE = """() => { const form = document.querySelector('#new-media').closest('form');
const enc = new TextEncoder(); let t = 0; new FormData(form).forEach((v, n) => { t += 160 + enc.encode(n).length;
t += v instanceof File ? v.size + enc.encode(v.name).length : enc.encode(String(v)).length; }); return t; }"""


def test_a_text_of_many_lines_counts_each_break_as_the_browser_sends_it(chromium, capped_server):  # noqa: F811
    """A text of 1,350 lines and files that bring the body 300 bytes under the cap as typed: the browser sends each
    line break as CR LF, 1,350 bytes more, and the server refused the body (413) with the text lost. The page now
    stops it, or it goes within the cap: never a 413."""
    text = "a\n" * 1350
    limit = 3 * 1024 * KB
    page = _new_post_form(chromium, capped_server)
    page.fill("textarea[name=body]", text)
    page.set_input_files("#new-media-file", _videos(1000, 1500))
    first = page.evaluate(LF_ESTIMATE)
    page.context.close()
    size = 1000 * KB + (limit - 300 - first)  # the files picked again on a new form, the first this much larger
    page = _new_post_form(chromium, capped_server)
    page.fill("textarea[name=body]", text)
    page.set_input_files("#new-media-file", [{"name": "clip-1.mp4", "mimeType": "video/mp4", "buffer": b"\0" * size},
                                             *_videos(0, 1500)[1:]])
    assert page.evaluate(LF_ESTIMATE) <= limit - 300
    sent = []
    page.on("request", lambda request: sent.append(request.url)
            if request.method == "POST" and request.url.endswith("/posts/new") else None)
    page.get_by_role("button", name="Save", exact=True).click()
    status = page.locator("#new-media-status")
    status.wait_for()
    assert "Not sent" in status.inner_text() and sent == []
    assert page.input_value("textarea[name=body]") == text
    page.context.close()
