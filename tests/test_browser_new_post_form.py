"""The new-post form in a headless Chromium, as people use it: saved, then the browser's Back button and Save again
leads to the post the first save made (the browser brings the typed text back, and with it the form's key), not a
second post. Screenshots land in test-artifacts/browser/new-post-form-<backend>/."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from approval import administration as admin
from approval.models import Account, Post, User

from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser


def _folder(backend: str):  # noqa: ANN202
    folder = ARTIFACTS / f"new-post-form-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


#: The new-post drafts this browser keeps (static/editor.js).
_DRAFTS = "() => Object.keys(localStorage).filter(k => k.startsWith('approval:new-post-draft:'))"


def _posts(engine) -> list[int]:  # noqa: ANN001
    with Session(engine) as session:
        return list(session.scalars(select(Post.id).order_by(Post.id)))


def test_back_then_save_again_leads_to_the_post_the_first_save_made(chromium, live_server, backend):  # noqa: F811
    base, engine = live_server
    folder = _folder(backend)
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(base + "/posts/new")
    page.fill("textarea[name=body]", "Le stade brille ce soir.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    [first] = _posts(engine)
    page.go_back()
    page.wait_for_load_state()
    assert page.input_value("textarea[name=body]") == "Le stade brille ce soir."  # the browser brought it back
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    page.screenshot(path=str(folder / "01-saved-again.png"), full_page=True)
    assert _posts(engine) == [first]
    assert page.url == f"{base}/posts/{first}"
    assert "This form was sent already: here is the post it made." in page.inner_text("main")
    context.close()


def test_the_proposed_time_names_the_zone_of_the_accounts_chosen(chromium, live_server, backend):  # noqa: F811
    base, engine = live_server
    with Session(engine) as session:
        kenya = admin.create_market(session, "KE", "Kenya", "Africa/Nairobi", ["en"])
        camille = session.scalar(select(User).where(User.email == "camille@helio.example"))
        admin.create_account(session, kenya, "x", "helio_ke", "Helio")
        camille.markets.append(kenya)
        session.commit()
        ids = {a.handle: a.id for a in session.scalars(select(Account))}
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB",
                                   timezone_id="Europe/Paris")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(base + "/posts/new")
    label, help_ = page.locator("label[for=proposed_time]"), page.locator("#proposed_time-help")
    page.select_option("select[name=account_id]", str(ids["helio_ke"]))
    expect(label).to_have_text("Proposed publication time, local time in Africa/Nairobi (optional)")
    expect(help_).to_contain_text("Now in Africa/Nairobi: ")
    expect(help_).to_contain_text("your own time zone is Europe/Paris")
    page.check(f"input[name=also_account_ids][value='{ids['helio_fr']}']")
    expect(label).to_have_text("Proposed publication time, local time in each account's market zone (optional)")
    expect(help_).to_contain_text(" in Africa/Nairobi; ")
    expect(help_).to_contain_text(" in Europe/Paris")
    page.locator(".field.proposal").screenshot(path=str(_folder(backend) / "02-zones.png"))
    page.uncheck(f"input[name=also_account_ids][value='{ids['helio_fr']}']")
    page.select_option("select[name=account_id]", str(ids["helio_fr"]))
    expect(label).to_have_text("Proposed publication time, local time in Europe/Paris (optional)")
    expect(page.locator("#proposed_time-yours")).to_be_hidden()
    context.close()


def test_the_text_typed_when_the_session_ended_is_offered_back(chromium, live_server, backend):  # noqa: F811
    base, _engine = live_server
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(base + "/posts/new")
    expect(page.locator("#draft-offer")).to_be_hidden()
    page.fill("textarea[name=body]", "Le stade brille ce soir avec toute l’équipe.")
    for _ in range(50):  # kept a moment after the typing stops (wait_for_function evaluates, which the CSP refuses)
        if page.evaluate(_DRAFTS):
            break
        page.wait_for_timeout(100)
    other = context.new_page()  # logged out in another tab
    other.goto(base + "/posts")
    other.get_by_role("button", name="Log out").click()
    other.wait_for_load_state()
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert "/login" in page.url
    sign_in(page, base, "camille@helio.example")
    page.goto(base + "/posts/new")
    offer = page.locator("#draft-offer")
    expect(offer).to_contain_text("Restore the text you were writing? Le stade brille ce soir avec toute l’équipe.")
    page.screenshot(path=str(_folder(backend) / "03-draft-offer.png"))
    offer.get_by_role("button", name="Restore it").click()
    assert page.input_value("textarea[name=body]") == "Le stade brille ce soir avec toute l’équipe."
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert page.url.split("#")[0].endswith("/edit")  # saved: the draft's editor
    page.goto(base + "/posts/new")
    expect(page.locator("#draft-offer")).to_be_hidden()  # forgotten once saved
    assert page.evaluate(_DRAFTS) == []
    context.close()


def _png() -> bytes:
    image = Image.new("RGB", (120, 80), (200, 30, 40))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_picture_picked_shows_in_the_preview_before_the_save(chromium, live_server, backend):  # noqa: F811
    base, _engine = live_server
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(base + "/posts/new")
    page.fill("textarea[name=body]", "Le stade brille ce soir.")
    page.set_input_files("#new-media-file", files=[{"name": "stade.png", "mimeType": "image/png", "buffer": _png()}])
    shown = page.locator("#preview-body img.pv-img[src^='data:image/']")
    expect(shown).to_have_count(1)
    expect(page.locator("#preview-body .pv-placeholder")).to_have_count(0)
    # "Leave out" is the lesser button: not the orange of "Save and submit for review".
    colour = "element => getComputedStyle(element).backgroundColor"
    leave = page.get_by_role("button", name="Leave out stade.png")
    primary = page.get_by_role("button", name="Save and submit for review")
    assert leave.evaluate(colour) != primary.evaluate(colour)
    page.locator("#new-media").screenshot(path=str(_folder(backend) / "04-picked.png"))
    page.locator("#previews").screenshot(path=str(_folder(backend) / "05-preview.png"))
    context.close()


def test_a_form_changed_after_back_or_a_duplicate_after_a_save_makes_its_own_post(chromium, live_server,  # noqa: F811
                                                                                  backend):
    """Only the very form sent takes its key back: a text changed after Back, or "Duplicate" right after a save (the
    same text, for another account), is another post. The key put back with the text alone led both to the first
    post, and the new text was lost."""
    base, engine = live_server
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(base + "/posts/new")
    page.fill("textarea[name=body]", "Le stade brille ce soir.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    [first] = _posts(engine)
    page.go_back()
    page.wait_for_load_state()
    page.fill("textarea[name=body]", "Un tout autre message : le match de demain est reporté.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    [_, second] = _posts(engine)
    assert f"/posts/{second}" in page.url and "sent already" not in page.inner_text("main")
    page.goto(f"{base}/posts/{first}")
    with page.expect_navigation():
        page.locator("a.duplicate").click()
    page.select_option("select[name=account_id]", index=1)
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert len(_posts(engine)) == 3, "the duplicate made its own post"
    context.close()


def test_logging_out_forgets_the_text_kept_in_this_browser(chromium, live_server, backend):  # noqa: F811
    base, _engine = live_server
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(base + "/posts/new")
    page.fill("textarea[name=body]", "Embargo : résultats annuels jeudi 8h, ne pas diffuser.")
    page.wait_for_function(_DRAFTS + ".length === 1")
    page.goto(base + "/posts")
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    assert page.evaluate(_DRAFTS) == [], "the next person at this computer reads none of it"
    context.close()
