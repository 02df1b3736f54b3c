"""The pages' side of media (issue 11): the editor uploads, reorders, describes and removes files with plain forms;
files and thumbnails are seen by those who see the post; the review page previews exactly the revision it
approves, as its network shows it; the diff shows which media changed."""

from __future__ import annotations

import io
import re
import secrets

import pytest
from PIL import Image

from approval.models import Post
from approval.style.i18n import english_number
from approval.style.media import KB, size_figure
from approval.workflow.states import Action, Role, State

from test_media_samples import jpeg, video


@pytest.fixture()
def scene(make):  # noqa: ANN001, ANN201
    france = make.market("FR")
    writer = make.user(Role.community_manager, markets=[france])
    reviewer = make.user(Role.project_manager, markets=[france])
    return france, writer, reviewer


def _upload(web, post, data: bytes, name: str, alt: str = "", *, json: bool = False):  # noqa: ANN001, ANN202
    headers = {"Accept": "application/json", "X-Requested-With": "fetch"} if json else {}
    return web.client.post(f"/posts/{post.id}/media", data={
        "csrf_token": web.token, "version": str(post.version), "alt": alt,
        "file": (io.BytesIO(data), name)}, content_type="multipart/form-data", headers=headers)


def _reload(db_session, post: Post) -> Post:  # noqa: ANN001
    db_session.expire_all()
    return db_session.get(Post, post.id)


