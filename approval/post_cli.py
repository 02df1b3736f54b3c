"""`approval post list|show|retry|confirm|import`: the posts that need a person, for whoever is on call at a terminal.

What the publishing desk lists (failed, unconfirmed, missed, held, overdue), one post a line; one post's publishing
story (its key, its attempts, what the network answered); the desk's two actions on a post that went wrong, taken
through the workflow engine in a project manager's name (``--as``), with that person's rights and markets: the same
guards, the same audit row, the same notifications as the button. And drafts made from a CSV file in a writer's name
(``import``), checked and made as the "Import posts" page makes them (``approval.imports``).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import IO

import click
from flask.cli import AppGroup
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from approval import imports
from approval import operations as ops
from approval.admin_log import command_origin
from approval.db import db, reading_first, utcnow
from approval.inputs import FORBIDDEN_CHARACTERS
from approval.localtime import in_zone
from approval.models import Account, Market, Post, PublicationAttempt, User
from approval.publishing.holds import held_clause
from approval.publishing.status import failure_reasons, overdue_clause
from approval.workflow.errors import WorkflowError
from approval.workflow.states import Action, State

post_cli = AppGroup("post", help="Posts that need a person: what failed, is unconfirmed, missed its slot, is held "
                                 "or overdue; and retrying or confirming one.")

#: What ``list`` can show, as the desk names its sections.
KINDS = ("failed", "unconfirmed", "missed", "held", "overdue")


def _clause(kind: str, now: datetime):  # noqa: ANN202
    return {
        "failed": Post.state == State.failed,
        "unconfirmed": Post.state == State.unconfirmed,
        "missed": and_(Post.state == State.approved, Post.missed_at.is_not(None)),
        "held": and_(Post.state == State.scheduled, held_clause(now)),
        "overdue": overdue_clause(now),
    }[kind]


def _utc(instant: datetime | None) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if instant else "-"


def _one_line(text: str | None, size: int = 160) -> str:
    """A network's words on one line, their control characters shown as "?" (a receiver's answer holding escape
    sequences would otherwise drive the terminal that prints it)."""
    line = " ".join(FORBIDDEN_CHARACTERS.sub("?", text or "").split())
    return line if len(line) <= size else line[:size - 1] + "…"


@post_cli.command("list")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Only these (repeatable); every kind when none is given.")
@click.option("--market", "markets", multiple=True, help="A market code (repeatable); every market when none.")
def post_list(kinds: tuple[str, ...], markets: tuple[str, ...]) -> None:
    """One post a line, tab-separated: kind, id, market, network, @handle, its slot (UTC), why. A last line counts
    them; exit 0 either way (an empty list is good news)."""
    now = utcnow()
    codes = [code.strip().upper() for code in markets]
    known = set(db.session.scalars(select(Market.code).where(Market.code.in_(codes))))
    if unknown := [code for code in codes if code not in known]:
        raise click.BadParameter(f"no market {', '.join(unknown)}.", param_hint="--market")
    count = 0
    for kind in kinds or KINDS:
        query = (select(Post).join(Post.account).join(Account.market).where(_clause(kind, now))
                 .options(joinedload(Post.account).joinedload(Account.market)).order_by(Post.id))
        if codes:
            query = query.where(Market.code.in_(codes))
        posts = db.session.scalars(query).unique().all()
        step = {"failed": Action.fail, "unconfirmed": Action.lose, "missed": Action.miss}.get(kind)
        why = failure_reasons(db.session, [post.id for post in posts], step) if step else {}
        for post in posts:
            account = post.account
            slot = post.missed_at if kind == "missed" else post.scheduled_at
            said = why.get(post.id) or (f"held since {_utc(post.held_at)}" if kind == "held" else
                                        "due and not sent: is a publishing worker running?" if kind == "overdue"
                                        else "")
            click.echo("\t".join((kind, str(post.id), account.market.code, account.network.value,
                                  f"@{account.handle}", _utc(slot), _one_line(said))))
            count += 1
    click.echo(f"{count} post{'s' if count != 1 else ''} need{'s' if count == 1 else ''} a person."
               if count else "Nothing needs a person.")


@post_cli.command("show")
@click.argument("post_id", type=int)
def post_show(post_id: int) -> None:
    """A post's publishing story: its state and slot, the revision approved (SHA-256), its idempotency key (what the
    receiving tool's team searches for), and every attempt with what the network answered."""
    post = db.session.get(Post, post_id)
    if post is None:
        raise click.ClickException(f"No post {post_id}.")
    account = post.account
    zone = account.market.timezone
    click.echo(f"Post {post.id}: {post.state.value}, {account.market.code} {account.network.value} @{account.handle}")
    click.echo(f"Slot: {in_zone(post.scheduled_at, zone) or '-'}" +
               (f" (missed {in_zone(post.missed_at, zone)})" if post.missed_at else ""))
    if post.published_url:
        click.echo(f"Online at: {post.published_url}")
    approved = post.approved_revision
    click.echo(f"Approved revision: {approved.number} sha256 {approved.sha256}" if approved else
               "Approved revision: none")
    click.echo(f"Idempotency-Key: {post.publish_key or '-'}")
    attempts = db.session.scalars(select(PublicationAttempt).where(PublicationAttempt.post_id == post.id)
                                  .order_by(PublicationAttempt.id)).all()
    click.echo(f"Attempts: {len(attempts)}")
    for attempt in attempts:
        click.echo("\t".join((_utc(attempt.started_at), attempt.outcome.value, attempt.connector,
                              attempt.idempotency_key, attempt.url or "", _one_line(attempt.message, 300))))


