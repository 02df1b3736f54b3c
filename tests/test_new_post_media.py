"""Pictures and videos picked on the new-post form, before the first save (as Hootsuite, Planable and Buffer take
them while composing): the post is made with its first revision carrying them, in one transaction. A file refused
(its type, its size, the network's rules, a conversion) writes nothing: the form comes back with the text, naming
the file and saying the files are picked again. The editor's upload protections apply: the body's cap read before
the body, the number of files, the conversion to JPEG and its message, the market's GPS policy, the SHA-256 of text
and media. A copy ("Duplicate") brings the original's files with those picked, and converts its still pictures for
a network that takes JPEG only.
"""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from conftest import row_counts
from PIL import Image
from sqlalchemy import select

from approval import policies
from approval.media import samples
from approval.media.storage import file_key, storage
from approval.models import AuditEntry, MediaFile, Post, Revision, RevisionMedia, revision_sha256
from approval.workflow.states import Role, State

from test_media_samples import jpeg, picture

MB = 1024 * 1024


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


@pytest.fixture()
def writer(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.community_manager, markets=[france], name="Camille Dubois")


def _text(response) -> str:  # noqa: ANN001
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _form_key(page: str) -> str:
    return re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)


def _send(web, account, body: str, files: list[tuple[bytes, str]], *, alts: list[str] | None = None,  # noqa: ANN001
          copy_of: int | None = None, submit: bool = False, **headers: str):  # noqa: ANN202
    """The new-post form as a browser sends it: multipart, its fields around its file field."""
    page = web.get(f"/posts/new?copy_of={copy_of}" if copy_of else "/posts/new").get_data(as_text=True)
    data: dict = {"csrf_token": web.token, "form_key": _form_key(page), "account_id": str(account.id),
                  "campaign_id": "", "body": body, "copy_of": str(copy_of or ""),
                  "file": [(io.BytesIO(content), name) for content, name in files] or [(io.BytesIO(b""), "")],
                  "alt": alts if alts is not None else [""]}
    data["submit" if submit else "save"] = "1"
    return web.client.post("/posts/new", data=data, content_type="multipart/form-data", headers=headers)


def _counts(db_session) -> tuple[int, ...]:  # noqa: ANN001
    return row_counts(db_session, Post, Revision, RevisionMedia, MediaFile, AuditEntry)


def _stored_keys(app) -> set[str]:  # noqa: ANN001
    return {stored.key for stored in storage(app).list_keys()}


def _new_post(db_session, account) -> Post:  # noqa: ANN001
    db_session.expire_all()
    return db_session.scalars(select(Post).where(Post.account_id == account.id)).one()


def png(size: tuple[int, int] = (64, 48), color: str = "orange") -> bytes:
    return picture("PNG", size, color)


def test_files_picked_with_the_text_are_saved_with_the_post_in_its_first_revision(app, make, web, db_session, france,
                                                                                    writer):
    account = make.account(france, "facebook")
    web.login(writer)
    page = _text(web.get("/posts/new"))
    assert 'enctype="multipart/form-data"' in page and 'name="file" id="new-media-file" multiple' in page
    assert "Save the draft to add pictures and videos." not in page
    red, blue = jpeg((640, 480), color="red"), jpeg((640, 480), color="blue")
    answer = _send(web, account, "Le stade brille ce soir.", [(red, "rouge.jpg"), (blue, "bleu.jpg")],
                   alts=["La tribune rouge", ""])
    assert answer.status_code == 302, _text(answer)[:2000]
    post = _new_post(db_session, account)
    assert answer.headers["Location"] == f"/posts/{post.id}/edit#media-editor"
    revision = post.current_revision
    assert revision.number == 1 and post.state is State.draft
    assert [(m.name, m.alt, m.file.sha256) for m in revision.media] == [
        ("rouge.jpg", "La tribune rouge", hashlib.sha256(red).hexdigest()),
        ("bleu.jpg", "", hashlib.sha256(blue).hexdigest())]
    # The approval binds the text and the files: revision 1's SHA-256 covers them.
    assert revision.sha256 == revision_sha256("Le stade brille ce soir.", [
        (hashlib.sha256(red).hexdigest(), "La tribune rouge"), (hashlib.sha256(blue).hexdigest(), "")])
    for media in revision.media:
        with storage(app).open(file_key(media.file.sha256)) as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == media.file.sha256
    # One revision, one create in the trail: no second revision for the files.
    assert [e.action.value for e in db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id))] \
        == ["create"]
    shown = _text(web.get(answer.headers["Location"]))
    assert shown.count("Saved as a draft with its 2 pictures and videos.") == 1