def test_the_editor_uploads_reorders_describes_and_removes_with_plain_forms(make, web, db_session, scene):
    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "x"), author=writer, body="Deux photos du stade.")
    web.login(writer)
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert 'id="media-editor"' in page and 'id="previews"' in page and "media.js" in page
    assert _upload(web, post, jpeg(color="red"), "rouge.jpg", "Tribune rouge").status_code == 302
    post = _reload(db_session, post)
    size = post.current_revision.media[0].file.bytes
    english = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    french = web.get(f"/posts/{post.id}/edit", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    # The findings' and the networks' units (1 KB = 1,024 bytes), in the reader's language: "29.7 KB", "29,7 Ko",
    # the figure and its unit on one line.
    figure = english_number(size_figure(size, KB))
    assert f'<span class="media-size">{figure}\u00a0KB</span>' in english
    assert f'<span class="media-size">{figure}\u00a0Ko</span>'.replace(".", ",") in french
    answer = _upload(web, post, jpeg(color="blue"), "bleu.jpg", json=True)
    assert answer.status_code == 201
    state = answer.get_json()
    assert [m["alt"] for m in state["media"]] == ["Tribune rouge", ""]
    assert state["findings"][0]["rule"] == "network.alt-text"  # the second picture has none yet
    first, second = (m["id"] for m in state["media"])
    post = _reload(db_session, post)
    # Move the second up, and describe it, in one submit of the arrange form.
    response = web.post(f"/posts/{post.id}/media/arrange", {
        "version": post.version, "item": [str(first), str(second)], f"alt-{first}": "Tribune rouge",
        f"alt-{second}": "Tribune bleue", "up": str(second)})
    assert response.status_code == 302
    post = _reload(db_session, post)
    assert [(m.file.id, m.alt) for m in post.current_revision.media] == [(second, "Tribune bleue"),
                                                                         (first, "Tribune rouge")]
    # Remove one.
    response = web.post(f"/posts/{post.id}/media/arrange", {
        "version": post.version, "item": [str(second), str(first)], "remove": str(first)})
    post = _reload(db_session, post)
    assert [m.file.id for m in post.current_revision.media] == [second]
    assert post.current_revision.number == 5
    # A stale version is refused, nothing written.
    stale = web.post(f"/posts/{post.id}/media/arrange", {"version": 1, "item": [str(second)], "remove": str(second)},
                     headers={"Accept": "application/json"})
    assert stale.status_code in (409, 412)
    # A bad file: a clear message, nothing written.
    bad = _upload(web, _reload(db_session, post), b"not a picture", "x.jpg", json=True)
    assert bad.status_code == 415 and "neither" in bad.get_json()["message"]
    assert _reload(db_session, post).current_revision.number == 5


def test_the_editor_says_what_the_posts_network_takes_before_anything_is_uploaded(make, web, scene):
    """A PNG was accepted, then refused for Instagram after the upload: the editor says what the network takes, and
    its file picker offers those, and the still pictures converted to JPEG at upload (a PNG on Instagram: the
    picker hid them, though a drop took them)."""
    france, writer, _reviewer = scene
    web.login(writer)
    for network, said, accept in (
            ("instagram", "Instagram takes JPEG, MP4, MOV. Still PNG, GIF, WebP pictures are converted to JPEG.",
             "image/jpeg,video/mp4,video/quicktime,image/png,image/gif,image/webp"),
            ("x", "X takes JPEG, PNG, GIF, WebP, MP4, MOV.</p>",
             "image/jpeg,image/png,image/gif,image/webp,video/mp4,video/quicktime"),
            ("youtube", "YouTube takes MP4, MOV.", "video/mp4,video/quicktime")):
        post = make.post(account=make.account(france, network), author=writer)
        page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
        assert said in page and f'accept="{accept}"' in page, network


def test_files_and_thumbnails_are_seen_only_by_those_who_see_the_post(make, web, db_session, scene):
    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "x"), author=writer)
    web.login(writer)
    state = _upload(web, post, video((96, 64), seconds=0.5), "clip.mp4", json=True).get_json()
    media_id = state["media"][0]["id"]
    assert web.get(f"/media/{media_id}").status_code == 200
    thumb = web.get(f"/media/{media_id}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg" and thumb.data[:2] == b"\xff\xd8"
    for answer in (web.get(f"/media/{media_id}"), thumb):  # kept by the browser, never by a shared cache
        assert answer.cache_control.private and not answer.cache_control.public, answer.headers["Cache-Control"]
    stranger = make.user(Role.community_manager, markets=[make.market("KE")])
    web.client.post("/logout", data={"csrf_token": web.token})
    web.login(stranger)
    assert web.get(f"/media/{media_id}").status_code == 404
    assert web.get(f"/media/{media_id}/thumbnail").status_code == 404


@pytest.mark.parametrize(("network", "marker"), [
    ("x", "pv-grid-2"), ("linkedin", "pv-grid-2"), ("instagram", "pv-portrait"), ("facebook", "pv-grid-2"),
    ("youtube", "pv-title"), ("snapchat", "pv-vertical"),
])
def test_the_review_page_previews_the_revision_it_approves_as_its_network_shows_it(make, web, db_session, scene,
                                                                                   network, marker):
    france, writer, reviewer = scene
    text = ("Le stade ce soir.\nDeuxième ligne du message.\n" + "Encore des détails sur la soirée. " * 4).strip()
    post = make.post(account=make.account(france, network), author=writer, body=text)
    web.login(writer)
    if network == "youtube":
        _upload(web, post, video((160, 90), seconds=1.0), "clip.mp4")
    elif network == "snapchat":
        _upload(web, post, jpeg((108, 192)), "story.jpg", "Le stade")
    else:
        _upload(web, post, jpeg((80, 100), color="red"), "a.jpg", "Rouge")
        post = _reload(db_session, post)
        if network != "instagram":
            _upload(web, post, jpeg((80, 100), color="blue"), "b.jpg", "Bleu")
    post = _reload(db_session, post)
    make.act(post, Action.submit, writer)
    web.client.post("/logout", data={"csrf_token": web.token})
    web.login(reviewer)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    preview = page[page.index('id="previews"'):page.index('id="preview-body"') + 20000]
    assert f'data-network="{network}"' in preview and marker in preview
    assert f"revision {post.current_revision.number}" in preview
    for item in post.current_revision.media:
        assert f"/media/{item.file.id}/thumbnail" in preview
    if network == "instagram":
        assert "Le stade ce soir." in preview and "more" in preview  # the caption is cut after 125 characters
    if network == "youtube":
        assert re.search(r'class="pv-title">Le stade ce soir\.<', preview)


def test_the_live_preview_follows_the_text_and_cuts_where_the_network_cuts(make, web, scene):
    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "x"), author=writer)
    web.login(writer)
    long_text = "Un message très long. " * 20 + "https://www.example.com/une/adresse/vraiment/tres/longue/pour/x"
    fragment = web.post("/posts/preview", {"body": long_text, "post_id": post.id}).get_data(as_text=True)
    assert 'data-network="x"' in fragment and "Show more" in fragment
    short = web.post("/posts/preview", {"body": "Court. https://www.example.com/une/adresse/vraiment/longue",
                                        "post_id": post.id}).get_data(as_text=True)
    assert "Show more" not in short and "example.com/une/adress…" in short  # links shown as X shortens them
    instagram = make.account(france, "instagram")
    fragment = web.post("/posts/preview", {"body": "a" * 200, "account_id": instagram.id}).get_data(as_text=True)
    assert 'data-network="instagram"' in fragment and "a" * 125 + "…" in fragment.replace("\n", "")
    # An executive's own account shows the executive's name, as the network does, not the brand's.
    ceo = make.account(france, "linkedin", executive=make.executive("Hélène Marchand"))
    fragment = web.post("/posts/preview", {"body": "Bonjour.", "account_id": ceo.id}).get_data(as_text=True)
    assert "Hélène Marchand" in fragment and ">Helio<" not in fragment


