"""SQL macros of the dbt project run directly on DuckDB: a macro's fast path must give what its plain one gives."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import jinja2
import pytest

MACROS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros"


def _macros(name: str):
    # Only macros that need no dbt context (no ref, adapter or var) can be called like this. keys.sql comes along:
    # its id block macros are used by the others, as dbt makes every macro visible to every file.
    sources = dict.fromkeys(["keys.sql", name])
    return jinja2.Environment().from_string("\n".join((MACROS / f).read_text() for f in sources)).module


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def _repeated(con, sql: str) -> set[tuple]:
    return set(con.execute(sql).fetchall())


# (values of the column: a DuckDB query of one column "v"), each a case the bitmap path could get wrong
CASES = {
    "dense, unique": "select i as v from range(1, 300000) t(i)",
    "dense, repeats in a few blocks": "select i as v from range(1, 300000) t(i) union all select * from (values (7), (7), (65536), (299999)) x(v)",
    "repeat at block edges": "select i as v from range(65530, 65542) t(i) union all select * from (values (65535), (65536)) x(v)",
    "negative values": "select i as v from range(-200000, 100000) t(i) union all select * from (values (-65537), (-1), (-1)) x(v)",
    "NULLs (counted as a value)": "select i as v from range(1, 1000) t(i) union all select * from (values (null), (null), (5)) x(v)",
    "one NULL": "select i as v from range(1, 1000) t(i) union all select null",
    "sparse (plain path)": "select i * 1000003 as v from range(1, 5000) t(i) union all select 1000003 * 17",
    "extremes of bigint": "select * from (values (-9223372036854775808), (9223372036854775807), (9223372036854775807)) x(v)",
    "empty": "select 1 as v where false",
}


@pytest.mark.parametrize("case", CASES)
def test_repeated_values_bitmap_path_equals_grouping(con, case):
    keys = _macros("keys.sql")
    relation = f"({CASES[case]})"
    plain = _repeated(con, str(keys.default__repeated_values(relation, "v")))
    fast = _repeated(con, str(keys.duckdb__repeated_values(relation, "v")))
    assert fast == plain
    # and the plain path itself, against a count made outside SQL
    counts = Counter(v for (v,) in con.execute(f"select v from {relation} as r").fetchall())
    assert plain == {(v, n) for v, n in counts.items() if n > 1}


def _groups_at_the_end(con, sql: str) -> int:
    """Groups formed by the query's last grouping (the one nearest the result), from DuckDB's own profile."""
    level = [json.loads(con.execute("EXPLAIN (ANALYZE, FORMAT json) " + sql).fetchall()[0][1])["operator"][0]]
    while level:
        for operator in level:
            if operator["name"] == "HASH_GROUP_BY":
                return operator["intermediate_rows"]
        level = [child for operator in level for child in operator.get("children", [])]
    raise AssertionError("no grouping in the plan")


def test_repeated_values_groups_only_the_blocks_with_repeats_when_dense(con):
    keys = _macros("keys.sql")
    dense = "(select i as v from range(1, 300000) t(i) union all select 70000)"
    assert _groups_at_the_end(con, str(keys.duckdb__repeated_values(dense, "v"))) == 65536  # block 1's values
    sparse = "(select i * 1000003 as v from range(1, 300000) t(i))"
    assert _groups_at_the_end(con, str(keys.duckdb__repeated_values(sparse, "v"))) == 299999
    assert _groups_at_the_end(con, str(keys.default__repeated_values(dense, "v"))) == 299999


def test_session_verdicts_from_bitmaps_equal_those_of_the_join(con):
    """The full build's bitmap lookup (duckdb__session_verdicts) against what the join of session_rejections()
    says: whether an event's session is staged, and whether none of its copies is valid."""
    facts = _macros("facts.sql")
    staged = """(select i as session_id from range(-70000, 200000, 3) t(i)
                 union all select * from (values (65535), (65536), (-1), (-65536), (-65537), (131071)) x(session_id)
                 union all select 29)"""  # 29 is also in the range (ids of 2 mod 3): a repeated id
    exceptions = """(select * from (values (30, ''), (30, 'negative_duration'), (33, 'negative_duration'),
                                           (-1, 'missing_user'), (65536, 'missing_user'), (65535, ''),
                                           (null, 'missing_session_id'))
                     x(session_id, rejection_reasons))"""
    events = """(select i as session_id from range(-70010, 200010) t(i)
                 union all select * from (values (null), (65535), (65536), (-1), (-65536), (-65537), (131071),
                                                 (9223372036854775807)) x(session_id))"""
    query = (f"select e.session_id, {facts.session_bit('e', 'staged')}, {facts.session_bit('e', 'rejected')} "
             f"from {events} as e {facts.session_bitmaps_join('e', staged, exceptions)}")
    got = Counter(con.execute(query).fetchall())
    # as the join to session_rejections(): a session of the exceptions exists (33 is there, not staged)
    staged_only = Counter(r[0] for r in con.execute(f"select session_id from {staged}").fetchall())
    staged_ids = set(staged_only) | {r[0] for r in con.execute(f"select session_id from {exceptions}").fetchall()}
    staged_ids.discard(None)  # a NULL id is no session: nothing joins to it
    reasons: dict[int, list[str]] = {}
    for session_id, reason in con.execute(f"select * from {exceptions} where session_id is not null").fetchall():
        reasons.setdefault(session_id, []).append(reason)
    rejected = {s for s, rs in reasons.items() if min(rs) != ""}  # no valid copy
    expected = Counter((s, s in staged_ids, s in rejected)
                       for (s,) in con.execute(f"select session_id from {events}").fetchall())
    assert got == expected
    # the fixture holds what it says: a repeated staged id, sessions known only from the exceptions
    assert staged_only[29] == 2 and 30 not in staged_only and 33 not in staged_only
    assert rejected == {33, -1, 65536}
    assert expected[(33, True, True)] == 1
    assert expected[(None, False, False)] == 1 and expected[(-65537, True, False)] == 2


