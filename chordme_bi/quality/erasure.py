"""Erase one user (GDPR art. 17) from the warehouse and the generated outputs, and keep them out.

What goes (see rules.py for the table lists):
- raw: the user's own rows (user, sessions and the events/problem sections inside them, goals, band and
  room memberships, dashboards, scheduled reports), their rejected rows, their pseudonyms; shared rows
  (songs, setlists, rooms, band performances) stay with the reference to the user cleared;
- every table outside raw (marts, quarantine, any later schema): rows derived from the removed raw rows (by
  key), rows naming the user in a user-id column or carrying either pseudonym (user_key, anonymous_key) —
  in shared rows (a song's owner) only that column is cleared;
- output files (reports, exports, quality results) that mention a pseudonym, or that name the user id in
  a user-id field (JSON/CSV/Parquet) or in their file name (``user-42``): deleted together with the files
  sharing their stem (the PDF beside a report's JSON). The next scheduled run regenerates what is still due.

The user id goes on ``raw._erased_users``, the suppression list the extractor honours, so the source (which
the app may keep) does not bring the rows back. The audit entry in ``ops.erasure_log`` keeps a keyed hash
of the id, when, and rows removed per table, never the email or name.
"""

from __future__ import annotations

import csv
import hmac
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from hashlib import sha256
from pathlib import Path

import duckdb

from chordme_bi.extract.extractor import PSEUDONYM_TABLE, REJECTS_TABLE, _ensure_warehouse, pseudonym
from chordme_bi.quality import rules
from chordme_bi.quality.privacy import columns as warehouse_columns
from chordme_bi.settings import Settings
from chordme_bi.warehouse import connect_writer


@dataclass
class ErasureReport:
    erasure_id: str
    user_id_hash: str
    rows_removed: dict[str, int] = field(default_factory=dict)
    rows_anonymised: dict[str, int] = field(default_factory=dict)
    files_removed: list[str] = field(default_factory=list)

    @property
    def total_rows_removed(self) -> int:
        return sum(self.rows_removed.values())


def user_id_hash(secret: bytes, user_id: int) -> str:
    """Keyed hash for the audit log: proves "user N was erased" to whoever holds the key, reveals nothing else."""
    return hmac.new(secret, f"erasure:{int(user_id)}".encode(), sha256).hexdigest()


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    return con.execute(sql, params or []).fetchall()[0][0]


def _remove(con, counts: dict, name: str, sql: str, params: list | None = None) -> None:
    n = _count(con, sql, params)  # DuckDB's DELETE/UPDATE return their row count
    if n:
        counts[name] = counts.get(name, 0) + n


def _ledger_and_delete(con, report: ErasureReport, table: str, pk: str, where: str, params: list, reason: str) -> None:
    """Record the raw rows' ids as suppressed (so source = raw + rejects + suppressed still holds), then delete."""
    con.execute(
        f"""INSERT INTO {rules.SUPPRESSED_ROWS}
            SELECT DISTINCT ?, CAST("{pk}" AS VARCHAR), ?, now() FROM raw."{table}" WHERE {where}
            ON CONFLICT DO NOTHING""", [table, reason, *params])
    _remove(con, report.rows_removed, f"raw.{table}", f'DELETE FROM raw."{table}" WHERE {where}', params)


