"""Media and previews in a real headless Chromium against a live server (issue 11): the preview of each network,
screenshotted; the editor uploads a file from the picker with progress, reorders by dragging, and the preview
follows the text as it is typed; the review page previews the revision it approves. No inline script runs (the
CSP would refuse it): the console stays free of CSP errors. Screenshots: test-artifacts/browser/<backend>/media/.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from approval import administration as admin
from approval import create_app
from approval import operations as ops
from approval.db import make_engine
from approval.media import samples
from approval.models import Post
from approval.workflow.states import Role

from test_browser import ARTIFACTS, PASSWORD, chromium, sign_in  # noqa: F401  (the browser fixture)
from test_media_samples import jpeg, video

pytestmark = pytest.mark.browser

TEXTS = {
    "x": "Le stade s'illumine ce soir pour la finale. Suivez le direct sur "
         "https://www.example.com/finale/direct/ce-soir "
         "et partagez vos photos avec nous. Les portes ouvrent à 18 h, venez tôt pour profiter des animations. "
         "Bonne soirée à toutes et à tous, et merci pour votre soutien pendant toute la saison.",
    "linkedin": "Nous publions aujourd'hui notre rapport annuel intégré.\nTrois chiffres à retenir.\nUn engagement "
                "renouvelé.\nEt une équipe fière du chemin parcouru, que nous remercions chaleureusement.",
    "instagram": "Les coulisses du Social Hub en photos : une journée avec l'équipe qui répond à vos messages, de "
                 "l'ouverture à la fermeture, sept jours sur sept.",
    "facebook": "Rejoignez-nous samedi à la fan zone pour la finale. L'entrée est libre.",
    "youtube": "Revivez l'illumination de la Tour Eiffel\nLa soirée en vidéo, du premier but au feu d'artifice.",
    "snapchat": "Ce soir, la Tour s'allume.",
}


@pytest.fixture()
def media_server(backend, databases, tmp_path):  # noqa: ANN001, ANN201
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "media", "TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    posts = {}
    with app.app_context(), Session(engine) as session:
        france = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        writer = admin.create_user(session, "camille@helio.example", "Camille Dubois", Role.community_manager,
                                   PASSWORD, markets=[france])
        admin.create_user(session, "lucile@helio.example", "Lucile Tardieu", Role.project_manager, PASSWORD,
                          all_markets=True)
        for network, text in TEXTS.items():
            account = admin.create_account(session, france, network, f"helio_{network}", "Helio")
            post = ops.create_post(session, writer, account, text)
            if network == "youtube":
                samples.attach_bytes(session, post, writer, samples.draw_video((320, 180)), "film.mp4")
            elif network == "snapchat":
                samples.attach_bytes(session, post, writer, samples.draw_picture((540, 960), "Sosh"), "story.jpg")
            else:
                count = {"x": 3, "linkedin": 2, "instagram": 2, "facebook": 1}[network]
                size = (1080, 1350) if network == "instagram" else (1200, 675)
                for index in range(count):
                    samples.attach_bytes(session, post, writer, samples.draw_picture(
                        size, f"{network} {index + 1}", samples.COLORS[index]), f"{network}-{index + 1}.jpg",
                        f"Photo {index + 1} de la soirée")
            posts[network] = post.id
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", engine, posts
    server.shutdown()
    thread.join(timeout=5)
    engine.dispose()


def _login(context, page, base: str, email: str) -> None:  # noqa: ANN001
    context.clear_cookies()  # the last user's session ends
    sign_in(page, base, email)


def _media_ids(engine, post_id: int) -> list[int]:  # noqa: ANN001
    with Session(engine) as session:
        return [m.file.id for m in session.get(Post, post_id).current_revision.media]


def test_previews_editor_and_review_in_a_browser(chromium, media_server, backend, tmp_path):  # noqa: F811
    base, engine, posts = media_server
    folder = ARTIFACTS / backend / "media"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    _login(context, page, base, "camille@helio.example")

    # Each network's preview, as the editor shows it, with its thumbnails loaded.
    for network, post_id in posts.items():
        page.goto(f"{base}/posts/{post_id}/edit")
        preview = page.locator(f"#previews .pv[data-network={network}]")
        preview.wait_for()
        page.wait_for_function("() => Array.from(document.querySelectorAll('#previews img'))"
                               ".every(i => i.complete && i.naturalWidth > 0)")
        assert page.locator("#previews img").count() >= 1
        page.locator("#previews").screenshot(path=str(folder / f"preview-{network}.png"))
    assert page.locator(".pv-frame.pv-vertical").count() == 1  # the last one: Snapchat, vertical

    # X: the grid of three, the cut, links shortened; typing changes the preview.
    page.goto(f"{base}/posts/{posts['x']}/edit")
    assert page.locator("#previews .pv-grid-3 img").count() == 3
    page.fill("textarea[name=body]", "Nouveau texte court pour la finale.")
    page.wait_for_function("() => document.querySelector('#preview-body').innerText.includes('Nouveau texte court')")
    assert "Show more" not in page.inner_text("#preview-body")

    # Upload from the file picker: progress, then the new file in the list and in the preview.
    before = _media_ids(engine, posts["linkedin"])
    page.goto(f"{base}/posts/{posts['linkedin']}/edit")
    # Files go up as soon as they are chosen: one text typed before would describe the first of several only.
    assert page.locator("#media-alt-hint").is_visible() and not page.locator("#media-alt").is_visible()
    page.set_input_files("#media-file", files=[{"name": "logo.jpg", "mimeType": "image/jpeg",
                                                "buffer": jpeg((600, 400), color="navy")}])
    page.wait_for_selector("#media-uploads li.done progress[value='100']")
    page.wait_for_function(f"() => document.querySelectorAll('#media-list .media-item').length === {len(before) + 1}")
    after = _media_ids(engine, posts["linkedin"])
    assert after[:-1] == before and len(after) == len(before) + 1
    page.wait_for_function("() => document.querySelectorAll('#previews .pv-grid-3 img').length === 3")
    page.screenshot(path=str(folder / "editor-after-upload.png"), full_page=True)
    # A file that is not a picture: the reason is shown, nothing changes.
    page.set_input_files("#media-file", files=[{"name": "notes.jpg", "mimeType": "image/jpeg",
                                                "buffer": b"just text"}])
    page.wait_for_selector("#media-uploads li.error")
    assert "neither a picture" in page.inner_text("#media-uploads li.error")
    assert _media_ids(engine, posts["linkedin"]) == after

    # Reorder by dragging the last file above the first.
    page.drag_and_drop("#media-list .media-item:last-child .media-meta",
                       "#media-list .media-item:first-child .media-thumb")
    page.wait_for_function(f"() => document.querySelector('#media-list .media-item').dataset.id === '{after[-1]}'")
    expected = [after[-1], *after[:-1]]
    for _ in range(50):
        if _media_ids(engine, posts["linkedin"]) == expected:
            break
        page.wait_for_timeout(100)
    assert _media_ids(engine, posts["linkedin"]) == expected
    page.screenshot(path=str(folder / "editor-after-reorder.png"), full_page=True)

    # Submit the Instagram post; the project manager's page previews exactly the revision she approves.
    page.goto(f"{base}/posts/{posts['instagram']}")
    page.click("button.action-submit")
    page.wait_for_load_state()
    _login(context, page, base, "lucile@helio.example")
    page.goto(f"{base}/posts/{posts['instagram']}")
    with Session(engine) as session:
        revision = session.get(Post, posts["instagram"]).current_revision
        number = revision.number
    assert f"revision {number}" in page.inner_text("#previews h2")
    # A carousel of two: both slides there, the first in sight (the buttons turn them).
    assert page.locator("#previews .pv-portrait img").count() == 2
    assert page.locator("#previews .pv-portrait .pv-slide:not([hidden]) img").count() == 1
    assert "more" in page.inner_text("#previews .pv-text")
    page.locator("#previews").screenshot(path=str(folder / "review-instagram.png"))
    page.click("button.action-approve")
    page.wait_for_load_state()
    with Session(engine) as session:
        post = session.scalar(select(Post).where(Post.id == posts["instagram"]))
        assert post.approved_revision_id == post.current_revision_id and post.approved_revision.number == number
    assert not [line for line in console if "Content Security Policy" in line], console
    context.close()


def test_alternative_texts_typed_then_the_post_saved_are_kept_and_a_media_change_says_what_it_did(
        chromium, media_server, backend):  # noqa: F811
    """The alternative texts sit in the media's own form: typed, then the post's "Save" clicked, they are saved first
    (then the text, on the version they made), not lost. Reordering the pictures of an approved post sends it back
    to review: the page's badge and a message say so at once."""
    from approval.models import User
    from approval.workflow.states import Action, State

    base, engine, posts = media_server
    with Session(engine) as session:
        writer = session.scalar(select(User).where(User.email == "camille@helio.example"))
        manager = session.scalar(select(User).where(User.email == "lucile@helio.example"))
        approved = session.get(Post, posts["x"])
        ops.act_on_post(session, approved, Action.submit, writer, expected_version=approved.version)
        ops.act_on_post(session, approved, Action.approve, manager, expected_version=approved.version)
        session.commit()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    _login(context, page, base, "camille@helio.example")

    # A new Instagram post has no media card yet: its "needs a picture" finding stays under the text.
    page.goto(f"{base}/posts/new")
    page.select_option("select[name=account_id]", label="FR · Instagram · @helio_instagram")
    page.fill("textarea[name=body]", "Les coulisses du stade.")
    # (Rule ids are for the admins: the finding carries its id in ``data-rule``.)
    page.wait_for_selector("#live-findings li[data-rule='network.media-required']")

    page.goto(f"{base}/posts/{posts['linkedin']}/edit")
    alts = page.locator("#media-list .media-alt")
    alts.nth(0).fill("La tribune nord sous les projecteurs")
    page.fill("textarea[name=body]", "Nous publions aujourd'hui notre rapport annuel intégré.")
    page.click("form.editor button[name=save]")
    page.wait_for_url(f"{base}/posts/{posts['linkedin']}")
    with Session(engine) as session:
        revision = session.get(Post, posts["linkedin"]).current_revision
        assert revision.body == "Nous publions aujourd'hui notre rapport annuel intégré."
        assert revision.media[0].alt == "La tribune nord sous les projecteurs"

    # A finding about a file sits under that file, not under the text: a second picture without alternative text.
    page.goto(f"{base}/posts/{posts['facebook']}/edit")
    page.set_input_files("#media-file", files=[{"name": "sans-texte.jpg", "mimeType": "image/jpeg",
                                                "buffer": jpeg((600, 400), color="teal")}])
    page.wait_for_selector("#media-list .media-item:nth-child(2) .findings li")
    # (Its rule's id is for the admins: on the page, the finding carries it in ``data-rule``.)
    assert page.locator("#media-list .media-item:nth-child(2) .findings li[data-rule='network.alt-text']").count()
    assert "no alternative text" in page.inner_text("#media-list .media-item:nth-child(2) .findings")
    assert page.inner_text("#media-list .media-item:first-child .findings") == ""
    assert page.locator("#live-findings li[data-rule='network.alt-text']").count() == 0

    page.goto(f"{base}/posts/{posts['x']}/edit")
    assert page.inner_text("h1 .state") == "approved"
    page.locator("#media-list .media-item").first.get_by_role("button", name="Move down").click()
    page.wait_for_function("() => document.querySelector('h1 .state').classList.contains('state-in_review')")
    assert "went back to review" in page.inner_text("#media-status")
    with Session(engine) as session:
        assert session.get(Post, posts["x"]).state is State.in_review
    context.close()


