"""An incremental dbt build after the source changed gives the marts a full rebuild gives.

The changes an incremental model can get wrong: a rejected session fixed at the source (its events and
problem sections, loaded long ago, must now reach the facts and the aggregates), a valid session broken at the
source (its events must leave the facts and the daily counts), accepted events that get a repeat later (a
retry with a new id, a second copy of the id), and plain new rows.
"""

import shutil
import sqlite3

import duckdb

from chordme_bi.dbt_runner import run_dbt
from chordme_bi.extract.extractor import extract_all
from chordme_bi.settings import Settings

TABLES = {
    "marts": ["fct_sessions", "fct_performance_events", "fct_problem_sections", "agg_student_daily", "agg_usage_hourly",
              "agg_events_daily", "agg_platform_daily", "agg_goal_progress_daily", "fct_goal_progress"],
    "quarantine": ["quarantine_performance_sessions", "quarantine_performance_events", "quarantine_problem_sections"],
}


def _contents(warehouse) -> dict:
    """Every row of each table, minus load and build timestamps. Exactly: completion sums are decimals, so they do
    not depend on the order the rows were added in."""
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for schema, tables in TABLES.items():
            for table in tables:
                cols = [c for c, in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
                    [schema, table]).fetchall() if c not in ("_loaded_at", "_built_at")]
                exprs = ", ".join(f'"{c}"' for c in cols)
                out[table] = sorted(map(repr, con.execute(f"SELECT {exprs} FROM {schema}.{table}").fetchall()))
    return out


def test_incremental_build_after_fixes_and_breakages_equals_a_full_build(make_source, tmp_path):
    source = make_source(sessions=1500, seed=3)
    with sqlite3.connect(source) as src:
        fixed, broken = src.execute(
            "SELECT id FROM performance_sessions WHERE total_duration BETWEEN 60 AND 3600 "
            "AND id IN (SELECT session_id FROM performance_events) AND id IN (SELECT session_id FROM problem_sections) "
            "ORDER BY id LIMIT 2").fetchall()
        src.execute("UPDATE performance_sessions SET total_duration = -5 WHERE id = ?", fixed)  # rejected at first
    settings = Settings(data_dir=tmp_path / "inc", source_url=f"sqlite:///{source}")
    extract_all(settings.source_url, settings.warehouse_path, settings=settings)
    run_dbt(["build"], settings.warehouse_path)

    # Two accepted events (not repeated, so int_events__exceptions holds no row of theirs) get repeats later.
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        retried, recopied = [r[0] for r in con.execute(
            "SELECT event_id FROM marts.fct_performance_events WHERE session_id NOT IN (?, ?) ORDER BY event_id LIMIT 2",
            [fixed[0], broken[0]]).fetchall()]
        # and an accepted session (with no row in int_sessions__exceptions) gets a second copy of its id
        (recopied_session,), = con.execute(
            "SELECT min(session_id) FROM marts.fct_sessions WHERE session_id NOT IN (?, ?) AND completion_percentage < 90",
            [fixed[0], broken[0]]).fetchall()
    with sqlite3.connect(source) as src:
        src.execute("UPDATE performance_sessions SET total_duration = 600, active_duration = 300, updated_at = '2099-01-01 00:00:00' "
                    "WHERE id = ?", fixed)
        src.execute("UPDATE performance_sessions SET total_duration = -5, updated_at = '2099-01-01 00:00:00' "
                    "WHERE id = ?", broken)
        # the app writes an event again with a new id (a client retry): a duplicate event
        src.execute("INSERT INTO performance_events (id, session_id, event_type, timestamp, position_seconds, event_data, "
                    "chord_at_position, section_name, created_at) SELECT (SELECT max(id) + 1 FROM performance_events), "
                    "session_id, event_type, timestamp, position_seconds, event_data, chord_at_position, section_name, "
                    "created_at FROM performance_events WHERE id = ?", [retried])
    extract_all(settings.source_url, settings.warehouse_path, settings=settings)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        # a second copy of an event id lands in raw later, with another position: the copy loaded last wins
        con.execute("INSERT INTO raw.performance_events SELECT * REPLACE (position_seconds + 1 AS position_seconds, "
                    "(SELECT max(_loaded_at) FROM raw.performance_events) + INTERVAL 1 SECOND AS _loaded_at) "
                    "FROM raw.performance_events WHERE id = ?", [recopied])
        con.execute("INSERT INTO raw.performance_sessions SELECT * REPLACE (completion_percentage + 10 AS completion_percentage, "
                    "(SELECT max(_loaded_at) FROM raw.performance_sessions) + INTERVAL 1 SECOND AS _loaded_at) "
                    "FROM raw.performance_sessions WHERE id = ?", [recopied_session])
    run_dbt(["build"], settings.warehouse_path)  # incremental: only what changed is revalidated

    full = tmp_path / "full.duckdb"
    shutil.copy(settings.warehouse_path, full)
    run_dbt(["build", "--full-refresh"], full)

    incremental, rebuilt = _contents(settings.warehouse_path), _contents(full)
    with duckdb.connect(str(full), read_only=True) as con:
        # the changes reached the facts: the fixed session's events are in, the broken one's are out
        assert con.execute("SELECT count(*) FROM marts.fct_performance_events WHERE session_id = ?", fixed).fetchall()[0][0] > 0
        assert con.execute("SELECT count(*) FROM marts.fct_performance_events WHERE session_id = ?", broken).fetchall()[0][0] == 0
        # the retry is quarantined and its original stays; the later copy replaced the earlier one
        assert con.execute("SELECT rejection_reasons FROM quarantine.quarantine_performance_events WHERE event_id > ? "
                           "AND (session_id, event_type, event_at, position_seconds) IN (SELECT session_id, event_type, "
                           "event_at, position_seconds FROM marts.fct_performance_events WHERE event_id = ?)",
                           [retried, retried]).fetchall() == [("duplicate_event",)]
        (fact_position,), = con.execute("SELECT position_seconds FROM marts.fct_performance_events WHERE event_id = ?",
                                        [recopied]).fetchall()
        (copies,), = con.execute("SELECT list(position_seconds ORDER BY _loaded_at) FROM raw.performance_events "
                                 "WHERE id = ?", [recopied]).fetchall()
        assert len(copies) == 2 and fact_position == copies[-1]
        # the same for the session: the copy loaded last is the fact, the other one is quarantined
        (fact_completion,), = con.execute("SELECT completion_percentage FROM marts.fct_sessions WHERE session_id = ?",
                                          [recopied_session]).fetchall()
        (session_copies,), = con.execute("SELECT list(completion_percentage ORDER BY _loaded_at) FROM raw.performance_sessions "
                                         "WHERE id = ?", [recopied_session]).fetchall()
        assert len(session_copies) == 2 and fact_completion == session_copies[-1] != session_copies[0]
        assert con.execute("SELECT rejection_reasons, completion_percentage FROM quarantine.quarantine_performance_sessions "
                           "WHERE session_id = ?", [recopied_session]).fetchall() == [("duplicate_primary_key", session_copies[0])]
    for table in rebuilt:
        assert incremental[table] == rebuilt[table], f"{table}: incremental differs from a full rebuild"
