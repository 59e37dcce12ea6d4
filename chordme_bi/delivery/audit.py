"""The warehouse's operational log (schema ``ops``): every delivery try and every export.

- ``ops.delivery_log``: one row per (scheduled report, scheduled time, channel, recipient) attempt, with
  outcome, error and attempt number. It is the run's idempotency guard (a delivered target is skipped) and
  the retry state (attempts so far).
- ``ops.audit_log``: one row per delivery and per export: what, to whom, when, rows, outcome.

Recipients are email addresses or a URL's scheme://host:port; never secrets, tokens or URL paths.
Writers hold the ``duckdb_writer`` pool in Dagster; open, write, close.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

DDL = (
    "CREATE SCHEMA IF NOT EXISTS ops",
    """CREATE TABLE IF NOT EXISTS ops.delivery_log (
        delivery_id VARCHAR PRIMARY KEY, scheduled_report_id BIGINT, scheduled_time TIMESTAMPTZ,
        channel VARCHAR, recipient VARCHAR, report_id VARCHAR, format VARCHAR, outcome VARCHAR,
        error VARCHAR, attempt INTEGER, tries INTEGER, bytes BIGINT, run_id VARCHAR, logged_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS ops.audit_log (
        event_id VARCHAR PRIMARY KEY, event_at TIMESTAMPTZ, action VARCHAR, subject VARCHAR, recipient VARCHAR,
        rows BIGINT, truncated BOOLEAN, outcome VARCHAR, error VARCHAR, attempts INTEGER, details VARCHAR,
        run_id VARCHAR)""",
)

DELIVERED, FAILED, INVALID = "delivered", "failed", "invalid"


@dataclass(frozen=True)
class Attempt:
    channel: str
    recipient: str
    outcome: str
    attempt: int
    error: str | None


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)


def previous_attempts(con: duckdb.DuckDBPyConnection, report_row_id: int, scheduled_time: datetime | None) -> list[Attempt]:
    """Earlier attempts for one (row, scheduled time), oldest first."""
    if not _has_log(con):
        return []
    rows = con.execute(
        """SELECT channel, recipient, outcome, attempt, error FROM ops.delivery_log
           WHERE scheduled_report_id = ? AND scheduled_time IS NOT DISTINCT FROM ?
           ORDER BY logged_at, attempt""",
        [report_row_id, scheduled_time],
    ).fetchall()
    return [Attempt(*r) for r in rows]


def _has_log(con) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'ops' AND table_name = 'delivery_log'"
    ).fetchall()[0][0])


def record_delivery(con: duckdb.DuckDBPyConnection, *, report_row_id: int, scheduled_time: datetime | None,
                    channel: str, recipient: str, outcome: str, attempt: int, tries: int = 0,
                    error: str | None = None, report_id: str | None = None, fmt: str | None = None,
                    size: int = 0, run_id: str | None = None) -> None:
    """One delivery_log row and its audit_log row, in one transaction."""
    ensure(con)
    now = datetime.now(timezone.utc)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO ops.delivery_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [uuid.uuid4().hex, report_row_id, scheduled_time, channel, recipient, report_id, fmt, outcome,
             error, attempt, tries, size, run_id, now],
        )
        details = {"scheduled_report_id": report_row_id, "scheduled_time": scheduled_time.isoformat() if scheduled_time else None,
                   "channel": channel, "format": fmt, "report_id": report_id, "tries": tries, "bytes": size}
        con.execute(
            "INSERT INTO ops.audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [uuid.uuid4().hex, now, f"deliver_{channel}", f"scheduled_report:{report_row_id}", recipient, None, None,
             outcome, error, attempt, json.dumps(details), run_id],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def record_export(con: duckdb.DuckDBPyConnection, *, subject: str, target: str, rows: int | None, truncated: bool,
                  outcome: str, error: str | None, details: dict, run_id: str | None = None) -> None:
    ensure(con)
    con.execute(
        "INSERT INTO ops.audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [uuid.uuid4().hex, datetime.now(timezone.utc), "export", subject, target, rows, truncated, outcome, error, 1,
         json.dumps(details, default=str), run_id],
    )
