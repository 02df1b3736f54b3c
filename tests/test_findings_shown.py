"""The style gate's findings as people read them: the words a finding is about in the quotation marks of the page's
language (« » in French, “ ” in English: every page quoted the French way), and the rule's id (``house.capital-
start``) only for the admins who write the policy; to a community manager it is jargon."""

from __future__ import annotations

import re

from approval.workflow.states import Role, State

LOWER = "la Tour Eiffel brille ce soir."


def _finding(page: str, rule: str) -> str:
    start = page.index(f'data-rule="{rule}"')
    return page[start:page.index("</li>", start)]


def test_a_writer_reads_the_finding_quoted_in_their_language_without_the_rule_id(make, web):
    writer = make.user(Role.community_manager)
    post = make.post(State.draft, author=writer, account=make.account(writer.markets[0]), body=LOWER)
    web.login(writer)
    finding = _finding(web.get(f"/posts/{post.id}").get_data(as_text=True), "house.capital-start")
    assert "“la Tour Eiffel brille ce" in finding and "«" not in finding
    assert "<code>" not in finding
    web.post("/language", {"language": "fr", "next": "/"})
    finding = _finding(web.get(f"/posts/{post.id}").get_data(as_text=True), "house.capital-start")
    assert re.search("«\u00a0la Tour Eiffel brille ce.*\u00a0»", finding) and "“" not in finding


def test_the_editor_quotes_it_and_tells_the_rule_only_to_an_admin(make, web):
    writer = make.user(Role.community_manager)
    account = make.account(writer.markets[0])
    post = make.post(State.draft, author=writer, account=account, body=LOWER)
    web.login(writer)
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert 'data-quote="“%s”"' in page and "data-rules" not in page  # for the list static/editor.js draws
    finding = _finding(page, "house.capital-start")  # the saved text's findings, drawn before the script runs
    assert "“la Tour Eiffel" in finding and "<code>" not in finding
    admin = make.user(Role.admin)
    web.login(admin)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "<code>house.capital-start</code>" in _finding(page, "house.capital-start")
