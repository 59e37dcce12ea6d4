"""Data export: a mart (or one of the named data types over the marts) for a window and filters, streamed
to CSV, JSON or Parquet by DuckDB's COPY, with a ``<out>.meta.json`` sidecar and an audit_log row.

Why COPY: DuckDB writes the file straight from its pipeline, so memory stays bounded however many rows
(bench/export_memory.py measures it); Python never holds the rows. Every user value is a bound parameter;
identifiers come only from the warehouse catalog (a whitelist), never from the request.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from chordme_bi.settings import Settings

FORMATS = ("csv", "json", "parquet")
MARTS = "marts"
# Personal data never leaves the private raw layer; a mart that grew such a column is refused, not exported.
PERSONAL_COLUMNS = frozenset({"email", "display_name"})
# Bounds DuckDB's own buffers during an export; COPY streams, this only caps what it may cache.
EXPORT_MEMORY_LIMIT = "512MB"
_DATE_COLUMNS = ("activity_date", "performance_date", "session_date", "event_date", "created_date",
                 "performed_at", "started_at", "event_at", "created_at")
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")


@dataclass(frozen=True)
class ExportType:
    relation: str
    date_column: str
    filters: dict[str, str]  # filter name -> column


DATA_TYPES: dict[str, ExportType] = {
    "sessions": ExportType("fct_sessions", "started_at", {
        "user_ids": "user_id", "device_types": "device_type", "session_types": "session_type", "song_ids": "song_id",
        "session_ids": "session_id", "setlist_ids": "setlist_id", "duration_buckets": "duration_bucket"}),
    "events": ExportType("fct_performance_events", "event_at", {
        "session_ids": "session_id", "event_types": "event_type", "event_ids": "event_id"}),
    "performances": ExportType("fct_setlist_performances", "performed_at", {
        "setlist_ids": "setlist_id", "user_ids": "performed_by_user_id", "event_types": "event_type",
        "audience_engagements": "audience_engagement", "performance_ids": "performance_id"}),
    "goals": ExportType("fct_goal_progress", "created_at", {
        "user_ids": "user_id", "goal_types": "goal_type", "statuses": "status", "goal_ids": "goal_id"}),
    "users": ExportType("dim_users", "created_at", {"user_ids": "user_id"}),
}


class ExportError(ValueError):
    """A request that cannot be exported (unknown type, column, value or format; too many rows)."""


class ExportTooLarge(ExportError):
    def __init__(self, message: str, matched: int):
        super().__init__(message)
        self.matched = matched


@dataclass
class ExportRequest:
    data_type: str
    start: str | date | datetime | None = None
    end: str | date | datetime | None = None
    format: str = "csv"
    filters: dict[str, list[Any]] = field(default_factory=dict)
    out: str | Path | None = None
    allow_truncate: bool = False


@dataclass
class ExportResult:
    path: str
    meta_path: str
    data_type: str
    relation: str
    format: str
    rows: int
    matched: int
    truncated: bool
    window: dict[str, str | None]
    filters: dict[str, list[Any]]
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def parse_moment(value: str | date | datetime, name: str) -> datetime:
    """A date or an ISO timestamp as an aware UTC datetime (a date is its midnight UTC)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ExportError(f"{name}: {value!r} is not a date (YYYY-MM-DD) or ISO timestamp") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _catalog(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? ORDER BY table_name, ordinal_position", [MARTS],
    ).fetchall()
    catalog: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        catalog.setdefault(table, {})[column] = dtype
    return catalog


def valid_data_types(catalog: dict[str, dict[str, str]]) -> list[str]:
    return sorted(DATA_TYPES) + sorted(catalog)


def _resolve(data_type: str, catalog: dict[str, dict[str, str]]) -> ExportType:
    name = data_type.strip()
    if name in DATA_TYPES:
        spec = DATA_TYPES[name]
    else:
        relation = name.removeprefix(f"{MARTS}.")
        if relation not in catalog:
            raise ExportError(f"unknown data type {data_type!r}; valid: {', '.join(valid_data_types(catalog))}")
        columns = catalog[relation]
        date_column = next((c for c in _DATE_COLUMNS if c in columns), "")
        spec = ExportType(relation, date_column, {c: c for c in columns})
    if spec.relation not in catalog:
        raise ExportError(f"mart {MARTS}.{spec.relation} is not built in this warehouse (run the warehouse job first)")
    personal = PERSONAL_COLUMNS & set(catalog[spec.relation])
    if personal:
        raise ExportError(f"{MARTS}.{spec.relation} has personal column(s) {', '.join(sorted(personal))}: refusing to export")
    return spec


