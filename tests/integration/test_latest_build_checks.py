"""The largest fact's row-level tests look at the rows the latest build wrote (``_built_at``), so an
incremental build's tests cost what its new rows cost; its keys are still checked against the whole table."""

import shutil
from datetime import timedelta

import duckdb

from chordme_bi.dbt_runner import run_dbt

UNIQUE = "unique_in_latest_build_fct_performance_events_event_id"
RELATIONSHIPS = "relationships_fct_performance_events_session_id"
ACCEPTED = "accepted_values_fct_performance_events_event_type"


def _failed_tests(warehouse) -> set[str]:
    result = run_dbt(["test", "--select", "fct_performance_events"], warehouse, check=False)
    failed = {line.split("Failure in test ", 1)[1].split()[0] for line in result.stdout.splitlines()
              if "Failure in test " in line}
    assert result.returncode == (1 if failed else 0), result.stdout[-4000:]
    return failed


def test_a_build_is_checked_by_what_it_wrote(built_warehouse, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, warehouse)
    assert _failed_tests(warehouse) == set()

    with duckdb.connect(str(warehouse)) as con:
        fact = "marts.fct_performance_events"
        (built,), = con.execute(f"SELECT DISTINCT _built_at FROM {fact}").fetchall()  # one full build so far
        old_id, other_old_id, new_id, new_id_2 = [r[0] for r in con.execute(
            f"SELECT event_id FROM {fact} ORDER BY event_id LIMIT 4").fetchall()]
        # a later build rewrote new_id and new_id_2 ...
        con.execute(f"UPDATE {fact} SET _built_at = ? WHERE event_id IN (?, ?)", [built + timedelta(hours=1), new_id, new_id_2])
        # ... and an earlier build's row went bad afterwards: not scanned again (that is the point)
        con.execute(f"UPDATE {fact} SET event_type = 'dance' WHERE event_id = ?", [other_old_id])
    assert _failed_tests(warehouse) == set()

    with duckdb.connect(str(warehouse)) as con:
        # the latest build wrote a key an earlier build holds, and an event whose session is not a valid one
        con.execute(f"UPDATE {fact} SET event_id = ? WHERE event_id = ?", [old_id, new_id])
        con.execute(f"UPDATE {fact} SET session_id = -1 WHERE event_id = ?", [new_id_2])
    failed = _failed_tests(warehouse)
    assert any(name.startswith(UNIQUE) for name in failed), failed
    assert any(name.startswith(RELATIONSHIPS) for name in failed), failed
    assert not any(name.startswith(ACCEPTED) for name in failed), failed


def test_a_full_build_has_every_key_checked(built_warehouse, tmp_path):
    """One build wrote every row, so the key check groups the whole table (its own branch of the test)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        fact = "marts.fct_performance_events"
        assert con.execute(f"SELECT count(DISTINCT _built_at) FROM {fact}").fetchall() == [(1,)]
        first_id, last_id = con.execute(f"SELECT min(event_id), max(event_id) FROM {fact}").fetchall()[0]
        con.execute(f"UPDATE {fact} SET event_id = ? WHERE event_id = ?", [first_id, last_id])
    failed = _failed_tests(warehouse)
    assert any(name.startswith(UNIQUE) for name in failed), failed


def test_a_warehouse_built_before_the_stamps_gains_them_on_its_next_build(built_warehouse, tmp_path):
    """fct_problem_sections and agg_student_daily gained _built_at (the export's month fingerprints read it):
    an incremental build of an older warehouse adds the column instead of failing on the schema change."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for table in ("fct_problem_sections", "agg_student_daily"):
            con.execute(f"ALTER TABLE marts.{table} DROP COLUMN _built_at")
        # one session with problem sections loaded again: its rows and its day are written by the next build
        (session_id, day), = con.execute("SELECT session_id, session_date FROM marts.fct_problem_sections "
                                         "ORDER BY session_id LIMIT 1").fetchall()
        con.execute("UPDATE raw.performance_sessions SET _loaded_at = _loaded_at + INTERVAL 1 DAY WHERE id = ?", [session_id])

    run_dbt(["build"], warehouse)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        stamped = con.execute("SELECT session_id = ? AS rebuilt, count(_built_at) > 0, count(*) = count(_built_at) "
                              "FROM marts.fct_problem_sections GROUP BY ALL ORDER BY ALL", [session_id]).fetchall()
        assert stamped == [(False, False, False), (True, True, True)]
        # that day only: the other days' counts match the facts, so the build leaves them as they were
        days = con.execute("SELECT activity_date = ? AS rebuilt, count(_built_at) > 0, count(*) = count(_built_at) "
                           "FROM marts.agg_student_daily GROUP BY ALL ORDER BY ALL", [day]).fetchall()
        assert days == [(False, False, False), (True, True, True)]


def test_a_warehouse_with_completion_sums_as_doubles_gets_exact_sums_on_its_next_build(built_warehouse, tmp_path):
    """completion_sum was a sum of doubles (its last bits moved with the order rows were added in); it is an
    exact decimal now. An incremental build of an older warehouse converts the column instead of failing on the
    schema change, and keeps every row's value."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, warehouse)
    tables = ("agg_student_daily", "agg_usage_hourly")
    with duckdb.connect(str(warehouse)) as con:
        before = {}
        for table in tables:
            con.execute(f"ALTER TABLE marts.{table} ALTER completion_sum TYPE DOUBLE")
            before[table] = con.execute(f"SELECT sum(completion_sum::DECIMAL(18, 3)) FROM marts.{table}").fetchone()[0]

    run_dbt(["build"], warehouse)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in tables:
            (data_type,), = con.execute("SELECT data_type FROM duckdb_columns() WHERE schema_name = 'marts' "
                                        "AND table_name = ? AND column_name = 'completion_sum'", [table]).fetchall()
            assert data_type == "DECIMAL(18,3)", table
            assert con.execute(f"SELECT sum(completion_sum) FROM marts.{table}").fetchone()[0] == before[table]
