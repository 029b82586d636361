"""Engines, connection errors and dialect differences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from modelplane.domain.errors import DatabaseUnavailable
from modelplane.store.liveness import Liveness, Timeouts, bind, connect

WRITE_OPTION = "modelplane_write"
"""Execution option marking a connection that will write (see the SQLite begin hook)."""


def redacted(url: str) -> str:
    """The URL with its password hidden, fit for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def create_db_engine(url: str, timeouts: Timeouts | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``. SQLite gets foreign keys, WAL and a busy timeout.

    PostgreSQL gets TCP keepalives and a connect timeout; with ``timeouts`` (the server's
    engine, ``Runtime.engine``) also statement and lock timeouts, a pool timeout and a
    client-side deadline on every round trip (``store/liveness.py``)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"invalid database URL {url!r}: {exc}") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed.render_as_string(hide_password=False), **kwargs)
        if parsed.get_backend_name() != "postgresql":
            return create_engine(parsed, pool_pre_ping=True, **kwargs)
        if timeouts is None:
            # Fail fast (then 503 / degraded) rather than hang on an unanswering host.
            args = Timeouts(connect=5).connect_args()
            del args["tcp_user_timeout"], args["options"]  # no limits on statements
            kwargs.setdefault("connect_args", args)
            return create_engine(parsed, pool_pre_ping=True, **kwargs)
        kwargs.setdefault("connect_args", timeouts.connect_args())
        kwargs.setdefault("pool_timeout", timeouts.pool)
        engine = create_engine(parsed, pool_pre_ping=True, **kwargs)
        liveness = Liveness(timeouts)
        bind(engine, liveness)

        @event.listens_for(engine, "do_connect")
        def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
            conninfo = cargs[0] if cargs else ""
            return connect(conninfo, liveness, timeouts.reply, **cparams)

        return engine
    except (NoSuchModuleError, ArgumentError) as exc:
        raise DatabaseUnavailable(f"cannot use database {redacted(url)}: {exc}") from None


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself so that transactions mean what they say.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writing unit of work takes the write lock up front (IMMEDIATE), so concurrent
        # writers queue instead of failing to upgrade a read lock; readers stay DEFERRED.
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def describe_failure(url: str, exc: BaseException) -> str:
    """One line naming the database and the cause, no traceback."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return f"cannot reach database {redacted(url)}: {text}"
