"""Copy the ChordMe source (SQLite or PostgreSQL) into the warehouse's ``raw`` schema.

Why connectorx → Arrow → DuckDB: it reads both dialects natively into Arrow (no Python row objects), and
DuckDB ingests Arrow without a copy. Reads are paged by primary key and each page is its own transaction,
so memory stays bounded at any size (1.7 GB peak at 10M sessions); the next page is read while one is
loaded (read_ahead). Measured on
100k SQLite rows: connectorx 0.24 s, dlt/connectorx 0.94 s, row-by-row SQLAlchemy 23 s.

Per table (see :data:`chordme_bi.source.schema.EXTRACT_SPECS`):
- read rows past the high-water mark of its cursor (``updated_at`` with ``>=``, or ``id`` with ``>``),
  or the whole table when it has no change column;
- cast every value to the contract's DuckDB type; a value that will not cast (SQLite lets text into an
  integer column) sends the row to ``raw._extract_rejects`` with the field, the original value and the
  reason, never silently dropped;
- write only rows that are new or differ from what raw holds (delete + insert by primary key), so a
  second run over an unchanged source writes 0 rows.

Privacy: rows of users on the erasure suppression list (``raw._erased_users``) and personal activity older
than the retention watermark (``raw._retention_state``) are kept out of raw and recorded by id in
``raw._suppressed_rows``; references to an erased user in shared rows (a song's owner) are cleared.
See chordme_bi/quality/rules.py.

Counts reconcile per run: rows_read = rows_written + rows_unchanged + rows_rejected + rows_suppressed.
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from hashlib import sha256
from pathlib import Path
from typing import Iterable, Iterator, TypeVar

import duckdb
import pyarrow as pa
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, String, Table
from sqlalchemy.engine import make_url

from chordme_bi.quality import rules
from chordme_bi.settings import Settings
from chordme_bi.source.schema import metadata
from chordme_bi.source.tables import EXTRACT_SPECS, ExtractSpec
from chordme_bi.warehouse import connect_writer

log = logging.getLogger(__name__)
T = TypeVar("T")

RAW_SCHEMA = "raw"
STATE_TABLE = f"{RAW_SCHEMA}._extract_state"
REJECTS_TABLE = f"{RAW_SCHEMA}._extract_rejects"
PSEUDONYM_TABLE = f"{RAW_SCHEMA}._user_pseudonyms"
TEXT_PREFIX = "v"


class SourceSchemaError(RuntimeError):
    """The source lacks a table or column the contract requires."""

    def __init__(self, message: str, table: str = "", missing_columns: list[str] | None = None):
        super().__init__(message)
        self.table = table
        self.missing_columns = missing_columns or []


@dataclass
class ExtractResult:
    table: str
    rows_read: int = 0
    rows_written: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    rows_suppressed: int = 0  # erased users' rows and rows older than the retention watermark
    raw_rows_total: int = 0
    high_water_mark: str | None = None
    mode: str = "incremental"
    seconds: float = 0.0
    extra_source_columns: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict:
        return asdict(self)


def duckdb_type(column) -> str:
    t = column.type
    if isinstance(t, DateTime):
        return "TIMESTAMPTZ" if t.timezone else "TIMESTAMP"
    if isinstance(t, Date):
        return "DATE"
    if isinstance(t, Boolean):
        return "BOOLEAN"
    if isinstance(t, Numeric) and not isinstance(t, Float):
        return f"DECIMAL({t.precision or 18},{t.scale or 2})"
    if isinstance(t, Float):
        return "DOUBLE"
    if isinstance(t, Integer):
        return "BIGINT"
    return "VARCHAR"  # strings and JSON: JSON stays text in raw so malformed documents are kept as written


def connectorx_url(sqlalchemy_url: str) -> tuple[str, str]:
    """Return (dialect, connectorx URL) for a SQLAlchemy URL."""
    url = make_url(sqlalchemy_url)
    dialect = url.get_backend_name()
    if dialect == "sqlite":
        path = Path(url.database or "").resolve()
        if not path.exists():
            raise FileNotFoundError(f"SQLite source {path} does not exist (run `chordme-bi demo-data`)")
        return dialect, f"sqlite://{path}"
    if dialect in ("postgresql", "postgres"):
        return "postgresql", url.set(drivername="postgresql").render_as_string(hide_password=False)
    raise ValueError(f"unsupported source dialect {dialect!r}: use sqlite or postgresql")


def _quote_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


class SourceReader:
    """Reads one source table as Arrow record batches through connectorx."""

    def __init__(self, sqlalchemy_url: str, batch_rows: int):
        self.dialect, self.url = connectorx_url(sqlalchemy_url)
        self.batch_rows = batch_rows

    def columns_of(self, table: str) -> list[str]:
        import connectorx as cx

        if self.dialect == "sqlite":
            q = f"SELECT name FROM pragma_table_info({_quote_literal(table)})"
        else:
            q = (
                "SELECT column_name AS name FROM information_schema.columns "
                f"WHERE table_schema = current_schema() AND table_name = {_quote_literal(table)}"
            )
        return [r["name"] for r in cx.read_sql(self.url, q, return_type="arrow").to_pylist()]

    def text_columns(self, table: Table, text_mode: bool) -> set[str]:
        """Columns read as encoded text. SQLite keeps timestamps in any notation (DuckDB parses them), and in
        text mode every value comes as text so a stray type cannot abort the read."""
        if self.dialect != "sqlite":
            return set()
        return {
            c.name for c in table.columns
            # connectorx maps plain numeric and text declared types reliably; anything else (JSON, DATETIME,
            # NUMERIC(10,2)) is typed from its first value, which fails on NULL. Strings are read as they are:
            # their TEXT affinity stores any number as text, and a blob fails the read, which falls back to
            # text mode (_read). Encoding them cost 15-26 % of the events' read time.
            if text_mode or not isinstance(c.type, (Integer, Float, Boolean, String))
            or (isinstance(c.type, Numeric) and not isinstance(c.type, Float))
        }

    def _select_list(self, table: Table, text_mode: bool) -> str:
        as_text = self.text_columns(table, text_mode)
        parts = []
        for col in table.columns:
            name = f'"{col.name}"'
            if col.name in as_text:
                # connectorx types an expression by its first value and fails on NULL, so NULL is sent as ''
                # and a value as 'v' + text (see TEXT_PREFIX). REALs keep all 17 digits.
                text = f"CASE WHEN typeof({name}) = 'real' THEN printf('%.17g', {name}) ELSE CAST({name} AS TEXT) END"
                parts.append(f"IFNULL('{TEXT_PREFIX}' || {text}, '') AS {name}")
            elif self.dialect == "postgresql" and isinstance(col.type, Numeric) and not isinstance(col.type, Float):
                parts.append(f"CAST({name} AS DOUBLE PRECISION) AS {name}")
            else:
                parts.append(name)
        return ", ".join(parts)

    def few_rows_past_mark(self, table: Table, spec: ExtractSpec, hwm: str | None) -> bool:
        """Whether a SQLite table has an index on its timestamp cursor and at most one page of rows past the mark.

        SQLite keeps no statistics unless the app runs ANALYZE, so for `cursor >= mark ORDER BY id LIMIT n` it
        scans the whole table in key order rather than search the index and sort: 2.0 s against 0.35 s for the
        57k sessions of one new day among 10M. Told the condition is selective (likelihood()) it searches; that
        pays only when the rows past the mark fit one page (each page sorts every row still to read), which
        this counts through the index, stopping after a page."""
        import connectorx as cx

        if self.dialect != "sqlite" or spec.cursor in (None, "id") or hwm is None:
            return False
        indexed = cx.read_sql(self.url, f"""
            SELECT count(*) AS n FROM pragma_index_list({_quote_literal(table.name)}) AS il
            JOIN pragma_index_info(il.name) AS ii ON ii.seqno = 0 AND ii.name = {_quote_literal(spec.cursor)}""",
                              return_type="arrow").column("n")[0].as_py()
        if not indexed:
            return False
        past = cx.read_sql(self.url, f"""
            SELECT count(*) AS n FROM (SELECT 1 FROM "{table.name}" AS src
            WHERE likelihood(src."{spec.cursor}" >= {_quote_literal(hwm)}, 0.001) LIMIT {self.batch_rows + 1})""",
                           return_type="arrow").column("n")[0].as_py()
        return past <= self.batch_rows

    def query(
        self, table: Table, spec: ExtractSpec, hwm: str | None, text_mode: bool, after: tuple[str, str] | None = None,
        selective: bool = False, *, limit: int | None = -1,
    ) -> str:
        """One page: rows past the high-water mark, in key order, after the given (operator, key literal).
        ``selective``: tell SQLite the mark leaves few rows (few_rows_past_mark()). ``limit``: rows at most (-1:
        a page, None: no limit).

        Names in WHERE and ORDER BY are qualified: an unqualified "id" would mean the encoded output column."""
        conditions = []
        if spec.cursor and hwm is not None:
            if spec.cursor == "id":
                conditions.append(f'src."id" > {int(hwm)}')
            elif self.dialect == "sqlite" and selective:
                conditions.append(f'likelihood(src."{spec.cursor}" >= {_quote_literal(hwm)}, 0.001)')
            elif self.dialect == "sqlite":
                conditions.append(f'src."{spec.cursor}" >= {_quote_literal(hwm)}')
            else:
                conditions.append(f'src."{spec.cursor}" >= CAST({_quote_literal(hwm)} AS TIMESTAMP)')
        if after is not None:
            conditions.append(f'src."{spec.primary_key}" {after[0]} {after[1]}')
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        limit = self.batch_rows if limit == -1 else limit
        return (
            f'SELECT {self._select_list(table, text_mode)} FROM "{table.name}" AS src{where} '
            f'ORDER BY src."{spec.primary_key}"' + (f" LIMIT {limit}" if limit is not None else "")
        )

    def _read(self, table: Table, spec: ExtractSpec, hwm: str | None, after: tuple[str, str] | None,
              selective: bool, *, limit: int | None = -1) -> tuple[pa.Table, set[str]]:
        """The rows of one query and their text-encoded columns: typed, or, when a value has another type than
        its column declares (SQLite allows it), read again as text, alone, so the bad values can be rejected by
        name while the other reads stay typed and fast."""
        import connectorx as cx

        try:
            page = cx.read_sql(self.url, self.query(table, spec, hwm, False, after, selective, limit=limit),
                               return_type="arrow")
            return page, self.text_columns(table, False)
        # connectorx raises, or panics with a pyo3 PanicException, which derives from BaseException.
        except BaseException as exc:
            if self.dialect != "sqlite" or isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            log.warning("%s: typed read failed (%s); reading the page as text to reject what does not convert",
                        table.name, exc)
        page = cx.read_sql(self.url, self.query(table, spec, hwm, True, after, selective, limit=limit),
                           return_type="arrow")
        return page, self.text_columns(table, True)

    def pages(self, table: Table, spec: ExtractSpec, hwm: str | None) -> Iterator[tuple[pa.Table, set[str]]]:
        """The rows to read as (Arrow page of at most batch_rows, its text-encoded columns), paged by key.

        Paging bounds memory (connectorx's stream reads ahead of its consumer). A page never ends inside a key's
        copies (keys need not be unique in the source): they go to the next page, or are read together when they
        fill a page."""
        after = None
        selective = self.few_rows_past_mark(table, spec, hwm)
        while True:
            page, text_columns = self._read(table, spec, hwm, after, selective)
            if page.num_rows < self.batch_rows:
                if page.num_rows:
                    yield page, text_columns
                return
            keys = page.column(spec.primary_key).to_pylist()
            last = keys[-1]
            encoded = spec.primary_key in text_columns
            # Rows sharing the last key (a duplicated primary key) all go to the next page, so none is skipped.
            first_of_last = keys.index(last)
            if first_of_last == 0:  # a whole page of one key: read every copy of it (the page held only some)
                key = _key_literal(last, encoded)
                yield self._read(table, spec, hwm, ("=", key), selective, limit=None)
                after = (">", key)
            else:
                yield page.slice(0, first_of_last), text_columns
                after = (">=", _key_literal(last, encoded))


_DONE = object()


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """``items``, with the next one read in a thread while the caller works on the current one.

    connectorx (reading the source) and DuckDB (loading a page) both release the GIL, so on two cores the
    next page's read overlaps this page's load; at most one page more is held in memory."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as pool:
        pending = pool.submit(next, items, _DONE)
        while (item := pending.result()) is not _DONE:
            pending = pool.submit(next, items, _DONE)
            yield item


def _key_literal(value, encoded: bool) -> str:
    if encoded:
        value = value[len(TEXT_PREFIX):]
    if isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit()):
        return str(int(value))
    return _quote_literal(value)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """First value of a query; reads the whole result, which DuckDB 2 requires before the next statement."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def _ensure_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {STATE_TABLE} (
            table_name VARCHAR PRIMARY KEY, cursor_column VARCHAR, high_water_mark VARCHAR,
            last_batch_id VARCHAR, last_run_at TIMESTAMPTZ)"""
    )
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {REJECTS_TABLE} (
            table_name VARCHAR, row_id VARCHAR, fields VARCHAR, reason VARCHAR, row_json VARCHAR,
            _batch_id VARCHAR, _loaded_at TIMESTAMPTZ)"""
    )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {PSEUDONYM_TABLE} (user_id BIGINT PRIMARY KEY, user_key VARCHAR, anonymous_key VARCHAR)"
    )
    for statement in rules.ensure_tables_sql():
        con.execute(statement)
    for table in metadata.sorted_tables:
        cols = ", ".join(f'"{c.name}" {duckdb_type(c)}' for c in table.columns)
        con.execute(
            f'CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}."{table.name}" ({cols}, _loaded_at TIMESTAMPTZ, _batch_id VARCHAR)'
        )


def _cast_expr(column, source_ref: str) -> str:
    target = duckdb_type(column)
    if target == "TIMESTAMP":
        # Naive columns hold UTC; a value written with an offset is converted, not truncated.
        return f"timezone('UTC', TRY_CAST({source_ref} AS TIMESTAMPTZ))"
    return f"TRY_CAST({source_ref} AS {target})"


@dataclass(frozen=True)
class Suppression:
    """What privacy keeps out of raw for this run: erased user ids and whether a retention cutoff is set."""

    erased_user_ids: tuple[int, ...] = ()
    has_cutoff: bool = False

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> "Suppression":
        ids = tuple(r[0] for r in con.execute(f"SELECT user_id FROM {rules.ERASED_USERS} ORDER BY 1").fetchall())
        return cls(ids, bool(_scalar(con, f"SELECT count(*) > 0 FROM {rules.RETENTION_STATE}")))


def _suppress(con: duckdb.DuckDBPyConnection, table: str, pk: str, suppression: Suppression, batch_id: str,
              loaded_at: datetime) -> int:
    """Drop from ``_typed`` the rows privacy keeps out of raw (recorded by id) and clear references to erased
    users in shared rows; returns the number of rows dropped."""
    dropped = 0
    for reason, condition in rules.suppression_conditions(table, "_typed", suppression.has_cutoff):
        if reason == "erasure" and not suppression.erased_user_ids:
            continue
        where = f"_problems = '' AND {condition}"
        con.execute(
            f"""INSERT INTO {rules.SUPPRESSED_ROWS}
                SELECT DISTINCT ?, CAST("{pk}" AS VARCHAR), ?, ? FROM _typed WHERE {where}
                ON CONFLICT DO NOTHING""",
            [table, reason, loaded_at],
        )
        dropped += _scalar(con, f"DELETE FROM _typed WHERE {where}")  # DuckDB returns the count
    if suppression.erased_user_ids:
        ids = ", ".join(str(i) for i in suppression.erased_user_ids)
        for column in rules.NULLIFY_USER.get(table, ()):
            con.execute(f'UPDATE _typed SET "{column}" = NULL WHERE "{column}" IN ({ids})')
        if table in rules.USER_ID_LISTS:
            column = rules.USER_ID_LISTS[table]
            con.execute(f'UPDATE _typed SET "{column}" = {rules.scrub_user_list_sql(column, list(suppression.erased_user_ids))}')
    return dropped


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    spec: ExtractSpec,
    batch: pa.Table,
    batch_id: str,
    loaded_at: datetime,
    compare_with_raw: bool,
    text_columns: set[str],
    suppression: Suppression = Suppression(),
) -> tuple[int, int, int, int, str | None]:
    """Write one Arrow batch; returns (written, unchanged, rejected, suppressed, the batch's high-water mark)."""
    con.register("_src_batch", batch)

    def _src(column: str) -> str:
        ref = f'_src_batch."{column}"'
        if column in text_columns:
            return f"CASE WHEN {ref} = '' THEN NULL ELSE substr({ref}, {len(TEXT_PREFIX) + 1}) END"
        return ref

    cols = [c.name for c in table.columns]
    typed = ", ".join(f'{_cast_expr(c, _src(c.name))} AS "{c.name}"' for c in table.columns)
    # A field is bad when it has a value that does not convert; each bad field is named in the reason.
    bad = {c.name: f"({_src(c.name)} IS NOT NULL AND {_cast_expr(c, _src(c.name))} IS NULL)" for c in table.columns}
    bad_fields = ", ".join(f"CASE WHEN {cond} THEN '{name}' END" for name, cond in bad.items())
    problems = ", ".join(
        f"CASE WHEN {bad[c.name]} THEN '{c.name}: ' || left(CAST({_src(c.name)} AS VARCHAR), 200)"
        f" || ' does not convert to {duckdb_type(c)}' END"
        for c in table.columns
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _typed AS
            SELECT {typed}, concat_ws('; ', {problems}) AS _problems FROM _src_batch"""
    )
    rejected = _scalar(con, "SELECT count(*) FROM _typed WHERE _problems <> ''")
    if rejected:  # rare: keep the whole original row, as JSON, beside the reasons; once per distinct row
        row_json = "json_object(" + ", ".join(f"'{c}', {_src(c)}" for c in cols) + ")"
        con.execute(
            f"""INSERT INTO {REJECTS_TABLE}
                SELECT * FROM (
                    SELECT ? AS table_name, CAST({_src(spec.primary_key)} AS VARCHAR) AS row_id,
                           concat_ws(', ', {bad_fields}) AS fields, concat_ws('; ', {problems}) AS reason,
                           CAST({row_json} AS VARCHAR) AS row_json, ?, ?
                    FROM _src_batch) AS r
                WHERE fields <> '' AND NOT EXISTS (
                    SELECT 1 FROM {REJECTS_TABLE} AS e
                    WHERE e.table_name = r.table_name AND e.row_id = r.row_id AND e.row_json = r.row_json)""",
            [table.name, batch_id, loaded_at],
        )
    # The high-water mark counts suppressed rows too: they were read, and need not be read again.
    hwm = None
    if spec.cursor == "id" or (spec.cursor and spec.cursor not in text_columns):
        hwm = _scalar(con, f'SELECT CAST(max("{spec.cursor}") AS VARCHAR) FROM _typed')
    elif spec.cursor:  # SQLite timestamp: keep the source's own notation, compared as SQLite compares it
        hwm = _scalar(con, f"SELECT max({_src(spec.cursor)}) FROM _src_batch")
    suppressed = _suppress(con, table.name, spec.primary_key, suppression, batch_id, loaded_at)
    col_list = ", ".join(f'"{c}"' for c in cols)
    if compare_with_raw and spec.cursor != "id":
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _changed AS
                SELECT {col_list} FROM _typed WHERE _problems = ''
                EXCEPT
                SELECT {col_list} FROM {RAW_SCHEMA}."{table.name}"
                WHERE "{spec.primary_key}" IN (SELECT "{spec.primary_key}" FROM _typed)"""
        )
        con.execute(
            f"""DELETE FROM {RAW_SCHEMA}."{table.name}"
                WHERE "{spec.primary_key}" IN (SELECT "{spec.primary_key}" FROM _changed)"""
        )
        source = "_changed"
    else:
        source = "(SELECT * FROM _typed WHERE _problems = '')"
    written = _scalar(con, f'INSERT INTO {RAW_SCHEMA}."{table.name}" SELECT {col_list}, ?, ? FROM {source}',
        [loaded_at, batch_id])
    # A row that converts now supersedes its rejection from an earlier run: it is no longer a rejected row.
    # Not one from this run: that is another source row with the same (duplicated) key, and stays rejected.
    con.execute(
        f"""DELETE FROM {REJECTS_TABLE} WHERE table_name = ? AND _batch_id <> ? AND row_id IN (
                SELECT CAST("{spec.primary_key}" AS VARCHAR) FROM _typed WHERE _problems = '')""",
        [table.name, batch_id],
    )
    con.unregister("_src_batch")
    return written, batch.num_rows - rejected - written - suppressed, rejected, suppressed, hwm


def _check_source_columns(reader: SourceReader, table: Table) -> list[str]:
    """Extra source columns (ignored: raw keeps the contract's columns); raises on a missing table/column."""
    present = reader.columns_of(table.name)
    if not present:
        raise SourceSchemaError(f"source table {table.name!r} is missing", table.name)
    missing = [c.name for c in table.columns if c.name not in present]
    if missing:
        raise SourceSchemaError(
            f"source table {table.name!r} lacks required column(s): {', '.join(missing)}", table.name, missing
        )
    return [c for c in present if c not in table.columns]


def extract_table(
    con: duckdb.DuckDBPyConnection, reader: SourceReader, spec: ExtractSpec, batch_id: str, loaded_at: datetime
) -> ExtractResult:
    started = time.perf_counter()
    table = metadata.tables[spec.table]
    result = ExtractResult(table=spec.table)
    result.extra_source_columns = _check_source_columns(reader, table)

    hwm = _scalar(con, f"SELECT high_water_mark FROM {STATE_TABLE} WHERE table_name = ?", [spec.table])
    raw_has_rows = _scalar(con, f'SELECT count(*) > 0 FROM {RAW_SCHEMA}."{spec.table}"')
    suppression = Suppression.load(con)
    result.mode = "full" if not raw_has_rows else ("incremental" if spec.cursor else "snapshot")

    def save_state(mark: str | None) -> None:
        con.execute(f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?, ?, ?, ?)",
                    [spec.table, spec.cursor, mark, batch_id, loaded_at])

    # A transaction per page keeps memory bounded (a table-wide one pinned every page until COMMIT: 7.9 GB
    # at 10M sessions). Restarting after a crash is safe: pages come in key order, so an id cursor is saved
    # with each page; a timestamp cursor is saved at the end, and the pages read again then find their rows
    # already in raw (the comparison with raw applies once raw has rows).
    new_hwm = hwm
    for page, text_columns in read_ahead(reader.pages(table, spec, hwm)):
        con.execute("BEGIN TRANSACTION")
        try:
            written, unchanged, rejected, suppressed, page_hwm = _load_batch(
                # A first load has nothing to compare with (the comparison was 37% of extract time at 10M).
                con, table, spec, page, batch_id, loaded_at, raw_has_rows, text_columns, suppression,
            )
            if page_hwm is not None and (new_hwm is None or _hwm_key(spec, page_hwm) > _hwm_key(spec, new_hwm)):
                new_hwm = page_hwm
            if spec.cursor == "id":
                save_state(new_hwm)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        result.rows_read += page.num_rows
        result.rows_written += written
        result.rows_unchanged += unchanged
        result.rows_rejected += rejected
        result.rows_suppressed += suppressed
    result.high_water_mark = new_hwm
    save_state(new_hwm)
    result.raw_rows_total = _scalar(con, f'SELECT count(*) FROM {RAW_SCHEMA}."{spec.table}"')
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _hwm_key(spec: ExtractSpec, value: str):
    return int(value) if spec.cursor == "id" else value