def test_the_diff_shows_which_media_changed(make, web, db_session, scene):
    france, writer, reviewer = scene
    post = make.post(account=make.account(france, "x"), author=writer, body="Deux photos.")
    web.login(writer)
    _upload(web, post, jpeg(color="red"), "rouge.jpg", "Rouge")
    post = _reload(db_session, post)
    _upload(web, post, jpeg(color="blue"), "bleu.jpg", "Bleu")
    post = _reload(db_session, post)
    make.act(post, Action.submit, writer)
    make.act(post, Action.approve, reviewer)
    ids = [m.file.id for m in post.current_revision.media]
    web.post(f"/posts/{post.id}/media/arrange", {"version": post.version, "item": [str(i) for i in ids],
                                                 f"alt-{ids[0]}": "Rouge", f"alt-{ids[1]}": "Bleu",
                                                 "down": str(ids[0])})
    post = _reload(db_session, post)
    assert post.state == State.in_review
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    # One file was moved past the other: that one is said to have moved, the other to have been passed.
    assert page.count("moved from position") == 1 and "moved from position 1 to 2" in page
    assert "unchanged, now at position 1 (was 2: another file was moved past it)" in page


def test_a_removal_does_not_show_the_others_as_moved(make, web, db_session, scene):
    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "x"), author=writer, body="Trois photos.")
    web.login(writer)
    for color in ("red", "green", "blue"):
        _upload(web, _reload(db_session, post), jpeg(color=color), f"{color}.jpg", color)
    post = _reload(db_session, post)
    ids = [m.file.id for m in post.current_revision.media]
    web.post(f"/posts/{post.id}/media/arrange", {"version": post.version, "item": [str(i) for i in ids],
                                                 **{f"alt-{i}": c for i, c in zip(ids, ("red", "green", "blue"))},
                                                 "remove": str(ids[0])})
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "removed (was at position 1)" in page
    assert "moved from" not in page
    assert "unchanged, now at position 1 (was 2" in page and "unchanged, now at position 2 (was 3" in page


def test_the_live_check_counts_the_posts_pictures_for_the_media_rules(make, web, db_session, scene):
    """As the text is typed, an Instagram post without a picture hears it needs one; once it has one, it does not;
    a post id outside the writer's markets is checked as a new post."""
    france, writer, _reviewer = scene
    account = make.account(france, "instagram")
    post = make.post(account=account, author=writer, body="Les coulisses du match.")
    web.login(writer)

    def rules(**extra) -> set[str]:  # noqa: ANN003
        answer = web.post("/posts/check", {"account_id": account.id, "body": "Les coulisses du match.", **extra})
        assert answer.status_code == 200
        return {f["rule"] for f in answer.get_json()["findings"]}

    assert "network.media-required" in rules(post_id=post.id)
    assert _upload(web, _reload(db_session, post), jpeg((1080, 1080)), "stade.jpg").status_code == 302
    assert "network.media-required" not in rules(post_id=post.id)
    assert "network.media-required" in rules()  # a new post has no picture yet
    elsewhere = make.post(account=make.account(make.market("KE", timezone="Africa/Nairobi"), "instagram"))
    assert "network.media-required" in rules(post_id=elsewhere.id)
    x = web.post("/posts/check", {"account_id": make.account(france, "x").id, "body": "Allez."}).get_json()
    assert (x["network"], x["network_name"], x["limit"]) == ("x", "X", 280)  # the counter says "(X)", not "(x)"


def test_a_pictures_thumbnail_is_drawn_on_first_view_then_kept(make, web, db_session, scene, app, monkeypatch):
    """A picture is not decoded at upload: its thumbnail is drawn the first time a page asks for it, kept in the
    store, and never drawn twice; one that cannot be decoded is remembered as such and shown as a placeholder."""
    from approval.media import thumbnails
    from approval.media.storage import storage
    from approval.models import MediaFile

    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "x"), author=writer)
    web.login(writer)
    drawn = []
    real_draw = thumbnails.draw_thumbnail
    monkeypatch.setattr(thumbnails, "draw_thumbnail", lambda path, out: drawn.append(path) or real_draw(path, out))
    colour = f"#{secrets.token_hex(3)}"  # bytes of its own: the store outlives the test
    state = _upload(web, post, jpeg((1200, 900), color=colour), "stade.jpg", json=True).get_json()
    media_id = state["media"][0]["id"]
    media_file = db_session.get(MediaFile, media_id)
    store = storage(app)
    assert not store.exists(media_file.thumbnail_key) and drawn == []
    for _ in range(2):
        thumb = web.get(f"/media/{media_id}/thumbnail")
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
        assert Image.open(io.BytesIO(thumb.data)).size == (640, 480)
    assert len(drawn) == 1 and store.exists(media_file.thumbnail_key)

    post = _reload(db_session, post)
    state = _upload(web, post, jpeg((300, 200), color=colour), "or.jpg", json=True).get_json()
    broken = db_session.get(MediaFile, state["media"][1]["id"])
    store.local_path(broken.storage_key).write_bytes(b"no longer a picture")  # the store lost it (a disk fault)
    for _ in range(2):
        shown = web.get(f"/media/{broken.id}/thumbnail")
        assert shown.status_code == 200 and shown.mimetype == "image/svg+xml" and b"No preview" in shown.data
        assert shown.cache_control.no_store
    assert len(drawn) == 2  # tried once, remembered
    store.local_path(broken.storage_key).unlink()  # gone altogether: a placeholder, and nothing remembered
    store.delete(broken.thumbnail_key)
    assert web.get(f"/media/{broken.id}/thumbnail").mimetype == "image/svg+xml"
    assert len(drawn) == 2 and not store.exists(broken.thumbnail_key)


