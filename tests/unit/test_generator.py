"""The demo-data generator: determinism, realism the reports rely on, and exactly the faults asked for."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import uuid
from collections import Counter

import pytest

from chordme_bi.source.generator import SESSION_FAULTS, generate
from chordme_bi.source.schema import metadata

END = dt.date(2025, 6, 30)
DAYS = 365
SESSIONS = 3000
WINDOW_START = dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc)  # END - DAYS + 1
WINDOW_END = dt.datetime(2025, 7, 1, tzinfo=dt.timezone.utc)  # exclusive
NAIVE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
ODD_DEVICES = {" Mobile", "MOBILE", "Mobile ", "MOBILE ", " Tablet", "TABLET", "Tablet ", "TABLET ",
               " Desktop", "DESKTOP", "Desktop ", "DESKTOP "}


def _instant(text: str) -> dt.datetime:
    """A stored timestamp as an aware UTC datetime: naive text is UTC, offset text is converted."""
    value = dt.datetime.fromisoformat(text)
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def _rows(db, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def _one(db, sql: str, *args):
    return _rows(db, sql, *args)[0][0]


@pytest.fixture(scope="module")
def dbs(tmp_path_factory):
    """Four small sources: seed 42 twice, seed 7, and seed 42 without faults; plus the returned counts."""
    root = tmp_path_factory.mktemp("generator")
    out = {}
    for name, seed, messy in (("a", 42, 0.01), ("b", 42, 0.01), ("other_seed", 7, 0.01), ("clean", 42, 0.0)):
        path = root / "nested" / f"{name}.db"  # parent dir does not exist yet: generate creates it
        counts = generate(f"sqlite:///{path}", sessions=SESSIONS, seed=seed, messy_fraction=messy, end=END, days=DAYS)
        out[name] = (path, counts)
    return out


@pytest.fixture(scope="module")
def messy(dbs):
    return dbs["a"][0]


@pytest.fixture(scope="module")
def clean(dbs):
    return dbs["clean"][0]


def _dump(db) -> dict[str, list[tuple]]:
    return {t: _rows(db, f'SELECT * FROM "{t}" ORDER BY id') for t in metadata.tables}


# --------------------------------------------------------------------------------------------- determinism
def test_same_seed_and_end_give_identical_tables(dbs):
    assert dbs["a"][1] == dbs["b"][1]
    assert _dump(dbs["a"][0]) == _dump(dbs["b"][0])


def test_different_seed_gives_different_data(dbs):
    a = _rows(dbs["a"][0], "SELECT user_id, started_at, total_duration FROM performance_sessions ORDER BY id")
    c = _rows(dbs["other_seed"][0], "SELECT user_id, started_at, total_duration FROM performance_sessions ORDER BY id")
    assert a != c


def test_every_table_has_rows_and_counts_match(dbs):
    path, counts = dbs["a"]
    assert list(counts) == list(metadata.tables)
    for table in metadata.tables:
        assert counts[table] > 0, table
        assert _one(path, f'SELECT count(*) FROM "{table}"') == counts[table], table
    assert counts["performance_sessions"] == SESSIONS
    assert counts["users"] == 50  # max(50, sessions // 100)
    assert 4.0 <= counts["performance_events"] / SESSIONS <= 5.5


def test_default_end_is_today_utc(tmp_path):
    path = tmp_path / "today.db"
    generate(f"sqlite:///{path}", sessions=200, users=20, days=30)
    today = dt.datetime.now(dt.timezone.utc).date()
    last = max(_instant(t).date() for (t,) in _rows(path, "SELECT started_at FROM performance_sessions"))
    assert today - dt.timedelta(days=30) < last <= today


# --------------------------------------------------------------------------------------------- time
def test_activity_timestamps_lie_inside_the_window(messy):
    checks = [
        ("performance_sessions", "started_at"), ("performance_sessions", "ended_at"),
        ("performance_sessions", "created_at"), ("performance_sessions", "updated_at"),
        ("performance_events", "timestamp"), ("problem_sections", "created_at"),
        ("setlist_performances", "performance_date"), ("setlist_performances", "created_at"),
    ]
    for table, column in checks:
        sql = f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
        values = [_instant(v) for (v,) in _rows(messy, sql)]
        assert values, (table, column)
        assert WINDOW_START <= min(values) and max(values) < WINDOW_END, (table, column)
    # Nothing at all is dated after `end`.
    for table in metadata.tables.values():
        for column in table.columns:
            if column.type.__class__.__name__ == "DateTime":
                latest = _one(messy, f'SELECT max("{column.name}") FROM "{table.name}"')
                assert latest is None or _instant(latest) < WINDOW_END, (table.name, column.name)


def test_clean_timestamps_are_naive_utc_text(clean):
    for table in metadata.tables.values():
        for column in table.columns:
            if column.type.__class__.__name__ == "DateTime":
                bad = [v for (v,) in _rows(clean, f'SELECT "{column.name}" FROM "{table.name}"')
                       if v is not None and not NAIVE.match(v)]
                assert not bad, (table.name, column.name, bad[:3])
    deadlines = [d for (d,) in _rows(clean, "SELECT deadline FROM user_goals")]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in deadlines)


def test_evening_and_weekend_peaks(clean):
    starts = [_instant(v) for (v,) in _rows(clean, "SELECT started_at FROM performance_sessions")]
    evening = sum(18 <= s.hour < 22 for s in starts)
    night = sum(3 <= s.hour < 7 for s in starts)
    assert evening > 3 * night
    weekend_per_day = sum(s.weekday() >= 5 for s in starts) / 2
    weekday_per_day = sum(s.weekday() < 5 for s in starts) / 5
    assert weekend_per_day > weekday_per_day


def test_completion_rises_over_the_year(clean):
    rows = _rows(clean, "SELECT started_at, completion_percentage FROM performance_sessions")
    eight_weeks = dt.timedelta(weeks=8)
    first = [c for s, c in rows if _instant(s) < WINDOW_START + eight_weeks]
    last = [c for s, c in rows if _instant(s) >= WINDOW_END - eight_weeks]
    assert sum(last) / len(last) > sum(first) / len(first) + 3
    assert any(c == 0.0 for _, c in rows)  # real zeros, not NULLs
    assert all(0.0 <= c <= 100.0 for _, c in rows)


def test_sessions_per_user_have_a_long_tail(clean):
    per_user = sorted(n for (n,) in _rows(clean, "SELECT count(*) FROM performance_sessions GROUP BY user_id"))
    top_tenth = per_user[-max(1, len(per_user) // 10):]
    assert sum(top_tenth) > 0.25 * sum(per_user)


def test_mobile_dominates_short_sessions(clean):
    short = dict(_rows(clean, "SELECT device_type, count(*) FROM performance_sessions "
                              "WHERE total_duration < 600 GROUP BY 1"))
    long = dict(_rows(clean, "SELECT device_type, count(*) FROM performance_sessions "
                             "WHERE total_duration > 3600 GROUP BY 1"))
    assert short["mobile"] > short.get("desktop", 0)
    assert long["desktop"] > long.get("mobile", 0)


def test_events_lie_within_their_session(messy, clean):
    outside = _one(clean, """
        SELECT count(*) FROM performance_events e JOIN performance_sessions s ON s.id = e.session_id
        WHERE e.timestamp < s.started_at OR e.timestamp > s.ended_at""")
    assert outside == 0
    # With faults, compare instants: offsets are only notation; an open session ends at start + duration.
    sessions = {}
    sql = "SELECT id, started_at, ended_at, total_duration FROM performance_sessions"
    for sid, start, end, total in _rows(messy, sql):
        begin = _instant(start)
        sessions[sid] = (begin, _instant(end) if end else begin + dt.timedelta(seconds=total))
    for sid, ts in _rows(messy, "SELECT session_id, timestamp FROM performance_events"):
        begin, finish = sessions[sid]
        assert begin <= _instant(ts) <= finish


# --------------------------------------------------------------------------------------------- faults
def _fault_counts(db) -> Counter:
    max_song = _one(db, "SELECT max(id) FROM songs")
    rows = _rows(db, "SELECT started_at, ended_at, total_duration, completion_percentage, song_id, device_type "
                     "FROM performance_sessions")
    kinds = Counter()
    for start, end, total, completion, song, device in rows:
        found = [kind for kind, hit in (
            ("null_ended_at", end is None),
            ("negative_duration", total < 0),
            ("absurd_duration", total > 86_400),
            ("completion_over_100", completion > 100),
            ("mixed_timezone", not NAIVE.match(start) or (end is not None and not NAIVE.match(end))),
            ("orphan_song", song is not None and song > max_song),
            ("device_case", device in ODD_DEVICES),
        ) if hit]
        assert len(found) <= 1, found  # never more than one fault per row
        kinds.update(found)
    return kinds


def test_no_faults_when_messy_fraction_is_zero(clean):
    assert _fault_counts(clean) == Counter()
    duplicates = _one(clean, """SELECT count(*) FROM (SELECT 1 FROM performance_events
        GROUP BY session_id, event_type, timestamp, position_seconds HAVING count(*) > 1)""")
    assert duplicates == 0


def test_default_messy_fraction_spreads_every_fault_kind_evenly(messy):
    kinds = _fault_counts(messy)
    assert set(kinds) == set(SESSION_FAULTS)
    assert sum(kinds.values()) == round(0.01 * SESSIONS)
    assert max(kinds.values()) - min(kinds.values()) <= 1
    # Mixed-timezone rows use a real non-UTC offset, some with a 'T' separator.
    mixed = [s for (s,) in _rows(messy, "SELECT started_at FROM performance_sessions") if not NAIVE.match(s)]
    assert all(dt.datetime.fromisoformat(s).utcoffset() != dt.timedelta(0) for s in mixed)
    assert any("T" in s for s in mixed) and any(" " in s for s in mixed)


def test_null_ended_at_keeps_a_valid_duration(messy):
    rows = _rows(messy, "SELECT total_duration, active_duration FROM performance_sessions WHERE ended_at IS NULL")
    assert rows and all(0 <= active <= total < 86_400 for total, active in rows)


def test_duplicated_events_copy_everything_but_the_id(messy):
    events = _one(messy, "SELECT count(*) FROM performance_events")
    dupes = _rows(messy, """SELECT count(*), count(DISTINCT id), count(DISTINCT event_data) FROM performance_events
        GROUP BY session_id, event_type, timestamp, position_seconds HAVING count(*) > 1""")
    extra = sum(n - 1 for n, _, _ in dupes)
    assert extra == round(0.01 * (events - extra))
    assert all(ids == n and payloads == 1 for n, ids, payloads in dupes)


# --------------------------------------------------------------------------------------------- integrity
FOREIGN_KEYS = [
    ("songs", "user_id", "users"), ("setlists", "user_id", "users"),
    ("setlist_songs", "setlist_id", "setlists"), ("setlist_songs", "song_id", "songs"),
    ("setlist_collaborators", "setlist_id", "setlists"), ("setlist_collaborators", "user_id", "users"),
    ("collaboration_rooms", "creator_id", "users"),
    ("room_participants", "room_id", "collaboration_rooms"), ("room_participants", "user_id", "users"),
    ("performance_sessions", "user_id", "users"), ("performance_sessions", "setlist_id", "setlists"),
    ("performance_events", "session_id", "performance_sessions"),
    ("problem_sections", "session_id", "performance_sessions"),
    ("setlist_performances", "setlist_id", "setlists"), ("setlist_performances", "performed_by", "users"),
    ("setlist_performance_songs", "performance_id", "setlist_performances"),
    ("setlist_performance_songs", "setlist_song_id", "setlist_songs"),
    ("scheduled_reports", "user_id", "users"), ("custom_dashboards", "user_id", "users"),
    ("user_goals", "user_id", "users"),
]


@pytest.mark.parametrize(("table", "column", "parent"), FOREIGN_KEYS)
def test_foreign_keys_resolve(messy, table, column, parent):
    dangling = _one(messy, f"""SELECT count(*) FROM "{table}" c WHERE c."{column}" IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE p.id = c."{column}")""")
    assert dangling == 0


def test_only_the_deliberate_orphans_miss_their_song(messy):
    orphans = _one(messy, """SELECT count(*) FROM performance_sessions s WHERE s.song_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM songs p WHERE p.id = s.song_id)""")
    assert orphans == _fault_counts(messy)["orphan_song"]
    # Problem sections copy their session's song_id, orphan or not.
    mismatched = _one(messy, """SELECT count(*) FROM problem_sections p JOIN performance_sessions s
        ON s.id = p.session_id WHERE p.song_id IS NOT s.song_id""")
    assert mismatched == 0
    # Clean sessions play live songs.
    deleted = _one(messy, """SELECT count(*) FROM performance_sessions s JOIN songs g ON g.id = s.song_id
        WHERE g.is_deleted = 1""")
    assert deleted == 0


def test_band_data_hangs_together(clean):
    # A performed song belongs to the performed setlist; team members exist.
    wrong_setlist = _one(clean, """SELECT count(*) FROM setlist_performance_songs ps
        JOIN setlist_performances p ON p.id = ps.performance_id JOIN setlist_songs ss ON ss.id = ps.setlist_song_id
        WHERE ss.setlist_id <> p.setlist_id""")
    assert wrong_setlist == 0
    users = {u for (u,) in _rows(clean, "SELECT id FROM users")}
    collaborators = {s: n for s, n in _rows(clean, "SELECT setlist_id, count(*) FROM setlist_collaborators GROUP BY 1")}
    songs = {s: n for s, n in _rows(clean, "SELECT setlist_id, count(*) FROM setlist_songs GROUP BY 1")}
    for setlist, members, event_type, minutes, done, skipped, rating, engagement in _rows(clean, """
            SELECT setlist_id, team_members, event_type, total_duration, songs_performed, songs_skipped,
                   overall_rating, audience_engagement FROM setlist_performances"""):
        team = json.loads(members)
        assert set(team) <= users and len(team) >= 2
        assert 2 <= collaborators[setlist] <= 5 and 5 <= songs[setlist] <= 15
        assert event_type in ("performance", "rehearsal") and 45 <= minutes <= 180  # minutes, not seconds
        assert done + skipped == songs[setlist]
        assert 1 <= rating <= 5 and engagement in ("excellent", "good", "fair", "poor")
    kinds = dict(_rows(clean, "SELECT event_type, count(*) FROM setlist_performances GROUP BY 1"))
    assert kinds["rehearsal"] > kinds["performance"]
    # Band members log rehearsal sessions against their setlist.
    assert _one(clean, "SELECT count(*) FROM performance_sessions WHERE session_type = 'rehearsal' "
                       "AND setlist_id IS NOT NULL") > 0


def test_educators_have_lesson_plan_classes(clean):
    rooms = _rows(clean, "SELECT id, room_type, creator_id FROM collaboration_rooms")
    assert all(uuid.UUID(rid).version == 4 for rid, _, _ in rooms)
    assert {t for _, t, _ in rooms} == {"lesson_plan", "album", "tour", "general"}
    for rid, rtype, creator in rooms:
        if rtype != "lesson_plan":
            continue
        people = _rows(clean, "SELECT user_id, role, status FROM room_participants WHERE room_id = ?", rid)
        assert (creator, "band_leader", "active") in people
        students = [p for p in people if p[1] == "member"]
        assert 8 <= len(students) <= 30
        assert {s for _, _, s in students} <= {"active", "inactive"}


def test_session_columns_are_sensible(clean):
    rows = _rows(clean, """SELECT session_type, total_duration, active_duration, session_rating, difficulty_rating,
        analytics_consent, anonymous_data_only, session_metadata, created_at, started_at, updated_at
        FROM performance_sessions""")
    types = Counter(r[0] for r in rows)
    assert types["practice"] > types["rehearsal"] > types["performance"] > 0
    for _, total, active, rating, difficulty, consent, anonymous, meta, created, start, updated in rows:
        assert 0 < total <= 3 * 3600 and 0 <= active <= total
        assert rating is None or 1 <= rating <= 5
        assert difficulty is None or 1 <= difficulty <= 5
        assert consent in (0, 1) and anonymous in (0, 1)
        assert "app_version" in json.loads(meta)
        assert created == start and updated >= created
    assert any(r[5] == 0 and r[6] == 1 for r in rows)


def test_problem_sections_and_goals_are_sensible(clean):
    for start, end, kind, severity, count in _rows(clean, """SELECT start_position, end_position, problem_type,
            severity_score, event_count FROM problem_sections"""):
        assert 0 <= start < end
        assert kind in ("frequent_pauses", "multiple_rewinds", "tempo_struggles")
        assert 1.0 <= severity <= 5.0 and count >= 1
    units = {"practice_minutes": "minutes", "sessions_count": "sessions", "completion_rate": "percent",
             "songs_mastered": "songs"}
    for goal_type, unit, target, status in _rows(clean, "SELECT goal_type, unit, target_value, status FROM user_goals"):
        assert units[goal_type] == unit and target > 0
        assert status in ("active", "completed", "abandoned")
    reports = _rows(clean, "SELECT report_config, schedule_expression, delivery_settings, status "
                           "FROM scheduled_reports")
    assert {json.loads(c)["report_type"] for c, _, _, _ in reports} == {
        "student_progress", "band_collaboration", "usage_patterns", "performance_trends", "comparative_analysis",
        "goal_tracking"}
    assert Counter(s for _, _, _, s in reports)["paused"] == 1
    assert all(e in ("daily", "weekly", "monthly") or len(e.split()) == 5 for _, e, _, _ in reports)
    for layout, widgets, sharing in _rows(clean, "SELECT layout_config, widget_config, sharing_config "
                                                 "FROM custom_dashboards"):
        assert json.loads(layout) == {"columns": 12, "rows": "auto"}
        assert all({"type", "title", "data_source", "config"} <= set(w) for w in json.loads(widgets))
        assert set(json.loads(sharing)) == {"is_public", "shared_with_users"}
