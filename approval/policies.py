"""Markets' editorial policies in the database, and the one place that builds the style gate's context.

``approval.style`` is pure: text + context -> findings. This module gives it what only the database knows: the
market's current policy version (rule settings, forbidden and sensitive terms, capital exceptions, strict full stop,
disclosure markers) and the post's campaign (its hashtag, whether it is a partnership). Everything that checks a text
for a post (the editor's live check, a new revision, the workflow's guards, the post page, ``approval lint --market``)
goes through ``style_context`` or ``check_body``, so they cannot disagree; each check carries the label of the
version it applied (``FR-v3``), which the audit rows keep.

Saving a policy writes its next version (``save_policy``, or ``save_and_check_policy`` which also returns the
posts it refuses); older versions are never changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from cachetools import TTLCache
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, selectinload

from approval import style
from approval.models import Account, Campaign, Market, PolicyVersion, Post, Revision, User
from approval.models.media import revision_sha256
from approval.models.policy import version_label
from approval.notifications import dispatch, texts
from approval.style.findings import SETTINGS
from approval.style.policy import SENSITIVE
from approval.workflow.states import APPROVAL_HOLDING_STATES, State

if TYPE_CHECKING:
    from typing import Unpack

    from approval.style import Context, Finding

log = logging.getLogger(__name__)

#: The number of the defaults: a market that never saved a policy checks against ``FR-v0``.
DEFAULTS_NUMBER = 0


class PolicyConflict(Exception):
    """Someone saved the policy since the admin opened it: saving over it would undo their change unseen."""

    def __init__(self, current: PolicyVersion | None) -> None:
        super().__init__(current.label if current else "defaults")
        self.current = current


# Reading -------------------------------------------------------------------------------------------------------


def current_policy(session: Session, market: Market) -> PolicyVersion | None:
    """The market's policy in force (its latest version), or None (the defaults). ``operations.load_post`` loads it
    with the post, so the gate asks the database nothing more."""
    return market.policy_in_force


def policy_history(session: Session, market: Market) -> list[PolicyVersion]:
    """Every version of the market's policy, newest first."""
    return list(session.scalars(
        select(PolicyVersion).where(PolicyVersion.market_id == market.id)
        .options(selectinload(PolicyVersion.created_by)).order_by(PolicyVersion.number.desc())
    ))


def current_label(session: Session, market: Market) -> str:
    version = current_policy(session, market)
    return version.label if version else version_label(market.code, DEFAULTS_NUMBER)


# Contexts ------------------------------------------------------------------------------------------------------


class _InForce:
    """The policy version in force, whichever it is (``_applied``'s default)."""


IN_FORCE = _InForce()


@dataclass(frozen=True)
class _Applied:
    """A context and the id of the policy version it applies (None: the defaults)."""

    context: Context
    version_id: int | None


def _policy_of(market: Market, version: PolicyVersion | None) -> tuple[style.Policy, dict[str, str]]:
    if version is None:
        return style.Policy(version=version_label(market.code, DEFAULTS_NUMBER)), {}
    return style.Policy.from_dict(version.policy_data()), dict(version.rules or {})


def _applied(session: Session, account: Account, campaign: Campaign | None,
             version: PolicyVersion | None | _InForce = IN_FORCE) -> _Applied:
    """The context under ``version`` (None: the defaults); by default, the market's policy in force."""
    if isinstance(version, _InForce):
        version = current_policy(session, account.market)
    policy, rules = _policy_of(account.market, version)
    return _Applied(style.context_for(account, campaign=campaign, policy=policy, rules=rules),
                    version.id if version else None)


def style_context(session: Session, account: Account, campaign: Campaign | None = None) -> Context:
    """What a text for ``account`` (and ``campaign``) is checked against: the network, the market's languages, its
    current policy and rule settings, the campaign's hashtag and disclosure."""
    return _applied(session, account, campaign).context


def market_context(session: Session, market: Market, *, network: str | None = None,
                   languages: Iterable[str] = ()) -> Context:
    """The context of a text for ``market`` without an account (``approval lint --market``, the API's lint):
    ``languages`` default to the market's."""
    policy, rules = _policy_of(market, current_policy(session, market))
    return style.Context(network=network, market=market.code,
                         languages=tuple(languages) or tuple(market.languages or ()),
                         rules=rules, policy=policy)