def test_the_editor_says_when_an_upload_changed_nothing_and_its_script_speaks_the_pages_language(make, web,
                                                                                                 db_session, scene):
    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "x"), author=writer, body="Une photo du stade.")
    web.login(writer)
    picture = jpeg(color=f"#{secrets.token_hex(3)}")
    assert _upload(web, post, picture, "stade.jpg", "Le stade", json=True).status_code == 201
    post = _reload(db_session, post)
    again = _upload(web, post, picture, "stade.jpg", "Le stade", json=True)  # the same file, the same text
    assert again.status_code == 200 and "already among the post's media" in again.get_json()["message"]
    assert _reload(db_session, post).version == post.version  # no new revision
    web.post("/language", {"language": "fr", "next": "/"})
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert 'data-alt-label="Texte alternatif"' in page and 'data-remove-label="Retirer"' in page
    assert 'id="preview-revision" data-label="version {n}"' in page


def test_a_finding_about_a_picture_quotes_no_words_of_the_text(make, web, db_session, scene):
    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "x"), author=writer, body="Une photo du stade.")
    web.login(writer)
    assert _upload(web, post, jpeg(color=f"#{secrets.token_hex(3)}"), "stade.jpg", json=True).status_code == 201
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    finding = page[page.index('data-rule="network.alt-text"'):]
    finding = finding[:finding.index("</li>")]
    assert "«" not in finding and "“" not in finding, finding


@pytest.mark.parametrize(("network", "shown", "counter", "left_out"), [
    ("facebook", 4, "+2", None),  # four in the grid, the last saying how many more
    ("linkedin", 4, "+2", None),
    ("x", 4, None, "2 more files are not shown"),  # X takes four: the others never go out
    ("snapchat", 1, None, "5 more files are not shown"),
])
def test_a_preview_counts_the_pictures_it_does_not_show(app, network, shown, counter, left_out):
    from flask import render_template

    from approval.media.previews import MediaView, build

    pictures = [MediaView(i, "image", 800, 800, f"Photo {i}", False) for i in range(1, 7)]
    with app.test_request_context():
        html = render_template("media/_preview.html", preview=build(network, "Six photos du stade.", pictures))
    assert html.count('class="pv-img') == shown
    assert (f'class="pv-count">{counter}<' in html) if counter else "pv-count" not in html
    assert (left_out in html) if left_out else "pv-left-out" not in html


def test_the_plain_form_adds_every_file_picked_in_one_revision(make, web, db_session, scene):
    """Without the editor's script the picker's files all go in one request: all added, in one new revision, the
    alternative text with the first; one bad file among them and none is added."""
    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "linkedin"), author=writer, body="Trois photos du stade.")
    web.login(writer)
    before = post.current_revision.number
    files = [(io.BytesIO(jpeg(color=color)), f"{color}.jpg") for color in ("red", "green", "blue")]
    answer = web.client.post(f"/posts/{post.id}/media", data={
        "csrf_token": web.token, "version": str(post.version), "alt": "Tribune rouge", "file": files},
        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert [m["alt"] for m in answer.get_json()["media"]] == ["Tribune rouge", "", ""]
    post = _reload(db_session, post)
    assert post.current_revision.number == before + 1 and len(post.current_revision.media) == 3
    mixed = [(io.BytesIO(jpeg(color="yellow")), "jaune.jpg"), (io.BytesIO(b"not a picture"), "faux.jpg")]
    refused = web.client.post(f"/posts/{post.id}/media", data={
        "csrf_token": web.token, "version": str(post.version), "file": mixed},
        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert refused.status_code == 415
    post = _reload(db_session, post)
    assert post.current_revision.number == before + 1 and len(post.current_revision.media) == 3


def _drop(web, post, files: list[tuple[bytes, str]], alts: list[str] | None = None):  # noqa: ANN001, ANN202
    """The editor's script sending a drop of several files in one request, as it does."""
    form: dict = {"csrf_token": web.token, "version": str(post.version),
                  "file": [(io.BytesIO(data), name) for data, name in files]}
    if alts is not None:
        form["alt"] = alts
    return web.client.post(f"/posts/{post.id}/media", data=form, content_type="multipart/form-data",
                           headers={"Accept": "application/json", "X-Requested-With": "fetch"})


def _edits(db_session, post: Post) -> int:  # noqa: ANN001
    from sqlalchemy import func, select

    from approval.models import AuditEntry

    return db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.post_id == post.id, AuditEntry.action == "edit"))


