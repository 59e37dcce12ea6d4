"""Extraction into raw: full load, idempotent re-runs, upserts and appends, rejects kept with reasons.

Each scenario runs on SQLite and on PostgreSQL (required in CI)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import duckdb
import pytest
import sqlalchemy as sa

from chordme_bi.extract.extractor import REJECTS_TABLE, extract_all
from chordme_bi.settings import Settings
from chordme_bi.source.generator import generate

END = date(2026, 10, 31)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def source_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'src.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    generate(url, sessions=1500, seed=11, end=END)
    return url


def _settings(tmp_path, url) -> Settings:
    return Settings(data_dir=tmp_path / "data", source_url=url)


def _source_count(url: str, table: str) -> int:
    with sa.create_engine(url).connect() as con:
        return con.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()


def _raw(settings: Settings, sql: str):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_full_load_then_rerun_moves_nothing(tmp_path, source_url):
    settings = _settings(tmp_path, source_url)
    first = {r.table: r for r in extract_all(source_url, settings.warehouse_path, settings=settings)}

    for table, result in first.items():
        assert result.mode == "full"
        assert result.rows_read == _source_count(source_url, table)
        # nothing lost: every row read is either in raw or kept as a reject
        assert result.rows_written + result.rows_rejected == result.rows_read
        assert result.raw_rows_total == result.rows_written

    second = extract_all(source_url, settings.warehouse_path, settings=settings)
    assert sum(r.rows_written for r in second) == 0
    assert sum(r.rows_rejected for r in second) == 0
    for result in second:
        assert result.raw_rows_total == first[result.table].raw_rows_total


def test_updates_are_upserted_and_appends_picked_up(tmp_path, source_url):
    settings = _settings(tmp_path, source_url)
    extract_all(source_url, settings.warehouse_path, settings=settings)
    engine = sa.create_engine(source_url)
    with engine.begin() as con:
        max_session = con.execute(sa.text("SELECT max(id) FROM performance_sessions")).scalar_one()
        max_event = con.execute(sa.text("SELECT max(id) FROM performance_events")).scalar_one()
        con.execute(sa.text(
            "UPDATE performance_sessions SET completion_percentage = 42.5, updated_at = :ts WHERE id IN (1, 2)"
        ), {"ts": "2026-11-01 08:00:00"})
        con.execute(sa.text(
            "INSERT INTO performance_events (id, session_id, event_type, timestamp, position_seconds) "
            "VALUES (:id, 1, 'pause', :ts, 12.5)"
        ), {"id": max_event + 1, "ts": "2026-10-30 19:00:00"})

    results = {r.table: r for r in extract_all(source_url, settings.warehouse_path, settings=settings)}

    assert results["performance_sessions"].rows_written == 2
    assert results["performance_events"].rows_written == 1
    assert sum(r.rows_written for t, r in results.items() if t not in ("performance_sessions", "performance_events")) == 0
    rows = _raw(settings, "SELECT id, completion_percentage, count(*) OVER () FROM raw.performance_sessions WHERE id IN (1, 2) ORDER BY id")
    assert [(r[0], r[1]) for r in rows] == [(1, 42.5), (2, 42.5)]
    # upsert replaced, did not duplicate
    assert _raw(settings, "SELECT count(*), count(DISTINCT id) FROM raw.performance_sessions")[0] == (
        max_session, max_session,
    )
    assert _raw(settings, f"SELECT count(*) FROM raw.performance_events WHERE id = {max_event + 1}")[0][0] == 1


def test_sqlite_text_in_integer_column_is_kept_as_a_reject(tmp_path):
    url = f"sqlite:///{tmp_path / 'src.db'}"
    generate(url, sessions=300, seed=3, end=END)
    con = sqlite3.connect(tmp_path / "src.db")
    con.execute("UPDATE performance_sessions SET total_duration = 'about an hour' WHERE id = 7")
    con.commit()
    settings = _settings(tmp_path, url)

    results = {r.table: r for r in extract_all(url, settings.warehouse_path, settings=settings)}

    sessions = results["performance_sessions"]
    assert sessions.rows_rejected == 1
    assert sessions.rows_written == 299
    reject = _raw(settings, f"SELECT row_id, fields, reason, row_json FROM {REJECTS_TABLE}")
    assert len(reject) == 1
    row_id, fields, reason, row_json = reject[0]
    assert (row_id, fields) == ("7", "total_duration")
    assert "about an hour" in reason and "BIGINT" in reason
    assert json.loads(row_json)["total_duration"] == "about an hour"
    # the same bad row is not recorded again on the next run, and fixing it at the source lets it through
    extract_all(url, settings.warehouse_path, settings=settings)
    assert _raw(settings, f"SELECT count(*) FROM {REJECTS_TABLE}")[0][0] == 1
    con.execute("UPDATE performance_sessions SET total_duration = 3600, updated_at = '2026-11-01 00:00:00' WHERE id = 7")
    con.commit()
    results = {r.table: r for r in extract_all(url, settings.warehouse_path, settings=settings)}
    assert results["performance_sessions"].rows_written == 1
    assert _raw(settings, f"SELECT count(*) FROM {REJECTS_TABLE}")[0][0] == 0
    assert _raw(settings, "SELECT total_duration FROM raw.performance_sessions WHERE id = 7")[0][0] == 3600


def test_sqlite_timestamps_in_any_notation_land_as_utc_instants(tmp_path):
    url = f"sqlite:///{tmp_path / 'src.db'}"
    generate(url, sessions=50, seed=5, end=END, messy_fraction=0)
    con = sqlite3.connect(tmp_path / "src.db")
    notations = {1: "2026-10-01 17:00:00", 2: "2026-10-01T19:00:00+02:00", 3: "2026-10-01 17:00:00.000000", 4: "2026-10-01T12:00:00-05:00"}
    for session_id, text in notations.items():
        con.execute("UPDATE performance_sessions SET started_at = ? WHERE id = ?", (text, session_id))
    con.commit()
    settings = _settings(tmp_path, url)
    extract_all(url, settings.warehouse_path, settings=settings)

    rows = _raw(settings, "SELECT DISTINCT CAST(started_at AT TIME ZONE 'UTC' AS VARCHAR) FROM raw.performance_sessions WHERE id <= 4")
    assert rows == [("2026-10-01 17:00:00",)]


def test_small_pages_read_exactly_the_rows_of_one_big_read_even_across_duplicated_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'src.db'}"
    generate(url, sessions=400, seed=9, end=END)
    con = sqlite3.connect(tmp_path / "src.db")
    # The app's table without its primary key, with ids 96-98 written twice: 97 straddles the first page
    # boundary of a 97-row page.
    con.executescript("""
        CREATE TABLE events_copy AS SELECT * FROM performance_events;
        INSERT INTO events_copy SELECT * FROM performance_events WHERE id IN (96, 97, 98);
        DROP TABLE performance_events;
        ALTER TABLE events_copy RENAME TO performance_events;
    """)
    con.commit()
    source_rows = con.execute("SELECT count(*) FROM performance_events").fetchone()[0]

    def raw_rows(batch_rows: int) -> list[tuple]:
        settings = Settings(data_dir=tmp_path / f"data-{batch_rows}", source_url=url, extract_batch_rows=batch_rows)
        (result,) = extract_all(url, settings.warehouse_path, tables=["performance_events"], settings=settings)
        assert result.rows_read == source_rows
        return _raw(settings, "SELECT id, session_id, event_type, position_seconds FROM raw.performance_events ORDER BY ALL")

    paged = raw_rows(97)
    assert len(paged) == source_rows
    assert paged == raw_rows(1_000_000)
    assert [r[0] for r in paged].count(97) == 2


def test_sqlite_reads_the_rows_past_its_mark_through_the_cursor_index(tmp_path):
    """SQLite has no statistics, so `updated_at >= mark ORDER BY id` scans the table in key order; a few rows
    past the mark are searched through the index instead, and read the same."""
    from chordme_bi.extract.extractor import STATE_TABLE, SourceReader
    from chordme_bi.source.schema import metadata
    from chordme_bi.source.tables import EXTRACT_SPECS

    path = tmp_path / "src.db"
    url = f"sqlite:///{path}"
    generate(url, sessions=1500, seed=11, end=END)
    settings = _settings(tmp_path, url)
    extract_all(url, settings.warehouse_path, settings=settings)
    with sqlite3.connect(path) as src:
        src.execute("UPDATE performance_sessions SET completion_percentage = 42.5, updated_at = '2026-11-01 08:00:00' "
                    "WHERE id IN (3, 4)")
    (mark,), = _raw(settings, f"SELECT high_water_mark FROM {STATE_TABLE} WHERE table_name = 'performance_sessions'")
    table = metadata.tables["performance_sessions"]
    spec = next(s for s in EXTRACT_SPECS if s.table == "performance_sessions")

    def plan(query: str) -> str:
        with sqlite3.connect(path) as src:
            return " ".join(row[-1] for row in src.execute(f"EXPLAIN QUERY PLAN {query}"))

    reader = SourceReader(url, batch_rows=1000)
    assert reader.few_rows_past_mark(table, spec, mark)
    assert "USING INDEX ix_performance_sessions_updated_at" in plan(reader.query(table, spec, mark, False, selective=True))
    assert "USING INDEX" not in plan(reader.query(table, spec, mark, False))  # what SQLite does untold
    # more rows past the mark than a page (each page would sort them all), or no index: read as before
    assert not SourceReader(url, batch_rows=1).few_rows_past_mark(table, spec, mark)
    assert not reader.few_rows_past_mark(table, spec, None)

    results = {r.table: r for r in extract_all(url, settings.warehouse_path, settings=settings)}
    assert results["performance_sessions"].rows_written == 2
    assert _raw(settings, "SELECT id, completion_percentage FROM raw.performance_sessions WHERE id IN (3, 4) ORDER BY id") == [
        (3, 42.5), (4, 42.5)]
    with sqlite3.connect(path) as src:
        src.execute("DROP INDEX ix_performance_sessions_updated_at")
    assert not reader.few_rows_past_mark(table, spec, mark)


@pytest.mark.parametrize("batch_rows", [3, 4, 10, 1000])  # more than the NULL keys (a page of them ends paging)
def test_pages_hold_every_copy_of_a_key_in_key_order(tmp_path, batch_rows):
    """Keys without a constraint may be NULL, gapped, repeated across a page's end or more often than a page
    holds: every row is read once, in key order, and a key's copies are never split between pages."""
    from chordme_bi.extract.extractor import SourceReader
    from chordme_bi.source.schema import metadata
    from chordme_bi.source.tables import EXTRACT_SPECS

    path = tmp_path / "src.db"
    url = f"sqlite:///{path}"
    generate(url, sessions=30, seed=5, end=END)
    with sqlite3.connect(path) as con:
        con.executescript("""
            CREATE TABLE events_copy AS SELECT * FROM performance_events WHERE id <= 40;
            UPDATE events_copy SET id = id * 7 WHERE id > 20;            -- gaps
            UPDATE events_copy SET id = NULL WHERE id IN (1, 2);         -- keys the app never wrote
            INSERT INTO events_copy SELECT * FROM events_copy WHERE id IN (5, 6, 147);
            INSERT INTO events_copy SELECT * FROM events_copy WHERE id = 6;  -- 4 copies of 6: more than a page of 3
            DROP TABLE performance_events;
            ALTER TABLE events_copy RENAME TO performance_events;
        """)
        expected_ids = sorted((r[0] for r in con.execute("SELECT id FROM performance_events")),
                              key=lambda i: (i is not None, i or 0))
    table, spec = metadata.tables["performance_events"], next(s for s in EXTRACT_SPECS if s.table == "performance_events")

    pages = [page.column("id").to_pylist() for page, _ in SourceReader(url, batch_rows).pages(table, spec, None)]
    assert [i for page in pages for i in page] == expected_ids
    assert expected_ids.count(6) == 4 and (len(pages) > 1 or batch_rows == 1000)
    assert all(page[-1] != following[0] for page, following in zip(pages, pages[1:]))