def _revision(engine, post_id: int) -> tuple[int, int, str]:  # noqa: ANN001
    """The post's revision number, its count of edits in the audit trail and its state."""
    from sqlalchemy import func

    from approval.models import AuditEntry

    with Session(engine) as session:
        post = session.get(Post, post_id)
        edits = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.post_id == post_id, AuditEntry.action == "edit"))
        return post.current_revision.number, edits, post.state.value


def _drop_files(page, files: list[tuple[str, bytes]]) -> None:  # noqa: ANN001
    """Drop ``files`` (name, bytes) on the editor's drop zone, as a mouse dropping them from the desktop does."""
    import base64

    page.evaluate("""(files) => {
      const moved = new DataTransfer();
      for (const file of files) {
        const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
        moved.items.add(new File([bytes], file.name, { type: "image/jpeg" }));
      }
      const zone = document.getElementById("media-drop");
      for (const name of ["dragenter", "dragover", "drop"]) {
        zone.dispatchEvent(new DragEvent(name, { dataTransfer: moved, bubbles: true, cancelable: true }));
      }
    }""", [{"name": name, "data": base64.b64encode(data).decode()} for name, data in files])


def _approved(engine, post_id: int) -> None:  # noqa: ANN001
    from approval.models import User
    from approval.workflow.states import Action

    with Session(engine) as session:
        writer = session.scalar(select(User).where(User.email == "camille@helio.example"))
        manager = session.scalar(select(User).where(User.email == "lucile@helio.example"))
        post = session.get(Post, post_id)
        ops.act_on_post(session, post, Action.submit, writer, expected_version=post.version)
        ops.act_on_post(session, post, Action.approve, manager, expected_version=post.version)
        session.commit()