def test_a_drop_of_several_files_is_one_revision_each_file_with_its_own_alternative_text(make, web, db_session,
                                                                                        scene):
    """The editor sends a drop in one request: one new revision (an approved post goes back to review once, not
    once a file), the alternative texts paired with the files as the API pairs them; a count that does not pair
    up is refused, nothing added."""
    france, writer, reviewer = scene
    post = make.post(account=make.account(france, "linkedin"), author=writer, body="Trois photos du stade.")
    make.act(post, Action.submit, writer)
    make.act(post, Action.approve, reviewer)
    web.login(writer)
    post = _reload(db_session, post)
    before, edits = post.current_revision.number, _edits(db_session, post)
    answer = _drop(web, post, [(jpeg(color=c), f"{c}.jpg") for c in ("red", "green", "blue")],
                   alts=["Tribune rouge", "", "Tribune bleue"])
    assert answer.status_code == 201, answer.get_data(as_text=True)
    state = answer.get_json()
    assert [(m["name"], m["alt"]) for m in state["media"]] == [
        ("red.jpg", "Tribune rouge"), ("green.jpg", ""), ("blue.jpg", "Tribune bleue")]
    assert state["revision"] == before + 1 and state["state"] == "in_review"
    assert "went back to review" in state["message"]
    post = _reload(db_session, post)
    assert _edits(db_session, post) == edits + 1 and post.state is State.in_review
    again = _drop(web, post, [(jpeg(color=c), f"{c}.jpg") for c in ("red", "green")], alts=["Tribune rouge", ""])
    assert again.status_code == 200
    assert again.get_json()["message"] == "These files are already among the post's media: nothing changed."
    unpaired = _drop(web, post, [(jpeg(color=c), f"{c}.jpg") for c in ("white", "black")], alts=["", "", "x"])
    assert unpaired.status_code == 422 and "one alternative text per file" in unpaired.get_json()["message"]
    assert _reload(db_session, post).current_revision.number == before + 1


