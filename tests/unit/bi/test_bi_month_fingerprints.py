"""Month fingerprints of the monthly export files, on small in-memory tables: what must change them, and
what must not."""

import duckdb
import pytest

from chordme_bi.bi.files import UNDATED, month_fingerprints
from chordme_bi.bi.marts import export_select

BUILD_1, BUILD_2 = "2026-11-01 02:00:00+00", "2026-11-02 02:00:00+00"


@pytest.fixture
def con():
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.stamped (id BIGINT, day DATE, amount DOUBLE, _built_at TIMESTAMPTZ)")
        con.execute(f"""INSERT INTO marts.stamped VALUES (1, '2026-09-03', 1.5, '{BUILD_1}'), (2, '2026-09-20', 2.5, '{BUILD_1}'),
                        (3, '2026-10-01', 3.5, '{BUILD_1}'), (4, NULL, 4.5, '{BUILD_1}')""")
        yield con


def _fingerprints(con, mart="stamped"):
    return month_fingerprints(con, export_select(con, mart), mart, "day")


def test_stamped_months_change_when_a_build_writes_or_removes_their_rows(con):
    first = _fingerprints(con)
    assert {m: rows for m, (rows, _) in first.items()} == {"2026-09": 2, "2026-10": 1, UNDATED: 1}
    assert _fingerprints(con) == first

    con.execute(f"UPDATE marts.stamped SET _built_at = '{BUILD_2}' WHERE id = 3")  # rewritten by a later build
    con.execute("DELETE FROM marts.stamped WHERE id = 1")  # removed (quarantined, erased)
    second = _fingerprints(con)
    assert second["2026-10"] != first["2026-10"] and second["2026-10"][0] == 1
    assert second["2026-09"] != first["2026-09"] and second["2026-09"][0] == 1
    assert second[UNDATED] == first[UNDATED]

    # a row removed and another written in the same month by one build: the count alone would not see it
    con.execute(f"DELETE FROM marts.stamped WHERE id = 2; INSERT INTO marts.stamped VALUES (5, '2026-09-21', 9, '{BUILD_2}')")
    assert _fingerprints(con)["2026-09"] != second["2026-09"]


def test_rows_that_predate_the_stamps_count_and_a_stamp_changes_their_month(con):
    con.execute("UPDATE marts.stamped SET _built_at = NULL WHERE id IN (1, 2)")  # built before the column existed
    first = _fingerprints(con)
    assert first["2026-09"][0] == 2
    con.execute(f"UPDATE marts.stamped SET _built_at = '{BUILD_2}' WHERE id = 2")
    assert _fingerprints(con)["2026-09"] != first["2026-09"]


@pytest.mark.parametrize("ddl", [
    "ALTER TABLE marts.stamped DROP COLUMN _built_at",
    # erasure clears these columns in place, without a stamp: such a mart is fingerprinted by content
    "ALTER TABLE marts.stamped ADD COLUMN owner_user_id BIGINT",
])
def test_marts_without_reliable_stamps_are_fingerprinted_by_content(con, ddl):
    con.execute(ddl)
    first = _fingerprints(con)
    con.execute("UPDATE marts.stamped SET amount = 99 WHERE id = 3")  # same count, no new stamp
    second = _fingerprints(con)
    assert second["2026-10"] != first["2026-10"]
    assert second["2026-09"] == first["2026-09"]


def test_a_new_export_shape_changes_every_month(con):
    first = _fingerprints(con)
    con.execute("ALTER TABLE marts.stamped ADD COLUMN note VARCHAR")
    second = _fingerprints(con)
    assert all(second[m] != first[m] for m in first)


def test_a_column_type_migrated_in_place_changes_every_month(con):
    # what dbt's migrate_column_type() does: values kept, no new stamps, the export SELECT text unchanged
    con.execute("CREATE TABLE marts.counted (day DATE, sessions INTEGER, _built_at TIMESTAMPTZ)")
    con.execute(f"INSERT INTO marts.counted VALUES ('2026-09-03', 3, '{BUILD_1}'), ('2026-10-01', 4, '{BUILD_1}')")
    first, select = _fingerprints(con, "counted"), export_select(con, "counted")
    con.execute("ALTER TABLE marts.counted ALTER sessions TYPE BIGINT")
    assert export_select(con, "counted") == select
    second = _fingerprints(con, "counted")
    assert all(second[m] != first[m] for m in first)


def test_two_equal_rows_rewritten_as_two_other_equal_rows_change_the_month(con):
    # a mart without a unique key (a bridge), fingerprinted by content: an xor of row hashes alone cancels pairs
    con.execute("CREATE TABLE marts.pairs (day DATE, member BIGINT)")
    con.execute("INSERT INTO marts.pairs VALUES ('2026-09-03', 1), ('2026-09-03', 1)")
    first = _fingerprints(con, "pairs")
    con.execute("UPDATE marts.pairs SET member = 2")
    assert _fingerprints(con, "pairs")["2026-09"] != first["2026-09"]
