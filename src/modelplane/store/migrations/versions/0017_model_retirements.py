"""model retirements: model_retirements

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 17:10:00.000000

One new table; nothing existing changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from modelplane.store.types import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_retirements",
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=False),
        sa.Column("retired_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
            name=op.f("fk_model_retirements_model_id_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_model_retirements")),
    )


def downgrade() -> None:
    op.drop_table("model_retirements")
