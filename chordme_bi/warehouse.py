"""DuckDB access rules: one writer at a time (Dagster pool), readers open read-only and briefly."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb


def connect_writer(warehouse_path: Path | str, memory_limit: str = "1500MB") -> duckdb.DuckDBPyConnection:
    """The one writer (callers hold the duckdb_writer pool). Bounded memory: DuckDB spills to disk past the
    limit, and insertion order is not kept (tables are sets), so large inserts stream."""
    path = Path(warehouse_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), config={"memory_limit": memory_limit, "preserve_insertion_order": False})
    con.execute("SET TimeZone = 'UTC'")  # after connecting: the setting needs ICU, loaded on first use
    return con


@contextmanager
def read_only(warehouse_path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def relation_stats(con: duckdb.DuckDBPyConnection, schema: str, name: str, preview_rows: int = 5) -> tuple[int, str]:
    """Row count and a small markdown preview of a table or view."""
    relation = f'"{schema}"."{name}"'
    rows = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    preview = con.execute(f"SELECT * FROM {relation} LIMIT {int(preview_rows)}").df()
    return rows, preview.to_markdown(index=False) if not preview.empty else "(empty)"