def erase_from_raw(con: duckdb.DuckDBPyConnection, user_id: int, report: ErasureReport) -> None:
    con.execute(f"INSERT INTO {rules.ERASED_USERS} VALUES (?, now()) ON CONFLICT DO NOTHING", [user_id])
    # Sessions first: their ids decide which events and problem sections follow.
    for table, column in sorted(rules.ERASE_BY_USER.items(), key=lambda kv: kv[0] != "performance_sessions"):
        _ledger_and_delete(con, report, table, "id", f'"{column}" = ?', [user_id], "erasure")
    user_sessions = (f"(SELECT row_id FROM {rules.SUPPRESSED_ROWS} WHERE table_name = 'performance_sessions'"
                     " AND reason = 'erasure')")
    for table, column in rules.FOLLOW_SESSION.items():
        _ledger_and_delete(con, report, table, "id", f'CAST("{column}" AS VARCHAR) IN {user_sessions}', [],
                           "follows_session")
    for table, cols in rules.NULLIFY_USER.items():
        for column in cols:
            _remove(con, report.rows_anonymised, f"raw.{table}.{column}",
                    f'UPDATE raw."{table}" SET "{column}" = NULL WHERE "{column}" = ?', [user_id])
    for table, column in rules.USER_ID_LISTS.items():
        _remove(con, report.rows_anonymised, f"raw.{table}.{column}",
                f'UPDATE raw."{table}" SET "{column}" = {rules.scrub_user_list_sql(column, [user_id])} '
                f'WHERE "{column}" IS DISTINCT FROM {rules.scrub_user_list_sql(column, [user_id])}')
    # Rows rejected at extraction keep the original values as JSON: the user's go too (and are recorded).
    reject_conditions = [f"(table_name = '{t}' AND json_extract_string(row_json, '$.{c}') = CAST(? AS VARCHAR))"
                         for t, c in rules.ERASE_BY_USER.items()]
    reject_conditions += [f"(table_name = '{t}' AND json_extract_string(row_json, '$.{c}') IN {user_sessions})"
                          for t, c in rules.FOLLOW_SESSION.items()]
    where = " OR ".join(reject_conditions)
    params = [user_id] * len(rules.ERASE_BY_USER)
    con.execute(f"""INSERT INTO {rules.SUPPRESSED_ROWS} SELECT DISTINCT table_name, row_id, 'erasure', now()
                    FROM {REJECTS_TABLE} WHERE {where} ON CONFLICT DO NOTHING""", params)
    _remove(con, report.rows_removed, REJECTS_TABLE, f"DELETE FROM {REJECTS_TABLE} WHERE {where}", params)
    _remove(con, report.rows_removed, PSEUDONYM_TABLE, f"DELETE FROM {PSEUDONYM_TABLE} WHERE user_id = ?", [user_id])


def erase_outside_raw(con: duckdb.DuckDBPyConnection, user_id: int, keys: list[str], report: ErasureReport) -> None:
    by_table: dict[tuple[str, str], list] = {}
    for col in warehouse_columns(con):
        by_table.setdefault((col.schema, col.table), []).append(col)
    key_list = ", ".join(f"'{k}'" for k in keys)  # hex digests: safe to inline
    for (schema, table), cols in by_table.items():
        relation, name = f'"{schema}"."{table}"', f"{schema}.{table}"
        for col in cols:
            if col.name in rules.NULLIFY_COLUMNS:
                _remove(con, report.rows_anonymised, f"{name}.{col.name}",
                        f'UPDATE {relation} SET "{col.name}" = NULL WHERE "{col.name}" = ?', [user_id])
        conditions = [f'"{c.name}" = {int(user_id)}' for c in cols
                      if rules.is_user_id_column(c.name) and c.name not in rules.NULLIFY_COLUMNS
                      and c.data_type in ("BIGINT", "INTEGER", "HUGEINT")]
        conditions += [f'"{c.name}" IN ({key_list})' for c in cols
                       if rules.is_pseudonym_column(c.name) and c.data_type == "VARCHAR"]
        conditions += [f"""CAST("{c.name}" AS VARCHAR) IN (SELECT row_id FROM {rules.SUPPRESSED_ROWS}
                           WHERE table_name = '{rules.DERIVED_KEYS[c.name]}' AND reason IN ('erasure', 'follows_session'))"""
                       for c in cols if c.name in rules.DERIVED_KEYS]
        if conditions:
            _remove(con, report.rows_removed, name, f"DELETE FROM {relation} WHERE {' OR '.join(conditions)}")


_NAME_TOKEN = r"(?:^|[^0-9a-z])user[-_]?(?:id[-_]?)?{id}(?:[^0-9]|$)"