def test_one_bad_file_in_a_drop_refuses_the_drop_and_the_answer_names_it(make, web, db_session, scene):
    """One refused file refuses the drop, nothing stored; the answer said "The picture is damaged or cut short"
    without saying which of the files dropped it was, nor that the others were not added either."""
    from sqlalchemy import func, select

    from approval.models import MediaFile

    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "linkedin"), author=writer, body="Trois photos du stade.")
    web.login(writer)
    stored = db_session.scalar(select(func.count()).select_from(MediaFile))
    good = jpeg((300, 200), color="red")
    damaged = jpeg((300, 200), color="green")
    cases = [
        ([(good, "rouge.jpg"), (damaged[: len(damaged) // 2], "abime.jpg"), (jpeg(color="blue"), "bleu.jpg")],
         422, "abime.jpg (file 2 of 3): The picture is damaged or cut short"),
        ([(good, "rouge.jpg"), (b"just text", "notes.jpg")],
         415, "notes.jpg (file 2 of 2): This is neither a picture (JPEG, PNG, GIF) nor a video (MP4) that "
              "LinkedIn takes."),
        ([(good, "rouge.jpg"), (good, "rouge-copie.jpg")],
         422, "rouge-copie.jpg (file 2 of 2): The same file is sent twice in this request"),
    ]
    for files, status, said in cases:
        answer = _drop(web, _reload(db_session, post), files)
        assert answer.status_code == status, answer.get_data(as_text=True)
        body = answer.get_json()
        assert body["message"].startswith(said), body
        assert "Nothing was added: add the other files again without this one." in body["message"]
        assert body["errors"]["file"] == [body["message"]]
    post = _reload(db_session, post)
    assert post.current_revision.media == [] and post.current_revision.number == 1
    assert db_session.scalar(select(func.count()).select_from(MediaFile)) == stored
    # Without the script, the same words are flashed on the editor.
    plain = web.client.post(f"/posts/{post.id}/media", data={
        "csrf_token": web.token, "version": str(post.version), "alt": "",
        "file": [(io.BytesIO(good), "rouge.jpg"), (io.BytesIO(damaged[:100]), "abime.jpg")]},
        content_type="multipart/form-data")
    assert plain.status_code == 303
    page = web.get(plain.headers["Location"]).get_data(as_text=True)
    assert "abime.jpg (file 2 of 2): The picture is damaged or cut short" in page
    # A file alone is named by the editor's script beside its words, as before.
    alone = _drop(web, post, [(damaged[:100], "abime.jpg")])
    assert alone.get_json()["message"] == "The picture is damaged or cut short: it cannot be read to its end."
    assert _reload(db_session, post).current_revision.media == []


def test_each_post_shows_the_name_its_own_author_gave_a_file(make, web, db_session, scene):
    """The same bytes sent by two markets are stored once; each post shows its author's name for the file, never
    the other market's; saved from the browser, the file is named by its digest and type."""
    france, writer, _reviewer = scene
    kenya = make.market("KE")
    colleague = make.user(Role.community_manager, markets=[kenya])
    picture = jpeg((90, 60), color="purple")
    theirs = make.post(account=make.account(kenya, "x"), author=colleague, body="Le stade.")
    web.login(colleague)
    assert _upload(web, theirs, picture, "nairobi-secret-plan.jpg", "Le stade").status_code == 302
    web.client.post("/logout", data={"csrf_token": web.token})
    mine = make.post(account=make.account(france, "x"), author=writer, body="Le stade.")
    web.login(writer)
    state = _upload(web, mine, picture, "stade.jpg", "Le stade", json=True).get_json()
    assert _reload(db_session, theirs).current_revision.media[0].file.id == state["media"][0]["id"]  # one file
    mine = _reload(db_session, mine)
    make.act(mine, Action.submit, writer)
    for page in (web.get(f"/posts/{mine.id}").get_data(as_text=True),
                 web.get(f"/posts/{mine.id}/edit").get_data(as_text=True)):
        assert "nairobi-secret-plan" not in page
    assert "stade.jpg" in web.get(f"/posts/{mine.id}").get_data(as_text=True)  # the diff of its first revision
    saved = web.get(f"/media/{state['media'][0]['id']}")
    digest = mine.current_revision.media[0].file.sha256
    assert saved.headers["Content-Disposition"] == f'inline; filename="{digest[:16]}.jpg"'


def test_the_page_compares_with_what_the_reviewer_last_decided_on(make, web, db_session, scene):
    """A post's first review shows the whole post, not the author's last draft step ("changes from revision 12 to
    13"); once decided on, then edited, the page shows what changed since that decision, however many drafts came
    between."""
    france, writer, reviewer = scene
    from approval import operations as ops

    post = make.post(account=make.account(france, "linkedin"), author=writer, body="Premier jet.")
    for body in ("Deuxième jet.", "Troisième jet, presque bon."):
        post = _reload(db_session, post)
        ops.edit_post(db_session, post, writer, body, expected_version=post.version)
    post = _reload(db_session, post)
    make.act(post, Action.submit, writer)
    web.login(reviewer)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Changes from revision" not in page
    make.act(post, Action.request_changes, reviewer, comment="Plus court.")
    decided = post.current_revision.number
    for body in ("Presque.", "Bon."):
        post = _reload(db_session, post)
        ops.edit_post(db_session, post, writer, body, expected_version=post.version)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert f"Changes from revision {decided} to revision {decided + 2}" in page


@pytest.mark.parametrize("network", ["instagram", "youtube", "snapchat"])
def test_a_new_post_on_a_network_that_needs_media_goes_on_to_its_media(make, web, db_session, scene, network):
    """Nothing goes out on Instagram, YouTube or Snapchat without a picture or a video, and media are added once the
    draft exists: saving (or saving and submitting) a new post leads to its media, not to a refused submission."""
    from sqlalchemy import select

    france, writer, _reviewer = scene
    account = make.account(france, network)
    web.login(writer)
    answer = web.post("/posts/new", {"account_id": account.id, "campaign_id": "", "body": "Les coulisses du stade.",
                                     "submit": "1"})
    post = db_session.scalars(select(Post).where(Post.account_id == account.id)).one()
    assert answer.status_code == 302 and answer.headers["Location"] == f"/posts/{post.id}/edit#media-editor"
    assert post.state is State.draft
    page = web.get(answer.headers["Location"]).get_data(as_text=True)
    # What the network takes: YouTube a video, never a picture.
    assert ("need a video: add it here, then submit the post" if network == "youtube" else
            "need a picture or a video: add it here, then submit the post") in page


def test_an_upload_or_an_arrangement_without_the_pages_version_is_refused_as_stale(make, web, db_session, scene):
    """The version is the page's proof of what it showed: missing, or no number, it was read as "no check", and a
    change made meanwhile by someone else could be undone without a word."""
    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "x"), author=writer, body="Une photo du stade.")
    web.login(writer)
    for version in (None, "abc"):
        form = {"csrf_token": web.token, "file": (io.BytesIO(jpeg()), "stade.jpg")}
        if version is not None:
            form["version"] = version
        answer = web.client.post(f"/posts/{post.id}/media", data=form, content_type="multipart/form-data",
                                 headers={"Accept": "application/json", "X-Requested-With": "fetch"})
        assert answer.status_code == 409, version
        arranged = web.post(f"/posts/{post.id}/media/arrange", {} if version is None else {"version": version},
                            headers={"Accept": "application/json", "X-Requested-With": "fetch"})
        assert arranged.status_code == 409, version
    assert _reload(db_session, post).current_revision.media == []


def test_a_new_posts_preview_is_drawn_as_its_chosen_account_before_any_script(make, web, scene):
    """The editor's script redraws the preview as the text changes; until it runs, the page showed an X card with
    "@handle" whatever the account chosen."""
    france, writer, _reviewer = scene
    account = make.account(france, "linkedin")
    web.login(writer)
    page = web.get("/posts/new").get_data(as_text=True)
    preview = page.split('id="preview-body"')[1]
    assert 'class="pv pv-linkedin"' in preview and "pv-x" not in preview
    refused = web.post("/posts/new", {"account_id": account.id, "body": ""}).get_data(as_text=True)
    assert 'class="pv pv-linkedin"' in refused


def test_the_editors_script_gets_refusals_it_can_show_once(make, web, scene):
    """The editor's script asks for JSON: a request with too many parts got an HTML page it showed as its status
    line, and a refusal of one field said its message twice."""
    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "x"), author=writer, body="Une photo du stade.")
    web.login(writer)
    too_long = _upload(web, post, jpeg(), "stade.jpg", alt="a" * 1001, json=True)
    assert too_long.status_code == 422
    message = too_long.get_json()["message"]
    assert message == "An alternative text has at most 1000 characters."
    parts = {f"field{i}": "x" for i in range(1100)}
    crowded = web.client.post(f"/posts/{post.id}/media", data={"csrf_token": web.token, **parts,
                                                               "file": (io.BytesIO(jpeg()), "stade.jpg")},
                              content_type="multipart/form-data",
                              headers={"Accept": "application/json", "X-Requested-With": "fetch"})
    assert crowded.status_code == 413 and crowded.is_json, crowded.get_data(as_text=True)[:200]
    assert crowded.get_json()["message"]