def load_market_context(code: str) -> Context | None:
    """``approval lint --market CODE``'s loader (``approval.style.cli.market_policy_loader``): the market's context
    from the application's database, None when there is no such market. Opens the application when the command runs
    outside one."""
    from flask import has_app_context

    from approval.db import db

    def load() -> Context | None:
        market = db.session.scalar(select(Market).where(Market.code == code.upper()))
        return market_context(db.session, market) if market is not None else None

    if has_app_context():
        return load()
    from approval import create_app

    with create_app().app_context():
        return load()


# Checking ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateResult:
    """What the gate said about one text, and against which policy."""

    findings: tuple[Finding, ...]
    #: ``FR-v3`` (``FR-v0``: the defaults).
    policy_version: str
    policy_version_id: int | None
    campaign: Campaign | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == style.Severity.error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == style.Severity.warning]

    @property
    def sensitive(self) -> list[Finding]:
        """The sensitive-term warnings: the approving project manager must acknowledge them."""
        return [f for f in self.warnings if f.rule == SENSITIVE]

    @property
    def passes(self) -> bool:
        return not self.errors

    def record(self) -> dict[str, Any]:
        """What an audit row keeps of the check: the policy version, the campaign it read, the findings."""
        data: dict[str, Any] = {
            "policy_version": self.policy_version,
            "policy_version_id": self.policy_version_id,
            "findings": [f.as_dict(translatable=True) for f in self.findings],
        }
        if self.campaign is not None:
            data["campaign"] = {"id": self.campaign.id, "hashtag": self.campaign.hashtag or None,
                                "disclosure_required": self.campaign.disclosure_required}
        return data


def check_body(session: Session, account: Account, body: str, campaign: Campaign | None = None,
               media: Iterable[Any] | None = None, *, version: PolicyVersion | None | _InForce = IN_FORCE
               ) -> GateResult:
    """The gate on ``body`` for ``account`` and ``campaign``, with the market's current policy (or ``version``, None
    for the defaults); ``media`` (the revision's pictures and videos, ``approval.style.media``) when known, so the
    media rules run too. Within ``reusing_verdicts``, a text known to have no media, under the policy in force, is
    checked once per ``unwritten_gate_key``."""
    media = list(media) if media is not None else None
    reused = _REUSED.get()
    if reused is None or not isinstance(version, _InForce) or media != []:
        return _check_body(session, account, body, campaign, media, version)
    key = unwritten_gate_key(account, campaign, revision_sha256(body))
    if (verdict := reused.get(key)) is None:
        verdict = reused[key] = _check_body(session, account, body, campaign, media, version)
    return verdict


def _check_body(session: Session, account: Account, body: str, campaign: Campaign | None,
                media: Iterable[Any] | None, version: PolicyVersion | None | _InForce) -> GateResult:
    applied = _applied(session, account, campaign, version)
    context = applied.context
    if media is not None:
        from approval.style.media import media_items

        items = media_items(media)
        context = replace(context, media=items, has_media=bool(items))
    # The policy's version is a label here (``_policy_of`` sets it); ``Policy`` also takes a file's number or none.
    return GateResult(tuple(style.check(body, context)), str(applied.context.policy.version), applied.version_id,
                      campaign)


def check_revision(session: Session, post: Post, revision: Revision | None = None, *,
                   version: PolicyVersion | None | _InForce = IN_FORCE) -> GateResult:
    """The gate on a revision of ``post`` (its current one by default) with the policy in force now (or ``version``):
    a text approved under an older policy may fail a newer one."""
    revision = revision if revision is not None else post.current_revision
    return check_body(session, post.account, revision.body if revision else "", post.campaign,
                      media=revision.media if revision else (), version=version)


def check_before_publishing(session: Session, post: Post) -> GateResult:
    """For the publishing worker, right before it publishes ``post``: the approved revision against the policy in
    force now.

    The worker publishes only when ``passes``. Otherwise the policy changed since the approval and the text no longer
    passes: the post goes back to review (through the engine, with ``record()`` in the audit row's payload and the
    errors as the reason) instead of going online. That transition belongs to the publishing worker's table rows.
    """
    return check_revision(session, post, post.approved_revision)


