"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 21:08:48.492768
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from modelplane.store.types import ExactDecimal, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("sequence", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_change_log")),
    )
    op.create_table(
        "model_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_history")),
        sa.UniqueConstraint("model_id", "version", name=op.f("uq_model_history_model_id_version")),
    )
    op.create_table(
        "profile_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_history")),
        sa.UniqueConstraint(
            "model_id", "version", name=op.f("uq_profile_history_model_id_version")
        ),
    )
    op.create_table(
        "providers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
    )
    op.create_table(
        "router_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_router_config_singleton")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_router_config")),
    )
    op.create_table(
        "router_config_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("config_id", sa.String(length=200), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_router_config_history")),
        sa.UniqueConstraint(
            "config_id", "version", name=op.f("uq_router_config_history_config_id_version")
        ),
    )
    op.create_table(
        "task_categories",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_categories")),
    )
    op.create_table(
        "models",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("context_window", sa.Integer(), nullable=False),
        sa.Column("input_price", ExactDecimal(), nullable=False),
        sa.Column("output_price", ExactDecimal(), nullable=False),
        sa.Column("cached_price", ExactDecimal(), nullable=True),
        sa.Column("reasoning_price", ExactDecimal(), nullable=True),
        sa.Column("knowledge_cutoff", sa.String(length=100), nullable=True),
        sa.Column(
            "reasoning",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("actual_model_id", sa.String(length=200), nullable=True),
        sa.Column(
            "host_order",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("gateway", sa.String(length=64), nullable=True),
        sa.Column("is_internal_only", sa.Boolean(), nullable=False),
        sa.Column("is_experimental", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("user_friendly_description", sa.Text(), nullable=True),
        sa.Column("best_for", sa.Text(), nullable=True),
        sa.Column(
            "benchmarks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("speed_tier", sa.String(length=20), nullable=True),
        sa.Column("is_pro", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'beta', 'deprecated')", name=op.f("ck_models_status")
        ),
        sa.CheckConstraint("context_window > 0", name=op.f("ck_models_context_window")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_models_version")),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_models_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")),
    )
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_models_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_models_status"), ["status"], unique=False)

    op.create_table(
        "model_capabilities",
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("capability", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
            name=op.f("fk_model_capabilities_model_id_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "capability", name=op.f("pk_model_capabilities")),
    )
    with op.batch_alter_table("model_capabilities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_model_capabilities_capability_model", ["capability", "model_id"], unique=False
        )

    op.create_table(
        "model_profiles",
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("quality_score", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "quality_score BETWEEN 0 AND 100", name=op.f("ck_model_profiles_quality_score")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
            name=op.f("fk_model_profiles_model_id_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_model_profiles")),
    )
    op.create_table(
        "profile_scores",
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name=op.f("ck_profile_scores_score")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["task_categories.id"],
            name=op.f("fk_profile_scores_category_id_task_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["model_profiles.model_id"],
            name=op.f("fk_profile_scores_model_id_model_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "category_id", name=op.f("pk_profile_scores")),
    )


def downgrade() -> None:
    op.drop_table("profile_scores")
    op.drop_table("model_profiles")
    with op.batch_alter_table("model_capabilities", schema=None) as batch_op:
        batch_op.drop_index("ix_model_capabilities_capability_model")

    op.drop_table("model_capabilities")
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_models_status"))
        batch_op.drop_index(batch_op.f("ix_models_provider_id"))

    op.drop_table("models")
    op.drop_table("task_categories")
    op.drop_table("router_config_history")
    op.drop_table("router_config")
    op.drop_table("providers")
    op.drop_table("profile_history")
    op.drop_table("model_history")
    op.drop_table("change_log")
