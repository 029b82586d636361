"""fleet heartbeats and one audit log: fleet_processes, audit_events, and the face of
every history row

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 05:00:00.000000

Both tables are new and the history tables gain one nullable column (rows from before say
no face) and an index on ``at`` (built inside the migration's transaction; history tables
are small next to usage).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from modelplane.store.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HISTORY = ("model_history", "profile_history", "router_config_history", "flag_history")


def upgrade() -> None:
    op.create_table(
        "fleet_processes",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=True),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("degraded", sa.Boolean(), nullable=False),
        sa.Column("behind", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_processes")),
    )
    op.create_index(
        op.f("ix_fleet_processes_last_seen"), "fleet_processes", ["last_seen"], unique=False
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("face", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"], unique=False)
    for table in _HISTORY:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("face", sa.String(length=20), nullable=True))
        # the audit feed reads each history newest first, a page at a time
        op.create_index(op.f(f"ix_{table}_at"), table, ["at"], unique=False)


def downgrade() -> None:
    for table in _HISTORY:
        op.drop_index(op.f(f"ix_{table}_at"), table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("face")
    op.drop_index(op.f("ix_audit_events_at"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index(op.f("ix_fleet_processes_last_seen"), table_name="fleet_processes")
    op.drop_table("fleet_processes")