# The posts the policy in force refuses ---------------------------------------------------------------------------

#: The posts checked for each statement: their accounts, markets, policies, revisions, media and campaigns come
#: with them, so a market's few hundred scheduled posts cost a few statements, not a few per post.
CHECKED_AT_ONCE = 500


@dataclass(frozen=True)
class Refused:
    """A post the policy in force refuses, and what the gate said of it."""

    post: Post
    verdict: GateResult


@dataclass(frozen=True)
class PolicyBreaks:
    """The posts a market's policy in force refuses, apart by what that means for them."""

    #: Approved (``APPROVAL_HOLDING_STATES``: approved, with the cabinet, scheduled): the worker fails those scheduled
    #: at their slot, the others cannot be scheduled. Scheduled first, by their time; then by id.
    on_their_way: list[Refused]
    #: In review: a project manager can no longer approve them as they stand.
    in_review: list[Refused]

    @property
    def scheduled(self) -> int:
        return sum(1 for refused in self.on_their_way if refused.post.state == State.scheduled)

    @property
    def count(self) -> int:
        return len(self.on_their_way) + len(self.in_review)


def refused_now(session: Session, scope: Select[Any]) -> PolicyBreaks:
    """The posts of ``scope`` (a select of posts joined with their accounts, as ``access.visible_posts``) that the
    policy in force refuses: approved ones on their way out and those in review.

    Each is checked as the worker checks it before sending and as the approval's guard does: the gate on its current
    revision with its market's policy in force now (``check_revision``; an approved post's current revision is the
    approved one, a constraint of the database says so). Only errors refuse, as there: a warning the new policy adds
    stops nothing."""
    on_their_way: list[Refused] = []
    in_review: list[Refused] = []
    after = 0
    while True:
        posts = _with_what_the_gate_reads(session, scope.where(
            Post.state.in_([*APPROVAL_HOLDING_STATES, State.in_review]), Post.id > after,
        ).order_by(Post.id).limit(CHECKED_AT_ONCE))
        for refused in _refused(session, posts):
            (in_review if refused.post.state == State.in_review else on_their_way).append(refused)
        if len(posts) < CHECKED_AT_ONCE:
            break
        after = posts[-1].id
    on_their_way.sort(key=lambda refused: (refused.post.scheduled_at.timestamp() if refused.post.scheduled_at
                                           else float("inf"), refused.post.id))
    return PolicyBreaks(on_their_way, in_review)


def refused_among_first(session: Session, scope: Select[Any], at_most: int, *, memo: VerdictMemo
                        ) -> dict[int, GateResult]:
    """Why the policy in force refuses the posts it refuses among the first ``at_most`` of ``scope`` (a select of
    posts joined with their accounts, ordered), by ``refused_now``'s rule, by post id in that order: for a page that
    must stay cheap (the wall, rebuilt at each change, checks the posts due within the day, the soonest first).

    The gate runs only on the posts whose ``gate_key`` ``memo`` does not hold: one light statement reads the keys
    (ids and digests, no post loaded), then only those posts are loaded with what the gate reads. A new revision, a
    policy saved, a campaign's hashtag or disclosure changed, an account moved to another market change the key, so
    the page shows them at its next build; what the key does not name waits for ``memo``'s time to live. The
    verdicts it returns hold no campaign (``GateResult.campaign`` is None: ``VerdictMemo.put``)."""
    keys = {row[0]: key_of_row(row) for row in session.execute(gate_keys(scope.limit(at_most)))}
    verdicts = {post_id: memo.get(key) for post_id, key in keys.items()}
    unknown = [post_id for post_id, verdict in verdicts.items() if verdict is None]
    if unknown:
        for post in _with_what_the_gate_reads(session, scope.where(Post.id.in_(unknown))):
            verdicts[post.id] = memo.put(gate_key(post), check_revision(session, post, post.current_revision))
    return {post_id: verdict for post_id, verdict in verdicts.items() if verdict is not None and verdict.errors}


def _with_what_the_gate_reads(session: Session, posts: Select[Any]) -> list[Post]:
    """``posts`` with what ``check_revision`` reads of each (account, market, policy, revision, campaign)."""
    return list(session.scalars(posts.options(
        contains_eager(Post.account).selectinload(Account.market).selectinload(Market.policy_in_force),
        joinedload(Post.current_revision), joinedload(Post.campaign),
    )).unique())


