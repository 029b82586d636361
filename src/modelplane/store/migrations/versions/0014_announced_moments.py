"""announced moments: a scheduled price taking effect and a sunset passing, announced once

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 17:10:00.000000

One new table. The moments that have already passed are recorded as announced, so an
upgrade does not announce old scheduled prices and sunsets again (they were announced when
they were set, as modelplane did before).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from modelplane.store.types import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    moments = op.create_table(
        "announced_moments",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("announced_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "model_id", "at", name=op.f("pk_announced_moments")),
    )
    now = datetime.now(UTC)
    conn = op.get_bind()
    models = sa.table("models", sa.column("id"), sa.column("sunset_date", UTCDateTime()))
    prices = sa.table(
        "model_prices",
        sa.column("model_id"),
        sa.column("effective_from", UTCDateTime()),
        sa.column("recorded_at", UTCDateTime()),
    )
    past = [
        {"kind": "sunset", "model_id": r.id, "at": r.sunset_date, "announced_at": now}
        for r in conn.execute(
            sa.select(models.c.id, models.c.sunset_date).where(models.c.sunset_date <= now)
        )
    ]
    past += [
        {"kind": "price", "model_id": r.model_id, "at": r.effective_from, "announced_at": now}
        for r in conn.execute(
            sa.select(prices.c.model_id, prices.c.effective_from).where(
                prices.c.recorded_at < prices.c.effective_from, prices.c.effective_from <= now
            )
        )
    ]
    if past:
        op.bulk_insert(moments, past)


def downgrade() -> None:
    op.drop_table("announced_moments")
