"""rollout flags experiments parity

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 21:25:29.764215
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from modelplane.store.types import ExactDecimal, UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "variants",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'ended')", name=op.f("ck_experiments_status")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_experiments")),
    )
    op.create_table(
        "flag_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("flag_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change_type", sa.String(length=20), nullable=False),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_history")),
        sa.UniqueConstraint("flag_name", "version", name=op.f("uq_flag_history_flag_name_version")),
    )
    op.create_table(
        "flags",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("percentage", sa.Integer(), nullable=False),
        sa.Column("stickiness", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("percentage BETWEEN 0 AND 100", name=op.f("ck_flags_percentage")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_flags")),
    )
    op.create_table(
        "parity_mismatches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("request_kind", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parity_mismatches")),
    )
    with op.batch_alter_table("parity_mismatches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parity_mismatches_at"), ["at"], unique=False)

    op.create_table(
        "parity_samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("request_kind", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("latency_us", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parity_samples")),
    )
    with op.batch_alter_table("parity_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parity_samples_at"), ["at"], unique=False)

    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("experiment", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("cost_per_1k", ExactDecimal(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.drop_column("cost_per_1k")
        batch_op.drop_column("experiment")

    with op.batch_alter_table("parity_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parity_samples_at"))

    op.drop_table("parity_samples")
    with op.batch_alter_table("parity_mismatches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parity_mismatches_at"))

    op.drop_table("parity_mismatches")
    op.drop_table("flags")
    op.drop_table("flag_history")
    op.drop_table("experiments")
