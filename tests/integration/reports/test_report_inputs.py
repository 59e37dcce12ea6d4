"""The report inputs' declarations hold for every report type (chordme_bi/reports/inputs.py): what a report
reads is named, and nothing outside it changes the report or the fingerprint."""

import re
import shutil
from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest

from chordme_bi.bi.marts import quote
from chordme_bi.reports.config import ReportConfig, ReportType
from chordme_bi.reports.engine import content_hash, generate_report
from chordme_bi.reports.inputs import MART_READS, ReportInputs, marts_read

MART_NAME = re.compile(r"\bmarts\.(\w+)", re.IGNORECASE)


class RecordingConnection:
    """Passes every call to DuckDB and keeps the SQL it was given."""

    def __init__(self, con):
        self._con, self.sql = con, []

    def execute(self, sql, *args, **kwargs):
        self.sql.append(sql)
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


@pytest.fixture(scope="module")
def window(built_warehouse):
    """(start, end, user): 30 days that end while a session of ``user`` is still sending events (an event dated
    after the end belongs to the window), with a month of data after them."""
    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
        crossing = con.execute("""SELECT s.session_date, s.user_id FROM marts.fct_sessions AS s
                                  JOIN marts.fct_performance_events AS e ON e.session_id = s.session_id
                                  WHERE e.event_date > s.session_date AND s.user_id IS NOT NULL
                                    AND s.session_date < DATE '2026-10-01'
                                  ORDER BY s.session_date DESC, s.user_id LIMIT 1""").fetchone()
    assert crossing, "the fixture has no session whose events run past midnight"
    end = crossing[0] + timedelta(days=1)
    return end - timedelta(days=30), end, crossing[1]


@pytest.fixture(scope="module")
def scopes(built_warehouse, window):
    """One config filter of each kind, with ids that exist in the fixture warehouse."""
    start, end, crossing_user = window
    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
        class_id, = con.execute("SELECT min(class_id) FROM marts.bridge_class_students").fetchone()
        band_id, = con.execute("SELECT min(band_id) FROM marts.bridge_band_members").fetchone()
        users = [r[0] for r in con.execute("""SELECT DISTINCT user_id FROM marts.fct_sessions
                                             WHERE session_date >= ? AND session_date < ? AND user_id IS NOT NULL
                                             ORDER BY 1 LIMIT 4""", [start, end]).fetchall()]
    assert class_id is not None and band_id is not None and users
    return {"everyone": {}, "users": {"user_ids": sorted({*users, crossing_user})}, "class": {"class_id": class_id},
            "band": {"band_id": band_id}}


def config(window, report_type: ReportType, filters: dict) -> ReportConfig:
    return ReportConfig(report_type=report_type, start=window[0], end=window[1], **filters)


@pytest.mark.parametrize("report_type", list(ReportType))
def test_the_sql_of_every_report_names_only_the_marts_it_declares(built_warehouse, window, scopes, report_type):
    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
        schemas = [r[0] for r in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables() "
                                             "WHERE schema_name <> 'marts'").fetchall()]
    assert schemas, "the fixture warehouse has only the marts"
    other_schema = re.compile(rf"\b(?:{'|'.join(map(re.escape, schemas))})\.\w+", re.IGNORECASE)
    for name, filters in scopes.items():
        cfg = config(window, report_type, filters)
        with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
            recording = RecordingConnection(con)
            generate_report(recording, cfg)
        named = {m.lower() for sql in recording.sql for m in MART_NAME.findall(sql)}
        assert named, f"{report_type.value}/{name}: no SQL recorded"
        outside = {m.group(0) for sql in recording.sql for m in other_schema.finditer(sql)}
        assert not outside, f"{report_type.value}/{name} reads outside the marts: {outside}"
        assert named <= set(marts_read(cfg)), f"{report_type.value}/{name} reads undeclared {named - set(marts_read(cfg))}"


def _blur_everything_unread(con, cfg: ReportConfig, end: date) -> None:
    """Change what the report must not depend on: marts it does not read (emptied), rows of its marts dated on
    or after the end or undated (removed), columns of them it does not read (set to NULL)."""
    read = set(marts_read(cfg))
    marts = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()]
    for mart in marts:
        if mart not in read:
            con.execute(f"DELETE FROM marts.{quote(mart)}")
            continue
        spec = MART_READS[mart]
        if spec.date_column:
            removed = con.execute(f"DELETE FROM marts.{quote(mart)} WHERE {quote(spec.date_column)} >= ? "
                                  f"OR {quote(spec.date_column)} IS NULL", [end]).fetchone()[0]
            assert removed or mart != "fct_sessions", "the fixture has no sessions after the window"
        if spec.columns:
            for column, in con.execute("SELECT column_name FROM information_schema.columns "
                                       "WHERE table_schema = 'marts' AND table_name = ?", [mart]).fetchall():
                if column not in spec.columns:
                    con.execute(f"UPDATE marts.{quote(mart)} SET {quote(column)} = NULL")


@pytest.mark.parametrize("report_type", list(ReportType))
def test_what_a_report_does_not_read_changes_neither_the_report_nor_its_fingerprint(built_warehouse, window, scopes,
                                                                                    tmp_path, report_type):
    start, end, _ = window
    for name, filters in scopes.items():
        cfg = config(window, report_type, filters)
        path = tmp_path / f"{name}.duckdb"
        shutil.copy(built_warehouse.warehouse_path, path)
        with duckdb.connect(str(path), read_only=True) as con:
            before, fingerprint = content_hash(generate_report(con, cfg)), ReportInputs(con).fingerprint(cfg, start, end, "c")
        with duckdb.connect(str(path)) as con:
            _blur_everything_unread(con, cfg, end)
        with duckdb.connect(str(path), read_only=True) as con:
            assert content_hash(generate_report(con, cfg)) == before, f"{report_type.value}/{name}: the report changed"
            assert ReportInputs(con).fingerprint(cfg, start, end, "c") == fingerprint, f"{report_type.value}/{name}"


