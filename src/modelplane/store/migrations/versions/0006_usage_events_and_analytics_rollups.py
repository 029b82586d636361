"""usage events and analytics rollups

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-26 21:45:50.456660
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from modelplane.store.types import ExactDecimal, UTCDateTime

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rollup_days",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rolled_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "day", name=op.f("pk_rollup_days")),
    )
    op.create_table(
        "routing_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("primary_category", sa.String(length=64), nullable=False),
        sa.Column("complexity", sa.String(length=20), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("decisions", sa.BigInteger(), nullable=False),
        sa.Column("exploration", sa.BigInteger(), nullable=False),
        sa.Column("sticky", sa.BigInteger(), nullable=False),
        sa.Column("fallback", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "primary_category", "complexity", "tier", name=op.f("pk_routing_daily")
        ),
    )
    op.create_table(
        "routing_model_daily",
        sa.Column("selected_model_id", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("primary_category", sa.String(length=64), nullable=False),
        sa.Column("complexity", sa.String(length=20), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("decisions", sa.BigInteger(), nullable=False),
        sa.Column("exploration", sa.BigInteger(), nullable=False),
        sa.Column("sticky", sa.BigInteger(), nullable=False),
        sa.Column("fallback", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "selected_model_id",
            "day",
            "primary_category",
            "complexity",
            "tier",
            name=op.f("pk_routing_model_daily"),
        ),
    )
    op.create_table(
        "usage_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("feature", sa.String(length=64), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cached_tokens", sa.BigInteger(), nullable=False),
        sa.Column("reasoning_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_nano", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms_sum", sa.BigInteger(), nullable=False),
        sa.Column("lat_00", sa.BigInteger(), nullable=False),
        sa.Column("lat_01", sa.BigInteger(), nullable=False),
        sa.Column("lat_02", sa.BigInteger(), nullable=False),
        sa.Column("lat_03", sa.BigInteger(), nullable=False),
        sa.Column("lat_04", sa.BigInteger(), nullable=False),
        sa.Column("lat_05", sa.BigInteger(), nullable=False),
        sa.Column("lat_06", sa.BigInteger(), nullable=False),
        sa.Column("lat_07", sa.BigInteger(), nullable=False),
        sa.Column("lat_08", sa.BigInteger(), nullable=False),
        sa.Column("lat_09", sa.BigInteger(), nullable=False),
        sa.Column("lat_10", sa.BigInteger(), nullable=False),
        sa.Column("lat_11", sa.BigInteger(), nullable=False),
        sa.Column("lat_12", sa.BigInteger(), nullable=False),
        sa.Column("lat_13", sa.BigInteger(), nullable=False),
        sa.Column("lat_14", sa.BigInteger(), nullable=False),
        sa.Column("lat_15", sa.BigInteger(), nullable=False),
        sa.Column("lat_16", sa.BigInteger(), nullable=False),
        sa.Column("lat_17", sa.BigInteger(), nullable=False),
        sa.Column("lat_18", sa.BigInteger(), nullable=False),
        sa.Column("lat_19", sa.BigInteger(), nullable=False),
        sa.Column("lat_20", sa.BigInteger(), nullable=False),
        sa.Column("lat_21", sa.BigInteger(), nullable=False),
        sa.Column("lat_22", sa.BigInteger(), nullable=False),
        sa.Column("lat_23", sa.BigInteger(), nullable=False),
        sa.Column("lat_24", sa.BigInteger(), nullable=False),
        sa.Column("lat_25", sa.BigInteger(), nullable=False),
        sa.Column("lat_26", sa.BigInteger(), nullable=False),
        sa.Column("lat_27", sa.BigInteger(), nullable=False),
        sa.Column("lat_28", sa.BigInteger(), nullable=False),
        sa.Column("lat_29", sa.BigInteger(), nullable=False),
        sa.Column("lat_30", sa.BigInteger(), nullable=False),
        sa.Column("lat_31", sa.BigInteger(), nullable=False),
        sa.Column("lat_32", sa.BigInteger(), nullable=False),
        sa.Column("lat_33", sa.BigInteger(), nullable=False),
        sa.Column("lat_34", sa.BigInteger(), nullable=False),
        sa.Column("lat_35", sa.BigInteger(), nullable=False),
        sa.Column("lat_36", sa.BigInteger(), nullable=False),
        sa.Column("lat_37", sa.BigInteger(), nullable=False),
        sa.Column("lat_38", sa.BigInteger(), nullable=False),
        sa.Column("lat_39", sa.BigInteger(), nullable=False),
        sa.Column("lat_40", sa.BigInteger(), nullable=False),
        sa.Column("lat_41", sa.BigInteger(), nullable=False),
        sa.Column("lat_42", sa.BigInteger(), nullable=False),
        sa.Column("lat_43", sa.BigInteger(), nullable=False),
        sa.Column("lat_44", sa.BigInteger(), nullable=False),
        sa.Column("lat_45", sa.BigInteger(), nullable=False),
        sa.Column("lat_46", sa.BigInteger(), nullable=False),
        sa.Column("lat_47", sa.BigInteger(), nullable=False),
        sa.Column("lat_48", sa.BigInteger(), nullable=False),
        sa.Column("lat_49", sa.BigInteger(), nullable=False),
        sa.Column("lat_50", sa.BigInteger(), nullable=False),
        sa.Column("lat_51", sa.BigInteger(), nullable=False),
        sa.Column("lat_52", sa.BigInteger(), nullable=False),
        sa.Column("lat_53", sa.BigInteger(), nullable=False),
        sa.Column("lat_54", sa.BigInteger(), nullable=False),
        sa.Column("lat_55", sa.BigInteger(), nullable=False),
        sa.Column("lat_56", sa.BigInteger(), nullable=False),
        sa.Column("lat_57", sa.BigInteger(), nullable=False),
        sa.Column("lat_58", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "model_id", "provider_id", "feature", name=op.f("pk_usage_daily")
        ),
    )
    op.create_table(
        "usage_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("feature", sa.String(length=64), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cached_tokens", sa.BigInteger(), nullable=False),
        sa.Column("reasoning_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost", ExactDecimal(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("routing_decision_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_events")),
    )
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_events_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_events_at"))

    op.drop_table("usage_events")
    op.drop_table("usage_daily")
    op.drop_table("routing_model_daily")
    op.drop_table("routing_daily")
    op.drop_table("rollup_days")
