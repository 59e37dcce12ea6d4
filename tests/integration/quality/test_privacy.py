"""Privacy: personal data stays in raw; pseudonymous sessions carry only their keyed pseudonym; erasure and
retention remove what they must, everywhere, and a later extraction does not bring it back."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from chordme_bi.dbt_runner import run_dbt
from chordme_bi.extract.extractor import extract_all, pseudonym
from chordme_bi.quality import rules
from chordme_bi.quality.privacy import columns, files_mentioning, personal_data_outside_raw
from chordme_bi.quality.reconcile import reconcile
from chordme_bi.settings import Settings

SECRET = "test-pseudonym-secret"


def _rows(path, sql, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_emails_and_names_never_leave_raw(built_warehouse, tmp_path):
    from chordme_bi.quality.runner import run_suite
    from chordme_bi.quality.suites import ALL_SUITES

    path = built_warehouse.warehouse_path
    with duckdb.connect(str(path), read_only=True) as con:
        assert personal_data_outside_raw(con) == []
        people = con.execute("SELECT email, display_name FROM raw.users").fetchall()
        names = [n for _, n in people if n and len(n) >= 5]
        for col in columns(con):  # every table outside raw, every text column, every name
            if col.data_type == "VARCHAR":
                hit = con.execute(f'SELECT count(*) FROM {col.relation} WHERE "{col.name}" IN (SELECT unnest(?))',
                                  [names]).fetchall()[0][0]
                assert hit == 0, f"{col.schema}.{col.table}.{col.name} holds a display name"
        for suite in ALL_SUITES:  # the kept GX results are outputs too
            run_suite(con, suite, tmp_path)
    for output_dir in (tmp_path, built_warehouse.output_dir):
        assert files_mentioning(output_dir, [e for e, _ in people] + names) == {}


def test_pseudonymous_sessions_carry_only_the_anonymous_key(built_warehouse):
    path = built_warehouse.warehouse_path
    secret = built_warehouse.pseudonym_secret()
    rows = _rows(path, """SELECT s.user_id AS fct_user, s.user_key, r.user_id, s.is_pseudonymous
                          FROM marts.fct_sessions AS s JOIN raw.performance_sessions AS r ON r.id = s.session_id""")
    pseudonymous = [r for r in rows if r[3]]
    assert pseudonymous and len(pseudonymous) < len(rows)
    for fct_user, key, user_id, _ in pseudonymous:
        assert fct_user is None and key == pseudonym(secret, user_id, anonymous=True) != pseudonym(secret, user_id)
    for fct_user, key, user_id, _ in (r for r in rows if not r[3]):
        assert fct_user == user_id and key == pseudonym(secret, user_id)


@pytest.fixture
def private_warehouse(make_source, tmp_path, monkeypatch):
    monkeypatch.setenv("BI_PSEUDONYM_SECRET", SECRET)
    source = make_source(sessions=1500, seed=5)
    settings = Settings(data_dir=tmp_path / "data", source_url=f"sqlite:///{source}")
    extract_all(settings.source_url, settings.warehouse_path, settings=settings)
    run_dbt(["build"], settings.warehouse_path)
    return settings


def _everything_about(settings, user_id: int, keys: list[str]) -> list[str]:
    """Every place in the warehouse (any schema but the suppression list) that still names the user."""
    found = []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for col in columns(con, exclude_schemas=("ops",)):
            if f"{col.schema}.{col.table}" == rules.ERASED_USERS:
                continue
            if rules.is_user_id_column(col.name) or col.name == "id" and col.table == "users":
                if col.data_type in ("BIGINT", "INTEGER"):
                    n = con.execute(f'SELECT count(*) FROM {col.relation} WHERE "{col.name}" = ?', [user_id]).fetchall()[0][0]
                    found += [f"{col.schema}.{col.table}.{col.name}"] * bool(n)
            if col.data_type == "VARCHAR":
                n = con.execute(f'SELECT count(*) FROM {col.relation} WHERE "{col.name}" IN (SELECT unnest(?))',
                                [keys]).fetchall()[0][0]
                found += [f"{col.schema}.{col.table}.{col.name}"] * bool(n)
    return found


def test_erasure_removes_the_user_everywhere_and_for_good(private_warehouse):
    from chordme_bi.quality.erasure import erase_user, rebuild_aggregates, user_id_hash

    settings = private_warehouse
    path = settings.warehouse_path
    # a user with sessions, one anonymous-only, in a class, and owning songs
    user_id = _rows(path, """SELECT s.user_id FROM raw.performance_sessions s JOIN raw.room_participants p USING (user_id)
                             JOIN raw.songs so ON so.user_id = s.user_id GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""")[0][0]
    keys = [pseudonym(SECRET.encode(), user_id), pseudonym(SECRET.encode(), user_id, anonymous=True)]
    email = _rows(path, "SELECT email FROM raw.users WHERE id = ?", [user_id])[0][0]
    assert _everything_about(settings, user_id, keys)
    reports = settings.reports_dir
    reports.mkdir(parents=True)
    (reports / "weekly.json").write_text(json.dumps({"students": [{"user_key": keys[0], "minutes": 5}]}))
    (reports / "weekly.pdf").write_bytes(b"%PDF-1.7 binary")
    (reports / f"progress-user-{user_id}.html").write_text("<p>report</p>")
    (reports / "teacher.json").write_text(json.dumps({"rows": [{"student_user_id": user_id}]}))
    (reports / "other.json").write_text(json.dumps({"user_id": user_id + 1, "sessions": user_id}))
    sessions_before = _rows(path, "SELECT count(*) FROM raw.performance_sessions WHERE user_id = ?", [user_id])[0][0]

    report = erase_user(settings, user_id)
    rebuild_aggregates(settings)

    assert report.rows_removed["raw.performance_sessions"] == sessions_before
    assert _everything_about(settings, user_id, keys) == []
    assert sorted(p.name for p in reports.iterdir()) == ["other.json"]
    assert files_mentioning(settings.output_dir, keys + [email]) == {}
    log = _rows(path, "SELECT user_id_hash, rows_removed FROM ops.erasure_log")
    assert log == [(user_id_hash(SECRET.encode(), user_id), log[0][1])]
    assert email not in str(log) and json.loads(log[0][1])["raw.users"] == 1
    # the source still has the user: a later extraction and build must not bring anything back
    results = extract_all(settings.source_url, settings.warehouse_path, settings=settings)
    run_dbt(["build"], settings.warehouse_path)
    assert _everything_about(settings, user_id, keys) == []
    assert sum(r.rows_suppressed for r in results) > 0
    with duckdb.connect(str(path), read_only=True) as con:
        assert [r.table for r in reconcile(con, settings.source_url) if not r.ok] == []


def test_retention_zero_removes_nothing(private_warehouse):
    from chordme_bi.quality.retention import apply_retention

    before = _rows(private_warehouse.warehouse_path, "SELECT count(*) FROM raw.performance_sessions")[0][0]
    report = apply_retention(private_warehouse.model_copy(update={"data_retention_days": 0}))
    assert report.rows_removed == {} and report.cutoff is None
    assert _rows(private_warehouse.warehouse_path, "SELECT count(*) FROM raw.performance_sessions")[0][0] == before


def test_retention_removes_old_personal_rows_and_keeps_them_out(private_warehouse):
    from chordme_bi.quality.erasure import rebuild_aggregates
    from chordme_bi.quality.retention import apply_retention

    settings = private_warehouse.model_copy(update={"data_retention_days": 120})
    path = settings.warehouse_path
    now = datetime(2026, 11, 1, 8, tzinfo=timezone.utc)
    cutoff = datetime(2026, 7, 4, tzinfo=timezone.utc)  # whole UTC days: 2026-11-01 - 120 days
    old = _rows(path, "SELECT count(*) FROM raw.performance_sessions WHERE started_at < ?", [cutoff])[0][0]
    old_fct = _rows(path, "SELECT count(*) FROM marts.fct_sessions WHERE started_at < ?", [cutoff])[0][0]
    assert old > 0

    report = apply_retention(settings, now=now)
    rebuild_aggregates(settings)

    assert report.cutoff == cutoff
    assert report.rows_removed["raw.performance_sessions"] == old
    assert report.rows_removed["marts.fct_sessions"] == old_fct
    for relation, column in [("raw.performance_sessions", "started_at"), ("marts.fct_sessions", "started_at"),
                             ("raw.performance_events", '"timestamp"'), ("marts.fct_performance_events", "event_at"),
                             ("marts.agg_student_daily", "activity_date")]:
        assert _rows(path, f"SELECT count(*) FROM {relation} WHERE {column} < ?", [cutoff])[0][0] == 0, relation
    assert json.loads(_rows(path, "SELECT rows_removed FROM ops.retention_log")[0][0]) == report.rows_removed
    extract_all(settings.source_url, settings.warehouse_path, settings=settings)
    run_dbt(["build"], settings.warehouse_path)
    assert _rows(path, "SELECT count(*) FROM raw.performance_sessions WHERE started_at < ?", [cutoff])[0][0] == 0
    with duckdb.connect(str(path), read_only=True) as con:
        assert [r.table for r in reconcile(con, settings.source_url) if not r.ok] == []
