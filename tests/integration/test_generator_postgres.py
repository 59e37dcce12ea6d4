"""The demo-data generator against a real PostgreSQL: COPY path, aware timestamps, same data as SQLite."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import uuid

import pytest

from chordme_bi.source.generator import generate

pytestmark = pytest.mark.postgres

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
END = dt.date(2025, 6, 30)
ARGS = {"sessions": 3000, "seed": 42, "messy_fraction": 0.01, "end": END}


def _server():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        conn = psycopg2.connect(dbname="postgres", connect_timeout=3, **PG)
    except psycopg2.OperationalError as exc:
        reason = f"PostgreSQL not reachable on 127.0.0.1:5432: {exc}".strip()
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
    return conn


@pytest.fixture(scope="module")
def pg_db():
    """A fresh, uniquely named database, dropped afterwards."""
    admin = _server()
    name = f"chordme_gen_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def generated(pg_db, tmp_path_factory):
    sqlite_path = tmp_path_factory.mktemp("generator_pg") / "chordme.db"
    pg_counts = generate(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{pg_db}", **ARGS)
    sqlite_counts = generate(f"sqlite:///{sqlite_path}", **ARGS)
    return pg_db, pg_counts, sqlite_path, sqlite_counts


def _pg(name: str, sql: str) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(dbname=name, **PG) as conn, conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    conn.close()
    return rows


def _lite(path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def _instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def test_row_counts_match_the_returned_counts_and_sqlite(generated):
    name, pg_counts, sqlite_path, sqlite_counts = generated
    assert pg_counts == sqlite_counts
    for table, expected in pg_counts.items():
        assert expected > 0, table
        assert _pg(name, f'SELECT count(*) FROM "{table}"')[0][0] == expected, table


def test_timezone_aware_columns_are_timestamptz(generated):
    name = generated[0]
    types = dict(_pg(name, """SELECT table_name || '.' || column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type LIKE 'timestamp%'"""))
    aware = {"performance_sessions.started_at", "performance_sessions.ended_at", "performance_events.timestamp",
             "setlist_performances.performance_date"}
    for column, data_type in types.items():
        expected = "timestamp with time zone" if column in aware else "timestamp without time zone"
        assert data_type == expected, column


def test_same_instants_and_values_as_sqlite(generated):
    name, _, sqlite_path, _ = generated
    pg = _pg(name, """SELECT id, started_at, ended_at, created_at, total_duration, completion_percentage, device_type,
        song_id, analytics_consent, session_metadata FROM performance_sessions ORDER BY id""")
    lite = _lite(sqlite_path, """SELECT id, started_at, ended_at, created_at, total_duration, completion_percentage,
        device_type, song_id, analytics_consent, session_metadata FROM performance_sessions ORDER BY id""")
    assert len(pg) == len(lite)
    for p, s in zip(pg, lite):
        assert p[1] == _instant(s[1])  # mixed-timezone rows included: same instant, other notation
        assert (p[2] is None and s[2] is None) or p[2] == _instant(s[2])
        assert p[3].tzinfo is None and p[3] == dt.datetime.fromisoformat(s[3])
        assert p[4:8] == s[4:8]
        assert p[8] is bool(s[8])
        assert p[9] == json.loads(s[9])  # psycopg2 decodes json columns


def test_small_tables_round_trip(generated):
    name, _, sqlite_path, _ = generated
    assert _pg(name, "SELECT id, name, room_type, creator_id FROM collaboration_rooms ORDER BY id") == _lite(
        sqlite_path, "SELECT id, name, room_type, creator_id FROM collaboration_rooms ORDER BY id")
    pg_members = [r[0] for r in _pg(name, "SELECT team_members FROM setlist_performances ORDER BY id")]
    lite_members = [json.loads(r[0])
                    for r in _lite(sqlite_path, "SELECT team_members FROM setlist_performances ORDER BY id")]
    assert pg_members == lite_members
    names = {r[0] for r in _pg(name, "SELECT display_name FROM users")}
    assert any(not n.isascii() for n in names)  # accents and emoji survive the COPY
    goals = _pg(name, "SELECT target_value, deadline FROM user_goals ORDER BY id")
    assert all(isinstance(d, dt.date) for _, d in goals)