def test_three_pictures_dropped_on_an_approved_post_go_up_together_as_one_revision(
        chromium, media_server, backend):  # noqa: F811
    """Five pictures dropped made five requests and five revisions in the history (and took twice as long): a drop
    is one request, one revision, its progress one bar; the three new thumbnails are in the list."""
    base, engine, posts = media_server
    post_id = posts["linkedin"]
    _approved(engine, post_id)
    before = _media_ids(engine, post_id)
    number, edits, _state = _revision(engine, post_id)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    _login(context, page, base, "camille@helio.example")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url)
            if request.method == "POST" and request.url.endswith(f"/posts/{post_id}/media") else None)
    page.goto(f"{base}/posts/{post_id}/edit")
    _drop_files(page, [(f"tribune-{n}.jpg", jpeg((600, 400), color=color))
                       for n, color in enumerate(("navy", "olive", "maroon"), start=1)])
    page.wait_for_selector("#media-uploads li.done progress[value='100']")
    page.wait_for_function(f"() => document.querySelectorAll('#media-list .media-item').length === {len(before) + 3}")
    # The three new thumbnails, drawn.
    page.wait_for_function(f"""() => Array.from(document.querySelectorAll('#media-list .media-item'))
        .slice({len(before)}).every(item => {{
          const img = item.querySelector('.media-thumb img');
          return img && img.complete && img.naturalWidth > 0;
        }})""")
    assert len(sent) == 1, sent
    folder = ARTIFACTS / backend / "media"
    folder.mkdir(parents=True, exist_ok=True)
    page.locator("#media-editor").screenshot(path=str(folder / "editor-after-a-drop-of-three.png"))
    rows = page.locator("#media-uploads li")
    assert rows.count() == 1
    assert rows.first.get_by_role("progressbar", name="Upload progress").count() == 1
    assert rows.first.inner_text().startswith("tribune-1.jpg, tribune-2.jpg, tribune-3.jpg: Added. The post went "
                                              "back to review")
    after = _media_ids(engine, post_id)
    assert after[:len(before)] == before and len(after) == len(before) + 3
    assert _revision(engine, post_id) == (number + 1, edits + 1, "in_review")
    page.wait_for_function("() => document.querySelector('h1 .state').classList.contains('state-in_review')")
    names = page.locator("#media-list .media-item .media-thumb")
    assert [names.nth(i).get_attribute("aria-label") for i in range(len(before), len(after))] == [
        f"Open picture {n} (tribune-{n - len(before)}.jpg)" for n in range(len(before) + 1, len(after) + 1)]
    context.close()


