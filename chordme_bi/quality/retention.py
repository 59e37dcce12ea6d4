"""Data retention (BI_DATA_RETENTION_DAYS): personal activity older than the cutoff leaves raw and the marts.

Removed: sessions started before the cutoff and the events and problem sections inside them (or themselves
older), their rejected rows, every row derived from them outside raw (facts, quarantine, incremental
intermediate tables: wherever their key appears, see rules.DERIVED_KEYS) and the
per-user daily aggregate rows before the cutoff date. Platform aggregates (counts per day, no person) stay.
The cutoff is recorded as a watermark (``raw._retention_state``) that the extractor honours, so a later
extraction does not bring the rows back; every removal is counted in ``ops.retention_log``.
``retention_days = 0`` keeps everything: nothing is removed and no watermark is written.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import duckdb

from chordme_bi.extract.extractor import REJECTS_TABLE, _ensure_warehouse
from chordme_bi.quality import rules
from chordme_bi.quality.privacy import columns as warehouse_columns
from chordme_bi.settings import Settings
from chordme_bi.warehouse import connect_writer

# Per-user daily aggregates: relation -> date column.
PERSONAL_DAILY = {"marts.agg_student_daily": "activity_date"}


@dataclass
class RetentionReport:
    retention_days: int
    cutoff: datetime | None
    rows_removed: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows_removed(self) -> int:
        return sum(self.rows_removed.values())


def cutoff_for(now: datetime, days: int) -> datetime | None:
    if days < 0:
        raise ValueError(f"BI_DATA_RETENTION_DAYS must be >= 0 (0 keeps everything), got {days}")
    if days == 0:
        return None
    # Whole UTC days: daily aggregates then lose exactly the days the facts lose.
    day = now.astimezone(timezone.utc).date() - timedelta(days=days)
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".")
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                       [schema, name]).fetchall()[0][0] > 0


def _delete(con, report: RetentionReport, name: str, sql: str, params: list | None = None) -> None:
    n = con.execute(sql, params or []).fetchall()[0][0]
    if n:
        report.rows_removed[name] = report.rows_removed.get(name, 0) + n


def apply_retention_to(con: duckdb.DuckDBPyConnection, days: int, now: datetime) -> RetentionReport:
    report = RetentionReport(days, cutoff_for(now, days))
    if report.cutoff is None:
        return report
    cutoff = report.cutoff
    con.execute(f"INSERT INTO {rules.RETENTION_STATE} VALUES (?, ?, ?)", [cutoff, days, now])
    sessions_gone = f"(SELECT row_id FROM {rules.SUPPRESSED_ROWS} WHERE table_name = 'performance_sessions')"
    for table, column in rules.RETENTION_COLUMNS.items():  # sessions first (dict order): the others follow
        where = f'"{column}" < ?'
        params = [cutoff]
        if table in rules.FOLLOW_SESSION:
            where += f' OR CAST("{rules.FOLLOW_SESSION[table]}" AS VARCHAR) IN {sessions_gone}'
        con.execute(f"""INSERT INTO {rules.SUPPRESSED_ROWS}
                        SELECT DISTINCT ?, CAST(id AS VARCHAR), 'retention', ? FROM raw."{table}" WHERE {where}
                        ON CONFLICT DO NOTHING""", [table, now, *params])
        _delete(con, report, f"raw.{table}", f'DELETE FROM raw."{table}" WHERE {where}', params)
        # rejected rows: judged by when they were loaded (their own timestamps may not parse)
        reject_where = "table_name = ? AND _loaded_at < ?"
        con.execute(f"""INSERT INTO {rules.SUPPRESSED_ROWS} SELECT DISTINCT table_name, row_id, 'retention', ?
                        FROM {REJECTS_TABLE} WHERE {reject_where} ON CONFLICT DO NOTHING""", [now, table, cutoff])
        _delete(con, report, f"{REJECTS_TABLE}:{table}", f"DELETE FROM {REJECTS_TABLE} WHERE {reject_where}",
                [table, cutoff])
    # Everything derived from the removed rows, wherever their keys appear outside raw.
    for col in warehouse_columns(con):
        if rules.DERIVED_KEYS.get(col.name) in rules.RETENTION_COLUMNS:
            _delete(con, report, f"{col.schema}.{col.table}", f"""DELETE FROM {col.relation} WHERE CAST("{col.name}" AS VARCHAR)
                    IN (SELECT row_id FROM {rules.SUPPRESSED_ROWS} WHERE table_name = ?)""", [rules.DERIVED_KEYS[col.name]])
    for relation, column in PERSONAL_DAILY.items():
        if _exists(con, relation):
            _delete(con, report, relation, f'DELETE FROM {relation} WHERE "{column}" < CAST(? AS DATE)', [cutoff])
    con.execute(f"INSERT INTO {rules.RETENTION_LOG} VALUES (?, ?, ?, ?, ?)",
                [uuid.uuid4().hex, cutoff, days, now, json.dumps(report.rows_removed)])
    return report


def apply_retention(settings: Settings, now: datetime | None = None) -> RetentionReport:
    """Apply ``settings.data_retention_days`` to the warehouse in one transaction."""
    now = now or datetime.now(timezone.utc)
    if settings.data_retention_days == 0:
        return RetentionReport(0, None)
    with connect_writer(settings.warehouse_path, settings.duckdb_memory_limit) as con:
        _ensure_warehouse(con)
        con.execute("BEGIN TRANSACTION")
        try:
            report = apply_retention_to(con, settings.data_retention_days, now)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return report
