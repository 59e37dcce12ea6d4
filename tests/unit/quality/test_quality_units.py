"""Suites, rules, the GX runner and erasure's file matching on tiny hand-made inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

import duckdb
import pytest

from chordme_bi.quality import rules
from chordme_bi.quality.erasure import _file_mentions_user
from chordme_bi.quality.retention import cutoff_for
from chordme_bi.quality.suites import ALL_SUITES, MART_SUITES, RAW_SUITES, suite_named


def test_suites_cover_the_required_tables_and_labels_are_unique():
    assert {s.table for s in RAW_SUITES} >= {"performance_sessions", "performance_events", "users", "songs",
                                             "setlist_performances", "user_goals"}
    assert {s.table for s in MART_SUITES} == {"fct_sessions", "agg_student_daily", "agg_platform_daily",
                                              "fct_goal_progress", "agg_band_performances"}
    for suite in ALL_SUITES:
        labels = [e.label for e in suite.expectations]
        assert len(labels) == len(set(labels)), suite.name
    assert not any(s.blocking for s in RAW_SUITES) and all(s.blocking for s in MART_SUITES)
    # personal fields are never sampled (GX results list unexpected values)
    assert not {"email", "display_name"} & set(suite_named("raw_users").columns)


def test_cutoff_is_whole_utc_days_and_zero_keeps_everything():
    now = datetime(2026, 3, 10, 15, 30, tzinfo=timezone.utc)
    assert cutoff_for(now, 0) is None
    assert cutoff_for(now, 9) == datetime(2026, 3, 1, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="BI_DATA_RETENTION_DAYS"):
        cutoff_for(now, -1)


def test_scrubbing_a_json_list_of_user_ids():
    con = duckdb.connect()
    sql = rules.scrub_user_list_sql("team_members", [2, 9])
    rows = con.execute(f"SELECT {sql} FROM (VALUES ('[20, 2, 7]'), ('[1]'), ('not json'), (NULL)) AS t(team_members)").fetchall()
    assert [r[0] for r in rows] == ["[20, 7]", "[1]", "not json", None]


def test_column_classification():
    assert rules.is_user_id_column("student_user_id") and rules.is_user_id_column("performed_by")
    assert not rules.is_user_id_column("session_id")
    assert rules.is_pseudonym_column("user_key") and rules.is_pseudonym_column("anonymous_key")
    assert not rules.is_pseudonym_column("song_key")


def _tiny_warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.users (id BIGINT, email VARCHAR, created_at TIMESTAMP, updated_at TIMESTAMP)")
    con.execute("INSERT INTO raw.users VALUES (1, 'a@x', '2026-01-01', '2026-01-02'), (2, 'b@x', '2026-01-01', '2026-01-02')")
    con.execute("CREATE TABLE raw.songs (id BIGINT)")
    con.execute("INSERT INTO raw.songs VALUES (1)")
    con.execute("CREATE TABLE raw.setlists (id BIGINT)")
    con.execute("""CREATE TABLE raw.performance_sessions (id BIGINT, user_id BIGINT, song_id BIGINT, setlist_id BIGINT,
        session_type VARCHAR, device_type VARCHAR, started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ, total_duration BIGINT,
        active_duration BIGINT, completion_percentage DOUBLE, session_rating BIGINT, difficulty_rating BIGINT,
        analytics_consent BOOLEAN, anonymous_data_only BOOLEAN)""")
    con.execute("""INSERT INTO raw.performance_sessions VALUES
        (1, 1, 1, NULL, 'practice', 'mobile', '2026-01-01 10:00+00', '2026-01-01 10:30+00', 1800, 1700, 50, 4, 3, true, false),
        (2, 1, 1, NULL, 'practice', 'mobile', '2026-01-01 10:00+00', '2026-01-01 09:00+00', 1800, 1700, 150, 4, 3, true, false),
        (2, 3, 99, NULL, 'karaoke', 'mobile', '2026-01-01 10:00+00', NULL, -5, 0, 10, 9, 3, true, false)""")
    return con


def test_run_suite_finds_each_fault_and_keeps_gx_json(tmp_path):
    from chordme_bi.quality.runner import run_suite

    outcome = run_suite(_tiny_warehouse(), suite_named("raw_performance_sessions"), tmp_path,
                        now=datetime(2026, 1, 2, tzinfo=timezone.utc))
    assert not outcome.success
    assert outcome.summary()["failed"] == {
        "ExpectColumnValuesToBeBetween(completion_percentage)": 1,
        "ExpectColumnValuesToBeBetween(total_duration)": 1,
        "ExpectColumnValuesToBeBetween(session_rating)": 1,
        "ExpectColumnValuesToBeInSet(session_type)": 1,
        "ExpectColumnPairValuesAToBeGreaterThanB(ended_at/started_at)": 1,
        "exact:duplicate_keys": 1.0,
        "exact:orphan_users": 1.0,
        "exact:orphan_songs": 1.0,
    }
    document = json.loads(open(outcome.results_path).read())
    assert document["suite"] == "raw_performance_sessions" and document["success"] is False
    assert document["sample"]["statistics"]["evaluated_expectations"] == len(suite_named("raw_performance_sessions").expectations)


def test_a_missing_relation_or_column_fails_with_its_name(tmp_path):
    from chordme_bi.quality.runner import run_suite

    con = _tiny_warehouse()
    missing = run_suite(con, suite_named("raw_songs"), tmp_path)
    assert not missing.success and missing.error is None  # the table exists: its missing columns fail
    assert "ExpectTableColumnsToMatchSet(table)" in missing.summary()["failed"]
    gone = run_suite(con, suite_named("marts_fct_sessions"), tmp_path)
    assert not gone.success and gone.error == 'relation marts."fct_sessions" does not exist'


def test_erasure_file_matching(tmp_path):
    key = "ab" * 16
    cases = {
        "a.json": (json.dumps({"rows": [{"student_user_id": 42}]}), True),
        "b.json": (json.dumps({"user_id": 420, "minutes": 42}), False),  # 42 as a measure is not the user
        "c.csv": ("user_id,minutes\n42,5\n", True),
        "d.csv": ("user_id,minutes\n7,42\n", False),
        "e.html": (f"<p>{key}</p>", True),
        "progress-user-42.txt": ("x", True),
        "progress-user-421.txt": ("x", False),
    }
    for name, (text, _) in cases.items():
        (tmp_path / name).write_text(text)
    assert {n: _file_mentions_user(tmp_path / n, 42, [key]) for n in cases} == {n: v for n, (_, v) in cases.items()}


def test_loading_the_definitions_does_not_import_great_expectations():
    code = ("import sys; from orchestration.definitions import build_definitions; build_definitions(); "
            "assert 'great_expectations' not in sys.modules, 'GX imported at load'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=__file__.rsplit("/tests/", 1)[0])