def _coerce(filter_name: str, column: str, dtype: str, value: Any) -> Any:
    base = dtype.split("(")[0].upper()
    if base in _INT_TYPES:
        if isinstance(value, bool) or not re.fullmatch(r"-?\d+", str(value).strip()):
            raise ExportError(f"filter {filter_name}: {value!r} is not an integer ({column} is {dtype})")
        return int(str(value).strip())
    if base == "BOOLEAN":
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise ExportError(f"filter {filter_name}: {value!r} is not true or false ({column} is BOOLEAN)")
        return text == "true"
    if base == "VARCHAR":
        if isinstance(value, (dict, list)):
            raise ExportError(f"filter {filter_name}: {value!r} is not a text value ({column} is VARCHAR)")
        return str(value)
    if base in ("DOUBLE", "FLOAT", "DECIMAL", "REAL"):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ExportError(f"filter {filter_name}: {value!r} is not a number ({column} is {dtype})") from None
    if base == "DATE":
        return parse_moment(value, f"filter {filter_name}").date()
    raise ExportError(f"filter {filter_name}: column {column} ({dtype}) cannot be filtered; filter on ids, codes or flags")


def _window_param(moment: datetime, dtype: str) -> Any:
    base = dtype.split("(")[0].upper()
    if base == "TIMESTAMP WITH TIME ZONE":
        return moment
    if base == "DATE":
        if moment.time() != datetime.min.time():
            raise ExportError(f"the window of this data type is by day: give dates, not {moment.isoformat()}")
        return moment.date()
    return moment.replace(tzinfo=None)  # naive TIMESTAMP columns hold UTC


def _csv_safe(column: str, dtype: str) -> str:
    quoted = f'"{column}"'
    if dtype.upper() != "VARCHAR":
        return quoted
    # A spreadsheet runs a cell starting with = + - @ tab or CR as a formula: make it text with an apostrophe.
    return f"CASE WHEN regexp_matches({quoted}, '^[=+\\-@\\t\\r]') THEN '''' || {quoted} ELSE {quoted} END AS {quoted}"


@dataclass(frozen=True)
class _Plan:
    spec: ExportType
    columns: dict[str, str]
    where: str
    params: list[Any]
    window: dict[str, str | None]
    filters: dict[str, list[Any]]


def plan_query(con: duckdb.DuckDBPyConnection, request: ExportRequest) -> _Plan:
    catalog = _catalog(con)
    spec = _resolve(request.data_type, catalog)
    columns = catalog[spec.relation]
    clauses: list[str] = []
    params: list[Any] = []
    if (request.start is None) != (request.end is None):
        raise ExportError("give both start and end (a half-open window [start, end)), or neither")
    window: dict[str, str | None] = {"column": None, "start": None, "end": None}
    if request.start is not None:
        if not spec.date_column:
            raise ExportError(f"{MARTS}.{spec.relation} has no date column: export it without start/end")
        start, end = parse_moment(request.start, "start"), parse_moment(request.end, "end")
        if end <= start:
            raise ExportError(f"end ({end.isoformat()}) must be after start ({start.isoformat()})")
        dtype = columns[spec.date_column]
        clauses.append(f'"{spec.date_column}" >= ? AND "{spec.date_column}" < ?')
        params += [_window_param(start, dtype), _window_param(end, dtype)]
        window = {"column": spec.date_column, "start": start.isoformat(), "end": end.isoformat()}
    clean_filters: dict[str, list[Any]] = {}
    for name, raw_values in (request.filters or {}).items():
        if name not in spec.filters:
            raise ExportError(f"unknown filter {name!r} for {request.data_type}; valid: {', '.join(sorted(spec.filters))}")
        column = spec.filters[name]
        values = raw_values if isinstance(raw_values, (list, tuple)) else [raw_values]
        if not values:
            raise ExportError(f"filter {name}: give at least one value")
        typed = [_coerce(name, column, columns[column], v) for v in values]
        clauses.append(f'"{column}" IN ({", ".join("?" for _ in typed)})')
        params += typed
        clean_filters[name] = typed
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    return _Plan(spec, columns, where, params, window, clean_filters)


