"""The Content-Security-Policy in a real Chromium: the pages, the editor's live check and the API documentation
(Swagger UI, started from a static file) work under it, and the browser reports no violation."""

from __future__ import annotations

import pytest

from test_browser import PASSWORD, chromium, live_server  # noqa: F401 - the fixtures of the journey

pytestmark = pytest.mark.browser

_WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def test_pages_the_editor_and_the_api_documentation_run_under_the_policy(chromium, live_server):  # noqa: F811
    base, _engine = live_server
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.add_init_script(_WATCH)
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(base + "/login")
    page.fill("input[name=email]", "camille@helio.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.get_by_role("button", name="Log out").wait_for()  # signed in
    page.wait_for_load_state()  # and the whole page is there
    violations = page.evaluate("window.__violations")

    page.goto(base + "/posts/new")
    with page.expect_response(lambda response: response.url.endswith("/posts/check")):
        page.fill("textarea[name=body]", "la Tour Eiffel brille ce soir")
    violations += page.evaluate("window.__violations")

    page.goto(base + "/api/v1/docs")
    page.wait_for_selector("#swagger-ui-container .information-container", timeout=15000)
    assert "approval" in page.inner_text("#swagger-ui-container .information-container")
    violations += page.evaluate("window.__violations")
    context.close()

    assert violations == [], violations
    assert not [text for text in console if "Content Security Policy" in text], console