def test_a_damaged_picture_in_a_pick_of_three_is_named_and_nothing_is_attached(
        chromium, media_server, backend):  # noqa: F811
    """One file refused refuses the three: the row names it and says why, and that nothing was added; the other
    two dropped again go in together. A drop on a page that another change made stale is a conflict, said."""
    from approval.models import User

    base, engine, posts = media_server
    post_id = posts["linkedin"]
    before = _media_ids(engine, post_id)
    number, edits, state = _revision(engine, post_id)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _login(context, page, base, "camille@helio.example")
    page.goto(f"{base}/posts/{post_id}/edit")
    red, blue = jpeg((600, 400), color="red"), jpeg((600, 400), color="blue")
    damaged = jpeg((600, 400), color="green")[:400]
    page.set_input_files("#media-file", files=[
        {"name": name, "mimeType": "image/jpeg", "buffer": data}
        for name, data in (("rouge.jpg", red), ("abime.jpg", damaged), ("bleu.jpg", blue))])
    row = page.locator("#media-uploads li.error")
    row.wait_for()
    said = row.inner_text()
    assert said.startswith("abime.jpg (file 2 of 3): The picture is damaged or cut short"), said
    assert "Nothing was added: add the other files again without this one." in said
    folder = ARTIFACTS / backend / "media"
    folder.mkdir(parents=True, exist_ok=True)
    page.locator("#media-editor").screenshot(path=str(folder / "editor-drop-refused.png"))
    assert row.locator("progress").count() == 0 and page.locator("#media-uploads li.done").count() == 0
    assert page.locator("#media-list .media-item").count() == len(before)
    assert _media_ids(engine, post_id) == before and _revision(engine, post_id) == (number, edits, state)

    # The two others, dropped again: in, together.
    _drop_files(page, [("rouge.jpg", red), ("bleu.jpg", blue)])
    page.wait_for_selector("#media-uploads li.done")
    page.wait_for_function(f"() => document.querySelectorAll('#media-list .media-item').length === {len(before) + 2}")
    assert _revision(engine, post_id)[:2] == (number + 1, edits + 1)

    # Someone else changes the post meanwhile: this page's version is stale, the drop a conflict, nothing added.
    with Session(engine) as session:
        writer = session.scalar(select(User).where(User.email == "camille@helio.example"))
        post = session.get(Post, post_id)
        ops.edit_post(session, post, writer, post.body + " Modifié ailleurs.", expected_version=post.version)
        session.commit()
    _drop_files(page, [("vert.jpg", jpeg((600, 400), color="green")), ("blanc.jpg", jpeg((600, 400), color="white"))])
    page.wait_for_function("() => document.querySelectorAll('#media-uploads li.error').length === 2")
    assert "changed since you opened it" in page.locator("#media-uploads li.error").nth(1).inner_text()
    assert len(_media_ids(engine, post_id)) == len(before) + 2
    assert not errors, errors
    context.close()