def _refused(session: Session, posts: Iterable[Post]) -> list[Refused]:
    """Those of ``posts`` whose current revision the gate refuses with the policy in force (errors only)."""
    refused = []
    for post in posts:
        verdict = check_revision(session, post, post.current_revision)
        if verdict.errors:
            refused.append(Refused(post, verdict))
    return refused


# The wall's memo of the gate's verdicts --------------------------------------------------------------------------

#: How long a memoized verdict holds (seconds): what its key does not name (a media file's details, a change the key
#: misses) shows on the wall within this time.
VERDICT_TTL_S = 60.0
#: How many verdicts a memo keeps, the oldest dropped first: the posts due within the day of a few dozen selections.
VERDICTS_KEPT = 4000


def gate_key(post: Post) -> tuple[Any, ...]:
    """What the gate reads of ``post`` (``check_revision`` on its current revision, with the policy in force), as
    ids and digests: the post, its current revision and that revision's SHA-256 (text and media; a revision is never
    changed), its account's network and market (code, languages), the market's policy version in force (a version
    is never changed; its time tells it from another database's, or a rolled-back one's, under the same id), the
    campaign (its hashtag, whether it requires a disclosure). ``gate_keys`` reads the same without loading the post;
    the two must stay alike."""
    revision = post.current_revision
    return inputs_key(post.id, post.current_revision_id, revision.sha256 if revision else None, post.account,
                      post.campaign)


def inputs_key(post_id: int | None, revision_id: int | None, sha256: str | None, account: Account,
               campaign: Campaign | None) -> tuple[Any, ...]:
    """``gate_key`` of the post ``post_id`` on ``account`` in ``campaign`` whose current revision is ``revision_id``
    with the digest ``sha256``."""
    market = account.market
    version = market.policy_in_force
    return (post_id, revision_id, sha256, account.network, account.market_id, market.code,
            tuple(market.languages or ()), market.policy_version_id, version.created_at if version else None,
            campaign.id if campaign else None, campaign.hashtag if campaign else None,
            campaign.disclosure_required if campaign else None)


def _gate_code() -> str:
    """A digest of what the gate is made of besides its inputs: this module's and ``approval.style``'s sources, the
    versions of the libraries they read text with, and Python's (its Unicode data). A new release that changes a
    rule changes it, and with it every seal (``seal``): posts sealed before are checked afresh by the worker.

    Read once, when this module is imported (``GATE_CODE``), the gate's modules imported first: a process seals with
    the digest of the code it runs, not of files replaced on disk since it started (a deploy under way). Sources that
    cannot be read (a build without them): a digest of this process alone, which no seal made elsewhere matches, so
    that every post is checked in full."""
    from approval.style import language, sentences, twitter  # noqa: F401 - loaded before their sources are read

    digest = hashlib.sha256(f"Python {sys.version_info[:2]}, Unicode {unicodedata.unidata_version}\0".encode())
    here = Path(__file__).resolve().parent
    try:
        for source in sorted([here / "policies.py", here / "models" / "policy.py", *(here / "style").glob("*.py")]):
            digest.update(source.relative_to(here).as_posix().encode() + b"\0" + source.read_bytes() + b"\0")
    except OSError as error:
        log.warning("the style gate's sources cannot be read (%s): no seal is trusted, every post is checked in full",
                    error)
        return secrets.token_hex(32)
    for library in GATE_LIBRARIES:
        try:
            digest.update(f"{library}=={metadata.version(library)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}: none\0".encode())
    return digest.hexdigest()


#: The libraries whose versions the gate's verdicts depend on (``_gate_code``).
GATE_LIBRARIES = ("twitter-text-parser", "emoji", "lingua-language-detector", "babel")
#: ``_gate_code``, as this process runs the gate.
GATE_CODE = _gate_code()


