"""DuckDB access rules: one writer at a time (Dagster pool), readers open read-only and briefly.

DuckDB locks the file per process: while one process has it open read-write no other process can open it,
not even read-only, and a writer cannot open it while readers have it. The Dagster pool serializes writers
only, so every open here waits out another process's lock (capped exponential backoff, up to
``BI_WAREHOUSE_LOCK_TIMEOUT_SECONDS``) instead of failing a report because the nightly dbt build is running.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import duckdb

log = logging.getLogger(__name__)

# DuckDB's IOException text when another process holds the file (any other IOException is not worth a wait).
LOCK_CONFLICT_MARKERS = ("Could not set lock on file", "Conflicting lock")
FIRST_RETRY_SECONDS = 0.05
MAX_RETRY_SECONDS = 2.0
LOCK_TIMEOUT_SETTING = "BI_WAREHOUSE_LOCK_TIMEOUT_SECONDS"


class WarehouseLockTimeout(TimeoutError):
    """Another process kept the warehouse file locked for longer than the wait allowed."""


def is_lock_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and any(marker in str(exc) for marker in LOCK_CONFLICT_MARKERS)


def _default_lock_timeout() -> float:
    from chordme_bi.settings import Settings

    return Settings.from_env().warehouse_lock_timeout_seconds


def connect_waiting(path: Path | str, lock_timeout: float | None = None, **kwargs: Any) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect(path, **kwargs)``, waiting out another process's lock on the file (see module doc)."""
    path = Path(path)
    timeout = _default_lock_timeout() if lock_timeout is None else float(lock_timeout)
    began = time.monotonic()
    delay = FIRST_RETRY_SECONDS
    announced = False
    while True:
        try:
            return duckdb.connect(str(path), **kwargs)
        except duckdb.IOException as exc:
            if not is_lock_conflict(exc):
                raise
            waited = time.monotonic() - began
            if waited >= timeout:
                holder = "the DuckDB write lock" if kwargs.get("read_only") else "the DuckDB lock (a writer or readers)"
                raise WarehouseLockTimeout(
                    f"warehouse {path}: another process holds {holder} on this file; gave up after waiting "
                    f"{waited:.1f} s. Raise {LOCK_TIMEOUT_SETTING} (now {timeout:g} s) to wait longer."
                ) from exc
            if not announced:
                log.info("warehouse %s is locked by another process; waiting up to %g s for it", path, timeout)
                announced = True
            time.sleep(min(delay, timeout - waited))
            delay = min(delay * 2, MAX_RETRY_SECONDS)


def connect_writer(warehouse_path: Path | str, memory_limit: str = "1500MB", *,
                   lock_timeout: float | None = None) -> duckdb.DuckDBPyConnection:
    """The one writer (callers hold the duckdb_writer pool). Bounded memory: DuckDB spills to disk past the
    limit, and insertion order is not kept (tables are sets), so large inserts stream.

    ``lock_timeout``: seconds to wait while another process (a reader) has the file; None reads
    ``Settings.warehouse_lock_timeout_seconds``."""
    path = Path(warehouse_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = connect_waiting(path, lock_timeout, config={"memory_limit": memory_limit, "preserve_insertion_order": False})
    con.execute("SET TimeZone = 'UTC'")  # after connecting: the setting needs ICU, loaded on first use
    return con


@contextmanager
def read_only(warehouse_path: Path | str, *, lock_timeout: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short read-only connection. ``lock_timeout``: seconds to wait while a writer holds the file; None
    reads ``Settings.warehouse_lock_timeout_seconds``."""
    con = connect_waiting(Path(warehouse_path), lock_timeout, read_only=True)
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
