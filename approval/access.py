"""Who sees what: the one place that scopes markets, accounts and posts to a user.

Community and project managers see the accounts of their markets (or all, when group-wide); a cabinet member sees
the executive accounts of the executives they serve, and their posts once a project manager first sent them to the
cabinet; admins see everything. Views and the API load objects only through these queries, so an object outside them
is a 404.

Of such a post, a cabinet reads only the revisions a project manager sent it (``revision_clause``): what the writers
save once the post is back with them (sent back, changed, in review again) is their drafting table until a project
manager sends it again. ``read_by`` gives the posts of a list or an answer as their reader reads them; its trail
and its discussion still tell it what the writers did and said meanwhile, without naming their drafts (``Unnamed``).

A user's scope is one of three shapes (``Scope``). The clauses take the shape and the user's id, which is either the
id itself or ``viewer_id()``, a placeholder bound when the statement runs: a statement a request runs on every call
(``operations.load_post``) is then built once per shape instead of once per request, since building and keying a
statement costs more than running it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import BindParameter, Integer, Select, SQLColumnExpression, bindparam, false, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from approval.models import Account, AuditEntry, Comment, Market, Post, Revision, User
from approval.models.users import cabinet_members, user_markets
from approval.workflow.states import Action, Role, State

#: What a cabinet never sees: a post before it was first sent to the cabinet (``Post.sent_to_cabinet_at``), its
#: review or its rejection by the project managers; nor one recalled to a draft since. A suggestion withdrawn after
#: its sending stays in its sight, withdrawn: it had it in hand (the text it reads is still the last one it was sent).
HIDDEN_FROM_CABINET = (State.draft,)
#: The states in which a post the cabinet was sent is back with its writers: they change it, or the project managers
#: review it again. Its pages tell a cabinet so, rather than the state's own word.
WITH_THE_WRITERS = frozenset({State.draft, State.in_review, State.changes_requested})
#: The name of the user's id in a statement built with ``viewer_id()``.
VIEWER_ID = "viewer_id"


class Scope(enum.Enum):
    everything = "everything"  # admins and group-wide managers
    markets = "markets"  # managers of some markets
    cabinet = "cabinet"  # the executives a cabinet member serves


def scope_of(user: User) -> Scope:
    if user.role == Role.cabinet:
        return Scope.cabinet
    return Scope.everything if user.group_wide else Scope.markets


def viewer_id() -> BindParameter[int]:
    """The user's id, bound when the statement runs (``{VIEWER_ID: user.id}``); a statement run without it fails."""
    return bindparam(VIEWER_ID, type_=Integer, required=True)


Viewer = int | BindParameter[int]


def scoped_accounts(scope: Scope, viewer: Viewer) -> ColumnElement[bool]:
    if scope is Scope.cabinet:
        served = select(cabinet_members.c.executive_id).where(cabinet_members.c.user_id == viewer)
        return Account.executive_id.in_(served)
    if scope is Scope.everything:
        return true()
    return Account.market_id.in_(select(user_markets.c.market_id).where(user_markets.c.user_id == viewer))


def scoped_posts(scope: Scope, viewer: Viewer) -> ColumnElement[bool]:
    clause: ColumnElement[bool] = Post.account_id.in_(select(Account.id).where(scoped_accounts(scope, viewer)))
    if scope is Scope.cabinet:
        clause = clause & Post.sent_to_cabinet_at.is_not(None) & Post.state.not_in(HIDDEN_FROM_CABINET)
    return clause


def sent_to_cabinet() -> ColumnElement[bool]:
    """The trail's rows that sent a revision to the cabinet: a project manager's ``approve`` into ``with_cabinet``,
    which names the revision approved."""
    return (AuditEntry.action == Action.approve) & (AuditEntry.to_state == State.with_cabinet) \
        & AuditEntry.revision_id.is_not(None)


def revision_clause(user: User) -> ColumnElement[bool]:
    """The revisions ``user`` reads of a post they see: a cabinet, those a project manager sent it (the trail's
    sendings name them), their texts and their files. The drafts before the first sending, and whatever the writers
    save once the post is back with them, stay between the writers and the project managers until a project
    manager sends a revision again. Everyone else reads every revision.

    The trail names the revisions, not the clocks: two web processes' clocks may differ, and a revision written on
    the one running behind read as written after its own sending."""
    if user.role != Role.cabinet:
        return true()
    sent = (select(AuditEntry.revision_id).where(AuditEntry.post_id == Revision.post_id, sent_to_cabinet())
            .correlate(Revision))
    return Revision.id.in_(sent)


def account_clause(user: User) -> ColumnElement[bool]:
    return scoped_accounts(scope_of(user), user.id)


def post_clause(user: User) -> ColumnElement[bool]:
    return scoped_posts(scope_of(user), user.id)


def market_clause(user: User) -> ColumnElement[bool]:
    if user.group_wide:  # a cabinet member with every market sees them all listed, not only their executives'
        return true()
    if user.role == Role.cabinet:
        return Market.id.in_(select(Account.market_id).where(account_clause(user)))
    mine = select(user_markets.c.market_id).where(user_markets.c.user_id == user.id)
    return Market.id.in_(mine) if user.markets or user.id else false()


def visible_posts(user: User) -> Select[Post]:
    return select(Post).join(Post.account).where(post_clause(user))


def visible_accounts(user: User) -> Select[Account]:
    return select(Account).where(account_clause(user)).order_by(Account.network, Account.handle)