def pseudonym(secret: bytes, user_id: int, anonymous: bool = False) -> str:
    """Keyed HMAC-SHA256 pseudonym. Anonymous-only sessions get a key from another namespace, so nothing in
    the marts links them to the user's identified key or id."""
    message = f"{'anonymous' if anonymous else 'user'}:{user_id}".encode()
    return hmac.new(secret, message, sha256).hexdigest()[:32]


def refresh_pseudonyms(con: duckdb.DuckDBPyConnection, secret: bytes) -> int:
    """Add pseudonyms for new user ids to the private raw layer, where dbt joins them."""
    ids = [r[0] for r in con.execute(
        f"SELECT DISTINCT id FROM {RAW_SCHEMA}.users WHERE id NOT IN (SELECT user_id FROM {PSEUDONYM_TABLE})"
    ).fetchall()]
    if not ids:
        return 0
    keys = pa.table({
        "user_id": pa.array(ids, pa.int64()),
        "user_key": [pseudonym(secret, i) for i in ids],
        "anonymous_key": [pseudonym(secret, i, anonymous=True) for i in ids],
    })
    con.register("_pseudo", keys)
    con.execute(f"INSERT INTO {PSEUDONYM_TABLE} SELECT user_id, user_key, anonymous_key FROM _pseudo")
    con.unregister("_pseudo")
    return len(ids)


def extract_all(
    source_url: str,
    warehouse_path: Path | str,
    tables: Iterable[str] | None = None,
    settings: Settings | None = None,
) -> list[ExtractResult]:
    """Extract the selected tables (default: all) in one writer session; returns a result per table."""
    settings = settings or Settings.from_env()
    wanted = set(tables) if tables is not None else None
    reader = SourceReader(source_url, settings.extract_batch_rows)
    batch_id = uuid.uuid4().hex
    loaded_at = datetime.now(timezone.utc)
    results = []
    # Fail fast: a missing table or column stops the run before anything is written.
    for spec in EXTRACT_SPECS:
        if wanted is None or spec.table in wanted:
            _check_source_columns(reader, metadata.tables[spec.table])
    with connect_writer(warehouse_path, settings.duckdb_memory_limit) as con:
        _ensure_warehouse(con)
        for spec in EXTRACT_SPECS:
            if wanted is None or spec.table in wanted:
                results.append(extract_table(con, reader, spec, batch_id, loaded_at))
                log.info("extracted %s: %s", spec.table, results[-1].as_metadata())
        if wanted is None or "users" in wanted:
            refresh_pseudonyms(con, settings.pseudonym_secret())
    return results
