"""Copy a DuckDB warehouse's ``raw`` schema into a PostgreSQL database, so dbt's ``postgres`` target can build.

Independent of chordme_bi (duckdb + psycopg2 only). DuckDB's postgres extension cannot be installed here, so
each table goes through CSV: DuckDB writes it, ``COPY ... FROM STDIN`` reads it (NULL is an unquoted empty
field, an empty string a quoted one, in both). Types map one to one (DuckDB → PostgreSQL), so the raw layer
is the one the extractor writes, and the database's timezone is set to UTC, like the DuckDB profile's.

    python bench/copy_raw_to_postgres.py data/warehouse.duckdb postgresql://postgres@127.0.0.1:5432/chordme_warehouse
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

import duckdb
import psycopg2

_TYPES = {
    "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "DOUBLE": "double precision",
    "FLOAT": "real", "BOOLEAN": "boolean", "VARCHAR": "text", "DATE": "date", "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz", "HUGEINT": "numeric(38,0)",
}


def postgres_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return re.sub(r"^DECIMAL", "numeric", duckdb_type)
    return _TYPES[duckdb_type]


def copy_raw(warehouse: Path | str, dsn: str, schema: str = "raw") -> dict[str, int]:
    """(Re)create every table of ``schema`` in PostgreSQL with the same columns and rows; returns rows per table."""
    counts: dict[str, int] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    pg = psycopg2.connect(dsn)
    try:
        con.execute("SET TimeZone = 'UTC'")
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY table_name", [schema]).fetchall()]
        with pg.cursor() as cur, tempfile.TemporaryDirectory() as tmp:
            cur.execute("SELECT current_database()")
            cur.execute(f'ALTER DATABASE "{cur.fetchone()[0]}" SET timezone TO \'UTC\'')
            cur.execute("SET timezone TO 'UTC'")
            cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            for table in tables:
                columns = con.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                    "ORDER BY column_index", [schema, table]).fetchall()
                ddl = ", ".join(f'"{name}" {postgres_type(kind)}' for name, kind in columns)
                cur.execute(f'DROP TABLE IF EXISTS "{schema}"."{table}"')
                cur.execute(f'CREATE TABLE "{schema}"."{table}" ({ddl})')
                path = Path(tmp) / f"{table}.csv"
                con.execute(f"""COPY "{schema}"."{table}" TO '{path}' (FORMAT csv, HEADER false)""")
                with path.open() as fh:
                    cur.copy_expert(f'COPY "{schema}"."{table}" FROM STDIN WITH (FORMAT csv)', fh)
                counts[table] = cur.rowcount
                path.unlink()
        pg.commit()
    finally:
        pg.close()
        con.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("dsn", help="libpq URL of the target database")
    args = parser.parse_args()
    for table, rows in copy_raw(args.warehouse, args.dsn).items():
        print(f"raw.{table}: {rows:,}")


if __name__ == "__main__":
    main()