def test_a_file_refused_writes_nothing_and_the_form_keeps_the_text_and_names_the_file(app, make, web, db_session,
                                                                                      france, writer):
    account = make.account(france, "linkedin")
    web.login(writer)
    before, stored = _counts(db_session), _stored_keys(app)
    answer = _send(web, account, "Notre rapport annuel est en ligne.",
                   [(jpeg((640, 480)), "couverture.jpg"), (b"just text, no picture", "notes.jpg")],
                   alts=["La couverture", ""])
    page = _text(answer)
    assert answer.status_code == 415
    assert _counts(db_session) == before and _stored_keys(app) == stored
    assert "Notre rapport annuel est en ligne.</textarea>" in page
    assert ("notes.jpg (file 2 of 2): This is neither a picture (JPEG, PNG, GIF) nor a video (MP4) that LinkedIn "
            "takes. Nothing was saved, and your text is kept below: pick the files again, without this one (a browser "
            "cannot keep the ones picked).") in page
    assert 'aria-invalid="true" aria-describedby="new-media-errors"' in page
    # Sent again without it, the post is made (the form's key was not spent by the refusal).
    assert _send(web, account, "Notre rapport annuel est en ligne.",
                 [(jpeg((640, 480)), "couverture.jpg")]).status_code == 302
    assert len(_new_post(db_session, account).current_revision.media) == 1


def test_a_type_the_network_never_takes_is_refused_as_the_editor_refuses_it(make, web, db_session, france, writer):
    account = make.account(france, "youtube")
    web.login(writer)
    before = _counts(db_session)
    answer = _send(web, account, "Revivez la soirée\nLe film de la finale.", [(jpeg((640, 360)), "affiche.jpg")])
    assert answer.status_code == 415
    assert ("affiche.jpg: YouTube takes a video, not pictures. Nothing was saved, and your text is kept below: pick a "
            "file again (a browser cannot keep the one picked).") in _text(answer)
    assert _counts(db_session) == before


