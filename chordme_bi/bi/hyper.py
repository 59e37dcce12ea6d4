"""Tableau .hyper extracts of marts, written in bulk: DuckDB COPY -> Parquet, then Hyper reads the Parquet with
``CREATE TABLE ... AS SELECT * FROM external(...)``. No Python row objects: ~10x faster than the Inserter.

Each extract holds one table, ``"Extract"."<mart>"``. It is written to a temporary file beside the target and
renamed, so a reader (or a publish) never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from chordme_bi.bi.marts import export_select, quote
from chordme_bi.warehouse import read_only

HYPER_SCHEMA = "Extract"


@dataclass(frozen=True)
class HyperResult:
    mart: str
    path: Path
    rows: int
    columns: dict[str, str]  # column -> Hyper type
    bytes: int
    seconds: float


@contextmanager
def hyper_process(log_dir: Path) -> Iterator[object]:
    """A Hyper process with telemetry off and its log under ``log_dir`` (not the working directory)."""
    from tableauhyperapi import HyperProcess, Telemetry

    log_dir.mkdir(parents=True, exist_ok=True)
    with HyperProcess(Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_dir": str(log_dir)}) as process:
        yield process


def parquet_to_hyper(process, parquet: Path, target: Path, table: str) -> tuple[int, dict[str, str]]:
    """Write ``target`` (atomically) with one table read from ``parquet``; returns (rows, column types)."""
    from tableauhyperapi import Connection, CreateMode, TableName, escape_string_literal

    target.parent.mkdir(parents=True, exist_ok=True)
    # A transient file: snappy writes and reads faster here than zstd (measured). Hyper must create the file itself (an empty placeholder is "not a valid database").
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.hyper")
    try:
        table_name = TableName(HYPER_SCHEMA, table)
        with Connection(process.endpoint, str(tmp), CreateMode.CREATE_AND_REPLACE) as con:
            con.catalog.create_schema_if_not_exists(HYPER_SCHEMA)
            con.execute_command(
                f"CREATE TABLE {table_name} AS SELECT * FROM external({escape_string_literal(str(parquet))})"
            )
            rows = con.execute_scalar_query(f"SELECT count(*) FROM {table_name}")
            definition = con.catalog.get_table_definition(table_name)
            types = {c.name.unescaped: str(c.type) for c in definition.columns}
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return int(rows), types


def copy_mart_to_parquet(warehouse_path: Path | str, mart: str, parquet: Path) -> int:
    """COPY the mart (export casts applied) to ``parquet``; returns its row count. Holds DuckDB briefly."""
    with read_only(warehouse_path) as con:
        select = export_select(con, mart)
        con.execute(f"COPY ({select}) TO {quote_literal(str(parquet))} (FORMAT parquet, COMPRESSION snappy)").fetchall()
        return con.execute(f"SELECT count(*) FROM read_parquet({quote_literal(str(parquet))})").fetchall()[0][0]


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def write_hyper_extracts(
    warehouse_path: Path | str, marts: list[str], out_dir: Path, work_dir: Path | None = None
) -> list[HyperResult]:
    """One ``<out_dir>/<mart>.hyper`` per mart, through one Hyper process."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="chordme-hyper-", dir=work_dir) as tmp:
        with hyper_process(Path(tmp) / "logs") as process:
            for mart in marts:
                started = time.perf_counter()
                parquet = Path(tmp) / f"{mart}.parquet"
                expected = copy_mart_to_parquet(warehouse_path, mart, parquet)
                target = out_dir / f"{mart}.hyper"
                rows, types = parquet_to_hyper(process, parquet, target, mart)
                if rows != expected:  # cheap guard: a partial read would otherwise publish silently
                    raise RuntimeError(f"{target}: Hyper holds {rows} rows, the mart {mart} has {expected}")
                parquet.unlink()
                results.append(HyperResult(mart, target, rows, types, target.stat().st_size,
                                           time.perf_counter() - started))
    return results


def read_hyper_table(path: Path, table: str) -> tuple[list[str], list[list]]:
    """Column names and all rows of one extract table (used by tests and `bi` checks; small tables only)."""
    from tableauhyperapi import Connection, TableName

    with tempfile.TemporaryDirectory(prefix="chordme-hyper-read-") as tmp, hyper_process(Path(tmp)) as process:
        with Connection(process.endpoint, str(path)) as con:
            name = TableName(HYPER_SCHEMA, table)
            cols = [c.name.unescaped for c in con.catalog.get_table_definition(name).columns]
            return cols, con.execute_list_query(f"SELECT * FROM {name}")


__all__ = ["HyperResult", "write_hyper_extracts", "read_hyper_table", "hyper_process", "parquet_to_hyper", "quote"]
