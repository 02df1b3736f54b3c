"""A comment's web addresses are links (the product walk: a reviewer's "see https://…" had to be copied by hand, where
Planable's and Hootsuite's comments link them), and the rest of its text is still text: markup is shown, never run;
only http, https and www addresses are linked (never a ``javascript:`` one)."""

from __future__ import annotations

import re

from approval.workflow.states import Role, State


def test_a_comments_addresses_are_links_and_its_markup_stays_text(make, web, db_session):
    market = make.market("FR")
    author = make.user(Role.community_manager, markets=[market])
    post = make.post(State.in_review, account=make.account(market), author=author)
    web.login(make.user(Role.project_manager, markets=[market]))
    body = ("Voir https://helio.example/brief?id=7&lang=fr et www.helio.example. <script>alert(1)</script> "
            "<a href=\"https://evil.example\">ici</a> javascript:alert(2)")
    assert web.post(f"/posts/{post.id}/comments", {"body": body}).status_code == 302
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    comment = re.search(r'<div class="comment".*?</div>', page, re.S).group()
    links = re.findall(r'<a href="([^"]*)" rel="([^"]*)"', comment)
    assert ("https://helio.example/brief?id=7&amp;lang=fr", "nofollow noopener noreferrer") in links
    assert ("https://www.helio.example", "nofollow noopener noreferrer") in links
    assert len(links) == 2  # nothing else became a link: not the markup's, not javascript:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in comment and "<script>" not in comment
    assert "&lt;a href=" in comment