def test_a_file_over_the_picture_cap_is_refused_and_nothing_is_written(app, make, web, db_session, france, writer,
                                                                       monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_IMAGE_BYTES", 2000)
    account = make.account(france, "facebook")
    web.login(writer)
    before, stored = _counts(db_session), _stored_keys(app)
    large = picture("PNG", (400, 400), "white") + b"\0" * 3000
    answer = _send(web, account, "Une grande photo.", [(large, "grande.png")])
    assert answer.status_code == 413
    assert "grande.png: A picture may be" in _text(answer) and "Une grande photo.</textarea>" in _text(answer)
    assert _counts(db_session) == before and _stored_keys(app) == stored


def test_a_body_over_the_upload_cap_is_refused_before_it_is_read(app, make, web, db_session, france, writer,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_IMAGE_BYTES", 1000)
    monkeypatch.setitem(app.config, "MEDIA_MAX_VIDEO_BYTES", 1000)
    account = make.account(france, "facebook")
    web.login(writer)
    before = _counts(db_session)
    read = []
    monkeypatch.setattr("approval.media.intake.HashingFile.write", lambda self, data: read.append(data))
    answer = _send(web, account, "Trop lourd.", [(b"\xff" * (2 * MB), "lourd.jpg")])
    assert answer.status_code == 413
    assert "The upload is 2" in _text(answer) and "Your post was not saved" in _text(answer)
    assert read == [] and _counts(db_session) == before


def test_more_files_than_a_post_carries_are_refused_with_the_text_kept(make, web, db_session, france, writer,
                                                                       monkeypatch):
    account = make.account(france, "linkedin")
    web.login(writer)
    before = _counts(db_session)
    made = []
    from approval.media import intake

    original = intake.HashingFile.__init__

    def counted(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(intake.HashingFile, "__init__", counted)
    files = [(jpeg((64 + n, 64)), f"p{n}.jpg") for n in range(intake.MAX_MEDIA + 2)]
    answer = _send(web, account, "Vingt-deux photos.", files, alts=[""] * len(files))
    assert answer.status_code == 422
    page = _text(answer)
    assert ("A post carries at most 20 pictures and videos. Nothing was saved, and your text is kept below: pick the "
            "files again (a browser cannot keep them).") in page and "Vingt-deux photos.</textarea>" in page
    assert len(made) == intake.MAX_MEDIA  # the parts past the cap were read and let go, never written
    assert _counts(db_session) == before


def test_a_png_is_converted_to_jpeg_for_instagram_and_said_once(app, make, web, db_session, france, writer):
    account = make.account(france, "instagram")
    web.login(writer)
    answer = _send(web, account, "Les coulisses du Social Hub.", [(png((1080, 1080)), "launch.png")],
                   alts=["Le plateau"])
    assert answer.status_code == 302, _text(answer)[:2000]
    post = _new_post(db_session, account)
    [media] = post.current_revision.media
    assert (media.name, media.file.mime, media.alt) == ("launch.jpg", "image/jpeg", "Le plateau")
    with storage(app).open(file_key(media.file.sha256)) as handle:
        data = handle.read()
    assert Image.open(io.BytesIO(data)).format == "JPEG" and hashlib.sha256(data).hexdigest() == media.file.sha256
    assert post.current_revision.sha256 == revision_sha256(post.body, [(media.file.sha256, "Le plateau")])
    page = _text(web.get(answer.headers["Location"]))
    assert page.count("launch.png was converted to JPEG for Instagram.") == 1
    assert "Saved as a draft with its picture or video. launch.png was converted to JPEG for Instagram." in page


def test_an_instagram_post_with_its_picture_is_submitted_at_once(make, web, db_session, france, writer):
    """Instagram needs a picture: saved with it, the post goes to review rather than to its editor."""
    account = make.account(france, "instagram")
    web.login(writer)
    answer = _send(web, account, "Les coulisses du Social Hub en photos.", [(jpeg((1080, 1080)), "plateau.jpg")],
                   alts=["Le plateau du Social Hub"], submit=True)
    post = _new_post(db_session, account)
    assert answer.headers["Location"] == f"/posts/{post.id}"
    assert post.state is State.in_review


def test_the_market_policy_removes_the_gps_position_of_a_picture_picked(make, web, db_session, france, writer):
    policies.save_policy(db_session, france, None, rules={"media.location": "error"})
    account = make.account(france, "facebook")
    web.login(writer)
    answer = _send(web, account, "Vue du stade.", [(jpeg((640, 480), gps=True), "gps.jpg")])
    assert answer.status_code == 302
    [media] = _new_post(db_session, account).current_revision.media
    assert not media.file.has_location


def test_a_writer_creates_only_on_accounts_of_their_markets_and_nothing_is_read_for_others(make, web, db_session,
                                                                                          france, writer,
                                                                                          monkeypatch):
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    theirs = make.account(kenya, "facebook")
    make.account(france, "facebook")
    web.login(writer)
    before = _counts(db_session)
    answer = _send(web, theirs, "Karibu.", [(jpeg(), "karibu.jpg")])
    assert answer.status_code == 422 and "Not a valid choice." in _text(answer)
    assert _counts(db_session) == before
    # A role that writes no post is refused before its body is read: not a byte of its files reaches the disk.
    web.login(make.user(Role.admin))
    from werkzeug.formparser import MultiPartParser

    monkeypatch.setattr(MultiPartParser, "parse", lambda *args, **kwargs: pytest.fail("the body was read"))
    answer = web.client.post("/posts/new", data={"csrf_token": web.token, "account_id": str(theirs.id),
                                                 "body": "Karibu.", "file": (io.BytesIO(jpeg()), "karibu.jpg")},
                             content_type="multipart/form-data")
    assert answer.status_code == 403
    assert _counts(db_session) == before


def test_a_post_its_own_rules_refuse_stores_none_of_its_files(app, make, web, db_session, france):
    """A project manager of two markets picked France's campaign for a German account: the post was refused once
    its file was stored, which stayed in the store for the sweep. Its rules are asked first."""
    from approval import administration as admin

    germany = make.market("DE", timezone="Europe/Berlin", languages=("de",))
    campaign = admin.create_campaign(db_session, "Coupe de France", france, "#CDF")
    account = make.account(germany, "facebook")
    make.account(france, "facebook")  # France's campaigns are offered on the form beside Germany's account
    web.login(make.user(Role.project_manager, markets=[france, germany]))
    stored, counts = _stored_keys(app), _counts(db_session)
    page = web.get("/posts/new").get_data(as_text=True)
    answer = web.client.post("/posts/new", data={
        "csrf_token": web.token, "form_key": _form_key(page), "account_id": str(account.id),
        "campaign_id": str(campaign.id), "body": "Ein Bild.", "copy_of": "", "alt": [""],
        "file": [(io.BytesIO(jpeg((64, 48))), "bild.jpg")], "save": "1"}, content_type="multipart/form-data")
    assert answer.status_code == 422 and "This campaign belongs to another market." in _text(answer)
    assert _stored_keys(app) == stored and _counts(db_session) == counts


def test_the_form_without_a_token_is_refused_before_anything_is_written(make, web, db_session, france, writer):
    account = make.account(france, "facebook")
    web.login(writer)
    before = _counts(db_session)
    answer = web.client.post("/posts/new", data={"account_id": str(account.id), "campaign_id": "", "body": "Sans.",
                                                 "file": (io.BytesIO(jpeg()), "a.jpg")},
                             content_type="multipart/form-data")
    assert answer.status_code == 400
    assert _counts(db_session) == before


def test_a_copy_brings_its_files_and_those_picked_come_after_them(app, make, web, db_session, france, writer):
    paris = make.account(france, "facebook")
    original = make.post(account=paris, author=writer, body="Le stade brille ce soir.")
    with app.app_context():
        samples.attach_bytes(db_session, original, writer, jpeg((640, 480), color="red"), "rouge.jpg", "La tribune")
    db_session.flush()
    web.login(writer)
    page = _text(web.get(f"/posts/new?copy_of={original.id}"))
    assert "This file comes with the copy:" in page and "Those picked here come after them." in page
    answer = _send(web, paris, "Le stade brille encore.", [(jpeg((640, 480), color="blue"), "bleu.jpg")],
                   alts=["La pelouse"], copy_of=original.id)
    assert answer.status_code == 302, _text(answer)[:2000]
    copy = db_session.scalars(select(Post).where(Post.id != original.id, Post.account_id == paris.id)).one()
    assert [(m.name, m.alt) for m in copy.current_revision.media] == [("rouge.jpg", "La tribune"),
                                                                     ("bleu.jpg", "La pelouse")]
    assert copy.current_revision.number == 1


def test_a_copy_for_instagram_converts_the_png_the_original_had_on_facebook(app, make, web, db_session, france,
                                                                            writer):
    """A PNG accepted on Facebook, copied for Instagram, kept the PNG: the style gate flagged the copy."""
    facebook, instagram = make.account(france, "facebook"), make.account(france, "instagram")
    original = make.post(account=facebook, author=writer, body="Le lancement de la saison.")
    with app.app_context():
        samples.attach_bytes(db_session, original, writer, png((1080, 1080)), "launch.png", "Le logo")
    db_session.flush()
    web.login(writer)
    page = web.get(f"/posts/new?copy_of={original.id}").get_data(as_text=True)
    # The live check of the copy's page sees the JPEG it will carry, not a PNG Instagram refuses.
    checked = web.post("/posts/check", {"body": "Le lancement de la saison.", "account_id": str(instagram.id),
                                        "campaign_id": "", "post_id": "", "copy_of": str(original.id)}).get_json()
    assert "network.media-format" not in [f["rule"] for f in checked["findings"]]
    answer = web.post("/posts/new", {"account_id": str(instagram.id), "campaign_id": "", "copy_of": str(original.id),
                                     "body": "Le lancement de la saison.", "save": "1", "form_key": _form_key(page)})
    assert answer.status_code == 302, _text(answer)[:2000]
    copy = _new_post(db_session, instagram)
    [media] = copy.current_revision.media
    assert (media.name, media.alt, media.file.mime) == ("launch.jpg", "Le logo", "image/jpeg")
    assert copy.current_revision.sha256 == revision_sha256(copy.body, [(media.file.sha256, "Le logo")])
    assert not any(f["rule"] == "network.media-format" for f in copy.current_revision.findings)
    # The original keeps its PNG.
    assert [m.file.mime for m in original.current_revision.media] == ["image/png"]
    shown = _text(web.get(answer.headers["Location"]))
    assert shown.count("launch.png was converted to JPEG for Instagram.") == 1


def test_a_copy_of_an_animation_for_instagram_is_refused_clearly(app, make, web, db_session, france, writer):
    facebook, instagram = make.account(france, "facebook"), make.account(france, "instagram")
    original = make.post(account=facebook, author=writer, body="Le but de la soirée.")
    with app.app_context():
        samples.attach_bytes(db_session, original, writer, picture("GIF", (320, 320), frames=3), "but.gif")
    db_session.flush()
    web.login(writer)
    before = _counts(db_session)
    page = web.get(f"/posts/new?copy_of={original.id}").get_data(as_text=True)
    answer = web.post("/posts/new", {"account_id": str(instagram.id), "campaign_id": "", "copy_of": str(original.id),
                                     "body": "Le but de la soirée.", "save": "1", "form_key": _form_key(page)})
    assert answer.status_code == 415
    assert ("but.gif, which comes with the copy, is an animation: Instagram takes JPEG pictures, and a JPEG would "
            "keep one frame of it. Nothing was saved: copy the post for an account of another network, or write a "
            "new post without it.") in _text(answer)
    assert "Le but de la soirée.</textarea>" in _text(answer)
    assert _counts(db_session) == before


def test_the_live_check_and_the_preview_count_the_files_picked(make, web, db_session, france, writer):
    snapchat = make.account(france, "snapchat")
    web.login(writer)
    typed = {"body": "Ce soir, la Tour s'allume.", "account_id": str(snapchat.id), "campaign_id": "", "post_id": ""}
    alone = web.post("/posts/check", typed).get_json()
    assert "network.media-required" in [f["rule"] for f in alone["findings"]]
    picked = '[{"type": "image/jpeg", "bytes": 120000, "width": 1080, "height": 1920, "alt": ""}]'
    checked = web.post("/posts/check", {**typed, "picked": picked}).get_json()
    assert "network.media-required" not in [f["rule"] for f in checked["findings"]]
    preview = web.post("/posts/preview", {**typed, "picked": picked}).get_data(as_text=True)
    assert "Snapchat needs one picture or video." not in preview and "pv-placeholder" in preview
    # A side the browser could not measure is no finding; a type converted at saving is seen as the JPEG it becomes.
    unmeasured = '[{"type": "image/png", "bytes": 1000, "width": 0, "height": 0}]'
    findings = web.post("/posts/check", {**typed, "picked": unmeasured}).get_json()["findings"]
    assert not [f for f in findings if f["rule"] in ("network.media-dimensions", "network.media-format")]
    # What is no such list is a clear refusal, not a 500.
    for bad in ("{", '{"type": 1}', '[{"type": "image/jpeg", "bytes": -1}]', '[{"width": true}]', "[" * 5000):
        assert web.post("/posts/check", {**typed, "picked": bad}).status_code == 400


# In a browser: the drop zone of the new-post form, and an upload's message said once -------------------------------


@pytest.fixture()
def live(backend, databases, tmp_path):  # noqa: ANN001, ANN201
    """A live server with a writer of France, an account on each network, and an Instagram draft."""
    import threading

    from sqlalchemy.orm import Session
    from werkzeug.serving import make_server

    from approval import administration as admin
    from approval import create_app
    from approval import operations as ops
    from approval.db import make_engine

    url = databases.migrated_url(backend)
    engine = make_engine(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "pick", "TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    with app.app_context(), Session(engine) as session:
        france = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        writer = admin.create_user(session, "camille@helio.example", "Camille Dubois", Role.community_manager,
                                   BROWSER_PASSWORD, markets=[france])
        accounts = {network: admin.create_account(session, france, network, f"helio_{network}", "Helio")
                    for network in ("facebook", "instagram", "snapchat")}
        draft = ops.create_post(session, writer, accounts["instagram"], "Les coulisses du Social Hub en photos.")
        session.commit()
        ids = {network: account.id for network, account in accounts.items()} | {"draft": draft.id}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", engine, ids
    server.shutdown()
    thread.join(timeout=5)
    engine.dispose()


BROWSER_PASSWORD = "approval-journey"


def _browser_page(chromium, base: str, *, script: bool = True):  # noqa: ANN001, ANN202
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                   java_script_enabled=script)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=email]", "camille@helio.example")
    page.fill("input[name=password]", BROWSER_PASSWORD)
    page.click("main form button[type=submit]")
    page.get_by_role("button", name="Log out").wait_for()
    return context, page


def _posts_of(engine, account_id: int) -> list[Post]:  # noqa: ANN001
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        posts = session.scalars(select(Post).where(Post.account_id == account_id)).all()
        return [(p.id, p.current_revision.number, [(m.name, m.alt, m.file.mime) for m in p.current_revision.media])
                for p in posts]


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True, scope="session")
def test_the_new_post_drop_zone_shows_the_files_picked_and_the_post_is_saved_with_them(chromium_browser, live):  # noqa: ANN001
    base, engine, ids = live
    context, page = _browser_page(chromium_browser, base)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base + "/posts/new")
    page.select_option("select[name=account_id]", str(ids["snapchat"]))
    page.fill("textarea[name=body]", "Ce soir, la Tour s'allume.")
    # Before any file: Snapchat needs one, says the live check under the text, and the preview.
    page.wait_for_selector("#live-findings li[data-rule='network.media-required']")
    assert "Snapchat needs one picture or video." in page.inner_text("#previews")
    # The one text field of the plain form gives way to one per file; Snapchat's takes none.
    assert not page.locator("#new-media-alt").is_visible()
    assert page.inner_text("#new-media-takes").strip().startswith("Snapchat takes")
    page.set_input_files("#new-media-file", files=[
        {"name": "story.jpg", "mimeType": "image/jpeg", "buffer": jpeg((1080, 1920), color="navy")}])
    page.wait_for_selector("#new-media-picked li canvas.picked-thumb")
    assert "story.jpg" in page.inner_text("#new-media-picked")
    assert "Snapchat shows no alternative text." in page.inner_text("#new-media-picked")
    page.wait_for_function("() => !document.querySelector(\"#live-findings li[data-rule='network.media-required']\")")
    page.wait_for_function("() => !document.querySelector('#previews').innerText.includes('Snapchat needs')")

    # Another account: Instagram, which shows alternative texts and converts a PNG. A second pick adds to the first.
    page.select_option("select[name=account_id]", str(ids["instagram"]))
    # A picture converted at saving is no "Instagram takes JPEG pictures, not PNG" finding meanwhile.
    with page.expect_response(lambda answer: answer.url.endswith("/posts/check")
                              and "image/png" in (answer.request.post_data or "")) as checked:
        page.set_input_files("#new-media-file", files=[
            {"name": "launch.png", "mimeType": "image/png", "buffer": png((1080, 1080))}])
    rules = [f["rule"] for f in checked.value.json()["findings"]]
    assert "network.media-format" not in rules and "network.media-required" not in rules
    page.wait_for_function("() => document.querySelectorAll('#new-media-picked li').length === 2")
    assert page.evaluate("() => document.getElementById('new-media-file').files.length") == 2
    assert page.locator("#new-media-picked .picked-alt").count() == 2
    # The story is left out; the logo gets its text.
    page.locator("#new-media-picked li").first.get_by_role("button").click()
    assert page.evaluate("() => document.getElementById('new-media-file').files.length") == 1
    page.locator("#new-media-picked .picked-alt").fill("Le logo de la saison")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/edit#media-editor")
    made = [p for p in _posts_of(engine, ids["instagram"]) if p[0] != ids["draft"]]
    assert made and made[0][1] == 1 and made[0][2] == [("launch.jpg", "Le logo de la saison", "image/jpeg")]
    main = page.inner_text("main")
    assert main.count("launch.png was converted to JPEG for Instagram.") == 1
    assert page.locator("#media-list .media-item").count() == 1
    assert errors == []
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True, scope="session")
@pytest.mark.parametrize("script", [True, False], ids=["script", "plain"])
def test_an_uploads_message_is_shown_once_in_the_editor(chromium_browser, live, script):  # noqa: ANN001
    """After an upload, the editor said "Added. launch.png was converted to JPEG for Instagram." twice: in the
    upload's row and again in the card's status line."""
    base, _engine, ids = live
    context, page = _browser_page(chromium_browser, base, script=script)
    page.goto(f"{base}/posts/{ids['draft']}/edit")
    page.set_input_files("#media-file", files=[{"name": "launch.png", "mimeType": "image/png",
                                                "buffer": png((1080, 1080))}])
    if script:
        page.wait_for_selector("#media-uploads li.done")
    else:
        page.click("#media-upload-button")
        page.wait_for_load_state()
    page.wait_for_selector("#media-list .media-item")
    main = page.inner_text("main")
    assert main.count("launch.png was converted to JPEG for Instagram.") == 1, main[:1500]
    assert main.count("Added.") == 1
    context.close()