def _three(make, web, db_session, scene, network: str = "x") -> tuple[Post, list[int]]:  # noqa: ANN001
    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, network), author=writer, body="Trois photos.")
    web.login(writer)
    for color in ("red", "green", "blue"):
        _upload(web, _reload(db_session, post), jpeg(color=color), f"{color}.jpg", color)
    post = _reload(db_session, post)
    return post, [m.file.id for m in post.current_revision.media]


def test_the_diff_says_which_file_a_person_moved_and_that_it_was_described_too(make, web, db_session, scene):
    """Moving the third file first and describing it anew showed only "new alternative text at position 1", and the
    two files it passed as "moved from position 1 to 2" and "2 to 3"."""
    post, (red, green, blue) = _three(make, web, db_session, scene)
    web.post(f"/posts/{post.id}/media/arrange", {
        "version": post.version, "item": [str(blue), str(red), str(green)],
        f"alt-{red}": "red", f"alt-{green}": "green", f"alt-{blue}": "Le stade en bleu"})
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert page.count("moved from position") == 1 and "moved from position 3 to 1" in page
    assert "new alternative text at position 1:" in page and "<ins>Le stade en bleu</ins>" in page
    assert "unchanged, now at position 2 (was 1: another file was moved past it)" in page
    assert "unchanged, now at position 3 (was 2: another file was moved past it)" in page


@pytest.mark.parametrize(("before", "after", "moved"), [
    ([1, 2, 3, 4], [4, 1, 2, 3], {4}),  # one file dragged to the front: the others only passed
    ([1, 2, 3, 4], [2, 3, 4, 1], {1}),  # and to the end
    ([1, 2, 3, 4], [1, 3, 2, 4], {2}),  # two neighbours swapped: one of them moved
    ([1, 2, 3, 4], [1, 2, 3, 4], set()),
    ([1, 2, 3, 4, 5], [5, 2, 3, 4, 1], {1, 5}),
])
def test_a_move_is_told_by_the_fewest_files_that_explain_the_new_order(before, after, moved):
    from approval.views.media import _moved

    assert _moved(before, after) == moved


def test_an_arrangement_never_removes_a_file_it_cannot_read_or_does_not_list(make, web, db_session, scene):
    """``item=abc``, or no ``item`` at all, emptied the post and answered "Saved."; a file leaves through remove."""
    post, ids = _three(make, web, db_session, scene)
    fetch = {"Accept": "application/json", "X-Requested-With": "fetch"}
    for form in ({"item": "abc"}, {"item": [str(ids[0]), "abc"]}, {"item": [str(i) for i in ids], "remove": "x"}):
        refused = web.post(f"/posts/{post.id}/media/arrange", {"version": post.version, **form}, headers=fetch)
        assert refused.status_code == 400, form
        assert "cannot be read" in refused.get_json()["message"] and refused.get_json()["errors"]["item"]
    plain = web.post(f"/posts/{post.id}/media/arrange", {"version": post.version, "item": "abc"})
    assert plain.status_code == 303 and "cannot be read" in web.get(plain.headers["Location"]).get_data(as_text=True)
    assert [m.file.id for m in _reload(db_session, post).current_revision.media] == ids
    nothing = web.post(f"/posts/{post.id}/media/arrange", {"version": post.version}, headers=fetch)
    assert nothing.status_code == 200 and "nothing changed" in nothing.get_json()["message"]
    assert [m["id"] for m in nothing.get_json()["media"]] == ids
    post = _reload(db_session, post)
    assert [m.file.id for m in post.current_revision.media] == ids and post.current_revision.number == 4
    # Without the list, a button still acts on the post's files as they are.
    removed = web.post(f"/posts/{post.id}/media/arrange", {"version": post.version, "remove": str(ids[1])},
                       headers=fetch)
    assert removed.status_code == 200 and [m["id"] for m in removed.get_json()["media"]] == [ids[0], ids[2]]
    assert [m["alt"] for m in removed.get_json()["media"]] == ["red", "blue"]


