"""The pipeline on a hostile source: it completes, loses nothing, and the marts are right on the clean part."""

from __future__ import annotations

import duckdb
import pytest

from chordme_bi.dbt_runner import run_dbt
from chordme_bi.extract.extractor import extract_all
from chordme_bi.quality.reconcile import reconcile
from chordme_bi.settings import Settings
from tests.integration.quality.bad_source import LONG_NAME, SQL_INJECTION, build_bad_source


@pytest.fixture(scope="module")
def bad_pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    bad = build_bad_source(root / "src.db", duplicate_pk=False)
    settings = Settings(data_dir=root / "data", source_url=f"sqlite:///{bad.path}")
    results = extract_all(settings.source_url, settings.warehouse_path, settings=settings)
    run_dbt(["build"], settings.warehouse_path)  # raises with dbt's output if any model or test fails
    return settings, bad, {r.table: r for r in results}


def _q(settings, sql, params=None):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_nothing_is_lost_from_source_to_marts(bad_pipeline):
    settings, bad, results = bad_pipeline
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        recs = reconcile(con, settings.source_url)
    assert [r.table for r in recs if not r.ok] == []
    by_table = {r.table: r for r in recs}
    for table, rows in bad.source_rows.items():
        r = by_table[table]
        assert r.source_rows == rows == r.raw_rows + r.rejected_at_extract + r.suppressed, table
    sessions = by_table["performance_sessions"]
    assert (sessions.rejected_at_extract, sessions.quarantined_rows) == (5, len(bad.quarantined_sessions))
    for result in results.values():
        assert result.rows_read == result.rows_written + result.rows_unchanged + result.rows_rejected + result.rows_suppressed


def test_marts_equal_an_independent_computation_over_the_clean_rows(bad_pipeline):
    settings, bad, _ = bad_pipeline
    assert _q(settings, "SELECT count(*), sum(total_duration_seconds) FROM marts.fct_sessions")[0] == (
        bad.expected_sessions, bad.expected_duration)
    assert _q(settings, "SELECT sum(sessions), sum(practice_seconds) FROM marts.agg_platform_daily")[0] == (
        bad.expected_sessions, bad.expected_duration)


def test_unconvertible_values_are_rejected_with_field_and_original_value(bad_pipeline):
    settings, bad, _ = bad_pipeline
    rows = _q(settings, "SELECT table_name, row_id, fields, reason, row_json FROM raw._extract_rejects")
    got = {(t, i) for t, i, *_ in rows}
    assert got == {(t, i) for t, ids in bad.rejected_at_extract.items() for i in ids}
    by_reason = {r[3]: r for r in rows}
    yesterday = next(r for reason, r in by_reason.items() if reason.startswith("started_at: yesterday"))
    assert yesterday[2] == "started_at" and '"started_at":"yesterday"' in yesterday[4].replace(" ", "")
    assert any(r[2] == "user_id" and "user-7" in r[3] for r in rows)
    assert any(r[0] == "user_goals" and r[2] == "target_value" and "lots" in r[3] for r in rows)


def test_every_planted_fault_is_quarantined_with_its_reason(bad_pipeline):
    settings, bad, _ = bad_pipeline
    got = dict(_q(settings, "SELECT session_id, rejection_reasons FROM quarantine.quarantine_performance_sessions"))
    assert set(got) == set(bad.quarantined_sessions)
    for session_id, reason in bad.quarantined_sessions.items():
        assert reason in got[session_id].split(", "), (session_id, got[session_id])
    # duplicated events: the copies are quarantined, the originals kept
    dup_reasons = _q(settings, "SELECT count(*) FROM quarantine.quarantine_performance_events "
                               "WHERE rejection_reasons LIKE '%duplicate%'")[0][0]
    assert dup_reasons > 0


def test_hostile_text_is_kept_as_written_and_harmless(bad_pipeline):
    settings, _, _ = bad_pipeline
    titles = {t for (t,) in _q(settings, "SELECT title FROM marts.dim_songs WHERE song_id IN (1, 2)")}
    assert titles == {SQL_INJECTION, LONG_NAME}
    assert _q(settings, "SELECT count(*) FROM raw.users")[0][0] > 0  # the "DROP TABLE" did nothing
    assert _q(settings, "SELECT max(length(session_metadata)) FROM raw.performance_sessions")[0][0] > 1_000_000
    # mixed notations of the same instant land as the same UTC instant
    assert _q(settings, "SELECT count(*) FROM marts.fct_sessions WHERE started_at IS NULL")[0][0] == 0


def test_a_second_run_moves_nothing_and_stays_reconciled(bad_pipeline):
    settings, _, _ = bad_pipeline
    before = _q(settings, "SELECT count(*) FROM raw._extract_rejects")[0][0]
    again = extract_all(settings.source_url, settings.warehouse_path, settings=settings)
    assert sum(r.rows_written for r in again) == 0
    assert _q(settings, "SELECT count(*) FROM raw._extract_rejects")[0][0] == before


def test_raw_quality_suite_reports_the_faults_and_mart_suites_pass(bad_pipeline, tmp_path):
    from datetime import datetime, timezone

    from chordme_bi.quality.runner import run_suite
    from chordme_bi.quality.suites import MART_SUITES, suite_named

    settings, _, _ = bad_pipeline
    now = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        raw = run_suite(con, suite_named("raw_performance_sessions"), tmp_path, now=now)
        marts = [run_suite(con, s, tmp_path, now=now) for s in MART_SUITES]
    failed = raw.summary()["failed"]
    assert failed["ExpectColumnValuesToBeBetween(completion_percentage)"] == 1
    assert failed["ExpectColumnValuesToBeBetween(total_duration)"] == 2
    assert failed["ExpectColumnValuesToBeInSet(session_type)"] == 1
    assert failed["exact:orphan_songs"] == 1
    assert [(m.suite, m.summary()["failed"]) for m in marts if not m.success] == []


def test_a_duplicated_primary_key_keeps_the_newest_copy_in_the_marts(tmp_path):
    bad = build_bad_source(tmp_path / "src.db", duplicate_pk=True)
    settings = Settings(data_dir=tmp_path / "data", source_url=f"sqlite:///{bad.path}")
    extract_all(settings.source_url, settings.warehouse_path, settings=settings)
    run_dbt(["build"], settings.warehouse_path)
    assert _q(settings, "SELECT count(*), sum(total_duration_seconds) FROM marts.fct_sessions")[0] == (
        bad.expected_sessions, bad.expected_duration)