def test_videos_go_one_a_request_and_an_expired_session_stops_no_later_drop(
        chromium, media_server, backend):  # noqa: F811
    """A request carries a post's pictures or one video: two videos of one pick went together and were refused as a
    whole (each under its cap), so each video goes alone and the pictures together. A session that expired answers
    an upload with the login page, followed to a 200: that is no success (the row said "OK", the page's script
    broke, and no later drop on the page was ever sent)."""
    base, engine, posts = media_server
    post_id = posts["linkedin"]
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _login(context, page, base, "camille@helio.example")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url)
            if request.method == "POST" and request.url.endswith(f"/posts/{post_id}/media") else None)
    page.goto(f"{base}/posts/{post_id}/edit")
    clip = video(seconds=0.5)
    page.set_input_files("#media-file", files=[
        {"name": "un.mp4", "mimeType": "video/mp4", "buffer": clip},
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": jpeg((600, 400), color="navy")},
        {"name": "deux.mp4", "mimeType": "video/mp4", "buffer": clip[:-1] + b"\x00"}])
    page.wait_for_function("() => document.querySelectorAll('#media-uploads li.done, #media-uploads li.error')"
                           ".length === 3")
    rows = page.locator("#media-uploads li")
    # The picture, then each video alone: a request and a row each, the row naming its file only.
    assert len(sent) == 3, sent
    assert sorted(rows.nth(n).inner_text().split(":")[0] for n in range(3)) == ["deux.mp4", "photo.jpg", "un.mp4"]

    context.clear_cookies()  # the session is gone; the page stays open
    page.set_input_files("#media-file", files=[{"name": "tard.jpg", "mimeType": "image/jpeg",
                                                "buffer": jpeg((600, 400), color="olive")}])
    page.wait_for_function("() => document.querySelectorAll('#media-uploads li').length === 4")
    last = page.locator("#media-uploads li").nth(3)
    last.locator("xpath=self::li[contains(@class, 'error')]").wait_for()
    assert "reload the page" in last.inner_text()
    page.set_input_files("#media-file", files=[{"name": "encore.jpg", "mimeType": "image/jpeg",
                                                "buffer": jpeg((600, 400), color="teal")}])
    page.wait_for_function("() => document.querySelectorAll('#media-uploads li.error, #media-uploads li.done')"
                           ".length === 5")
    assert len(sent) == 5, sent  # the drop after the failed one was sent
    assert not errors, errors
    context.close()