def test_epoch_bucket_puts_a_window_in_the_span_of_its_end_or_the_one_before(con):
    """agg_band_performances matches sessions to a performance's window [P - 14 days, P) on P's span of 15 days and
    the one before: every instant of the window (with the hour a time-zone change can add) must be in one of them."""
    time_macros = _macros("time.sql")
    days = 15
    span_length = "interval '15 days'"
    ends = f"""
        select p from (values (timestamptz '1970-01-01 00:00:00+00'), (timestamptz '1969-12-20 13:00:00+00'),
                              (timestamptz '2026-10-31 23:59:59.999999+00'), (timestamptz '1900-01-01 00:00:00+00'))
            as e(p)
        union all  -- the edges of spans, before and after the epoch
        select timestamptz '1970-01-01 00:00:00+00' + k * {span_length} + d
        from range(-4, 5) as k(k), (values (interval '0 microseconds'), (interval '1 microseconds'),
                                           (interval '-1 microseconds'), (interval '1 hour')) as o(d)"""
    offsets = "values (interval '1 microseconds'), (interval '14 days'), (interval '14 days 1 hour'), (interval '7 days')"
    for bucket in (time_macros.duckdb__epoch_bucket, time_macros.default__epoch_bucket):
        rows = con.execute(f"""
            with e as ({ends}), w as (select e.p, e.p - o.o as t from e, ({offsets}) as o(o))
            select p, t, {bucket('p', days)}, {bucket('t', days)} from w""").fetchall()
        assert rows and all(span in (end_span, end_span - 1) for _, _, end_span, span in rows)
        assert {end_span - span for _, _, end_span, span in rows} == {0, 1}  # both spans are needed
    one_before_epoch = "timestamptz '1969-12-31 23:59:59.999999+00'"
    assert con.execute(f"select {time_macros.duckdb__epoch_bucket(one_before_epoch, days)}, "
                       f"{time_macros.default__epoch_bucket(one_before_epoch, days)}").fetchall() == [(-1, -1)]
