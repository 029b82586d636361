"""provider approval policies: approval_policies.kind holds model:<provider>

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 14:40:00.000000

A model provider may have a policy of its own (kind ``model:<provider>``, a provider id
being up to 64 characters), so the kind column widens from 40 to 80 characters.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("approval_policies", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=40), type_=sa.String(length=80)
        )


def downgrade() -> None:
    # Provider policies do not fit the narrower column; they go with it.
    op.execute("DELETE FROM approval_policies WHERE kind LIKE 'model:%'")
    with op.batch_alter_table("approval_policies", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=80), type_=sa.String(length=40)
        )
