"""A ChordMe SQLite source with every fault we know of, planted at known ids, plus the expected clean result.

Built from the generator with ``messy_fraction=0`` (so every generated row is clean), then edited with direct
SQL: the faults of SOURCE_SCHEMA.md's messy list and the hostile inputs below. :func:`build_bad_source`
returns what an independent computation over the source says the marts must hold.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from chordme_bi.source.generator import generate

FAULTS: dict[str, str] = {}  # fault kind -> what the pipeline must do (filled by the plants below)

SQL_INJECTION = "'); DROP TABLE users; --"
LONG_NAME = ("Zoë 🎸 " * 1700)[:10_000]


@dataclass
class BadSource:
    path: Path
    source_rows: dict[str, int]
    expected_sessions: int  # sessions that must reach fct_sessions
    expected_duration: int  # their summed total_duration
    rejected_at_extract: dict[str, set[str]] = field(default_factory=dict)  # table -> ids rejected on type
    quarantined_sessions: dict[int, str] = field(default_factory=dict)  # id -> reason dbt must give


def build_bad_source(path: Path, sessions: int = 1500, seed: int = 11, end=None, duplicate_pk: bool = True) -> BadSource:
    from datetime import date

    generate(f"sqlite:///{path}", sessions=sessions, seed=seed, messy_fraction=0.0, end=end or date(2026, 10, 31))
    con = sqlite3.connect(path)
    q = lambda sql, *p: con.execute(sql, p).fetchall()  # noqa: E731
    clean = {r[0]: r[1] for r in q("SELECT id, total_duration FROM performance_sessions")}
    n_songs = q("SELECT max(id) FROM songs")[0][0]
    ids = sorted(clean)
    accepted = dict(clean)
    quarantined: dict[int, str] = {}
    rejected: dict[str, set[str]] = {"performance_sessions": set(), "performance_events": set(), "user_goals": set()}
    pick = iter(ids[10:])

    def upd(sql: str, *params) -> int:
        row = next(pick)
        con.execute(sql, (*params, row))
        return row

    # --- the messy list: legitimate after cleaning (accepted) ...
    upd("UPDATE performance_sessions SET ended_at = NULL WHERE id = ?")
    upd("UPDATE performance_sessions SET device_type = ' Mobile' WHERE id = ?")
    upd("UPDATE performance_sessions SET device_type = 'DESKTOP' WHERE id = ?")
    row = upd("UPDATE performance_sessions SET started_at = strftime('%Y-%m-%d %H:%M:%S+02:00', datetime(started_at, '+2 hours')), "
              "ended_at = strftime('%Y-%m-%dT%H:%M:%S+02:00', datetime(ended_at, '+2 hours')) WHERE id = ?")
    row = upd("UPDATE performance_sessions SET started_at = replace(started_at, ' ', 'T') || 'Z' WHERE id = ?")
    # ... and faults dbt quarantines
    for sql, reason in [
        ("UPDATE performance_sessions SET total_duration = -120 WHERE id = ?", "negative_duration"),
        ("UPDATE performance_sessions SET total_duration = 400000 WHERE id = ?", "duration_over_24h"),
        ("UPDATE performance_sessions SET completion_percentage = 180.5 WHERE id = ?", "completion_out_of_range"),
        (f"UPDATE performance_sessions SET song_id = {n_songs + 500} WHERE id = ?", "orphan_song"),
        ("UPDATE performance_sessions SET started_at = '2030-01-01 10:00:00', ended_at = '2030-01-01 10:30:00' WHERE id = ?",
         "future_started_at"),
        ("UPDATE performance_sessions SET ended_at = datetime(started_at, '-1 hour') WHERE id = ?", "ended_before_started"),
        ("UPDATE performance_sessions SET session_type = 'karaoke' WHERE id = ?", "invalid_session_type"),
    ]:
        row = upd(sql)
        quarantined[row] = reason
        del accepted[row]
    # --- values SQLite lets in that do not convert: rejected at extraction with field and value
    for sql in [
        "UPDATE performance_sessions SET started_at = 'yesterday' WHERE id = ?",
        "UPDATE performance_sessions SET started_at = '2025-13-45 10:00:00' WHERE id = ?",
        "UPDATE performance_sessions SET started_at = '' WHERE id = ?",
        "UPDATE performance_sessions SET total_duration = 'abc' WHERE id = ?",
        "UPDATE performance_sessions SET user_id = 'user-7' WHERE id = ?",
    ]:
        row = upd(sql)
        rejected["performance_sessions"].add(str(row))
        del accepted[row]
    ev = q("SELECT min(id) FROM performance_events")[0][0]
    con.execute("UPDATE performance_events SET position_seconds = 'n/a' WHERE id = ?", (ev,))
    rejected["performance_events"].add(str(ev))
    goal = q("SELECT min(id) FROM user_goals")[0][0]
    con.execute("UPDATE user_goals SET target_value = 'lots' WHERE id = ?", (goal,))
    rejected["user_goals"].add(str(goal))
    # --- hostile text: kept as written, harmlessly
    user = q("SELECT user_id FROM performance_sessions WHERE id = ?", next(pick))[0][0]
    con.execute("UPDATE users SET display_name = ? WHERE id = ?", (LONG_NAME, user))
    con.execute("UPDATE users SET display_name = ? WHERE id = (SELECT min(id) FROM users WHERE id <> ?)", (SQL_INJECTION, user))
    con.execute("UPDATE songs SET title = ? WHERE id = 1", (SQL_INJECTION,))
    con.execute("UPDATE songs SET title = ? WHERE id = 2", (LONG_NAME,))
    big = json.dumps({"app_version": "2.5.1", "blob": "x" * 1_048_576, "note": SQL_INJECTION + " 🎶"})
    con.execute("UPDATE performance_sessions SET session_metadata = ? WHERE id = ?", (big, next(pick)))
    # --- duplicated events (same session, type, time, position; new id): quarantined as duplicates
    max_ev = q("SELECT max(id) FROM performance_events")[0][0]
    con.execute(f"INSERT INTO performance_events SELECT id + {max_ev}, session_id, event_type, timestamp, position_seconds, "
                "event_data, chord_at_position, section_name, created_at FROM performance_events WHERE id % 97 = 0")
    # --- a duplicated primary key: rebuild the table without its PK constraint, then copy a row with an older
    # edit: the newer copy must reach the marts, the older one the quarantine.
    if duplicate_pk:
        con.executescript("""
            CREATE TABLE ps_copy AS SELECT * FROM performance_sessions;
            DROP TABLE performance_sessions;
            ALTER TABLE ps_copy RENAME TO performance_sessions;""")
        dup = next(pick)
        con.execute("INSERT INTO performance_sessions SELECT * FROM performance_sessions WHERE id = ?", (dup,))
        con.execute("UPDATE performance_sessions SET total_duration = total_duration + 7, updated_at = '2000-01-01 00:00:00' "
                    "WHERE rowid = (SELECT max(rowid) FROM performance_sessions WHERE id = ?)", (dup,))
        quarantined[dup] = "duplicate_primary_key"
    con.commit()
    counts = {t: q(f'SELECT count(*) FROM "{t}"')[0][0] for (t,) in
              q("SELECT name FROM sqlite_master WHERE type = 'table'")}
    con.close()
    return BadSource(path, counts, len(accepted), sum(accepted.values()), rejected, quarantined)
