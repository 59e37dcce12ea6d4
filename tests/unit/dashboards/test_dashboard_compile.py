"""Widget SQL on a tiny hand-made warehouse: every chart type with hand-computed answers."""

from datetime import date, datetime, timezone

import duckdb
import pytest

from chordme_bi.dashboards.compile import compile_widget, run_widget
from chordme_bi.dashboards.spec import Widget, parse_widget

AS_OF = date(2026, 10, 31)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA marts")
    con.execute("""CREATE TABLE marts.fct_sessions (session_id INT, user_key VARCHAR, session_date DATE,
                   started_at TIMESTAMPTZ, device_type VARCHAR, completion_percentage DOUBLE,
                   total_duration_seconds BIGINT)""")
    rows = [
        # id, user, date, hour, device, completion, seconds
        (1, "u1", "2026-10-30", 18, "mobile", 50.0, 600),
        (2, "u1", "2026-10-30", 19, "desktop", 70.0, 1200),
        (3, "u2", "2026-10-31", 18, "mobile", 90.0, 300),
        (4, "u3", "2026-10-25", 7, "mobile", None, 60),   # first day of last_7_days
        (5, "u2", "2026-10-24", 7, "tablet", 40.0, 900),  # previous 7 days
        (6, "u4", "2026-10-20", 23, "desktop", 10.0, 100),  # previous 7 days
        (7, "u9", "2026-11-01", 12, "mobile", 100.0, 50),   # after as_of: never counted
    ]
    for sid, user, day, hour, device, completion, seconds in rows:
        started = datetime.fromisoformat(day).replace(hour=hour, tzinfo=timezone.utc)
        con.execute("INSERT INTO marts.fct_sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [sid, user, date.fromisoformat(day), started, device, completion, seconds])
    con.execute("""CREATE TABLE marts.fct_goal_progress (goal_id INT, user_key VARCHAR, goal_type VARCHAR,
                   status VARCHAR, target_value FLOAT, current_value DOUBLE, pct_of_target DECIMAL(18,2),
                   sessions_counted BIGINT, unit VARCHAR, created_date DATE, deadline DATE)""")
    con.execute("""INSERT INTO marts.fct_goal_progress VALUES
        (1, 'u1', 'sessions_count', 'active', 10, 5, 50.00, 5, 'sessions', '2026-09-01', NULL),
        (2, 'u2', 'sessions_count', 'active', 20, 20, 100.00, 20, 'sessions', '2026-10-20', '2026-12-01'),
        (3, 'u3', 'practice_minutes', 'completed', 60, 90, 150.00, 4, 'minutes', '2026-06-01', '2026-09-30'),
        (4, 'u4', 'practice_minutes', 'active', 100, 10, 10.00, 1, 'minutes', '2026-11-05', NULL)""")
    yield con
    con.close()


def w(chart, fields, relative="last_7_days", source="performance_sessions", **config) -> Widget:
    result = parse_widget({"title": "T", "data_source": source, "config": {
        "chart_type": chart, "data_fields": fields, "time_range": {"relative": relative}, **config}}, 0)
    assert isinstance(result, Widget), result
    return result


def test_kpi_distinct_users_with_change(con):
    # last 7 days = 2026-10-25..31: users u1, u2, u3 -> 3; previous 10-18..24: u2, u4 -> 2; +50%.
    r = run_widget(con, w("kpi", ["user_id"]), AS_OF)
    assert r.ok and (r.start, r.end) == (date(2026, 10, 25), date(2026, 11, 1))
    assert r.kpi == {"value": 3, "previous": 2, "change_pct": 50.0, "label": "distinct users"}


def test_kpi_mean_of_a_measure(con):
    # (50 + 70 + 90) / 3 = 70 (NULL completion is not averaged); previous (40 + 10) / 2 = 25; +180%.
    r = run_widget(con, w("kpi", ["completion_percentage"]), AS_OF)
    assert r.kpi["value"] == pytest.approx(70.0) and r.kpi["previous"] == pytest.approx(25.0)
    assert r.kpi["change_pct"] == pytest.approx(180.0)


def test_line_per_day_with_gaps_for_means(con):
    r = run_widget(con, w("line", ["completion_percentage"]), AS_OF)
    assert r.chart["x"] == ["2026-10-25", "2026-10-26", "2026-10-27", "2026-10-28", "2026-10-29", "2026-10-30",
                            "2026-10-31"]
    assert r.chart["series"] == [{"name": "mean completion %", "values": [None, None, None, None, None, 60.0, 90.0]}]


def test_line_of_a_sum_fills_zeros_and_counts_without_measure(con):
    r = run_widget(con, w("line", ["total_duration_seconds"]), AS_OF)
    assert r.chart["series"][0]["values"] == [60, 0, 0, 0, 0, 1800, 300]
    r = run_widget(con, w("bar", ["session_date"]), AS_OF)
    assert r.chart["series"] == [{"name": "sessions", "values": [1, 0, 0, 0, 0, 2, 1]}]


def test_bar_of_a_timestamp_counts_by_hour_of_day(con):
    r = run_widget(con, w("bar", ["started_at"], "last_30_days"), AS_OF)
    values = dict(zip(r.chart["x"], r.chart["series"][0]["values"]))
    assert len(r.chart["x"]) == 24
    assert (values["07:00"], values["18:00"], values["19:00"], values["23:00"], values["12:00"]) == (2, 2, 1, 1, 0)


def test_bar_by_category_and_weekly_buckets(con):
    r = run_widget(con, w("bar", ["device_type"], "last_30_days"), AS_OF)
    assert list(zip(r.chart["x"], r.chart["series"][0]["values"])) == [("mobile", 3), ("desktop", 2), ("tablet", 1)]
    r = run_widget(con, w("line", ["user_id"], "last_90_days"), AS_OF)
    assert r.note == "per week" and r.chart["x"][-1] == "2026-10-26" and r.chart["x"][0] == "2026-08-03"
    # week of 10-19: u2 (24th), u4 (20th), u3 (25th, a Sunday) -> 3; week of 10-26: u1, u2 -> 2
    assert r.chart["series"][0]["values"][-2:] == [3, 2]


def test_pie_shares_and_filters(con):
    r = run_widget(con, w("pie", ["device_type"], "last_30_days"), AS_OF)
    assert r.chart["kind"] == "pie" and r.chart["x"] == ["mobile", "desktop", "tablet"]
    assert r.chart["series"][0]["values"] == [3, 2, 1]
    r = run_widget(con, w("pie", ["device_type", "total_duration_seconds"], "last_30_days",
                          filters={"device_type": ["mobile", "tablet"]}), AS_OF)
    # mobile 600 + 300 + 60 = 960 seconds, tablet 900; desktop filtered out
    assert list(zip(r.chart["x"], r.chart["series"][0]["values"])) == [("mobile", 960), ("tablet", 900)]


def test_pie_without_a_category_is_an_error_on_the_widget(con):
    r = run_widget(con, w("pie", ["completion_percentage"]), AS_OF)
    assert not r.ok and "a pie needs a categorical field" in r.error and "device_type" in r.error


def test_table_groups_and_shows_user_key_not_ids(con):
    r = run_widget(con, w("table", ["user_id", "total_duration_seconds"], "last_30_days"), AS_OF)
    assert r.columns == ["user_key", "sum total_duration_seconds", "sessions"]
    # u1: 600 + 1200; u2: 300 + 900; ordered by sessions, then user_key
    assert r.rows == [["u1", 1800, 2], ["u2", 1200, 2], ["u3", 60, 1], ["u4", 100, 1]]


def test_goals_are_in_range_while_live(con):
    # last 30 days = 10-02..31: goal 1 (no deadline) and 2 are live; 3 ended 09-30; 4 starts after.
    r = run_widget(con, w("table", ["goal_type", "status", "current_value"], "last_30_days", source="user_goals"), AS_OF)
    assert r.columns == ["goal_type", "status", "avg current_value", "goals"]
    assert r.rows == [["sessions_count", "active", 12.5, 2]]


def test_values_are_bound_parameters(con):
    sql, params, _ = compile_widget(w("kpi", ["user_id"], filters={"device_type": "x' OR 1=1 --"}), AS_OF)
    assert "x' OR 1=1" not in sql and "x' OR 1=1 --" in params
    r = run_widget(con, w("kpi", ["user_id"], filters={"device_type": "x' OR 1=1 --"}), AS_OF)
    assert r.kpi["value"] == 0
