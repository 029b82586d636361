"""sync from public catalogues: price tiers, cache-write prices, lifecycle dates,
modalities, per-field provenance and the log of sync runs

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:45:00.000000

Every new column of ``models`` is nullable, so adding them rewrites nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from modelplane.store.types import ExactDecimal, JSONDocument, UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_MODEL_COLUMNS = (
    ("cache_write_price", ExactDecimal()),
    ("price_tiers", JSONDocument),
    ("max_output_tokens", sa.Integer()),
    ("input_modalities", JSONDocument),
    ("output_modalities", JSONDocument),
    ("deprecation_date", UTCDateTime()),
    ("sunset_date", UTCDateTime()),
    ("successor_id", sa.String(length=200)),
)


def upgrade() -> None:
    with op.batch_alter_table("models", schema=None) as batch_op:
        for name, kind in _NEW_MODEL_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        "model_provenance",
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("fields", JSONDocument, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
            name=op.f("fk_model_provenance_model_id_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_model_provenance")),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("counts", JSONDocument, nullable=False),
        sa.Column("errors", JSONDocument, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    op.create_index(
        "ix_sync_runs_source_started_at", "sync_runs", ["source", "started_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_sync_runs_source_started_at", table_name="sync_runs")
    op.drop_table("sync_runs")
    op.drop_table("model_provenance")
    with op.batch_alter_table("models", schema=None) as batch_op:
        for name, _ in reversed(_NEW_MODEL_COLUMNS):
            batch_op.drop_column(name)
