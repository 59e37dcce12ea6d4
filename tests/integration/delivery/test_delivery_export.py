"""Exports: row counts against independent SQL on the source, filters, CSV formula injection, size limits."""

import csv
import json
import shutil
import sqlite3
from datetime import datetime, timezone

import duckdb
import pyarrow.parquet as pq
import pytest

from chordme_bi.delivery.cli import register  # noqa: F401  (the CLI module imports cheaply)
from chordme_bi.delivery.export import ExportError, ExportRequest, ExportTooLarge, run_export
from chordme_bi.settings import Settings

# The validity rules of int_sessions__exceptions, restated in SQLite over the source (timestamps to UTC).
VALID_SESSIONS = """
SELECT count(*) FROM performance_sessions s
WHERE s.user_id IN (SELECT id FROM users)
  AND (s.song_id IS NULL OR s.song_id IN (SELECT id FROM songs))
  AND (s.setlist_id IS NULL OR s.setlist_id IN (SELECT id FROM setlists))
  AND lower(trim(s.session_type)) IN ('practice', 'performance', 'rehearsal')
  AND s.started_at IS NOT NULL AND datetime(s.started_at) <= datetime('now', '+24 hours')
  AND (s.ended_at IS NULL OR datetime(s.ended_at) >= datetime(s.started_at))
  AND s.total_duration IS NOT NULL AND s.total_duration BETWEEN 0 AND 86400
  AND (s.active_duration IS NULL OR s.active_duration BETWEEN 0 AND s.total_duration)
  AND coalesce(s.completion_percentage, 0) BETWEEN 0 AND 100
  AND (s.session_rating IS NULL OR s.session_rating BETWEEN 1 AND 5)
  AND (s.difficulty_rating IS NULL OR s.difficulty_rating BETWEEN 1 AND 5)
  AND coalesce(s.tempo_changes, 0) >= 0 AND coalesce(s.pause_count, 0) >= 0
  AND coalesce(s.rewind_count, 0) >= 0 AND coalesce(s.fast_forward_count, 0) >= 0
  AND datetime(s.started_at) >= ? AND datetime(s.started_at) < ?
"""
DEVICE = """CASE WHEN lower(trim(s.device_type)) IN ('mobile', 'tablet', 'desktop') THEN lower(trim(s.device_type))
                 WHEN s.device_type IS NULL OR trim(s.device_type) = '' THEN 'unknown' ELSE 'other' END"""


@pytest.fixture(scope="module")
def settings(built_warehouse, tmp_path_factory):
    """A copy of the built warehouse: exports write their audit rows into it."""
    data_dir = tmp_path_factory.mktemp("exports")
    shutil.copy(built_warehouse.warehouse_path, data_dir / "warehouse.duckdb")
    return Settings(data_dir=data_dir, source_url=built_warehouse.source_url, export_max_records=100_000)


def source_count(source_db, start, end, extra="", params=()):
    with sqlite3.connect(source_db) as con:
        return con.execute(VALID_SESSIONS + extra, [start, end, *params]).fetchone()[0]


@pytest.mark.parametrize("filters, extra, params", [
    ({}, "", ()),
    ({"device_types": ["mobile", "desktop"]}, f" AND {DEVICE} IN ('mobile', 'desktop')", ()),
    ({"session_types": ["practice"], "device_types": ["tablet"]},
     f" AND lower(trim(s.session_type)) = 'practice' AND {DEVICE} = 'tablet'", ()),
    ({"user_ids": ["3", "4", "5"]}, " AND s.user_id IN (3, 4, 5) AND NOT (coalesce(s.anonymous_data_only, 1) = 1 "
                                   "AND NOT coalesce(s.analytics_consent, 0) = 1)", ()),
    ({"device_types": ["other", "unknown"]}, f" AND {DEVICE} IN ('other', 'unknown')", ()),
])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_session_counts_match_the_source(settings, source_db, tmp_path, filters, extra, params, fmt):
    start, end = "2026-08-01", "2026-10-01"
    expected = source_count(source_db, f"{start} 00:00:00", f"{end} 00:00:00", extra, params)
    result = run_export(settings, ExportRequest("sessions", start, end, fmt, filters, tmp_path / f"s.{fmt}"))
    assert result.rows == result.matched == expected
    if fmt == "csv":
        with open(result.path, newline="") as f:
            assert sum(1 for _ in csv.reader(f)) - 1 == expected
    else:
        assert pq.read_metadata(result.path).num_rows == expected
    meta = json.loads(open(result.meta_path).read())
    assert meta["rows"] == expected and meta["truncated"] is False and meta["filters"] == result.filters
    assert meta["window"] == {"column": "started_at", "start": "2026-08-01T00:00:00+00:00", "end": "2026-10-01T00:00:00+00:00"}


def test_window_is_half_open(settings, source_db, tmp_path):
    days = [run_export(settings, ExportRequest("sessions", f"2026-09-{d:02d}", f"2026-09-{d + 1:02d}", "csv",
                                               out=tmp_path / f"d{d}.csv")).rows for d in range(1, 11)]
    whole = run_export(settings, ExportRequest("sessions", "2026-09-01", "2026-09-11", "csv", out=tmp_path / "w.csv"))
    assert sum(days) == whole.rows == source_count(source_db, "2026-09-01 00:00:00", "2026-09-11 00:00:00")


