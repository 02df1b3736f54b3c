"""The Social Hub wall in a real headless Chromium at 1920x1080, served by `approval run` in its own process.

A kiosk screen opens the wall; a post written and submitted through the API appears within 5 seconds without a
reload; the wall fits the screen without scrolling; the server going away shows "connection lost, retrying" and its
return brings the wall back; a revoked link blanks the wall within 5 seconds; the kiosk token opens no other page.
Screenshots land in test-artifacts/browser/hub-<backend>/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from approval import kiosks
from approval.db import make_engine

from conftest import ONE_BACKEND
from hub_live import LiveWall, seed, write_and_submit
from test_browser import ARTIFACTS, chromium  # noqa: F401 - the shared Chromium fixture

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`approval run` in a subprocess, which the test can stop and start again on the same port; ``worker=False``:
    the application under gunicorn, as in production, with no publishing worker (`approval run` starts one, which
    publishes a post due before a screen can show it overdue)."""

    def __init__(self, url: str, instance: Path, *, worker: bool = True) -> None:
        self.worker = worker
        self.port = _free_port()
        self.env = {**os.environ, "APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(instance),
                    "APPROVAL_SECRET_KEY": "hub-browser-test"}
        self.process: subprocess.Popen | None = None
        self.log = (instance.parent / "server.log").open("ab")

    def start(self) -> None:
        # --preload: the application (and its language models) loaded before the port opens, which start() waits for.
        command = ["-m", "approval.cli", "run", "--port", str(self.port)] if self.worker else [
            "-m", "gunicorn", "--preload", "--bind", f"127.0.0.1:{self.port}", "--worker-class", "gthread",
            "--threads", "16", "--graceful-timeout", "2", "approval.wsgi:app"]
        self.process = subprocess.Popen([sys.executable, *command], env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("approval run did not start: " + (self.log.name and Path(self.log.name).read_text()[-2000:]))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


def test_the_wall_on_a_kiosk_screen_updates_live_survives_a_restart_and_stops_when_revoked(
        chromium, databases, backend, tmp_path):  # noqa: F811
    url = databases.migrated_url(backend)
    kiosk_path, kiosk_token, pm_token, cm_token, account_id = seed(url)
    server = Server(url, tmp_path / "instance")
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    live = LiveWall(base, server.port, None, None, kiosk_path, kiosk_token, pm_token, cm_token, account_id)
    folder = ARTIFACTS / f"hub-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    # A screen in a room in India: the wall's own times in its zone, the markets' clocks in theirs.
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB",
                                   timezone_id="Asia/Kolkata")
    page = context.new_page()
    try:
        write_and_submit(live, "Le coup d'envoi est donné dans une heure au Stade de France.")
        page.goto(base + kiosk_path)
        page.wait_for_selector("#wall .wall-head")
        assert "Le coup d'envoi est donné" in page.inner_text("#wall")
        fits = page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight "
                             "&& document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, "the wall scrolls at 1920x1080"
        page.screenshot(path=str(folder / "01-wall.png"))

        # A change made elsewhere (the API) shows within 5 seconds, without a reload.
        page.evaluate("() => { window.__sameDocument = true; }")
        write_and_submit(live, "Les billets pour la finale sont en vente dès demain matin.")
        page.wait_for_function("() => document.getElementById('wall').innerText.includes('Les billets pour la finale')",
                               timeout=5000)
        assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded"
        # A screen reader hears what changed, politely, not the whole wall again; the connection's banner is an alert.
        queued = page.inner_text(".panel.queue h2 .count")
        page.wait_for_function("() => document.getElementById('wall-news').textContent.includes('Awaiting review')",
                               timeout=5000)
        assert page.text_content("#wall-news") == f"Awaiting review: {queued}"
        assert page.get_attribute("#wall-news", "aria-live") == "polite"
        assert page.get_attribute("#connection", "role") == "alert"
        assert page.get_attribute("#connection", "aria-live") is None
        page.screenshot(path=str(folder / "02-wall-updated.png"))
        updated = page.locator(".wall-head .updated time")
        at = datetime.fromisoformat(updated.get_attribute("datetime"))
        # The screen's own time, its zone named: beside the markets' clocks it read as one of theirs. By its offset,
        # as the wall writes a market's ("CET" there and "GMT+1" here named one zone two ways).
        assert updated.inner_text() == at.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%H:%M UTC+5:30")

        # The server goes away: the screen says so; it comes back: so does the wall.
        server.stop()
        page.wait_for_selector("#connection:not([hidden])", timeout=10000)
        assert "Connection lost" in page.inner_text("#connection")
        page.screenshot(path=str(folder / "03-connection-lost.png"))
        server.start()
        page.wait_for_selector("#connection", state="hidden", timeout=20000)

        # Revoked: the wall goes dark within 5 seconds, and the link opens nothing any more.
        engine = make_engine(url)
        with Session(engine) as session:
            kiosks.revoke_kiosk(session, kiosk_token)
            session.commit()
        engine.dispose()
        page.wait_for_selector("#connection.revoked:not([hidden])", timeout=5000)
        assert "Le coup d'envoi" not in page.inner_text("body")
        page.screenshot(path=str(folder / "04-revoked.png"))

        other = context.new_page()
        for path in (kiosk_path, f"/posts?token={kiosk_token}", f"/hub?token={kiosk_token}"):
            assert other.goto(base + path).status == 404, path
    finally:
        context.close()
        server.stop()


