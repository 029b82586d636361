"""usage event ids: a client's id per event, unique, so a resent batch is stored once

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 10:00:00.000000

The column is nullable and starts empty, so adding it rewrites nothing. The unique index
is built inside the migration's transaction: over an existing ``usage_events`` it blocks
ingestion for as long as the build takes (every key is NULL, so a few seconds at millions
of rows); UsageRecorder clients retry through that.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f("ix_usage_events_event_id"), ["event_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_events_event_id"))
        batch_op.drop_column("event_id")