def seal(key: tuple[Any, ...]) -> str:
    """The seal of a passing verdict of the gate on the inputs ``key`` (``gate_key``, or ``key_of_row``): a digest of
    the key and of the gate's code (``GATE_CODE``). A post keeps it when a transition checked its text and found no
    error (``schedule``, ``retry``: ``workflow.table``); the worker, finding the seal equal to the one of the inputs
    as they are at its claim, knows the gate passes on them without running it again. Any input changed since (a
    new revision, a policy saved, the campaign's hashtag, the account's market, a new release of the rules) makes
    another seal, and the worker checks afresh."""
    # Its values as the same JSON however they were read (an object's attributes or a row's columns): an enum of
    # strings as its value, a sequence as a list, a time in UTC (``_instant``).
    canonical = json.dumps([GATE_CODE, *key], ensure_ascii=False, separators=(",", ":"), default=_instant)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _instant(value: Any) -> str:
    """A time of a gate key in UTC (SQLite hands back naive ones, in UTC)."""
    if not isinstance(value, datetime):
        raise TypeError(f"a gate key holds no {type(value).__name__}")
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


#: ``gate_keys``' own names of the tables it joins (``posts`` may join them already), made once: each build of
#: the wall makes the statement again, and aliases made anew cost more than the rest of it.
#: The publishing worker reads its own columns of them beside the key (``publishing.worker``, the sealed posts).
KEY_REVISION, KEY_MARKET, KEY_VERSION, KEY_CAMPAIGN = (aliased(Revision), aliased(Market), aliased(PolicyVersion),
                                                       aliased(Campaign))


def gate_keys(posts: Select[Any]) -> Select[*tuple[Any, ...]]:
    """``gate_key``'s columns of ``posts`` (a select of posts joined with their accounts), in one statement that
    loads no object: the ids of the posts, the revisions' digests, small rows of markets, versions and campaigns."""
    revision, market, version, campaign = KEY_REVISION, KEY_MARKET, KEY_VERSION, KEY_CAMPAIGN
    return (posts.with_only_columns(
        Post.id, Post.current_revision_id, revision.sha256, Account.network, Account.market_id, market.code,
        market.languages, market.policy_version_id, version.created_at, Post.campaign_id, campaign.hashtag,
        campaign.disclosure_required)
        .outerjoin(revision, revision.id == Post.current_revision_id)
        .join(market, market.id == Account.market_id)
        .outerjoin(version, version.id == market.policy_version_id)
        .outerjoin(campaign, campaign.id == Post.campaign_id))


#: How many columns ``gate_keys`` selects: the key's; columns added after them are the caller's.
KEY_COLUMNS = len(gate_keys(select(Post.id).join(Post.account)).selected_columns)


def key_of_row(row: Sequence[Any]) -> tuple[Any, ...]:
    """``gate_key`` from a row of ``gate_keys`` (its first ``KEY_COLUMNS``)."""
    key = tuple(row[:KEY_COLUMNS])
    return (*key[:6], tuple(key[6] or ()), *key[7:])


