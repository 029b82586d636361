"""Serialising the rules that span documents: one lock per rule family, taken before the check.

A rule that reads one document to allow a write to another (a model may be deprecated only
if the router config does not name it; the config may name only active models; the last
active admin stays) is write skew under READ COMMITTED: two writers each read the other's
document before either commits, and both pass. So every writer on either side of such a rule
takes its family's lock *before* it reads what the rule needs, and holds it to the end of the
transaction: the second writer then reads what the first committed.

PostgreSQL: a transaction-scoped advisory lock (``pg_advisory_xact_lock``) per family, in
their own key space (the two-key form), released by the commit or rollback. Taking a family
that is already held is free. SQLite: nothing to do, a writing unit of work already holds the
database's one write lock from its ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from enum import Enum

from sqlalchemy import Connection, text

_SPACE = 0x6D70  # "mp": the first key of every rule family's advisory lock


class RuleFamily(Enum):
    """The rules that span documents, one lock each (the value is the lock's second key)."""

    ROUTER_MODELS = 1
    """Models' status against the models the router config and experiments name."""
    ADMINS = 2
    """Users' roles and disabled flags against "one active admin remains"."""


def hold(conn: Connection, family: RuleFamily) -> None:
    """Take ``family``'s lock for the rest of ``conn``'s transaction (waiting for a writer
    that holds it); a no-op on SQLite, whose writers are already serialised."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(
        text("SELECT pg_advisory_xact_lock(:space, :family)"),
        {"space": _SPACE, "family": family.value},
    )
