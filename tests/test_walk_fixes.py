"""Defects a tester found walking the product in French (Chromium), each fixed with the test that caught it:

1. the calendar's badges and times were cut ("NON CONFIRM…" in a desktop's month, "non confir/mée" and "04…" in a
   phone's week): they read whole, in French and in English, at 1366 px and at 390 px;
2. the wall's "Just published" listed posts published weeks ago: it holds the last 24 hours, on the wall and the
   kiosk alike;
3. an Instagram post took a PNG ("Added.") before the style gate said Instagram takes JPEG only: a file type the
   post's network never takes is refused at upload (415), with the gate's own message, before anything is stored.
   (Since onboarding finding 10, a still picture of such a type is converted to JPEG where the network takes JPEG,
   a PNG on Instagram among them: ``tests/test_media_convert.py``. An animation is still refused.)
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from approval import administration as admin
from approval import kiosks
from approval import operations as ops
from approval.db import utcnow
from approval.media.storage import storage
from approval.models import Account, MediaFile, Post, User
from approval.queries.hub import Selection, Viewer, build_wall
from approval.workflow.states import Action, Role, State

from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures
from test_calendar import _missed, _refused_at_its_slot, _sent_without_an_answer, gone_wrong  # noqa: F401
from test_media import api_for  # noqa: F401 - fixture
from test_media_samples import jpeg, picture, video
from test_phone_layout import _too_wide

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


# 1. The calendar's badges and times ------------------------------------------------------------------------------


def _entry(page: str, post_id: int) -> str:
    start = page.index(f'<a href="/posts/{post_id}" class="entry ')
    return page[start:page.index("</a>", start)]


def test_a_calendar_badge_carries_a_short_word_for_narrow_cells_and_the_full_state_for_everyone(
        make, web, france, gone_wrong):  # noqa: F811
    """The full word stays in the entry (read by a screen reader, shown where it fits); the short one, for a cell
    too narrow for it, is hidden from screen readers and names the full state in its title."""
    at, failed, unconfirmed, missed = (gone_wrong[key] for key in ("at", "failed", "unconfirmed", "missed"))
    web.login(make.user(Role.project_manager, markets=[france]))
    day = at.astimezone(PARIS).date().isoformat()
    shorts = {"en": {failed.id: ("failed", "failed"), unconfirmed.id: ("unconfirmed", "unconf."),
                     missed.id: ("missed", "missed")},
              "fr": {failed.id: ("en échec", "échec"), unconfirmed.id: ("non confirmée", "non conf."),
                     missed.id: ("manquée", "manq.")}}
    for language, expected in shorts.items():
        for view in ("month", "week"):
            page = web.get(f"/calendar?view={view}&date={day}", headers={"Accept-Language": language}
                           ).get_data(as_text=True)
            for post_id, (full, short) in expected.items():
                entry = _entry(page, post_id)
                assert f'<span class="kind-mark">{full}</span>' in entry, (language, view)
                assert f'<span class="kind-short" aria-hidden="true" title="{full}">{short}</span>' in entry, (
                    language, view)


def _gone_wrong(engine) -> tuple[dict[str, int], str]:  # noqa: ANN001
    """A slot a few minutes from now on four accounts of helio's French market: one post still to go out, one the
    worker refused, one sent without an answer, one whose slot passed."""
    with Session(engine) as session:
        writer = session.scalar(select(User).where(User.email == "camille@helio.example"))
        manager = session.scalar(select(User).where(User.email == "lucile@helio.example"))
        x = session.scalar(select(Account).where(Account.handle == "helio_fr"))
        accounts = {"scheduled": x, "failed": admin.create_account(session, x.market, "facebook", "helio.france", "H"),
                    "unconfirmed": admin.create_account(session, x.market, "linkedin", "helio-france", "H"),
                    "missed": admin.create_account(session, x.market, "x", "helio_live", "H")}
        at = (utcnow() + timedelta(minutes=5)).replace(second=0, microsecond=0)
        ids = {}
        for kind, account in accounts.items():
            post = ops.create_post(session, writer, account, "Rendez-vous au Vélodrome pour la finale.")
            ops.act_on_post(session, post, Action.submit, writer, expected_version=post.version)
            ops.act_on_post(session, post, Action.approve, manager, expected_version=post.version)
            ops.act_on_post(session, post, Action.schedule, manager, expected_version=post.version, scheduled_at=at)
            session.flush()
            {"failed": _refused_at_its_slot, "unconfirmed": _sent_without_an_answer, "missed": _missed}.get(
                kind, lambda *_: None)(session, post)
            ids[kind] = post.id
        session.commit()
        return ids, at.astimezone(PARIS).date().isoformat()


#: For each entry shown: its time and its badge (whichever of the full word and the short one is shown), each whole:
#: inside the entry, not cut (no ellipsis: nothing overflows it), no word split over two lines; and the type's size.
_MEASURE = """() => Array.from(document.querySelectorAll('.calendar a.entry')).filter(e => e.getClientRects().length)
  .map(entry => {
    const box = entry.getBoundingClientRect();
    const shown = Array.from(entry.querySelectorAll('.kind-mark, .kind-short'))
      .filter(b => b.getClientRects().length && b.getBoundingClientRect().width > 2);
    const split = b => Array.from(b.childNodes).filter(n => n.nodeType === 3).some(node => {
      let at = 0;
      return node.data.split(' ').some(word => {
        const range = document.createRange();
        range.setStart(node, at); range.setEnd(node, at + word.length); at += word.length + 1;
        return word && range.getClientRects().length > 1;
      });
    });
    const inside = r => r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
    const time = entry.querySelector('time');
    return {
      href: entry.getAttribute('href'), kind: entry.className,
      time: time.textContent, timeInside: inside(time.getBoundingClientRect()),
      timeSize: parseFloat(getComputedStyle(time).fontSize),
      badges: shown.map(b => ({text: b.innerText, cls: b.className, inside: inside(b.getBoundingClientRect()),
                               cut: b.scrollWidth > b.clientWidth + 0.5, split: split(b),
                               size: parseFloat(getComputedStyle(b).fontSize)})),
    };
  })"""


@pytest.mark.browser
@pytest.mark.parametrize("language", ["fr", "en"])
def test_calendar_badges_and_times_read_whole_on_a_laptop_and_on_a_phone(chromium, live_server, backend,  # noqa: F811
                                                                         language):
    """At 1366 px the month cut "NON CONFIRMÉE" to "NON CONFIRM…"; at 390 px the week broke it mid-word ("non
    confir/mée") and cut the time to "04…". Each reads whole now: the full state where it fits, a short word in a
    phone's narrow column (the full state in its title, and for a screen reader); at 360 px nothing is wider than the
    window."""
    base, engine = live_server
    ids, day = _gone_wrong(engine)
    folder = ARTIFACTS / f"walk-fixes-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    full = {"fr": {"failed": "en échec", "unconfirmed": "non confirmée", "missed": "manquée"},
            "en": {"failed": "failed", "unconfirmed": "unconfirmed", "missed": "missed"}}[language]
    short = {"fr": {"failed": "échec", "unconfirmed": "non conf.", "missed": "manq."},
             "en": {"failed": "failed", "unconfirmed": "unconf.", "missed": "missed"}}[language]
    context = chromium.new_context(viewport={"width": 1366, "height": 900},
                                   locale="fr-FR" if language == "fr" else "en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example") if language == "en" else _sign_in_in_french(page, base)
        for width in (1366, 390, 360):
            page.set_viewport_size({"width": width, "height": 900})
            for view in ("month", "week"):
                page.goto(f"{base}/calendar?view={view}&date={day}&tz=Europe/Paris")
                shot = folder / f"calendar-{language}-{view}-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert page.evaluate("document.documentElement.scrollWidth") <= width, (view, width)
                if width == 360:
                    assert _too_wide(page) == [], view
                entries = {e["href"]: e for e in page.evaluate(_MEASURE)}
                if width < 600 and view == "month":
                    assert entries == {}, "a phone's month shows each day's count"
                    continue
                assert set(entries) == {f"/posts/{n}" for n in ids.values()}, (view, width)
                for kind, post_id in ids.items():
                    entry = entries[f"/posts/{post_id}"]
                    where = (language, view, width, kind, str(shot))
                    assert entry["timeInside"] and entry["timeSize"] >= 11, where
                    if kind == "scheduled":
                        assert entry["badges"] == [], where
                        continue
                    [badge] = entry["badges"]
                    assert badge["inside"] and not badge["cut"] and not badge["split"], (badge, *where)
                    assert badge["size"] >= 9.5, (badge, *where)
                    words = (full if badge["cls"] == "kind-mark" else short)[kind]
                    assert " ".join(badge["text"].lower().split()) == words, (badge, *where)
                    if width == 1366:
                        assert badge["cls"] == "kind-mark", where  # the full state where there is room
                    # Whatever is shown, the full state is the entry's for a screen reader and in its title.
                    link = page.locator(f"a.entry[href='/posts/{post_id}']")
                    assert link.locator(".kind-mark").text_content() == full[kind], where
                    assert link.get_attribute("title").endswith(full[kind]), where
    finally:
        context.close()


def _sign_in_in_french(page, base: str) -> None:  # noqa: ANN001
    page.goto(base + "/login")
    page.fill("input[name=email]", "lucile@helio.example")
    page.fill("input[name=password]", "approval-journey")
    page.click("main form button[type=submit]")
    page.get_by_role("button", name="Se déconnecter").wait_for()
    page.wait_for_load_state()


# 2. The wall's recent publications -------------------------------------------------------------------------------


def _published(make, db_session, account, body: str, ago: timedelta) -> Post:  # noqa: ANN001
    post = make.post(State.published, account=account, body=body)
    post.published_at = utcnow() - ago
    db_session.flush()
    return post


def test_the_wall_lists_what_was_published_in_the_last_24_hours_not_weeks_ago(make, web, db_session, france):
    """The demo's history has posts published weeks ago: the wall showed them under "Just published" ("il y a 2
    sem."). The list holds the last 24 hours, newest first, on the overview, the list alone and a kiosk's wall."""
    x, facebook = make.account(france, "x"), make.account(france, "facebook")
    fresh = _published(make, db_session, x, "Le coup d'envoi est donné.", timedelta(minutes=5))
    morning = _published(make, db_session, facebook, "La fan zone ouvre ses portes.", timedelta(hours=23))
    yesterday = _published(make, db_session, x, "La veille du match, les supporters arrivent.",
                           timedelta(hours=25))
    weeks = _published(make, db_session, facebook, "Grand jeu concours du mois dernier.", timedelta(days=14))
    manager = make.user(Role.project_manager, markets=[france])
    for viewer in (Viewer(user_id=manager.id), Viewer(kiosk_markets=(france.id,))):
        for view in ("overview", "published"):
            wall = build_wall(db_session, viewer, Selection(view=view))
            assert [p.id for p in wall.published] == [fresh.id, morning.id], (viewer, view)
    web.login(manager)
    kiosk = kiosks.create_kiosk(db_session, "Salle sociale", ["FR"])
    db_session.flush()
    for path in ("/hub", "/hub?view=published", kiosk.path, f"{kiosk.path}?view=published"):
        page = web.get(path).get_data(as_text=True)
        assert "Published in the last 24 hours" in page and "Just published" not in page, path
        assert "Le coup d&#39;envoi est donné." in page and "La fan zone ouvre ses portes." in page, path
        assert "La veille du match" not in page and "Grand jeu concours" not in page, path
    french = web.get("/hub", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Publiées dans les dernières 24 heures" in french
    # The same post as it ages: gone from the list a day after it went out (the wall is rebuilt each minute).
    tomorrow = utcnow() + timedelta(hours=23, minutes=30)
    later = build_wall(db_session, Viewer(user_id=manager.id), Selection(), now=tomorrow)
    assert [p.id for p in later.published] == [fresh.id]
    assert yesterday.id not in [p.id for p in later.published] and weeks.id not in [p.id for p in later.published]


def test_a_wall_with_nothing_published_in_the_last_24_hours_says_so(make, web, db_session, france):
    _published(make, db_session, make.account(france, "x"), "Grand jeu concours du mois dernier.", timedelta(days=14))
    web.login(make.user(Role.project_manager, markets=[france]))
    page = web.get("/hub?view=published").get_data(as_text=True)
    assert "Nothing published in the last 24 hours." in page and "Grand jeu concours" not in page
    french = web.get("/hub", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Rien de publié depuis 24 heures." in french


def test_the_kiosk_page_names_the_published_view_as_the_wall_does(admin_web, db_session):
    kiosks.create_kiosk(db_session, "Salle sociale", [])
    db_session.flush()
    page = admin_web.get("/hub/kiosks").get_data(as_text=True)
    assert "Published in the last 24 hours</a>" in page and "Just published" not in page


# 3. A file type the post's network never takes, refused at upload -----------------------------------------------


def _stored(app) -> set:  # noqa: ANN001
    root = storage(app).root
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _upload(web, post: Post, data: bytes, name: str, *, json: bool):  # noqa: ANN001, ANN202
    headers = {"Accept": "application/json", "X-Requested-With": "fetch"} if json else {}
    return web.client.post(f"/posts/{post.id}/media", data={
        "csrf_token": web.token, "version": str(post.version), "alt": "",
        "file": (io.BytesIO(data), name)}, content_type="multipart/form-data", headers=headers)


def _nothing_changed(app, db_session, post: Post, before: tuple) -> None:  # noqa: ANN001
    """No file row, no stored file, no temporary file, no new revision."""
    db_session.expire_all()
    post = db_session.get(Post, post.id)
    assert (db_session.scalar(select(func.count()).select_from(MediaFile)), _stored(app),
            post.version, post.current_revision.number) == before
    staging = Path(app.instance_path) / "media-staging"
    assert not staging.exists() or [p.name for p in staging.iterdir()] == []


def _state(app, db_session, post: Post) -> tuple:  # noqa: ANN001
    return (db_session.scalar(select(func.count()).select_from(MediaFile)), _stored(app), post.version,
            post.current_revision.number)


REFUSED = [
    # A still PNG, WebP or GIF is converted to JPEG there (tests/test_media_convert.py); an animation is not.
    ("instagram", picture("GIF", (1080, 1080), frames=3), "anime.gif", "Instagram takes JPEG pictures, not GIF.",
     "Instagram accepte les images JPEG, pas GIF."),
    ("instagram", picture("WEBP", (1080, 1080), frames=3), "anime.webp", "Instagram takes JPEG pictures, not WebP.",
     None),
    ("facebook", picture("WEBP", (1200, 675), frames=3), "stade.webp",
     "Facebook takes GIF, JPEG, PNG pictures, not WebP.", None),
    ("youtube", jpeg((1280, 720)), "miniature.jpg", "YouTube takes a video, not pictures.", None),
    ("linkedin", video((96, 64), seconds=0.5, fmt="mov"), "clip.mov", "LinkedIn takes MP4 videos, not MOV.", None),
]


@pytest.mark.parametrize(("network", "data", "name", "message", "french"), REFUSED,
                         ids=[f"{r[0]}-{r[2]}" for r in REFUSED])
def test_a_file_type_the_network_never_takes_is_refused_at_upload_in_the_editor(app, make, web, db_session, france,
                                                                                 network, data, name, message,
                                                                                 french):
    """Camille's PNG on an Instagram post was "Added.", then the style gate said Instagram takes JPEG only: it is
    refused at upload, with the gate's own words, before anything is stored or a revision made (the script's JSON
    and the plain form alike)."""
    writer = make.user(Role.community_manager, markets=[france])
    post = make.post(account=make.account(france, network), author=writer, body="Les coulisses du stade.")
    web.login(writer)
    before = _state(app, db_session, post)
    answer = _upload(web, post, data, name, json=True)
    assert answer.status_code == 415, answer.get_data(as_text=True)[:300]
    assert answer.json["message"] == message and answer.json["errors"] == {"file": [message]}
    _nothing_changed(app, db_session, post, before)
    plain = _upload(web, post, data, name, json=False)
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/posts/{post.id}/edit#media-editor")
    page = web.get(plain.headers["Location"]).get_data(as_text=True)
    assert message in page and "Added." not in page
    _nothing_changed(app, db_session, post, before)
    if french:
        answer = web.client.post(f"/posts/{post.id}/media", data={
            "csrf_token": web.token, "version": str(post.version), "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
            headers={"Accept": "application/json", "X-Requested-With": "fetch", "Accept-Language": "fr"})
        assert answer.status_code == 415 and answer.json["message"] == french


@pytest.mark.parametrize(("network", "data", "name", "message", "_french"), REFUSED,
                         ids=[f"{r[0]}-{r[2]}" for r in REFUSED])
def test_a_file_type_the_network_never_takes_is_a_415_over_the_api(app, make, db_session, france, api_for,  # noqa: F811
                                                                    network, data, name, message, _french):
    writer = make.user(Role.community_manager, markets=[france])
    post = make.post(account=make.account(france, network), author=writer, body="Les coulisses du stade.")
    api = api_for(writer)
    before = _state(app, db_session, post)
    answer = api.upload(post.id, data, name)
    assert answer.status_code == 415, answer.get_data(as_text=True)[:300]
    assert answer.json["code"] == 415 and answer.json["message"] == message
    assert answer.json["errors"] == {"file": [message]}
    _nothing_changed(app, db_session, post, before)


@pytest.mark.parametrize("setting", ["warning", "off"])
def test_a_market_whose_policy_relaxes_the_format_rule_takes_the_type_at_upload(app, make, web, db_session, france,
                                                                               api_for, setting):  # noqa: F811
    """The upload refuses what the style gate would refuse, no more: a market whose policy made
    ``network.media-format`` a warning (or turned it off) has its PNG on Instagram taken, as the gate takes it."""
    from approval import policies

    policies.save_policy(db_session, france, make.user(Role.admin), rules={"network.media-format": setting})
    writer = make.user(Role.community_manager, markets=[france])
    post = make.post(account=make.account(france, "instagram"), author=writer, body="Les coulisses du stade.")
    db_session.commit()
    web.login(writer)
    assert _upload(web, post, picture("PNG", (1080, 1080)), "carre.png", json=True).status_code == 201
    assert api_for(writer).upload(post.id, picture("PNG", (1080, 1350)), "portrait.png").status_code == 201


def test_what_the_network_takes_still_goes_in_and_whole_post_limits_stay_the_gates(app, make, web, db_session,
                                                                                   france, api_for):  # noqa: F811
    """A JPEG on Instagram, a PNG on X are added; a picture then a video on Facebook (which never mixes them) are
    each a type it takes: both go in, and the style gate says they do not go together."""
    writer = make.user(Role.community_manager, markets=[france])
    web.login(writer)
    instagram = make.post(account=make.account(france, "instagram"), author=writer, body="Les coulisses du stade.")
    assert _upload(web, instagram, jpeg((1080, 1080)), "carre.jpg", json=True).status_code == 201
    x = make.post(account=make.account(france, "x"), author=writer, body="Le stade ce soir.")
    assert _upload(web, x, picture("PNG", (1200, 675)), "stade.png", json=True).status_code == 201
    facebook = make.post(account=make.account(france, "facebook"), author=writer, body="Le stade ce soir.")
    api = api_for(writer)
    assert api.upload(facebook.id, jpeg((1200, 675)), "stade.jpg").status_code == 201
    mixed = api.upload(facebook.id, video((96, 64), seconds=1.0), "clip.mp4")
    assert mixed.status_code == 201
    assert [(f["rule"], f["severity"]) for f in mixed.json["findings"] if f["rule"].startswith("network.media")] == [
        ("network.media-count", "error")]


@pytest.mark.browser
def test_an_instagram_post_converts_a_dropped_png_in_the_editor_and_says_so(chromium, live_server,  # noqa: F811
                                                                           backend, tmp_path):
    """The walk: the page says Instagram takes JPEG, MP4, MOV, and converts still PNG, GIF and WebP pictures; a PNG
    given to the file input is converted to JPEG, added in one revision, and its line says so."""
    base, engine = live_server
    with Session(engine) as session:
        writer = session.scalar(select(User).where(User.email == "camille@helio.example"))
        x = session.scalar(select(Account).where(Account.handle == "helio_fr"))
        account = admin.create_account(session, x.market, "instagram", "helio.france", "Helio")
        post = ops.create_post(session, writer, account, "Test de format converti sur Instagram.")
        session.commit()
        post_id, version = post.id, post.version
    png = tmp_path / "pic.png"
    png.write_bytes(picture("PNG", (800, 800), "green"))
    folder = ARTIFACTS / f"walk-fixes-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "camille@helio.example")
        page.goto(f"{base}/posts/{post_id}/edit")
        assert page.locator("#media-takes").inner_text() == ("Instagram takes JPEG, MP4, MOV. Still PNG, GIF, WebP "
                                                             "pictures are converted to JPEG.")
        page.set_input_files("#media-file", str(png))
        row = page.locator("#media-uploads li.done")
        row.wait_for()
        assert row.inner_text().strip() == "pic.png: Added. pic.png was converted to JPEG for Instagram."
        assert page.locator("#media-uploads li.error").count() == 0
        assert page.locator("#media-list .media-item").count() == 1
        page.screenshot(path=str(folder / "instagram-png-converted.png"), full_page=True)
    finally:
        context.close()
    with Session(engine) as session:
        post = session.get(Post, post_id)
        assert post.version == version + 1
        [attachment] = post.current_revision.media
        assert (attachment.name, attachment.file.mime) == ("pic.jpg", "image/jpeg")
