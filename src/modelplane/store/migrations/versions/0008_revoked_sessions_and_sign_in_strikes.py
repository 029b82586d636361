"""signed-out console sessions kept server-side, and the sign-in limiter's counts shared
by every process

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:00:00.000000

Two new tables and nothing rewritten; sessions signed in before it stay signed in.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from modelplane.store.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revoked_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_revoked_sessions")),
    )
    op.create_index(
        op.f("ix_revoked_sessions_expires_at"), "revoked_sessions", ["expires_at"], unique=False
    )
    op.create_table(
        "sign_in_strikes",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_strikes")),
    )
    op.create_index(
        op.f("ix_sign_in_strikes_expires_at"), "sign_in_strikes", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_strikes_expires_at"), table_name="sign_in_strikes")
    op.drop_table("sign_in_strikes")
    op.drop_index(op.f("ix_revoked_sessions_expires_at"), table_name="revoked_sessions")
    op.drop_table("revoked_sessions")
