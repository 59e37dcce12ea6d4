"""Report queries give the same sums whatever order the warehouse holds its rows in."""

from datetime import date

import duckdb
import pytest

from chordme_bi.reports.queries import Scope, session_totals, session_types, student_stats

# One student's 8 sessions: their mean completion, 353.4 / 8 = 44.175, sits on a rounding tie. Added as doubles
# in this order the sum is 353.40000000000003, in the reverse order 353.4 (Python's round(mean, 2): 44.18, 44.17).
COMPLETIONS = [37.5, 43.9, 50.8, 77.8, 52.1, 39.3, 49.0, 3.0]


def _warehouse(completions: list[float]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET threads = 1")  # rows are added in the order they are stored
    con.execute("CREATE SCHEMA marts")
    con.execute("""CREATE TABLE marts.fct_sessions (session_id BIGINT, user_id BIGINT, user_key VARCHAR,
                   session_date DATE, session_type VARCHAR, song_id BIGINT, total_duration_seconds BIGINT,
                   completion_percentage DOUBLE)""")
    con.executemany("INSERT INTO marts.fct_sessions VALUES (?, 7, 'k7', DATE '2026-03-02', 'practice', 1, 600, ?)",
                    list(enumerate(completions)))
    return con


@pytest.fixture
def both_orders():
    forward, backward = _warehouse(COMPLETIONS), _warehouse(COMPLETIONS[::-1])
    yield forward, backward
    forward.close()
    backward.close()


def test_the_fixture_is_order_sensitive_as_doubles(both_orders):
    sums = [con.execute("SELECT sum(completion_percentage) FROM marts.fct_sessions").fetchone()[0] for con in both_orders]
    assert sums[0] != sums[1]  # else the tests below would pass without exact sums


def test_completion_sums_do_not_depend_on_row_order(both_orders):
    window = (date(2026, 3, 1), date(2026, 4, 1), Scope())
    stats = [student_stats(con, *window) for con in both_orders]
    assert stats[0]["completion_sum"].tolist() == stats[1]["completion_sum"].tolist() == [353.4]
    totals = [session_totals(con, *window) for con in both_orders]
    assert totals[0]["completion_sum"] == totals[1]["completion_sum"] == 353.4
    assert totals[0]["mean_completion"] == totals[1]["mean_completion"]
    types = [session_types(con, *window) for con in both_orders]
    assert types[0]["completion_sum"].tolist() == types[1]["completion_sum"].tolist() == [353.4]


def test_a_user_filter_sums_exactly_too(both_orders):
    window = (date(2026, 3, 1), date(2026, 4, 1), Scope(user_ids=(7,)))
    stats = [student_stats(con, *window) for con in both_orders]
    assert stats[0]["completion_sum"].tolist() == stats[1]["completion_sum"].tolist() == [353.4]
