"""token scopes and expiry: api_tokens.scopes, api_tokens.expires_at

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02 17:15:00.000000

Two nullable columns; existing tokens keep no scopes (their role decides) and never expire.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from modelplane.store.types import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("scopes", sa.String(length=1000), nullable=True))
    op.add_column("api_tokens", sa.Column("expires_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scopes")
