"""The dbt project is portable: the same models and tests build on PostgreSQL (dbt-postgres) and give the
same marts as on DuckDB from the same raw rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import psycopg2
import pytest

from chordme_bi.dbt_runner import run_dbt

ROOT = Path(__file__).resolve().parents[2]

# Per mart: figures that must agree exactly across engines (counts, integer sums, distinct keys) and a float
# sum compared to 1e-9 relative.
CHECKS = {
    "marts.fct_sessions": "count(*), count(distinct user_key), sum(total_duration_seconds), sum(completion_percentage)",
    "marts.fct_performance_events": "count(*), count(distinct session_id), sum(cast(position_seconds * 10 as bigint)), 0",
    "marts.fct_problem_sections": "count(*), count(distinct session_id), sum(event_count), sum(severity_score)",
    "marts.agg_student_daily": "count(*), sum(sessions), sum(practice_seconds), sum(completion_sum)",
    "marts.agg_usage_hourly": "count(*), sum(sessions), sum(active_users), sum(mean_completion)",
    "marts.agg_events_daily": "count(*), sum(events), sum(sessions), 0",
    "marts.agg_platform_daily": "count(*), sum(active_users), sum(new_users), sum(mean_completion)",
    "marts.agg_band_performances": "count(*), sum(rehearsals_before), sum(members_practised_in_window), sum(team_coordination)",
    "marts.fct_goal_progress": "count(*), sum(sessions_counted), 0, sum(current_value)",
    "marts.dim_users": "count(*), sum(case when is_student then 1 else 0 end), sum(case when is_educator then 1 else 0 end), 0",
    "quarantine.quarantine_performance_sessions": "count(*), count(distinct rejection_reasons), 0, 0",
    "quarantine.quarantine_performance_events": "count(*), count(distinct rejection_reasons), 0, 0",
}


def _copy_raw():
    spec = importlib.util.spec_from_file_location("copy_raw_to_postgres", ROOT / "bench" / "copy_raw_to_postgres.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.copy_raw


def _figures(rows) -> list:
    return [[int(v) if i < 3 else float(v or 0) for i, v in enumerate(row)] for row in rows]


def _duckdb_figures(warehouse) -> dict:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t: _figures(con.execute(f"select {q} from {t}").fetchall())[0] for t, q in CHECKS.items()}
    finally:
        con.close()


def _postgres_figures(url: str) -> dict:
    con = psycopg2.connect(url)
    try:
        with con.cursor() as cur:
            out = {}
            for table, query in CHECKS.items():
                cur.execute(f"select {query} from {table}")
                out[table] = _figures(cur.fetchall())[0]
            return out
    finally:
        con.close()


def _assert_same(expected: dict, actual: dict) -> None:
    for table, want in expected.items():
        got = actual[table]
        assert got[:3] == want[:3], f"{table}: {got} != {want}"
        assert got[3] == pytest.approx(want[3], rel=1e-9), f"{table}: {got} != {want}"


@pytest.mark.postgres
@pytest.mark.slow
def test_project_builds_on_postgres_with_the_same_marts(built_warehouse, postgres_url, tmp_path):
    database = postgres_url.rsplit("/", 1)[1]
    copied = _copy_raw()(built_warehouse.warehouse_path, postgres_url)
    assert copied["performance_sessions"] > 0 and copied["performance_events"] > 0

    def build() -> str:
        # A private target path: the DuckDB build of the same project may be running next to this one.
        result = run_dbt(["build", "--target", "postgres", "--target-path", str(tmp_path / "target")],
                         built_warehouse.warehouse_path, BI_PG_DATABASE=database, DBT_LOG_PATH=str(tmp_path / "logs"))
        return result.stdout

    output = build()  # every model and every data test, on PostgreSQL
    assert "ERROR=0" in output and "SKIP=0" in output
    expected = _duckdb_figures(built_warehouse.warehouse_path)
    _assert_same(expected, _postgres_figures(postgres_url))

    # A second build takes the incremental path of every incremental model: nothing new, nothing changes.
    output = build()
    assert "ERROR=0" in output
    _assert_same(expected, _postgres_figures(postgres_url))