def _actor(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise click.BadParameter(f"no active user {email}.", param_hint="--as")
    return user


def _act(post_id: int, email: str, action: Action, comment: str | None, **params) -> Post:
    """The engine's action in ``email``'s name, with their rights: a post outside their markets is "no post". Its
    comment (the trail's, and the discussion's) says it was taken at a terminal, by which command and Unix user: the
    project manager named did not click it."""
    actor = _actor(email)
    said = f"[{command_origin()}] {comment or ''}".strip()
    try:
        with db.transaction() as session:
            post = ops.load_post(session, actor, post_id, for_update=True)
            ops.act_on_post(session, post, action, actor, expected_version=post.version, comment=said, **params)
    except ops.NotFound:
        raise click.ClickException(f"No post {post_id} among {actor.email}'s.") from None
    except WorkflowError as refused:
        reasons = [reason for field in refused.errors.values() for reason in field if reason != refused.message]
        raise click.ClickException(" ".join([refused.message, *reasons])) from None
    return post


@post_cli.command("retry")
@click.argument("post_id", type=int)
@click.option("--as", "email", required=True, help="The project manager acting (their rights and markets apply).")
@click.option("--checked-network", is_flag=True,
              help="For an unconfirmed post: you looked on the network and the post is not there (a retry of a post "
                   "that is online publishes it twice).")
@click.option("--comment", default=None, help="Why, for the trail.")
def post_retry(post_id: int, email: str, checked_network: bool, comment: str | None) -> None:
    """Send a failed or unconfirmed post again, at the worker's next pass, under its key."""
    post = _act(post_id, email, Action.retry, comment, acknowledge_warnings=checked_network)
    click.echo(f"Post {post.id} goes out again at the next pass ({post.state.value}).")


@post_cli.command("confirm")
@click.argument("post_id", type=int)
@click.option("--url", required=True, help="The post's address on the network.")
@click.option("--as", "email", required=True, help="The project manager acting (their rights and markets apply).")
@click.option("--comment", default=None, help="How it was checked, for the trail.")
def post_confirm(post_id: int, url: str, email: str, comment: str | None) -> None:
    """Record an unconfirmed (or failed) post as published at ``--url``: it is online, nothing is sent again."""
    post = _act(post_id, email, Action.confirm_published, comment, url=url)
    click.echo(f"Post {post.id} confirmed as published: {post.published_url}")


@post_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--as", "email", required=True, help="The writer (community or project manager) the posts are by: "
                                                  "their accounts and markets apply.")
@click.option("--submit", is_flag=True, help="Submit each post for review once made (one the style check refuses "
                                             "stays a draft).")
def post_import(file: IO[bytes], email: str, submit: bool) -> None:
    """Make drafts from a CSV file, as the "Import posts" page does: columns account, text, proposed time (YYYY-MM-DD
    HH:MM in the account's market zone), campaign, fold. Every row is checked first; one in error, nothing is made
    (exit 1, the rows' errors on stderr). Prints one made post a line: id, state, market, network, @handle."""
    actor = _actor(email)
    if actor.role not in imports.WRITERS:
        raise click.BadParameter(f"{actor.email} does not write posts ({actor.role.value}).", param_hint="--as")
    try:
        # Checked first without the write lock, which the worker and the web wait for on SQLite (the style gate on
        # every row takes seconds); checked again under it below, the gate's verdicts kept.
        with reading_first(db.session):
            checked = imports.check_file(db.session, actor, file.read(imports.MAX_BYTES + 1))
    except imports.FileRefused as refused:
        raise click.ClickException(refused.message) from None
    if not checked.ready:
        _row_errors(checked)
        raise click.ClickException(f"{len(checked.errors)} row(s) with errors: nothing was imported.")
    # A key of its own for each run (a command has no double click): the same file run twice is imported twice.
    key = imports.import_key(actor, secrets.token_urlsafe(16), checked.content)
    try:
        with db.transaction() as session:
            # As it is now (an account deactivated, a time passed since the check): one row in error, nothing made.
            checked = imports.check_file(session, actor, checked.content, earlier=checked)
            if not checked.ready:
                _row_errors(checked)
                raise click.ClickException(f"{len(checked.errors)} row(s) with errors, checked again before "
                                           "importing: nothing was imported.")
            # The trail's rows say the posts came from this command, by whom at which terminal (as ``_act``'s do).
            _made_import, made = imports.import_posts(session, actor, checked, key=key, submit=submit,
                                                      origin=f"[{command_origin()}]")
    except WorkflowError as refused:
        raise click.ClickException(f"Nothing was imported: {refused.message}") from None
    for item in made:
        post, account = item.post, item.post.account
        why = f"\tnot submitted: {_one_line(' '.join(item.not_submitted), 300)}" if item.not_submitted else ""
        click.echo(f"{post.id}\t{post.state.value}\t{account.market.code}\t{account.network.value}\t"
                   f"@{account.handle}{why}")
    click.echo(f"{len(made)} post{'s' if len(made) != 1 else ''} imported.")


def _row_errors(checked: imports.Checked) -> None:
    """Each refused row's errors on stderr, one a line, with the row's number (and its line, when another)."""
    for row in checked.errors:
        for error in row.errors:
            where = f"row {row.number}" + (f" (line {row.line})" if row.line != row.number else "")
            click.echo(f"{where}: {_one_line(error, 300)}", err=True)