def test_a_kiosk_token_opens_no_other_page(chromium, databases, backend, tmp_path):  # noqa: F811
    url = databases.migrated_url(backend)
    kiosk_path, kiosk_token, *_rest = seed(url)
    server = Server(url, tmp_path / "instance")
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    context = chromium.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        assert page.goto(base + kiosk_path).status == 200
        for path in ("/posts", "/review", "/calendar", "/hub/dashboard", "/admin", "/profile"):
            response = page.goto(f"{base}{path}?token={kiosk_token}")
            assert response.status == 404, path
        # The wall gave the browser no session: a plain page asks it to log in.
        page.goto(base + "/posts")
        assert page.url.startswith(base + "/login")
    finally:
        context.close()
        server.stop()


#: What a screen reads of the wall's layout: the document's overflow, each panel's box, each reason of "Needs
#: attention" cut or not, the market clocks' times, and the counts' column headings of both tables as shown.
_LAYOUT = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left,
                                                                   right: r.right, width: r.width}; };
  const shown = e => e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden';
  return {
    scrollWidth: document.documentElement.scrollWidth, scrollHeight: document.documentElement.scrollHeight,
    width: innerWidth, height: innerHeight,
    panels: Array.from(document.querySelectorAll('#wall .panel')).map(p => ({name: p.className, shown: shown(p),
                                                                           box: box(p),
                                                                           cut: p.scrollWidth > p.clientWidth + 1})),
    reasons: Array.from(document.querySelectorAll('#wall .panel.problems li:not([hidden]):not(.brief) .cause'))
      .map(c => ({text: c.textContent.trim(), cut: c.scrollWidth > c.clientWidth + 1})),
    clocks: Array.from(document.querySelectorAll('#wall .clocks li:not(.more):not([hidden])')).map(li => {
      const time = li.querySelector('time'); const list = li.parentNode.getBoundingClientRect();
      const t = time.getBoundingClientRect();
      return {text: li.innerText.trim(), inside: t.width > 0 && t.right <= list.right + 1 && t.left >= list.left - 1};
    }),
    headings: Array.from(document.querySelectorAll('#wall .counts thead')).map(head =>
      Array.from(head.querySelectorAll('th.st')).map(th => {
        const seen = Array.from(th.childNodes)
          .filter(n => n.nodeType === 3 || !n.classList.contains('visually-hidden'));
        return seen.map(n => n.textContent).join('').replace(/\\u00ad/g, '').trim();
      })),
  };
}"""


@ONE_BACKEND
def test_the_demo_wall_fits_a_laptop_a_big_screen_and_a_phone_in_english_and_french(
        chromium, databases, backend, tmp_path):  # noqa: F811
    """The prober's walk on the demo data: "Needs attention" cut its reasons ("failed Reconnect the…"); at 1366x900
    the week's style findings were off the screen; on a phone the market clocks read "K F P" with no times; the two
    tables headed one state "à modifier" and "modifications demandées"."""
    url = databases.new_url(backend)
    env = {**os.environ, "APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance"),
           "APPROVAL_SECRET_KEY": "hub-browser-test"}
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run([sys.executable, "-m", "approval.cli", *command], env=env, check=True, capture_output=True)
    server = Server(url, tmp_path / "instance", worker=False)
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    folder = ARTIFACTS / f"hub-layout-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for language in ("en-GB", "fr-FR"):
            for width, height in ((1366, 900), (1920, 1080), (390, 844)):
                context = chromium.new_context(viewport={"width": width, "height": height}, locale=language)
                page = context.new_page()
                page.goto(base + "/login")
                page.fill("#email", "marc@helio.example")
                page.fill("#password", "approval-demo")
                page.click("form:has(#password) button[type=submit]")
                page.wait_for_load_state()
                page.goto(base + "/hub")
                page.wait_for_selector("#wall .wall-head")
                page.wait_for_timeout(300)  # the script has fitted the lists
                page.screenshot(path=str(folder / f"{language}-{width}x{height}.png"))
                seen = page.evaluate(_LAYOUT)
                where = f"{language} {width}x{height}"
                assert seen["scrollWidth"] <= seen["width"], where
                assert seen["reasons"] and not [r for r in seen["reasons"] if r["cut"]], (where, seen["reasons"])
                assert len(seen["clocks"]) == 3 and all(c["inside"] for c in seen["clocks"]), (where, seen["clocks"])
                assert all(re.search(r"\d\d:\d\d", c["text"]) for c in seen["clocks"]), (where, seen["clocks"])
                if width > 700:  # a wall: no scrolling, every panel on the screen (the findings' where the counts
                    # leave them room: the demo's three markets do at 1366x900)
                    assert seen["scrollHeight"] <= seen["height"], where
                    names = [p["name"] for p in seen["panels"] if p["shown"]]
                    assert width != 1366 or any("findings" in name for name in names), (where, names)
                    for panel in seen["panels"]:
                        if panel["shown"]:
                            assert panel["box"]["bottom"] <= seen["height"] + 1, (where, panel)
                            assert panel["box"]["right"] <= seen["width"] + 1, (where, panel)
                            assert not panel["cut"], (where, panel)  # nothing cut at its right edge
                else:  # a phone shows both tables' headings: the same words for the same state
                    markets, networks = seen["headings"]
                    assert markets == networks, (where, seen["headings"])
                    # Read in the hand: a phone's own text size, nothing under 13 px (a count's badge, a zone's
                    # name, the week's findings, "+3 more" and the way back read 9 to 11 px).
                    sizes = page.evaluate(_TEXT_SIZES)
                    assert sizes["root"] >= 16, (where, sizes)
                    assert sizes["smallest"][0] >= 13, (where, sizes)
                    page.screenshot(path=str(folder / f"{language}-{width}x{height}-whole.png"), full_page=True)
                context.close()
    finally:
        server.stop()


#: The wall's root text size, and its smallest text shown (size, class, the words), screen readers' text apart.
_TEXT_SIZES = """() => {
  const seen = [];
  const walker = document.createTreeWalker(document.getElementById('wall'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const element = walker.currentNode.parentElement;
    if (!text || !element || element.closest('.visually-hidden') || element.offsetParent === null) continue;
    seen.push([parseFloat(getComputedStyle(element).fontSize), String(element.className), text.slice(0, 40)]);
  }
  seen.sort((a, b) => a[0] - b[0]);
  return {root: parseFloat(getComputedStyle(document.documentElement).fontSize), smallest: seen[0]};
}"""
