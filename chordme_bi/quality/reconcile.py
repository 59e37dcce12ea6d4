"""Nothing is lost between the source and the marts, counted per table.

    source rows (up to the extraction's high-water mark) = raw + rejected at extraction + suppressed (privacy)
    raw rows = accepted in the marts + quarantined

The first identity is checked for every source table, the second for the tables that have a quarantine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb

from chordme_bi.extract.extractor import REJECTS_TABLE, STATE_TABLE, SourceReader, _quote_literal
from chordme_bi.quality.rules import QUARANTINED, SUPPRESSED_ROWS
from chordme_bi.source.tables import EXTRACT_SPECS


@dataclass
class Reconciliation:
    table: str
    raw_rows: int
    rejected_at_extract: int
    suppressed: int
    source_rows: int | None = None  # None when the source was not counted
    accepted_rows: int | None = None  # None for tables without a quarantine
    quarantined_rows: int | None = None

    @property
    def source_balanced(self) -> bool | None:
        if self.source_rows is None:
            return None
        return self.source_rows == self.raw_rows + self.rejected_at_extract + self.suppressed

    @property
    def marts_balanced(self) -> bool | None:
        if self.accepted_rows is None:
            return None
        return self.raw_rows == self.accepted_rows + self.quarantined_rows

    @property
    def ok(self) -> bool:
        return self.source_balanced is not False and self.marts_balanced is not False

    def as_metadata(self) -> dict:
        return {**asdict(self), "source_balanced": self.source_balanced, "marts_balanced": self.marts_balanced}


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    return con.execute(sql, params or []).fetchall()[0][0]


def warehouse_counts(con: duckdb.DuckDBPyConnection, table: str) -> Reconciliation:
    result = Reconciliation(
        table=table,
        raw_rows=_count(con, f'SELECT count(*) FROM raw."{table}"'),
        rejected_at_extract=_count(con, f"SELECT count(*) FROM {REJECTS_TABLE} WHERE table_name = ?", [table]),
        # the ledger exists once an extraction of this version ran
        suppressed=_count(con, f"SELECT count(*) FROM {SUPPRESSED_ROWS} WHERE table_name = ?", [table])
        if _count(con, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = ?",
                  [SUPPRESSED_ROWS.split(".")[1]]) else 0,
    )
    if table in QUARANTINED:
        accepted, quarantined = QUARANTINED[table]
        result.accepted_rows = _count(con, f"SELECT count(*) FROM {accepted}")
        result.quarantined_rows = _count(con, f"SELECT count(*) FROM {quarantined}")
    return result


def source_count(reader: SourceReader, table: str, cursor: str | None, high_water_mark: str | None) -> int:
    """Rows of the source table the last extraction could see: up to its high-water mark, so rows the app
    wrote since then do not count as lost."""
    import connectorx as cx

    where = ""
    if cursor and high_water_mark is not None:
        if cursor == "id":
            where = f' WHERE "id" <= {int(high_water_mark)}'
        elif reader.dialect == "sqlite":  # the mark keeps SQLite's own notation (see the extractor)
            where = f' WHERE "{cursor}" <= {_quote_literal(high_water_mark)}'
        else:
            where = f' WHERE "{cursor}" <= CAST({_quote_literal(high_water_mark)} AS TIMESTAMP)'
    frame = cx.read_sql(reader.url, f'SELECT count(*) AS n FROM "{table}"{where}', return_type="arrow")
    return int(frame.column(0)[0].as_py())


def reconcile(con: duckdb.DuckDBPyConnection, source_url: str | None = None,
              tables: list[str] | None = None) -> list[Reconciliation]:
    """Reconcile the selected tables (default: all); counts the source too when its URL is given."""
    reader = SourceReader(source_url, 1) if source_url else None
    results = []
    for spec in EXTRACT_SPECS:
        if tables is not None and spec.table not in tables:
            continue
        result = warehouse_counts(con, spec.table)
        if reader is not None:
            rows = con.execute(f"SELECT high_water_mark FROM {STATE_TABLE} WHERE table_name = ?", [spec.table]).fetchall()
            result.source_rows = source_count(reader, spec.table, spec.cursor, rows[0][0] if rows else None)
        results.append(result)
    return results