def test_json_users_and_named_marts(settings, tmp_path):
    users = run_export(settings, ExportRequest("users", format="json", out=tmp_path / "u.json"))
    rows = json.loads(open(users.path).read())
    assert len(rows) == users.rows > 0
    assert not {"email", "display_name"} & set(rows[0])
    daily = run_export(settings, ExportRequest("marts.agg_platform_daily", "2026-10-01", "2026-10-08", "csv",
                                               out=tmp_path / "p.csv"))
    assert daily.rows == 7 and daily.window["column"] == "activity_date"


@pytest.mark.parametrize("request_, message", [
    (ExportRequest("salaries"), "unknown data type 'salaries'; valid: events, goals, performances, sessions, users, agg_"),
    (ExportRequest("sessions", filters={"emails": ["a"]}), "unknown filter 'emails' for sessions; valid: device_types"),
    (ExportRequest("sessions", filters={"user_ids": ["1 OR 1=1"]}), "filter user_ids: '1 OR 1=1' is not an integer"),
    (ExportRequest("sessions", "2026-10-01", None), "give both start and end"),
    (ExportRequest("sessions", "2026-10-01", "2026-09-01"), "must be after start"),
    (ExportRequest("sessions", "01/10/2026", "2026-11-01"), "start: '01/10/2026' is not a date"),
    (ExportRequest("sessions", format="xlsx"), "unknown format 'xlsx'; valid: csv, json, parquet"),
    (ExportRequest("bridge_band_members", "2026-10-01", "2026-11-01"), "has no date column"),
])
def test_bad_requests_are_clear_errors(settings, request_, message):
    with pytest.raises(ExportError) as info:
        run_export(settings, request_)
    assert message in str(info.value)


@pytest.fixture
def synthetic(tmp_path):
    """A tiny warehouse with hostile text in a mart."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("""CREATE TABLE marts.notes AS SELECT * FROM (VALUES
            (1, '=HYPERLINK(\"http://evil\")', -5, DATE '2026-10-01'), (2, '+1+2', 3, DATE '2026-10-01'),
            (3, '-2', 4, DATE '2026-10-02'), (4, '@SUM(A1)', 5, DATE '2026-10-02'), (5, chr(9) || 'tab', 6, DATE '2026-10-03'),
            (6, chr(13) || 'cr', 7, DATE '2026-10-03'), (7, 'plain = text', 8, DATE '2026-10-04'), (8, NULL, 9, DATE '2026-10-04'))
            AS t(note_id, body, amount, activity_date)""")
    return Settings(data_dir=tmp_path, export_max_records=5)


def test_csv_formula_injection_is_neutralized(synthetic, tmp_path):
    result = run_export(synthetic.model_copy(update={"export_max_records": 100}),
                        ExportRequest("notes", format="csv", out=tmp_path / "n.csv"))
    with open(result.path, newline="") as f:
        rows = {int(r["note_id"]): r for r in csv.DictReader(f)}
    assert rows[1]["body"] == "'=HYPERLINK(\"http://evil\")"
    assert [rows[i]["body"] for i in (2, 3, 4)] == ["'+1+2", "'-2", "'@SUM(A1)"]
    assert rows[5]["body"] == "'\ttab" and rows[6]["body"] == "'\rcr"
    assert rows[7]["body"] == "plain = text" and rows[8]["body"] == ""
    assert rows[1]["amount"] == "-5"  # numbers stay numbers
    parquet = run_export(synthetic.model_copy(update={"export_max_records": 100}),
                         ExportRequest("notes", format="parquet", out=tmp_path / "n.parquet"))
    assert pq.read_table(parquet.path).column("body").to_pylist()[0] == '=HYPERLINK("http://evil")'  # only CSV


def test_max_records_refuses_then_truncates_with_marking(synthetic, tmp_path):
    out = tmp_path / "n.csv"
    with pytest.raises(ExportTooLarge, match="8 rows match but BI_EXPORT_MAX_RECORDS is 5.*--allow-truncate"):
        run_export(synthetic, ExportRequest("notes", format="csv", out=out))
    assert not out.exists()
    result = run_export(synthetic, ExportRequest("notes", format="csv", out=out, allow_truncate=True))
    assert (result.rows, result.matched, result.truncated) == (5, 8, True)
    with open(out, newline="") as f:
        assert [int(r["note_id"]) for r in csv.DictReader(f)] == [1, 2, 3, 4, 5]  # the earliest rows
    meta = json.loads(open(f"{out}.meta.json").read())
    assert (meta["rows"], meta["matched"], meta["truncated"]) == (5, 8, True)
    with duckdb.connect(str(synthetic.warehouse_path), read_only=True) as con:
        audit = con.execute("SELECT outcome, rows, truncated, error FROM ops.audit_log WHERE action = 'export' "
                            "ORDER BY event_at").fetchall()
    assert [(a[0], a[1], a[2]) for a in audit] == [("refused", 0, False), ("exported", 5, True)]
    assert "BI_EXPORT_MAX_RECORDS" in audit[0][3]


def test_cli_export(synthetic, tmp_path, monkeypatch, capsys):
    from chordme_bi.cli import main

    monkeypatch.setenv("BI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BI_EXPORT_MAX_RECORDS", "100")
    out = tmp_path / "cli.json"
    assert main(["export", "--data-type", "notes", "--start", "2026-10-02", "--end", "2026-10-04", "--format", "json",
                 "--filter", "note_id=3,4,5,6", "--filter", "note_id=7", "--out", str(out)]) == 0
    assert [r["note_id"] for r in json.loads(out.read_text())] == [3, 4, 5, 6]
    assert main(["export", "--data-type", "notes", "--filter", "colour=red"]) == 2
    assert "unknown filter 'colour' for notes; valid: activity_date, amount, body, note_id" in capsys.readouterr().err
