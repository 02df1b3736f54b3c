"""A kiosk link keeps its markets by id: ``kiosk_link_markets``, instead of a JSON list of market codes.

An admin who corrected a market's code (``FR`` to ``FRA``) left every screen restricted to it blank, showing an
empty wall as if nothing waited; and a new market later given the old code would have appeared on those screens.
A market is now named by its row, which keeps its identity through a new code. The foreign key refuses to delete a
market a kiosk names: no list can empty itself, since an empty list means every market.

Existing links keep the markets their codes name today; a code that names no market any more (already renamed) is
dropped, and a link left with none is revoked rather than widened to every market.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 20:00:00
"""

from collections.abc import Sequence
from datetime import datetime, timezone
import json

import sqlalchemy as sa
from alembic import op


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIOSKS = sa.table('kiosk_links', sa.column('id', sa.Integer()), sa.column('revoked_at', sa.DateTime(timezone=True)))


def upgrade() -> None:
    op.create_table(
        'kiosk_link_markets',
        sa.Column('kiosk_link_id', sa.Integer(), nullable=False),
        sa.Column('market_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['kiosk_link_id'], ['kiosk_links.id'],
                                name=op.f('fk_kiosk_link_markets_kiosk_link_id_kiosk_links'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['market_id'], ['markets.id'], name=op.f('fk_kiosk_link_markets_market_id_markets'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('kiosk_link_id', 'market_id', name=op.f('pk_kiosk_link_markets')),
    )
    bind = op.get_bind()
    market_ids = dict(bind.execute(sa.text('SELECT code, id FROM markets')).all())
    links = sa.table('kiosk_link_markets', sa.column('kiosk_link_id'), sa.column('market_id'))
    for kiosk_id, codes, revoked_at in bind.execute(sa.text('SELECT id, markets, revoked_at FROM kiosk_links')).all():
        codes = json.loads(codes) if isinstance(codes, str) else (codes or [])
        known = sorted({market_ids[code] for code in codes if code in market_ids})
        if known:
            op.bulk_insert(links, [{'kiosk_link_id': kiosk_id, 'market_id': market_id} for market_id in known])
        elif codes and revoked_at is None:
            # Every code it named was renamed away: its screen showed nothing; it must not show everything.
            bind.execute(KIOSKS.update().where(KIOSKS.c.id == kiosk_id).values(revoked_at=datetime.now(timezone.utc)))
    with op.batch_alter_table('kiosk_links', schema=None) as batch_op:
        batch_op.drop_column('markets')


def downgrade() -> None:
    with op.batch_alter_table('kiosk_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('markets', sa.JSON(), nullable=True))
    bind = op.get_bind()
    codes: dict[int, list[str]] = {}
    for kiosk_id, code in bind.execute(sa.text(
            'SELECT kiosk_link_markets.kiosk_link_id, markets.code FROM kiosk_link_markets '
            'JOIN markets ON markets.id = kiosk_link_markets.market_id ORDER BY markets.code')).all():
        codes.setdefault(kiosk_id, []).append(code)
    for (kiosk_id,) in bind.execute(sa.text('SELECT id FROM kiosk_links')).all():
        bind.execute(sa.text('UPDATE kiosk_links SET markets = :markets WHERE id = :id'),
                     {'markets': json.dumps(codes.get(kiosk_id, [])), 'id': kiosk_id})
    with op.batch_alter_table('kiosk_links', schema=None) as batch_op:
        batch_op.alter_column('markets', existing_type=sa.JSON(), nullable=False)
    op.drop_table('kiosk_link_markets')