@pytest.mark.parametrize("network", ["linkedin", "youtube"])
def test_a_line_that_fits_is_shown_whole_in_the_preview(app, network):
    """The cut fell at the end of the third line and backed off to the space before its last word: "…rendu ce
    projet…see more"."""
    from approval.media.previews import build

    lines = ["Le nouveau stade ouvre samedi.", "Une journée portes ouvertes pour tous.",
             "Merci à toutes les équipes qui ont rendu ce projet possible.",
             "Retrouvez le programme complet sur notre site."]
    text = "\n".join(["Le stade ouvre", *lines] if network == "youtube" else lines)
    preview = build(network, text, [])
    shown = preview.description if network == "youtube" else preview.text
    assert shown is not None and shown.cut
    assert "".join(s.text for s in shown.segments).endswith("rendu ce projet possible.")
    assert shown.hidden == "\nRetrouvez le programme complet sur notre site."
    # A cut inside a word still backs off to the space before it.
    long = build("linkedin", "mot " * 60, [])
    assert long.text.cut and "".join(s.text for s in long.text.segments).endswith("mot")


def test_the_editor_offers_what_the_network_takes_and_names_each_file_s_link(make, web, db_session, scene):
    """The drop zone said "JPEG, PNG, WebP, GIF" on Instagram too (now it does again, on purpose: the still ones are
    converted to JPEG, and the page says so); an alternative text was asked for videos and on networks that show
    none; a thumbnail's link had no name; the hidden file input showed no focus ring."""
    france, writer, _reviewer = scene
    web.login(writer)
    expected = {"instagram": "Drop pictures (JPEG, PNG, GIF, WebP) or videos (MP4, MOV) here, or",
                "youtube": "Drop videos (MP4, MOV) here, or",
                "x": "Drop pictures (JPEG, PNG, GIF, WebP) or videos (MP4, MOV) here, or"}
    for network, said in expected.items():
        post = make.post(account=make.account(france, network), author=writer)
        page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
        assert said in page, network
        assert ('id="media-alt-field"' in page) == (network != "youtube"), network
    youtube = make.post(account=make.account(france, "youtube"), author=writer, body="Le stade\nLa visite.")
    assert _upload(web, youtube, video((64, 48), seconds=0.5), "visite.mp4").status_code == 302
    page = web.get(f"/posts/{youtube.id}/edit").get_data(as_text=True)
    assert "YouTube shows no alternative text." in page and "media-alt" not in page.split('id="media-list"')[1]
    post = make.post(account=make.account(france, "x"), author=writer, body="Une photo et une vidéo.")
    _upload(web, post, jpeg(color="red"), "rouge.jpg", "Tribune rouge")
    answer = _upload(web, _reload(db_session, post), video((64, 48), seconds=0.5), "clip.mp4", json=True)
    assert [m["name"] for m in answer.get_json()["media"]] == ["rouge.jpg", "clip.mp4"]
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    listed = page.split('id="media-list"')[1]
    assert listed.count('class="media-alt"') == 1 and "X shows no alternative text for videos." in listed
    assert 'aria-label="Open picture 1 (rouge.jpg)"' in listed and 'aria-label="Open video 2 (clip.mp4)"' in listed
    assert 'data-openimage="Open picture {n} ({name})"' in page and 'data-altvideo=""' in page
    css = web.get("/static/previews.css").get_data(as_text=True)
    assert ".dropzone label.button:focus-within" in css


def test_a_videos_length_reads_in_the_readers_language(make, web, db_session, scene):
    """The media line read "2.0 s" on a French page whose sizes read "2,8 Ko"."""
    france, writer, _reviewer = scene
    post = make.post(account=make.account(france, "x"), author=writer)
    web.login(writer)
    assert _upload(web, post, video((96, 64), seconds=0.5), "clip.mp4").status_code == 302
    french = web.get(f"/posts/{post.id}/edit", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    english = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert " · 0,5\u00a0s · " in french and " · 0.5\u00a0s · " in english
