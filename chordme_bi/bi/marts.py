"""Reading a mart for export: its columns and a SELECT that casts DuckDB types to what each target can hold.

DuckDB writes HUGEINT (the type of SUM over BIGINT) to Parquet as DOUBLE, and Hyper reads neither 128-bit
integers nor 32-bit floats nor UUID/list types, so exports cast explicitly: HUGEINT -> BIGINT (a value that
does not fit raises a DuckDB conversion error instead of silently losing digits), FLOAT -> DOUBLE (exact),
DECIMAL(p>18) -> DOUBLE, UUID/JSON/nested -> VARCHAR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

SCHEMA = "marts"


class MartNotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type name as in information_schema (e.g. 'DECIMAL(18,2)', 'TIMESTAMP WITH TIME ZONE')


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[Column]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [SCHEMA, mart],
    ).fetchall()
    if not rows:
        raise MartNotFoundError(f"mart {mart!r} not found in schema {SCHEMA!r} of the warehouse (run dbt build)")
    return [Column(name, dtype) for name, dtype in rows]


def column_types(con: duckdb.DuckDBPyConnection, mart: str) -> list[str]:
    """``name:TYPE`` of each column: part of a fingerprint, as dbt's type migrations (``migrate_column_type``)
    change values in place, with neither new rows nor new stamps."""
    return [f"{c.name}:{c.type}" for c in columns(con, mart)]


def change_measure(con: duckdb.DuckDBPyConnection, mart: str, read_columns: tuple[str, ...] | None = None) -> str:
    """Aggregate SQL over ``marts.<mart> AS m`` that, with ``count(*)``, changes whenever a row is written,
    rewritten or removed (the fingerprints of export months and of report inputs).

    A mart whose writers stamp every row they write (dbt's ``_built_at``) is measured by the stamps: latest stamp
    and their sum, one column to read instead of every row's content. Outside dbt's builds, the one writer that
    changes mart rows in place is erasure, and only in ``NULLIFY_COLUMNS``: a mart with such a column, or without
    stamps, is measured by an order-independent hash of its content (of ``read_columns`` when given). dbt's type
    migrations change values in place too, with their column's type: a fingerprint also takes ``column_types``.
    """
    from chordme_bi.quality.rules import NULLIFY_COLUMNS

    names = {c.name.lower() for c in columns(con, mart)}
    if "_built_at" in names and not names & set(NULLIFY_COLUMNS):
        return "max(m._built_at), sum(epoch_us(m._built_at))"
    row = ", ".join(f"m.{quote(c)}" for c in read_columns) if read_columns else "m"
    # xor alone cancels pairs: two equal rows rewritten as two other equal rows (the bridges have no unique key)
    return f"bit_xor(hash({row})), sum(hash({row}))"


_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


def export_expression(column: Column) -> str:
    """The SELECT expression that exports ``column`` in a type Parquet readers and Hyper both take."""
    name, dtype = quote(column.name), column.type.upper()
    if dtype in ("HUGEINT", "UHUGEINT", "UBIGINT"):
        return f"CAST({name} AS BIGINT) AS {name}"
    if dtype in ("FLOAT", "REAL", "FLOAT4"):
        return f"CAST({name} AS DOUBLE) AS {name}"
    if dtype in ("UUID", "JSON", "BLOB", "BIT") or dtype.endswith("[]") or dtype.startswith(("STRUCT", "MAP", "UNION", "LIST")):
        return f"CAST({name} AS VARCHAR) AS {name}"
    match = _DECIMAL.match(dtype)
    if match and int(match.group(1)) > 18:
        return f"CAST({name} AS DOUBLE) AS {name}"
    return name


def export_select(con: duckdb.DuckDBPyConnection, mart: str) -> str:
    cols = columns(con, mart)
    return f"SELECT {', '.join(export_expression(c) for c in cols)} FROM {SCHEMA}.{quote(mart)}"
