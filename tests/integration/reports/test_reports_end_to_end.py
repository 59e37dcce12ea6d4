"""End to end on the built fixture warehouse: report figures against independent SQL on the SOURCE database,
the CLI's errors, and one report asset materialized with Dagster."""

import json
import sqlite3
import subprocess
import sys
from datetime import date

import pytest

from chordme_bi.reports.config import ReportConfig, ReportType
from chordme_bi.reports.engine import content_hash, generate_report
from chordme_bi.warehouse import read_only

START, END = date(2026, 10, 1), date(2026, 11, 1)

# The validity rules of int_sessions__exceptions, restated by hand over the source (SQLite's date() turns
# '+09:00' style offsets into UTC, as the warehouse does).
VALID_SESSIONS = """
    FROM performance_sessions AS s
    WHERE s.user_id IS NOT NULL AND EXISTS (SELECT 1 FROM users AS u WHERE u.id = s.user_id)
      AND (s.song_id IS NULL OR EXISTS (SELECT 1 FROM songs AS so WHERE so.id = s.song_id))
      AND (s.setlist_id IS NULL OR EXISTS (SELECT 1 FROM setlists AS sl WHERE sl.id = s.setlist_id))
      AND lower(trim(s.session_type)) IN ('practice', 'performance', 'rehearsal')
      AND s.started_at IS NOT NULL
      AND (s.ended_at IS NULL OR julianday(s.ended_at) >= julianday(s.started_at))
      AND s.total_duration IS NOT NULL AND s.total_duration BETWEEN 0 AND 86400
      AND (s.active_duration IS NULL OR s.active_duration BETWEEN 0 AND s.total_duration)
      AND (s.completion_percentage IS NULL OR s.completion_percentage BETWEEN 0 AND 100)
      AND (s.session_rating IS NULL OR s.session_rating BETWEEN 1 AND 5)
      AND (s.difficulty_rating IS NULL OR s.difficulty_rating BETWEEN 1 AND 5)
      AND coalesce(s.tempo_changes, 0) >= 0 AND coalesce(s.pause_count, 0) >= 0
      AND coalesce(s.rewind_count, 0) >= 0 AND coalesce(s.fast_forward_count, 0) >= 0
      AND date(s.started_at) >= :start AND date(s.started_at) < :end
"""
ATTRIBUTABLE = "AND NOT (coalesce(s.anonymous_data_only, 1) AND NOT coalesce(s.analytics_consent, 0))"


def source_row(source_db, select: str, extra: str = "", **params):
    with sqlite3.connect(source_db) as con:
        return con.execute(f"SELECT {select} {VALID_SESSIONS} {extra}",
                           {"start": START.isoformat(), "end": END.isoformat(), **params}).fetchone()


def report(settings, report_type, **kwargs):
    with read_only(settings.warehouse_path) as con:
        return generate_report(con, ReportConfig(report_type=report_type, start=START, end=END, **kwargs))


def test_usage_metrics_match_the_source(built_warehouse, source_db):
    sessions, mean_completion, seconds = source_row(
        source_db, "count(*), avg(coalesce(completion_percentage, 0)), sum(total_duration)")
    metrics = report(built_warehouse, ReportType.USAGE_PATTERNS)["summary"]["key_metrics"]
    assert sessions > 100
    assert metrics["total_sessions"] == sessions
    assert metrics["average_completion_rate"] == pytest.approx(mean_completion, abs=0.006)
    assert metrics["average_session_minutes"] == pytest.approx(seconds / sessions / 60, abs=0.006)


def test_student_metrics_match_the_source(built_warehouse, source_db):
    sessions, students, completion = source_row(
        source_db, "count(*), count(DISTINCT user_id), avg(coalesce(completion_percentage, 0))", ATTRIBUTABLE)
    result = report(built_warehouse, ReportType.STUDENT_PROGRESS)
    metrics = result["summary"]["key_metrics"]
    assert (metrics["total_sessions"], metrics["total_students"]) == (sessions, students)
    assert metrics["average_completion_rate"] == pytest.approx(completion, abs=0.006)
    platform = source_row(source_db, "count(*)")[0]
    assert result["data"]["period_summary"]["platform_sessions"] == platform > sessions  # pseudonymous ones too


def test_user_filter_really_filters(built_warehouse, source_db):
    with sqlite3.connect(source_db) as con:
        user_id = con.execute(f"SELECT s.user_id {VALID_SESSIONS} {ATTRIBUTABLE} GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
                              {"start": START.isoformat(), "end": END.isoformat()}).fetchone()[0]
    expected = source_row(source_db, "count(*)", ATTRIBUTABLE + " AND s.user_id = :user", user=user_id)[0]
    result = report(built_warehouse, ReportType.STUDENT_PROGRESS, user_ids=[user_id])
    assert result["summary"]["key_metrics"]["total_students"] == 1
    assert result["summary"]["key_metrics"]["total_sessions"] == expected
    assert [s["user_id"] for s in result["data"]["student_details"]] == [user_id]
    usage = report(built_warehouse, ReportType.USAGE_PATTERNS, user_ids=[user_id])
    assert usage["summary"]["key_metrics"]["total_sessions"] == expected


