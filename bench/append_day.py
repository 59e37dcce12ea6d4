"""Append one new UTC day of activity to a generated SQLite ChordMe source (for incremental benchmarks).

The generator has no "add a day" entry point (it draws every table from one rng in a fixed order), so the
new day is the source's last day replayed one day later, in SQL: its sessions get ids after the current
maximum, every timestamp moves +1 day (``updated_at`` included, so the extractor's cursor sees them), and
their events and problem sections follow with fresh ids. Volume, mix and messiness (faulty rows, duplicate
events) are therefore those of a real day of this source.

    python bench/append_day.py data/bench/source-100000.db     # prints what it wrote
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

# Columns copied as they are; the timestamp columns listed per table are shifted by one day instead.
_SESSION_TS = ("started_at", "ended_at", "created_at", "updated_at")
_EVENT_TS = ("timestamp", "created_at")
_PROBLEM_TS = ("created_at",)


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in con.execute(f"PRAGMA table_info({table})")]


def _shifted(column: str, shifted: tuple[str, ...]) -> str:
    # datetime() normalises any offset notation to naive UTC, which is what the app writes by default.
    return f"datetime(\"{column}\", '+1 day')" if column in shifted else f'"{column}"'


def last_day(con: sqlite3.Connection) -> str:
    return con.execute("SELECT date(max(started_at)) FROM performance_sessions").fetchone()[0]


def append_day(path: Path | str) -> dict:
    """Replay the source's last day as the next day. Returns the new day and rows written per table."""
    con = sqlite3.connect(str(path))
    try:
        day = last_day(con)
        new_day = con.execute("SELECT date(?, '+1 day')", [day]).fetchone()[0]
        lo, hi = f"{day} 00:00:00", f"{new_day} 00:00:00"
        con.execute("DROP TABLE IF EXISTS temp.session_map")
        con.execute(
            """CREATE TEMP TABLE session_map AS
               SELECT id AS old_id,
                      (SELECT max(id) FROM performance_sessions) + row_number() OVER (ORDER BY id) AS new_id
               FROM performance_sessions
               WHERE datetime(started_at) >= ? AND datetime(started_at) < ?""",
            [lo, hi],
        )
        con.execute("CREATE INDEX temp.session_map_old ON session_map (old_id)")
        written = {}

        cols = _columns(con, "performance_sessions")
        select = ", ".join("m.new_id" if c == "id" else _shifted(c, _SESSION_TS) for c in cols)
        written["performance_sessions"] = con.execute(
            f"""INSERT INTO performance_sessions ({', '.join(f'"{c}"' for c in cols)})
                SELECT {select} FROM performance_sessions AS s JOIN session_map AS m ON m.old_id = s.id"""
        ).rowcount

        for table, ts_cols in (("performance_events", _EVENT_TS), ("problem_sections", _PROBLEM_TS)):
            cols = _columns(con, table)
            parts = []
            for c in cols:
                if c == "id":
                    parts.append(f"(SELECT coalesce(max(id), 0) FROM {table}) + row_number() OVER (ORDER BY t.id)")
                elif c == "session_id":
                    parts.append("m.new_id")
                else:
                    parts.append(_shifted(c, ts_cols))
            written[table] = con.execute(
                f"""INSERT INTO {table} ({', '.join(f'"{c}"' for c in cols)})
                    SELECT {', '.join(parts)} FROM {table} AS t JOIN session_map AS m ON m.old_id = t.session_id"""
            ).rowcount
        con.commit()
        return {"day": new_day, "rows": written}
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="SQLite source file")
    print(json.dumps(append_day(parser.parse_args().source)))


if __name__ == "__main__":
    main()