def visible_markets(user: User) -> Select[Market]:
    return select(Market).where(market_clause(user)).order_by(Market.code)


def can_see_account(user: User, account: Account) -> bool:
    if user.role == Role.cabinet:
        return account.executive is not None and user in account.executive.cabinet
    return user.group_wide or account.market_id in user.market_ids()


class PostLike(Protocol):
    """What the visibility and transition checks read of a post: a ``Post``, or the calendar's ``PostRow``."""

    @property
    def state(self) -> State: ...

    @property
    def account(self) -> Account: ...

    @property
    def sent_to_cabinet_at(self) -> datetime | None: ...


def can_see_post(user: User, post: PostLike) -> bool:
    if user.role == Role.cabinet and (post.state in HIDDEN_FROM_CABINET or post.sent_to_cabinet_at is None):
        return False
    return can_see_account(user, post.account)


# What a reader reads of a post -------------------------------------------------------------------------------


def last_sent_revisions(session: Session, post_ids: Iterable[int]) -> dict[int, Revision]:
    """Per post, the last revision a project manager sent to the cabinet (posts never sent are left out)."""
    ids = set(post_ids)
    if not ids:
        return {}
    last: dict[int, Revision] = {}
    for revision in session.scalars(
            select(Revision).join(AuditEntry, AuditEntry.revision_id == Revision.id)
            .where(AuditEntry.post_id.in_(ids), sent_to_cabinet()).order_by(Revision.number)):
        last[revision.post_id] = revision
    return last


@dataclass(frozen=True)
class AsSent:
    """A post as its cabinet reads it while its writers have it back (``WITH_THE_WRITERS``, or ended there): its
    text, pictures and findings are those of the last revision a project manager sent the cabinet, not the ones
    saved since; everything else is the post's own. Read-only: nothing writes through it."""

    post: Post
    current_revision: Revision

    @property
    def current_revision_id(self) -> int:
        return self.current_revision.id

    @property
    def body(self) -> str:
        return self.current_revision.body

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - the post's own attributes, whatever their type
        if name.startswith("__"):  # copy, pickle and the like ask before ``post`` is set
            raise AttributeError(name)
        return getattr(self.post, name)


def read_by(session: Session, user: User, posts: Sequence[Post]) -> list[Post | AsSent]:
    """``posts`` as ``user`` reads them: for a cabinet, each post whose current revision it was not sent shows the
    last one it was (``AsSent``); for everyone else, and for a post whose text is the one sent, the post itself."""
    if user.role != Role.cabinet:
        return list(posts)
    sent = last_sent_revisions(session, [post.id for post in posts])
    return [AsSent(post, sent[post.id]) if post.id in sent and sent[post.id].id != post.current_revision_id
            else post for post in posts]


#: What names a revision of a post: a row of its trail, a comment of its discussion.
Naming = TypeVar("Naming", AuditEntry, Comment)
#: What an audit row's record says of the text of the revision it names: its findings (their terms, their
#: offsets), the sensitive terms acknowledged, the digest a worker claimed.
ABOUT_THE_TEXT = frozenset({"findings", "overrides", "sha256"})


@dataclass(frozen=True)
class Unnamed(Generic[Naming]):
    """A row of a post's trail, or a comment of its discussion, as read by someone who does not read the revision
    it names (``revision_clause``: a cabinet, of its writers' drafts): what happened, who, when and what they said,
    but not which revision, neither its number nor its SHA-256 (a cabinet gets a 404 on it), nor what the row's
    record says of its text. The row stays: the cabinet's page tells it that the writers changed the suggestion
    and who (2d4a15f); only the revision is theirs. Read-only: nothing writes through it."""

    named: Naming
    revision: None = None
    revision_id: None = None

    @property
    def payload(self) -> dict[str, Any] | None:
        """The row's record without what it says of the text (``ABOUT_THE_TEXT``); a comment has none."""
        payload = getattr(self.named, "payload", None)
        return {key: value for key, value in payload.items() if key not in ABOUT_THE_TEXT} \
            if payload is not None else None

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - the row's own attributes, whatever their type
        if name.startswith("__"):  # copy, pickle and the like ask before ``named`` is set
            raise AttributeError(name)
        return getattr(self.named, name)


#: A row of a post's trail, a comment of its discussion, as their reader reads them (``named_as_read``).
TrailRow = AuditEntry | Unnamed[AuditEntry]
CommentRow = Comment | Unnamed[Comment]


def named_as_read(rows: Iterable[tuple[Naming, bool]]) -> list[Naming | Unnamed[Naming]]:
    """Rows with whether their reader reads the revision each names (``revision_clause``, asked in the same
    query): each as it is, or ``Unnamed`` where it names a revision its reader does not read."""
    return [row if readable else Unnamed(row) for row, readable in rows]


def reads_revision(user: User, post_id: int, revision_id: SQLColumnExpression[int | None]) -> ColumnElement[bool]:
    """A clause on a row of post ``post_id`` naming a revision by ``revision_id`` (a column of the row's table):
    true when the row names none, or one ``user`` reads (``revision_clause``)."""
    read = select(Revision.id).where(Revision.post_id == post_id, revision_clause(user))
    return revision_id.is_(None) | revision_id.in_(read)


def revision_read_by(session: Session, post: Post, user: User) -> Revision | None:
    """The revision ``user`` reads as ``post``'s text (``read_by``): its current one, or for a cabinet the last one
    it was sent. For the notices and mails that quote a post to its reader."""
    return read_by(session, user, [post])[0].current_revision