def test_sqlite_strings_land_exactly_as_written_and_a_blob_falls_back_to_text(tmp_path, caplog):
    """String columns are read natively (not as prefixed text): empty strings stay empty, NULLs NULL, numbers
    written into them come as their text, and a blob among them sends the page to the text read instead of
    failing the run."""
    from chordme_bi.extract.extractor import SourceReader
    from chordme_bi.source.schema import metadata

    path = tmp_path / "src.db"
    url = f"sqlite:///{path}"
    generate(url, sessions=40, seed=5, end=END, messy_fraction=0)
    written = {1: None, 2: "", 3: 12, 4: 1.5, 5: "Am7/G ♯ 'quoted' \"double\"", 6: "  padded  "}
    with sqlite3.connect(path) as con:
        for event_id, value in written.items():
            con.execute("UPDATE performance_events SET chord_at_position = ? WHERE id = ?", (value, event_id))
    events = metadata.tables["performance_events"]
    typed_read = SourceReader(url, 1000).text_columns(events, text_mode=False)
    assert {"chord_at_position", "event_type", "section_name"}.isdisjoint(typed_read)
    assert {"timestamp", "event_data"} <= typed_read  # SQLite keeps these in any notation or type

    settings = _settings(tmp_path, url)
    extract_all(url, settings.warehouse_path, settings=settings)
    landed = dict(_raw(settings, "SELECT id, chord_at_position FROM raw.performance_events WHERE id <= 6"))
    assert landed == {1: None, 2: "", 3: "12", 4: "1.5", 5: written[5], 6: "  padded  "}

    with sqlite3.connect(path) as con:
        con.execute("UPDATE performance_events SET chord_at_position = CAST('C#m' AS BLOB), "
                    "section_name = 'bridge' WHERE id = 7")
        expected = con.execute("SELECT count(*) FROM performance_events").fetchone()[0]
    other = _settings(tmp_path / "again", url)
    with caplog.at_level("WARNING", logger="chordme_bi.extract.extractor"):
        (result,) = extract_all(url, other.warehouse_path, tables=["performance_events"], settings=other)
    assert "reading the page as text" in caplog.text
    assert (result.rows_read, result.rows_written + result.rows_rejected) == (expected, expected)
    assert _raw(other, "SELECT chord_at_position, section_name FROM raw.performance_events WHERE id = 7") == [
        ("C#m", "bridge")]
