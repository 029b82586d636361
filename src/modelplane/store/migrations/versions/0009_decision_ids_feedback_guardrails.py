"""decision ids, feedback, guardrails: outcomes linked to decisions, and the guard's rows

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:40:00.000000

Every new column is nullable and starts empty, so adding it rewrites nothing.

- ``routing_decisions.decision_id``: the id a route answer carries (``decisionId``), and
  ``enrolled_flags``: the rollout flags that enrolled the request (",a,b,"), so a flag's
  guardrails can compare its enrolled traffic with the rest.
- ``usage_events.decision_id``: the decision a generation followed.
- ``feedback_events``: a verdict on a decision (thumbs, rating, ...), idempotent by event id.
- ``flags.guardrails``/``flags.schedule`` and ``experiments.guardrails``: what the guard
  checks and the steps a flag advances through.
- ``guard_leases``: the one row per job whose holder is the leader until it expires.
- ``guard_events``: what the guard did (a rollback, an advance), with its evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from modelplane.store.types import JSONDocument, UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("enrolled_flags", sa.String(length=1000), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_routing_decisions_decision_id"), ["decision_id"], unique=False
        )
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_usage_events_decision_id"), ["decision_id"])
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guardrails", JSONDocument, nullable=True))
        batch_op.add_column(sa.Column("schedule", JSONDocument, nullable=True))
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guardrails", JSONDocument, nullable=True))
    op.create_table(
        "feedback_events",
        sa.Column("id", _Id, autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=True),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("signal", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_events")),
    )
    op.create_index(op.f("ix_feedback_events_at"), "feedback_events", ["at"])
    op.create_index(op.f("ix_feedback_events_decision_id"), "feedback_events", ["decision_id"])
    op.create_index(
        op.f("ix_feedback_events_event_id"), "feedback_events", ["event_id"], unique=True
    )
    op.create_table(
        "guard_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_guard_leases")),
    )
    op.create_table(
        "guard_events",
        sa.Column("id", _Id, autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("evidence", JSONDocument, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guard_events")),
    )
    op.create_index(op.f("ix_guard_events_at"), "guard_events", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_guard_events_at"), table_name="guard_events")
    op.drop_table("guard_events")
    op.drop_table("guard_leases")
    op.drop_index(op.f("ix_feedback_events_event_id"), table_name="feedback_events")
    op.drop_index(op.f("ix_feedback_events_decision_id"), table_name="feedback_events")
    op.drop_index(op.f("ix_feedback_events_at"), table_name="feedback_events")
    op.drop_table("feedback_events")
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_column("guardrails")
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_column("schedule")
        batch_op.drop_column("guardrails")
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_events_decision_id"))
        batch_op.drop_column("decision_id")
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_decisions_decision_id"))
        batch_op.drop_column("enrolled_flags")
        batch_op.drop_column("decision_id")
