"""What the post sets' tests share: the markets and the writer a set is written by, the sets themselves (drafts,
submitted, one holding a sensitive term, one across Paris and New York), and reading the set's page as a browser
would (its text, the members' versions its forms send back).

A test module takes the fixtures by naming them (``france, writer = set_helpers.france, set_helpers.writer``):
pytest finds a fixture by its name in the module, and an assignment, unlike an import, is no name a test's argument
redefines for the linter."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.models import Post, PostSet
from approval.workflow.states import Action, Role

PARIS, LONDON, NEW_YORK = ZoneInfo("Europe/Paris"), ZoneInfo("Europe/London"), ZoneInfo("America/New_York")

#: A term the French policy flags (``sensitive_set``) and a text that holds it.
STRIKE = {"phrase": "grève", "reason": "A labour dispute is under way: the press office checks every mention."}
ON_STRIKE = "Malgré la grève, nos boutiques restent ouvertes samedi."


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


@pytest.fixture()
def britain(make):  # noqa: ANN001, ANN201
    return make.market("GB", timezone="Europe/London", languages=("en",))


@pytest.fixture()
def writer(make, france, britain):  # noqa: ANN001, ANN201
    return make.user(Role.community_manager, markets=[france, britain], name="Camille Dubois")


def text_of(response) -> str:  # noqa: ANN001
    """A page as it reads: its tags dropped, its spaces folded, its entities decoded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def versions_of(page: str) -> dict[str, str]:
    """The members' versions a bulk form of the set's page sends back (``version-<id>``)."""
    return dict(re.findall(r'name="(version-\d+)" value="(\d+)"', page))


def members_of(db_session, set_id: int) -> list[Post]:  # noqa: ANN001
    """The set's posts as the database holds them now."""
    db_session.expire_all()
    return list(db_session.scalars(select(Post).where(Post.set_id == set_id).order_by(Post.id)))


def local_ahead(zone: ZoneInfo, days: int = 10, hour: int = 20) -> datetime:
    """A wall-clock time ``days`` ahead in ``zone``, on the hour, as a form's ``datetime-local`` holds it."""
    return (utcnow().astimezone(zone) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0,
                                                                     tzinfo=None)


def submitted_set(make, db_session, accounts, author, *, authors=None, proposed=None):  # noqa: ANN001, ANN202
    """A set made through the operations, each member submitted (``authors``: who writes each, by index, else
    ``author``)."""
    post_set = ops.create_post_set(db_session, author, len(accounts))
    posts = []
    for index, account in enumerate(accounts):
        by = (authors or {}).get(index, author)
        post = ops.create_post(db_session, by, account, "Le stade brille ce soir.", post_set=post_set,
                               proposed_at=proposed)
        make.act(post, Action.submit, by)
        posts.append(post)
    db_session.flush()
    return post_set, posts


def draft_set(db_session, writer, accounts, body: str = "Le stade brille ce soir."):  # noqa: ANN001, ANN202
    """A set of drafts, none submitted."""
    post_set = ops.create_post_set(db_session, writer, len(accounts))
    posts = [ops.create_post(db_session, writer, account, body, post_set=post_set) for account in accounts]
    db_session.flush()
    return post_set, posts


def paris_and_new_york(make, db_session, france, writer):  # noqa: ANN001, ANN202
    """A set submitted for a Paris and a New York account, and a project manager of both markets."""
    united_states = make.market("US", timezone="America/New_York", languages=("en",))
    writer.markets.append(united_states)
    accounts = [make.account(france, "facebook"), make.account(united_states, "facebook")]
    post_set, posts = submitted_set(make, db_session, accounts, writer)
    reviewer = make.user(Role.project_manager, markets=[france, united_states])
    return post_set, posts, reviewer


def sensitive_set(make, db_session, france, britain, writer) -> tuple[PostSet, list[Post]]:  # noqa: ANN001
    """One message for a French and a British account, submitted: the French policy lists "grève" as sensitive, the
    British one does not."""
    from approval import policies

    policies.save_policy(db_session, france, None, sensitive=[STRIKE])
    paris, london = make.account(france, "facebook"), make.account(britain, "facebook")
    post_set = ops.create_post_set(db_session, writer, 2)
    posts = [ops.create_post(db_session, writer, account, ON_STRIKE, post_set=post_set) for account in (paris, london)]
    for post in posts:
        make.act(post, Action.submit, writer)
    db_session.flush()
    return post_set, posts
