"""A proposal at a time the clocks repeat (the product walk): Camille proposed 02:30 on the night Paris goes back
to winter time and chose "the first time"; the post's page prefilled the project manager's Schedule form with 02:30
but not with her choice, so "Schedule" was refused "This time happens twice…" (422) and the choice was asked again.
The proposal is an instant: the forms it prefills ("Schedule", "Approve and schedule at this time") carry its
choice, checked, and their button schedules it at the very instant proposed. When a repeated time is asked on a
form, the page asks in words ("Choose which of the two times you mean."), not in the API's "fold 0 / 1", and each
choice's label keeps to one line at 1440 px. In a real Chromium; screenshots in /tmp/w/shots/ when that folder
exists, else test-artifacts/browser/proposal-fold/."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures

from tests.conftest import ONE_BACKEND

pytestmark = pytest.mark.browser
PARIS = ZoneInfo("Europe/Paris")
SHOTS = Path("/tmp/w/shots") if Path("/tmp/w/shots").is_dir() else ARTIFACTS / "proposal-fold"


def _twice_ahead() -> datetime:
    """02:30 in Paris on the next last Sunday of October (the clocks go back: it happens twice), a day or more away."""
    today = datetime.now(PARIS).date()
    for year in (today.year, today.year + 1):
        day = date(year, 11, 1) - timedelta(days=1)
        day -= timedelta(days=(day.weekday() - 6) % 7)
        if day > today + timedelta(days=1):
            return datetime(day.year, day.month, day.day, 2, 30)
    raise AssertionError("no change of the clocks within a year")


def _proposed(engine, local: datetime, fold: int, *, approve: bool) -> int:  # noqa: ANN001
    """Camille's post on @helio_fr proposed for ``local`` in Paris, the ``fold`` she chose; submitted, and approved
    by Lucile when ``approve``."""
    from approval import operations as ops
    from approval.models import Account, User
    from approval.workflow.states import Action

    with Session(engine) as session:
        camille = session.scalars(select(User).where(User.email == "camille@helio.example")).one()
        lucile = session.scalars(select(User).where(User.email == "lucile@helio.example")).one()
        account = session.scalars(select(Account).where(Account.handle == "helio_fr")).one()
        post = ops.create_post(session, camille, account, "La nuit du changement d'heure, on reste debout.",
                               proposed_at=ops.local_to_utc(local, PARIS, fold))
        ops.act_on_post(session, post, Action.submit, camille, expected_version=post.version)
        if approve:
            ops.act_on_post(session, post, Action.approve, lucile, expected_version=post.version)
        session.commit()
        return post.id


def _scheduled_at(engine, post_id: int) -> datetime | None:  # noqa: ANN001
    from approval.models import Post

    with Session(engine) as session:
        return session.get(Post, post_id).scheduled_at


@ONE_BACKEND  # the form and its click, the same on either database
@pytest.mark.parametrize("fold", [0, 1])
def test_the_schedule_form_carries_the_writers_choice_of_a_repeated_time(chromium, live_server, fold):  # noqa: F811
    base, engine = live_server
    local = _twice_ahead()
    post_id = _proposed(engine, local, fold, approve=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        page.goto(f"{base}/posts/{post_id}")
        form = page.locator("form.action-schedule")
        assert form.locator("input[name=local_time]").input_value() == local.strftime("%Y-%m-%dT%H:%M")
        assert form.locator(f"input[name=fold][value='{fold}']").is_checked()
        page.screenshot(path=str(SHOTS / f"proposal-fold-schedule-{fold}.png"), full_page=True)
        with page.expect_navigation():
            form.locator("button", has_text="Schedule").first.click()
        assert _scheduled_at(engine, post_id) == local.replace(tzinfo=PARIS, fold=fold).astimezone(UTC)
    finally:
        context.close()


@ONE_BACKEND
def test_approve_and_schedule_at_the_prefilled_time_carries_the_choice(chromium, live_server):  # noqa: F811
    base, engine = live_server
    local = _twice_ahead()
    post_id = _proposed(engine, local, 1, approve=False)
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        page.goto(f"{base}/posts/{post_id}")
        at = page.locator("fieldset.approve-at")
        assert at.locator("input[name=local_time]").input_value() == local.strftime("%Y-%m-%dT%H:%M")
        assert at.locator("input[name=fold][value='1']").is_checked()
        page.screenshot(path=str(SHOTS / "proposal-fold-approve-at.png"), full_page=True)
        with page.expect_navigation():
            at.locator("button.action-approve-at").click()
        assert _scheduled_at(engine, post_id) == local.replace(tzinfo=PARIS, fold=1).astimezone(UTC)
    finally:
        context.close()


@ONE_BACKEND
@pytest.mark.parametrize("locale", ["en", "fr"])
def test_a_repeated_time_typed_is_asked_in_words_each_choice_on_one_line(chromium, live_server, locale):  # noqa: F811
    base, engine = live_server
    local = _twice_ahead()
    post_id = _proposed(engine, local + timedelta(days=1), 0, approve=False)  # its proposal happens once
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "camille@helio.example")
        if locale == "fr":
            with page.expect_navigation():
                page.locator(".languages button", has_text="FR").click()
        page.goto(f"{base}/posts/{post_id}/edit")
        page.locator("input[name=proposed_time]").fill(local.strftime("%Y-%m-%dT%H:%M"))
        with page.expect_navigation():
            page.locator("button[name=save]").click()
        asked = page.locator("fieldset.fold-choice")
        text = asked.inner_text()
        page.screenshot(path=str(SHOTS / f"proposal-fold-asked-{locale}.png"), full_page=True)
        assert "fold" not in text, text
        if locale == "en":  # the French words come with the catalogue (a .po file, its translators')
            assert "Choose which of the two times you mean." in text, text
        for label in asked.locator("label").all():
            box = label.bounding_box()
            line = float(label.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20"))
            assert box["height"] < 1.8 * line, (label.inner_text(), box)
    finally:
        context.close()