def _file_mentions_user(path: Path, user_id: int, keys: list[str]) -> bool:
    from chordme_bi.quality.rules import is_user_id_column

    if re.search(_NAME_TOKEN.format(id=int(user_id)), path.name.lower()):
        return True
    data = path.read_bytes()
    if any(k.encode() in data for k in keys):
        return True
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            return _json_mentions(json.loads(data), user_id)
        if suffix in (".csv", ".tsv"):
            reader = csv.DictReader(data.decode(errors="replace").splitlines(), delimiter="\t" if suffix == ".tsv" else ",")
            fields = [f for f in reader.fieldnames or [] if is_user_id_column(f)]
            return any(row.get(f) == str(user_id) for row in reader for f in fields)
        if suffix == ".parquet":
            with duckdb.connect() as con:
                cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
                fields = [c for c in cols if is_user_id_column(c)]
                return bool(fields) and _count(con, f"SELECT count(*) FROM read_parquet('{path}') WHERE "
                                               + " OR ".join(f'CAST("{f}" AS VARCHAR) = ?' for f in fields),
                                               [str(user_id)] * len(fields)) > 0
    except (ValueError, UnicodeError, duckdb.Error):
        return False  # not the format its name says: judged by name and pseudonyms only
    return False


def _json_mentions(value, user_id: int) -> bool:
    from chordme_bi.quality.rules import is_user_id_column

    if isinstance(value, dict):
        for k, v in value.items():
            if is_user_id_column(str(k)) and (v == user_id or v == str(user_id)
                                              or (isinstance(v, list) and user_id in v)):
                return True
            if k in ("user_ids", "team_members") and isinstance(v, list) and user_id in v:
                return True
            if _json_mentions(v, user_id):
                return True
    elif isinstance(value, list):
        return any(_json_mentions(v, user_id) for v in value)
    return False


def erase_files(output_dir: Path | str, user_id: int, keys: list[str]) -> list[str]:
    root = Path(output_dir)
    if not root.exists():
        return []
    files = [p for p in root.rglob("*") if p.is_file()]
    hits = {p for p in files if _file_mentions_user(p, user_id, keys)}
    # a report's other renderings (same stem, same folder: report.json -> report.pdf, report.html)
    hits |= {p for p in files for h in list(hits) if p.parent == h.parent and p.stem == h.stem}
    for path in sorted(hits):
        path.unlink()
    return sorted(str(p) for p in hits)


def erase_user(settings: Settings, user_id: int) -> ErasureReport:
    """Erase ``user_id`` everywhere; idempotent (a second call removes nothing and logs again)."""
    user_id = int(user_id)
    requested_at = datetime.now(timezone.utc)
    secret = settings.pseudonym_secret()
    report = ErasureReport(uuid.uuid4().hex, user_id_hash(secret, user_id))
    with connect_writer(settings.warehouse_path, settings.duckdb_memory_limit) as con:
        _ensure_warehouse(con)
        stored = con.execute(f"SELECT user_key, anonymous_key FROM {PSEUDONYM_TABLE} WHERE user_id = ?",
                             [user_id]).fetchall()
        # Both the stored keys and the ones the current secret gives (they differ after a key rotation).
        keys = sorted({k for row in stored for k in row if k} | {pseudonym(secret, user_id),
                                                                pseudonym(secret, user_id, anonymous=True)})
        con.execute("BEGIN TRANSACTION")
        try:
            erase_from_raw(con, user_id, report)
            erase_outside_raw(con, user_id, keys, report)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        report.files_removed = erase_files(settings.output_dir, user_id, keys)
        con.execute(
            f"INSERT INTO {rules.ERASURE_LOG} VALUES (?, ?, ?, now(), ?, ?, ?)",
            [report.erasure_id, report.user_id_hash, requested_at, json.dumps(report.rows_removed),
             json.dumps(report.rows_anonymised), len(report.files_removed)])
    return report


AGGREGATES_SELECTOR = "path:models/marts/aggregates"


def rebuild_aggregates(settings: Settings) -> None:
    """Recompute the aggregates from the facts after rows were removed. Incremental aggregates (hourly usage,
    daily events) would otherwise keep counting the removed sessions; the facts are exact, so a full refresh
    of the aggregates alone (seconds) restores every sums_match test."""
    from chordme_bi.dbt_runner import run_dbt

    run_dbt(["build", "--full-refresh", "--select", AGGREGATES_SELECTOR], settings.warehouse_path)