def _rebuild_as_dbt_does(con, mart: str, where: str, set_clause: str) -> int:
    """Rewrite rows in place; a mart with build stamps gets them stamped, as dbt's incremental builds do."""
    stamped = con.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'marts' "
                          "AND table_name = ? AND column_name = '_built_at'", [mart]).fetchone()[0]
    stamp = ", _built_at = ?" if stamped else ""
    params = [datetime.now(timezone.utc)] if stamped else []
    return con.execute(f"UPDATE marts.{quote(mart)} SET {set_clause}{stamp} WHERE {where}", params).fetchone()[0]


@pytest.mark.parametrize("mart", sorted(MART_READS))
def test_any_change_to_what_a_report_reads_changes_its_fingerprint(built_warehouse, window, scopes, tmp_path, mart):
    start, end, _ = window
    cfg = next(config(window, t, f) for t in ReportType for f in scopes.values()
               if mart in marts_read(config(window, t, f)))
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, path)
    spec = MART_READS[mart]
    in_reach = f"{quote(spec.date_column)} < DATE '{end}'" if spec.date_column else "true"
    with duckdb.connect(str(path), read_only=True) as con:
        first = ReportInputs(con).fingerprint(cfg, start, end, "c")
        total, = con.execute(f"SELECT count(*) FROM marts.{quote(mart)} WHERE {in_reach}").fetchone()
    assert total > 1, f"{mart}: the fixture has no rows to change"
    # one row rewritten (a column reports read), then one row removed: each is a new fingerprint
    column = spec.columns[-1] if spec.columns else _a_read_column(path, mart)
    with duckdb.connect(str(path)) as con:
        one = f"""rowid = (SELECT min(rowid) FROM marts.{quote(mart)} WHERE {in_reach} AND {quote(column)} IS NOT NULL)"""
        assert _rebuild_as_dbt_does(con, mart, one, f"{quote(column)} = NULL") == 1, f"{mart}.{column}: all NULL"
    with duckdb.connect(str(path), read_only=True) as con:
        second = ReportInputs(con).fingerprint(cfg, start, end, "c")
    assert second != first
    with duckdb.connect(str(path)) as con:
        con.execute(f"DELETE FROM marts.{quote(mart)} WHERE rowid = (SELECT max(rowid) FROM marts.{quote(mart)} "
                    f"WHERE {in_reach})")
    with duckdb.connect(str(path), read_only=True) as con:
        assert ReportInputs(con).fingerprint(cfg, start, end, "c") not in (first, second)
        # and the code's version is part of it
        assert ReportInputs(con).fingerprint(cfg, start, end, "other code") != ReportInputs(con).fingerprint(cfg, start, end, "c")


def _a_read_column(path, mart: str) -> str:
    """The mart's last column other than its date and load/build stamps."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                           "'marts' AND table_name = ? ORDER BY ordinal_position", [mart]).fetchall()]
    return next(n for n in reversed(names) if n not in ("_built_at", "_loaded_at", MART_READS[mart].date_column))


def test_a_column_type_changed_in_place_changes_the_fingerprint(built_warehouse, window, tmp_path):
    """dbt's type migrations (migrate_column_type) rewrite values without new rows or stamps."""
    start, end, _ = window
    cfg = config(window, ReportType.COMPARATIVE_ANALYSIS, {})
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, path)
    with duckdb.connect(str(path), read_only=True) as con:
        first = ReportInputs(con).fingerprint(cfg, start, end, "c")
    with duckdb.connect(str(path)) as con:
        con.execute("ALTER TABLE marts.fct_sessions ALTER COLUMN completion_percentage TYPE DECIMAL(9, 3)")
    with duckdb.connect(str(path), read_only=True) as con:
        assert ReportInputs(con).fingerprint(cfg, start, end, "c") != first


def test_new_events_rebuild_only_the_filtered_usage_report(built_warehouse, window, scopes, tmp_path):
    """Events are fingerprinted whole (an event after midnight belongs to the day before's session), so only the
    reports that read them see a new day's events: the usage report with a filter, not the other filtered ones."""
    start, end, _ = window
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, path)
    configs = {(t, name): config(window, t, f) for t in ReportType for name, f in scopes.items() if f}
    with duckdb.connect(str(path), read_only=True) as con:
        inputs = ReportInputs(con)
        before = {key: inputs.fingerprint(cfg, start, end, "c") for key, cfg in configs.items()}
    with duckdb.connect(str(path)) as con:
        con.execute("""INSERT INTO marts.fct_performance_events
                       SELECT * REPLACE (event_id + 1000000000 AS event_id, now() AS _built_at)
                       FROM marts.fct_performance_events ORDER BY event_id DESC LIMIT 3""")
    with duckdb.connect(str(path), read_only=True) as con:
        inputs = ReportInputs(con)
        changed = {key for key, cfg in configs.items() if inputs.fingerprint(cfg, start, end, "c") != before[key]}
    assert changed == {(ReportType.USAGE_PATTERNS, name) for name in ("users", "class", "band")}