def test_class_filter_is_the_class_students(built_warehouse, source_db):
    with sqlite3.connect(source_db) as con:
        class_id, = con.execute("SELECT id FROM collaboration_rooms WHERE room_type = 'lesson_plan' AND status = 'active' "
                                "ORDER BY id LIMIT 1").fetchone()
        students = [r[0] for r in con.execute(
            "SELECT p.user_id FROM room_participants AS p JOIN collaboration_rooms AS r ON r.id = p.room_id "
            "WHERE r.id = ? AND p.status = 'active' AND p.user_id <> r.creator_id", [class_id])]
    expected = source_row(source_db, "count(*)",
                          ATTRIBUTABLE + f" AND s.user_id IN ({','.join(str(s) for s in students)})")[0]
    result = report(built_warehouse, ReportType.STUDENT_PROGRESS, class_id=class_id)
    assert result["summary"]["key_metrics"]["total_sessions"] == expected
    assert {s["user_id"] for s in result["data"]["student_details"]} <= set(students)


def test_unknown_class_lists_valid_ones(built_warehouse):
    with pytest.raises(ValueError, match="unknown class_id 'nope'; valid: "):
        report(built_warehouse, ReportType.STUDENT_PROGRESS, class_id="nope")


def test_every_report_is_reproducible_and_json_native(built_warehouse):
    for report_type in ReportType:
        first, second = report(built_warehouse, report_type), report(built_warehouse, report_type)
        assert first["report_id"] == second["report_id"] and content_hash(first) == content_hash(second)
        assert json.loads(json.dumps(first)) == first  # JSON-native values only
        assert first["config"]["start"] == "2026-10-01" and first["config"]["end"] == "2026-11-01"
        assert len(json.dumps(first)) < 100_000  # bounded entity lists


def test_window_without_data_is_insufficient(built_warehouse):
    with read_only(built_warehouse.warehouse_path) as con:
        result = generate_report(con, ReportConfig(report_type="usage_patterns", period="monthly", start=date(2024, 1, 1)))
    assert result["summary"]["status"] == "insufficient_data"
    assert "insufficient data" in result["summary"]["message"]


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "chordme_bi.cli", "report", *args], capture_output=True, text=True, env=env)


@pytest.mark.parametrize("args, message", [
    (["--type", "weekly_fun"], "invalid choice: 'weekly_fun' (choose from 'student_progress'"),
    (["--type", "usage_patterns", "--period", "hourly"], "invalid choice: 'hourly'"),
    (["--type", "usage_patterns", "--format", "docx"], "choose from 'json', 'csv', 'html', 'pdf'"),
    (["--type", "usage_patterns", "--start", "2026-13-01"], "invalid date '2026-13-01'"),
    (["--type", "usage_patterns", "--period", "custom", "--start", "2026-10-01"], "needs both start and end"),
])
def test_cli_bad_arguments_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_cli_writes_a_report(built_warehouse, tmp_path):
    import os

    env = {**os.environ, "BI_WAREHOUSE_PATH": str(built_warehouse.warehouse_path), "BI_DATA_DIR": str(tmp_path)}
    result = run_cli("--type", "goal_tracking", "--start", "2026-10-01", "--out", str(tmp_path / "out"), env=env)
    assert result.returncode == 0, result.stderr
    written = json.loads(result.stdout)
    assert written["report_id"].startswith("goal_tracking_20261001_20261101_")
    assert (tmp_path / "out" / f"{written['report_id']}.json").exists()
    bad_band = run_cli("--type", "band_collaboration", "--band-id", "99999", env=env)
    assert bad_band.returncode == 2 and "unknown band_id 99999; valid: " in bad_band.stderr


def test_materialize_report_asset(built_warehouse, tmp_path):
    import dagster as dg

    from assets.reports import FILE_FORMATS, monthly_report_assets
    from orchestration.resources import ChordmeBIResource

    asset = next(a for a in monthly_report_assets if a.key.path == ["reports", "usage_patterns"])
    resources = {"chordme": ChordmeBIResource(data_dir=str(tmp_path), warehouse_path=str(built_warehouse.warehouse_path))}
    instance = dg.DagsterInstance.ephemeral()
    first = dg.materialize([asset], partition_key="2026-10-01", resources=resources, instance=instance)
    assert first.success
    directory = tmp_path / "output" / "reports" / "usage_patterns"
    for fmt in FILE_FORMATS:
        assert list(directory.glob(f"2026-10-01*.{fmt}")), fmt
    saved = json.loads((directory / "2026-10-01.json").read_text())
    assert saved["config"]["start"] == "2026-10-01" and saved["summary"]["key_metrics"]["total_sessions"] > 0
    mtime = (directory / "2026-10-01.json").stat().st_mtime_ns
    # Same inputs and code: same data version, files kept.
    second = dg.materialize([asset], partition_key="2026-10-01", resources=resources, instance=instance)
    events = [second.asset_materializations_for_node(asset.node_def.name)[0], first.asset_materializations_for_node(asset.node_def.name)[0]]
    assert events[0].tags["dagster/data_version"] == events[1].tags["dagster/data_version"]
    assert events[0].metadata["rewritten"].value is False
    assert events[1].metadata["rebuilt"].value is True and events[0].metadata["rebuilt"].value is False
    # the report read back from its file gives the run the same metadata as the one built
    assert events[0].metadata["summary"] == events[1].metadata["summary"]
    assert events[0].metadata["metric/total_sessions"] == events[1].metadata["metric/total_sessions"]
    assert (directory / "2026-10-01.json").stat().st_mtime_ns == mtime