def _connect(warehouse_path: Path | str) -> duckdb.DuckDBPyConnection:
    if not Path(warehouse_path).exists():
        raise ExportError(f"warehouse {warehouse_path} does not exist (run the warehouse job first)")
    from chordme_bi.warehouse import connect_waiting

    # Waits while a writer (the dbt build) holds the file, like every other reader.
    con = connect_waiting(warehouse_path, read_only=True, config={"memory_limit": EXPORT_MEMORY_LIMIT})
    con.execute("SET TimeZone = 'UTC'")
    return con


def default_path(settings: Settings, request: ExportRequest, fmt: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.data_type)
    window = f"_{str(request.start)[:10]}_{str(request.end)[:10]}" if request.start is not None else ""
    return Path(settings.exports_dir) / f"{name}{window}_{stamp}.{fmt}"


def run_export(settings: Settings, request: ExportRequest, *, run_id: str | None = None) -> ExportResult:
    """Export per ``request``; records the export (or its refusal for size) in ops.audit_log."""
    fmt = str(request.format).lower()
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {request.format!r}; valid: {', '.join(FORMATS)}")
    started = time.perf_counter()
    limit = settings.export_max_records
    out = Path(request.out) if request.out else default_path(settings, request, fmt)
    con = _connect(settings.warehouse_path)
    try:
        plan = plan_query(con, request)
        relation = f'{MARTS}."{plan.spec.relation}"'
        matched = con.execute(f"SELECT count(*) FROM {relation}{plan.where}", plan.params).fetchall()[0][0]
        truncated = matched > limit
        if truncated and not request.allow_truncate:
            refusal = (f"{matched:,} rows match but BI_EXPORT_MAX_RECORDS is {limit:,}: narrow the window or the "
                       "filters, raise BI_EXPORT_MAX_RECORDS, or allow a truncated export (--allow-truncate)")
        else:
            refusal = None
            select = ", ".join(_csv_safe(c, t) if fmt == "csv" else f'"{c}"' for c, t in plan.columns.items())
            # A truncated export keeps the earliest rows, so the same request gives the same file.
            keys = dict.fromkeys(c for c in (plan.spec.date_column, next(iter(plan.columns))) if c)
            order = " ORDER BY " + ", ".join(f'"{c}"' for c in keys) if truncated else ""
            query = f"SELECT {select} FROM {relation}{plan.where}{order}" + (f" LIMIT {int(limit)}" if truncated else "")
            options = {"csv": "FORMAT csv, HEADER true", "json": "FORMAT json, ARRAY true",
                       "parquet": "FORMAT parquet, COMPRESSION zstd"}[fmt]
            out.parent.mkdir(parents=True, exist_ok=True)
            partial = out.with_name(f".{out.name}.partial")
            con.execute(f"COPY ({query}) TO '{_sql_path(partial)}' ({options})", plan.params).fetchall()
            os.replace(partial, out)  # readers never see a half-written file
    finally:
        con.close()
    rows = 0 if refusal else min(matched, limit)
    meta_path = Path(f"{out}.meta.json")
    result = ExportResult(str(out), str(meta_path), request.data_type, f"{MARTS}.{plan.spec.relation}", fmt, rows,
                          matched, bool(truncated and not refusal), plan.window, plan.filters,
                          round(time.perf_counter() - started, 3))
    details = {k: v for k, v in result.as_dict().items() if k not in ("seconds",)}
    with duckdb.connect(str(settings.warehouse_path)) as wcon:
        from chordme_bi.delivery import audit

        audit.record_export(wcon, subject=f"export:{request.data_type}", target=str(out), rows=rows,
                            truncated=result.truncated, outcome="refused" if refusal else "exported",
                            error=refusal, details=details, run_id=run_id)
    if refusal:
        raise ExportTooLarge(refusal, matched)
    meta_path.write_text(json.dumps({**details, "generated_at": datetime.now(timezone.utc).isoformat()},
                                    indent=2, default=str))
    return result


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
