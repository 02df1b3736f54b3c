"""Publishing, seen as a project manager sees it, in a real headless Chromium on PostgreSQL: the demo, a live server
with a publishing worker beside it (as `make run` runs them), a post scheduled a minute or two ahead in the market's
local time, and the page turning by itself to "published" with the outbox's address. Screenshots land in
test-artifacts/browser/publishing/.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from approval import create_app
from approval.db import make_engine, utcnow
from approval.demo import PASSWORD, load_demo
from approval.models import Account, Market, Post
from approval.publishing.worker import Worker
from approval.workflow.states import State
from tests.test_browser import ARTIFACTS, chromium  # noqa: F401 - the shared browser fixture

pytestmark = pytest.mark.browser


@pytest.fixture()
def demo_with_worker(databases, tmp_path):
    url = databases.migrated_url("postgresql")
    engine = make_engine(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "publishing", "TESTING": True})
    app.instance_path = str(tmp_path)
    with app.app_context(), Session(engine) as session:
        load_demo(session)
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    worker = Worker(app, poll_interval=0.5)
    threading.Thread(target=worker.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", engine, tmp_path
    worker.stop()
    server.shutdown()
    engine.dispose()


def test_a_post_scheduled_a_minute_ahead_goes_out_and_the_page_says_so(chromium, demo_with_worker):  # noqa: F811
    base, engine, instance = demo_with_worker
    folder = ARTIFACTS / "publishing"
    folder.mkdir(parents=True, exist_ok=True)
    with Session(engine) as session:
        post = session.scalars(select(Post).join(Post.account).join(Account.market)
                               .where(Post.state == State.approved, Market.code == "FR").order_by(Post.id)).first()
        assert post is not None, "the demo has an approved French post"
        post_id = post.id
    paris = ZoneInfo("Europe/Paris")
    # The next whole minute at least 20 s away: the form takes minutes.
    slot = (utcnow() + timedelta(seconds=80)).replace(second=0, microsecond=0)
    local = slot.astimezone(paris).strftime("%Y-%m-%dT%H:%M")

    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "lucile@helio.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.goto(f"{base}/posts/{post_id}")
    page.fill("form.action-schedule input[name=local_time]", local)
    page.click("form.action-schedule button")
    page.wait_for_selector(".flash.success")
    page.screenshot(path=str(folder / "01-scheduled.png"), full_page=True)
    assert "scheduled" in page.inner_text(".post-head h1")

    # No reload: the page of a post due within minutes follows it by itself (static/post_watch.js).
    page.locator(".post-head h1", has_text="published").wait_for(timeout=150_000)
    page.screenshot(path=str(folder / "02-published.png"), full_page=True)
    assert "published" in page.inner_text(".post-head h1")
    with Session(engine) as session:
        published = session.get(Post, post_id)
        assert published.published_at >= slot
        assert published.published_at - slot < timedelta(seconds=5), "out within seconds of its time"
    assert "outbox:" in page.inner_text(".post-head")
    lines = [json.loads(line) for line in (Path(instance) / "outbox.jsonl").read_text().splitlines()]
    assert [line["post_id"] for line in lines] == [post_id]


def test_the_desk_offers_publish_now_and_the_checked_release_only_where_they_can_work(chromium,  # noqa: F811
                                                                                      demo_with_worker):
    """In a crisis a project manager checked a held post and pressed "Publish the checked posts now": refused (422),
    a switch still on. Checking a post a switch on still holds now disables the button and says why; "Release only
    the checked posts" shows once a post whose switch is off is checked ("Release all" is the list's first choice)."""
    from approval.publishing import controls
    from approval.models import User

    base, engine, _instance = demo_with_worker
    folder = ARTIFACTS / "publishing"
    folder.mkdir(parents=True, exist_ok=True)
    with Session(engine) as session:
        lucile = session.scalars(select(User).where(User.email == "lucile@helio.example")).one()
        scheduled = session.scalars(select(Post).join(Post.account).join(Account.market)
                                    .where(Post.state == State.scheduled).order_by(Market.code)).all()
        released, stuck = scheduled[0], scheduled[-1]
        assert released.account.market_id != stuck.account.market_id, "the demo schedules posts in two markets"
        # As the worker marks a post it held at its time: one switch since turned off, one still on.
        off = controls.turn_on(session, lucile, "market", market_code=released.account.market.code, reason="Grève.")
        released.held_at, released.held_by_stop_id = utcnow(), off.id
        controls.turn_off(session, lucile, off.id)
        on = controls.turn_on(session, lucile, "market", market_code=stuck.account.market.code, reason="Deuil.")
        stuck.held_at, stuck.held_by_stop_id = utcnow(), on.id
        session.commit()
        released_id, stuck_id, on_id = released.id, stuck.id, on.id

    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "lucile@helio.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.goto(f"{base}/publishing")
    held = page.locator("#held")
    now = held.get_by_role("button", name="Publish the checked posts now")
    only = held.get_by_role("button", name="Release only the checked posts")
    assert now.is_enabled() and only.is_hidden()
    assert f"Held by switch #{on_id}: turn it off first" in held.locator("tr", has=page.locator(
        f"input[value='{stuck_id}'][type=checkbox]")).inner_text()
    held.locator(f"input[type=checkbox][value='{stuck_id}']").check()
    assert now.is_disabled() and held.get_by_text("A checked post is still held").is_visible()
    page.screenshot(path=str(folder / "10-desk-a-post-still-held-checked.png"), full_page=True)
    held.locator(f"input[type=checkbox][value='{stuck_id}']").uncheck()
    held.locator(f"input[type=checkbox][value='{released_id}']").check()
    assert now.is_enabled() and only.is_visible()
    assert held.locator("button.primary").all_inner_texts() == ["Release 1 post"]
    page.screenshot(path=str(folder / "11-desk-a-released-post-checked.png"), full_page=True)
