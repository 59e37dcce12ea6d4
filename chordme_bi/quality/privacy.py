"""Where personal data may be: introspection shared by erasure, and the scans that prove email addresses and
display names stay in raw (the private layer) and never reach staging, marts, quarantine or output files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

PRIVATE_SCHEMAS = ("raw", "ops")  # raw holds the source as written; ops holds audit logs (hashes only)
PERSONAL_COLUMNS = ("email", "display_name")
TEXT_SUFFIXES = {".json", ".csv", ".html", ".htm", ".md", ".txt", ".xml", ".svg", ".tsv", ".eml", ".yaml", ".yml"}


@dataclass(frozen=True)
class Column:
    schema: str
    table: str
    name: str
    data_type: str

    @property
    def relation(self) -> str:
        return f'"{self.schema}"."{self.table}"'


def columns(con: duckdb.DuckDBPyConnection, base_tables_only: bool = True,
            exclude_schemas: tuple[str, ...] = PRIVATE_SCHEMAS) -> list[Column]:
    """Columns of the warehouse's tables (and views unless base_tables_only) outside the excluded schemas."""
    kinds = "('BASE TABLE')" if base_tables_only else "('BASE TABLE', 'VIEW')"
    rows = con.execute(
        f"""SELECT c.table_schema, c.table_name, c.column_name, c.data_type
            FROM information_schema.columns AS c
            JOIN information_schema.tables AS t USING (table_catalog, table_schema, table_name)
            WHERE t.table_type IN {kinds} AND c.table_catalog = current_database()
              AND c.table_schema NOT IN ({", ".join("?" for _ in exclude_schemas) or "''"})
            ORDER BY 1, 2, c.ordinal_position""", list(exclude_schemas)).fetchall()
    return [Column(*r) for r in rows]


@dataclass(frozen=True)
class Finding:
    where: str
    what: str
    count: int


def personal_data_outside_raw(con: duckdb.DuckDBPyConnection, include_views: bool = True) -> list[Finding]:
    """Columns named like personal fields anywhere outside raw, and text values equal to a user's email
    address in any table outside raw (exact match: emails are distinctive). Display names are checked by the
    tests against the planted data; short names (\"Ana\") could equal a song title, so not here."""
    found: list[Finding] = []
    all_columns = columns(con, base_tables_only=not include_views)
    for col in all_columns:
        if col.name.lower() in PERSONAL_COLUMNS:
            found.append(Finding(f"{col.schema}.{col.table}.{col.name}", "personal column", 1))
    for col in columns(con):
        if col.data_type != "VARCHAR":
            continue
        n = con.execute(
            f'SELECT count(*) FROM {col.relation} WHERE "{col.name}" IN (SELECT email FROM raw.users)').fetchall()[0][0]
        if n:
            found.append(Finding(f"{col.schema}.{col.table}.{col.name}", "email value", n))
    return found


def files_mentioning(output_dir: Path | str, needles: list[str]) -> dict[str, list[str]]:
    """Text files under ``output_dir`` that contain any needle: path -> needles found (binary files are
    read as bytes, so a PDF's uncompressed text counts too)."""
    found: dict[str, list[str]] = {}
    root = Path(output_dir)
    if not root.exists():
        return found
    encoded = [(n, n.encode()) for n in needles if n]
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [n for n, b in encoded if b in data]
        if hits:
            found[str(path)] = hits
    return found
