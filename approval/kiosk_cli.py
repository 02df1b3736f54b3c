"""`approval kiosk create|revoke|list` (CONTRACT.md): read-only wall links for screens."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from approval import kiosks
from approval.config import LOCAL_URL, public_url
from approval.db import db
from approval.operations import NotFound
from approval.workflow.errors import GuardFailed

kiosk_cli = AppGroup("kiosk", help="Kiosk links: the Social Hub wall on a screen, without a session.")


@kiosk_cli.command("create")
@click.option("--name", required=True, help="What the screen is, e.g. 'Command room, screen 3'.")
@click.option("--market", "markets", multiple=True, help="A market code the screen may show; repeat for several "
                                                           "(none: every market).")
def kiosk_create(name: str, markets: tuple[str, ...]) -> None:
    """Create a read-only wall link; prints the address to open on the screen, and its path alone on the last line."""
    try:
        kiosk = kiosks.create_kiosk(db.session, name, markets)
    except GuardFailed as refused:
        db.session.rollback()
        option = "--market" if "markets" in refused.errors else "--name"
        raise click.BadParameter(refused.message, param_hint=option) from None
    db.session.commit()
    click.echo(f"Kiosk link {kiosk.id} ({kiosk.name}) for {', '.join(kiosk.market_codes) or 'every market'}.")
    base = public_url(current_app)
    if base != LOCAL_URL:
        click.echo(f"Open on the screen: {base}{kiosk.path}")
    else:
        # Where the screen reaches the application is not known here: the operator puts it before the path.
        click.echo("APPROVAL_PUBLIC_URL is not set: open on the screen the address people open approval at, followed "
                   f"by the path below (e.g. https://approval.example.com{kiosk.path}); Administration › Kiosk links "
                   "shows the whole address.")
    click.echo("To choose what the screen shows, add view=queue|next|published|problems and market=CODE (repeatable) "
               "to the address: ?view=problems&market=FR.")
    click.echo(kiosk.path)


@kiosk_cli.command("revoke")
@click.argument("kiosk")
def kiosk_revoke(kiosk: str) -> None:
    """Revoke a kiosk link (its ID, its token or its path) at once: its open walls go dark within seconds."""
    try:
        revoked = kiosks.revoke_kiosk(db.session, kiosk)
    except NotFound:
        raise click.ClickException(f"No kiosk link {kiosk}.") from None
    db.session.commit()
    click.echo(f"Kiosk link {revoked.id} ({revoked.name}) revoked.")


@kiosk_cli.command("list")
def kiosk_list() -> None:
    """The kiosk links: id, name, markets, path (or when it was revoked)."""
    for kiosk in kiosks.list_kiosks(db.session):
        state = f"revoked {kiosk.revoked_at:%Y-%m-%d %H:%M}Z" if kiosk.revoked else kiosk.path
        click.echo(f"{kiosk.id}\t{kiosk.name}\t{','.join(kiosk.market_codes) or '*'}\t{state}")