def test_a_folder_dropped_among_pictures_is_left_out_and_a_whole_drop_refusal_names_its_files(
        chromium, media_server, backend):  # noqa: F811
    """A folder dropped with a picture is listed by the browser as one more file: its request failed the whole drop.
    The picture goes, a row says the folder was left out. A refusal of the whole drop (a conflict) named no file:
    its row names them."""
    import base64

    base, engine, posts = media_server
    post_id = posts["x"]
    before = _media_ids(engine, post_id)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _login(context, page, base, "camille@helio.example")
    page.goto(f"{base}/posts/{post_id}/edit")
    page.evaluate("""(data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const files = [new File([bytes], "tribune.jpg", { type: "image/jpeg" }), new File([], "Vacances", { type: "" })];
      const entries = [{ isFile: true, isDirectory: false, name: "tribune.jpg" },
                       { isFile: false, isDirectory: true, name: "Vacances" }];
      const transfer = { files: files, types: ["Files"],
                         items: entries.map((entry) => ({ kind: "file", webkitGetAsEntry: () => entry })) };
      const event = new Event("drop", { bubbles: true, cancelable: true });
      Object.defineProperty(event, "dataTransfer", { value: transfer });
      document.getElementById("media-drop").dispatchEvent(event);
    }""", base64.b64encode(jpeg((600, 400), color="navy")).decode())
    page.wait_for_selector("#media-uploads li.done")
    rows = page.locator("#media-uploads li")
    assert rows.nth(0).inner_text() == "Vacances: a folder is not added. Open it and drop the files inside."
    assert rows.nth(1).inner_text().startswith("tribune.jpg: Added.")
    assert len(_media_ids(engine, post_id)) == len(before) + 1

    # Someone else changes the post meanwhile: the next drop is refused as a whole, and its row says which files.
    from approval.models import User

    with Session(engine) as session:
        writer = session.scalar(select(User).where(User.email == "camille@helio.example"))
        post = session.get(Post, post_id)
        ops.edit_post(session, post, writer, post.body + " Modifié ailleurs.", expected_version=post.version)
        session.commit()
    _drop_files(page, [("rouge.jpg", jpeg((600, 400), color="red")), ("bleu.jpg", jpeg((600, 400), color="blue"))])
    refused = page.locator("#media-uploads li.error").nth(1)
    refused.wait_for()
    assert refused.inner_text().startswith("rouge.jpg, bleu.jpg: This post changed since you opened it"), \
        refused.inner_text()
    assert len(_media_ids(engine, post_id)) == len(before) + 1
    assert not errors, errors
    context.close()