class VerdictMemo:
    """The gate's verdicts by ``gate_key``, for a page that must stay cheap and may show what the key does not name
    a minute late: the wall, rebuilt at every audit row. Never for the publishing worker, the approval's guard or the
    publishing desk: they check afresh (the worker trusts only a seal, ``seal``, of the very inputs it reads).

    Process-local and bounded (a ``cachetools.TTLCache`` of ``size`` verdicts, each kept ``ttl`` seconds). It keeps
    no database object: a verdict is kept without its campaign (``GateResult.campaign``), which belongs to the
    session that loaded it. The wall's feed builds walls from several threads: a lock guards it."""

    def __init__(self, size: int = VERDICTS_KEPT, ttl: float = VERDICT_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._verdicts: TTLCache[tuple[Any, ...], GateResult] = TTLCache(size, ttl, timer=clock)
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> GateResult | None:
        """The verdict kept for ``key``, None when there is none or it is older than ``ttl``."""
        with self._lock:
            return self._verdicts.get(key)

    def put(self, key: tuple[Any, ...], verdict: GateResult) -> GateResult:
        """Keep ``verdict`` (without its campaign) for ``key``; returns what is kept."""
        kept = replace(verdict, campaign=None)
        with self._lock:
            self._verdicts[key] = kept
        return kept

    def clear(self) -> None:
        with self._lock:
            self._verdicts.clear()

    def __len__(self) -> int:
        with self._lock:
            self._verdicts.expire()
            return len(self._verdicts)


# One unit of work's verdicts -----------------------------------------------------------------------------------

#: ``check_body``'s verdicts within ``reusing_verdicts``, by ``unwritten_gate_key``; None outside such a block.
_REUSED: ContextVar[dict[tuple[Any, ...], GateResult] | None] = ContextVar("approval_reused_verdicts", default=None)


@contextmanager
def reusing_verdicts() -> Iterator[None]:
    """Within the block, the gate on a text without media under the policy in force (``check_body``, and
    ``check_revision`` through it) gives the verdict it gave for the same inputs earlier in the block, or the one
    ``reuse_verdict`` kept: for one unit of work that checks the same text several times (an import checks a row's
    text, makes its post, whose revision keeps its findings, then submits it). Any input the gate reads changed (the
    text, a policy saved, the campaign's hashtag, the account's market) is another key: a fresh check. The verdicts
    go with the block: they hold the session's campaigns, and they must not outlive one unit of work
    (``VerdictMemo`` is the wall's, which may be a minute late)."""
    token = _REUSED.set({})
    try:
        yield
    finally:
        _REUSED.reset(token)


def reuse_verdict(key: tuple[Any, ...], verdict: GateResult) -> bool:
    """Within ``reusing_verdicts``, ``verdict`` for ``key`` (``unwritten_gate_key``): the gate's verdict on those
    inputs, got before the block (a file's check). A key read then no longer matches once an input has changed:
    the gate runs again. False outside a block (nothing kept)."""
    reused = _REUSED.get()
    if reused is None:
        return False
    reused[key] = verdict
    return True


def unwritten_gate_key(account: Account, campaign: Campaign | None, sha256: str) -> tuple[Any, ...]:
    """``gate_key`` of a post on ``account`` in ``campaign`` whose revision's digest is ``sha256`` (a text without
    media: ``revision_sha256(text)``), without the ids a post and its revision have: the same for a text checked
    before its post is written as for that post's revision, while nothing the gate reads has changed."""
    return inputs_key(None, None, sha256, account, campaign)


def refused_in_market(session: Session, market: Market) -> PolicyBreaks:
    """``refused_now`` for one market's posts: what the admin who saved its policy is told."""
    return refused_now(session, select(Post).join(Post.account).where(Account.market_id == market.id))


# Saving --------------------------------------------------------------------------------------------------------


class PolicyChanges(TypedDict, total=False):
    """What ``save_policy`` takes after the actor: ``save_and_check_policy``'s keyword arguments."""

    rules: Mapping[str, str] | None
    forbidden: Iterable[Mapping[str, Any]]
    sensitive: Iterable[Mapping[str, Any]]
    capital_exceptions: Iterable[str]
    disclosures: Iterable[str]
    strict_full_stop: bool
    note: str
    based_on: int | None


@dataclass(frozen=True)
class SavedPolicy:
    """What a save wrote, and what the version it wrote refuses."""

    #: The market's new version in force; None when nothing differed from the current one (nothing was written).
    version: PolicyVersion | None
    #: The market's posts on their way or in review that ``version`` refuses, with the gate's findings
    #: (``refused_in_market``, run once by the save); None when nothing was written.
    breaks: PolicyBreaks | None


def save_policy(session: Session, market: Market, actor: User | None, **changes: Unpack[PolicyChanges]
                ) -> PolicyVersion | None:
    """Write the market's next policy version; returns it, or None when nothing differs from the current one.
    ``save_and_check_policy`` without what the new version refuses, for a caller that shows no one."""
    return save_and_check_policy(session, market, actor, **changes).version


def save_and_check_policy(
    session: Session,
    market: Market,
    actor: User | None,
    *,
    rules: Mapping[str, str] | None = None,
    forbidden: Iterable[Mapping[str, Any]] = (),
    sensitive: Iterable[Mapping[str, Any]] = (),
    capital_exceptions: Iterable[str] = (),
    disclosures: Iterable[str] = (),
    strict_full_stop: bool = False,
    note: str = "",
    based_on: int | None = None,
) -> SavedPolicy:
    """Write the market's next policy version, tell the people of the posts on their way that it refuses
    (``policy_refuses``), and return it with those posts and the ones in review it refuses (``SavedPolicy``): the gate
    runs once per post, for the notices and for what the admin who saved is shown.

    ``rules`` maps rule ids to "off", "warning" or "error" (a rule absent, or set to "default", keeps its default
    severity). ``based_on`` is the version number the admin started from (0: the defaults): when another version was
    saved since, ``PolicyConflict``. The form checks the shape of the lists; this keeps the stored shape canonical.
    """
    # Numbered after the market's highest version (which the pointer names, unless a restore or a hand-made row
    # left it behind: saving then puts it right).
    current = session.scalar(
        select(PolicyVersion).where(PolicyVersion.market_id == market.id).order_by(PolicyVersion.number.desc()).limit(1)
    )
    if based_on is not None and based_on != (current.number if current else DEFAULTS_NUMBER):
        raise PolicyConflict(current)
    content = {
        "rules": _rules(rules or {}),
        "forbidden": [_term(t, with_instead=True) for t in forbidden],
        "sensitive": [_term(t, with_instead=False) for t in sensitive],
        "capital_exceptions": _words(capital_exceptions),
        "disclosures": _words(disclosures),
        "strict_full_stop": bool(strict_full_stop),
    }
    if content == _content(current):
        return SavedPolicy(None, None)
    previous = market.policy_in_force  # what the gate applied until now, to tell only what this version changes
    version = PolicyVersion(market=market, number=(current.number if current else DEFAULTS_NUMBER) + 1,
                            created_by=actor, note=note.strip(), **content)
    session.add(version)
    session.flush()
    market.policy_version_id = version.id
    session.flush()
    session.expire(market, ["policy_in_force"])
    breaks = refused_in_market(session, market)
    _tell_what_it_refuses(session, market, previous, version, breaks)
    return SavedPolicy(version, breaks)


def _tell_what_it_refuses(session: Session, market: Market, previous: PolicyVersion | None,
                          version: PolicyVersion, breaks: PolicyBreaks) -> None:
    """Tell the people of the market's posts on their way (approved, scheduled) that ``version``, just saved,
    refuses (``breaks``) and ``previous`` let through (``dispatch.policy_refuses``): the worker would refuse them at
    their slot. Only those are checked again, under ``previous``. The notices of posts it no longer refuses are
    settled. In the save's transaction."""
    told = [(refused.post.id, texts.policy_refuses_why(refused.verdict.policy_version,
                                                       [f.as_dict(translatable=True) for f in refused.verdict.errors]))
            for refused in breaks.on_their_way
            if refused.post.state in dispatch.ON_ITS_WAY
            and check_revision(session, refused.post, refused.post.current_revision, version=previous).passes]
    dispatch.policy_refuses(session, told, actor_id=version.created_by_id, at=version.created_at)
    dispatch.policy_lets_through(session, market.id, {r.post.id for r in (*breaks.on_their_way, *breaks.in_review)},
                                 at=version.created_at)


def _content(version: PolicyVersion | None) -> dict[str, Any]:
    if version is None:
        return {"rules": {}, "forbidden": [], "sensitive": [], "capital_exceptions": [], "disclosures": [],
                "strict_full_stop": False}
    return {"rules": dict(version.rules or {}), "forbidden": list(version.forbidden or []),
            "sensitive": list(version.sensitive or []), "capital_exceptions": list(version.capital_exceptions or []),
            "disclosures": list(version.disclosures or []), "strict_full_stop": version.strict_full_stop}


def _rules(rules: Mapping[str, str]) -> dict[str, str]:
    kept = {}
    for rule_id, setting in rules.items():
        if setting in (None, "", "default"):
            continue
        if setting not in SETTINGS:
            raise ValueError(f"rule {rule_id}: {setting!r} is not one of {', '.join(SETTINGS)}")
        if rule_id not in style.BY_ID and not rule_id.startswith("policy."):
            raise ValueError(f"unknown rule {rule_id!r}")
        kept[rule_id] = setting
    return dict(sorted(kept.items()))


def _term(term: Mapping[str, Any], *, with_instead: bool) -> dict[str, str]:
    phrase = str(term.get("phrase") or "").strip()
    if not phrase:
        raise ValueError("a term needs its phrase")
    data = {"phrase": phrase, "reason": str(term.get("reason") or "").strip()}
    instead = str(term.get("instead") or "").strip()
    if with_instead and instead:
        data["instead"] = instead
    return data


def _words(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
