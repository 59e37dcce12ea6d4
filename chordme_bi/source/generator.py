"""Deterministic, fast, realistic demo data for the ChordMe source database (../shared/SOURCE_SCHEMA.md).

:func:`generate` drops and recreates every table of :data:`chordme_bi.source.schema.metadata` at a SQLAlchemy
URL (SQLite or PostgreSQL) and fills it. Everything is drawn from one ``numpy.random.default_rng(seed)`` in a
fixed order, so the same seed, ``end`` and arguments give byte-identical tables. Columns are built as numpy
arrays and written in bulk (SQLite: ``executemany`` on the raw connection with journaling off; PostgreSQL:
``COPY ... FROM STDIN`` with CSV), which keeps 1M sessions well under a minute.

Time window: ``days`` whole UTC days ending with ``end`` inclusive, i.e. ``[end - days + 1, end + 1)``.
Every session (ended_at included), event, problem section and band performance lies inside it. Accounts,
songs, setlists, rooms and goals may predate it; no timestamp lies after it (only goal deadlines, a Date, do).

Timestamp notation (what a Flask/SQLAlchemy app writes):

- SQLite: every DateTime is TEXT ``'YYYY-MM-DD HH:MM:SS'``, naive UTC, whole seconds.
- PostgreSQL: timezone-aware columns (``started_at``, ``ended_at``, ``performance_events.timestamp``,
  ``setlist_performances.performance_date``) get ``'YYYY-MM-DD HH:MM:SS+00:00'``; naive ones the SQLite form.
- ``user_goals.deadline`` (Date): ``'YYYY-MM-DD'``. Booleans: 0/1 in SQLite, true/false in PostgreSQL.

Realism the pipeline's reports rely on: long-tailed activity per user, evening (18-22 h UTC) and weekend
peaks, mobile-heavy short sessions, completion that rises week over week for "improvers" (more often
students), educators with lesson_plan rooms of 8-30 students, bands (setlists with collaborators) whose
rehearsals cluster in the weeks before their gigs, problem sections for sessions with many pauses/rewinds.

Messy rows. ``round(messy_fraction * sessions)`` sessions carry exactly one fault each, the kinds of
:data:`SESSION_FAULTS` assigned round-robin (so they are spread evenly); every other column of a faulty row
stays clean, and its events and problem sections are generated from the true values:

- ``null_ended_at``: ended_at is NULL; total_duration stays valid (an abandoned session, a legitimate state).
- ``negative_duration``: total_duration is the negated true duration (< 0).
- ``absurd_duration``: total_duration in (172800, 500000] seconds, i.e. > 86400.
- ``completion_over_100``: completion_percentage in (100, 250].
- ``mixed_timezone``: started_at and ended_at are written with an explicit non-UTC offset, e.g.
  ``'2025-03-01 19:00:00+02:00'`` for 17:00 UTC, every other one with a ``'T'`` separator. The instant is
  right, only the notation differs; in PostgreSQL the same offset text goes into the timestamptz column.
- ``orphan_song``: song_id points at a song id that does not exist (> max songs.id). The session's
  problem sections copy its song_id, so they carry the same orphan.
- ``device_case``: device_type in odd case/whitespace (``' Mobile'``, ``'DESKTOP'``, ``'Tablet '``):
  legitimate after trimming and lower-casing.

Events: ``round(messy_fraction * events)`` events are duplicated right after themselves with a new id (same
session_id, event_type, timestamp, position_seconds and payload). With ``messy_fraction=0`` there are no faulty
rows at all; clean data still has a little NULL device_type and some 'smart_tv', as the contract says.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gc
import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Table, create_engine
from sqlalchemy.engine import make_url

from chordme_bi.source.schema import metadata

SESSION_FAULTS: tuple[str, ...] = (
    "null_ended_at",
    "negative_duration",
    "absurd_duration",
    "completion_over_100",
    "mixed_timezone",
    "orphan_song",
    "device_case",
)

DAY = 86_400
WEEK = 7 * DAY
_EPOCH = dt.date(1970, 1, 1)
_CHUNK_ROWS = 250_000  # rows materialised as Python objects at a time: bounds memory at 1M+ sessions

SESSION_TYPES = ("practice", "rehearsal", "performance")
DEVICES = ("mobile", "tablet", "desktop", "smart_tv")
EVENT_TYPES = ("play", "pause", "rewind", "fast_forward", "tempo_change", "seek")  # play first: sessions start with it
DIFFICULTIES = ("beginner", "intermediate", "advanced", "expert")
SECTIONS = ("intro", "verse", "chorus", "verse", "bridge", "chorus", "outro")
_SECTION_BREAKS = np.array([0.08, 0.30, 0.45, 0.60, 0.72, 0.90])  # song-position fractions between SECTIONS
CHORDS = ("C", "G", "Am", "F", "D", "Em", "A", "E", "Dm", "G7", "E7", "Bm", "Cmaj7", "Fmaj7", "Asus4", "D7", "F#m",
          "Bb")
GENRES = ("rock", "pop", "folk", "jazz", "blues", "country", "worship", "indie", "r&b", "classical", "reggae", "metal")
KEYS = ("C", "G", "D", "A", "E", "F", "Bb", "Eb", "Am", "Em", "Dm", "F#m", "Bm", "C#m")
TIME_SIGNATURES = ("4/4", "3/4", "6/8", "12/8", "2/4")
BAND_ROLES = ("lead", "rhythm", "bass", "drums", "keys", "vocals")
INSTRUMENTS = {"lead": "electric guitar", "rhythm": "acoustic guitar", "bass": "bass guitar",
               "drums": "drums", "keys": "keyboard", "vocals": "voice"}
ENGAGEMENT = ("poor", "fair", "good", "excellent")
AUDIENCE_RESPONSE = ("negative", "mixed", "neutral", "positive", "enthusiastic")
VENUES = ("The Blue Note", "Riverside Pub", "Town Hall", "Café Aurora", "Open Air Stage", "The Cellar",
          "Community Centre", "St. Mary's Church", "Jazz Corner", "Student Union")
SETLIST_STATUSES = ("draft", "ready", "in_progress", "completed", "archived")
REHEARSAL_VENUES = ("Rehearsal Room A", "Studio B", "Garage", "Music School Hall")
_TITLE_WORDS = (("Midnight", "Golden", "Broken", "Silver", "Lonely", "Electric", "Quiet", "Wild", "Summer",
                 "Northern", "Crimson", "Hollow", "Paper", "Velvet", "Distant", "Open"),
                ("River", "Road", "Heart", "Sky", "Train", "Rain", "Fire", "Letter", "Garden", "Highway",
                 "Morning", "Harbour", "Mountain", "Lullaby", "Waltz", "Blues"))
ARTISTS = ("The Lanterns", "Maya Ortiz", "Blue Harbour", "Jonas Field", "Paper Kites Trio", "Elena Voss",
           "Northbound", "Sam Okafor", "The Quiet Hours", "Lucia Bellini", "Traditional", "Copper Moon")
FANCY_NAMES = ("José Ramírez", "Zoë Müller 🎸", "Łukasz Wójcik", "Amélie Dubois ♫", "Søren Ågård",
               "Nguyễn Thị Mai", "李雷 🎹", "Renée O'Connor", "Björn Þórsson 🥁", "Ana Lúcia 🎶")
APP_VERSIONS = ("2.3.0", "2.3.4", "2.4.0", "2.4.2", "2.5.0", "2.5.1")
_TZ_OFFSETS = (120, -300, 330, 540, -180, 60, -420)  # minutes east of UTC used by 'mixed_timezone'

# Hour-of-day weights (UTC): evening peak 18-22 h, trough 03-07 h; weekends shift some practice into daytime.
_HOURS_WEEKDAY = np.array([1.5, 1.0, 0.6, 0.4, 0.3, 0.3, 0.4, 0.6, 0.9, 1.1, 1.2, 1.3,
                           1.5, 1.4, 1.4, 1.6, 2.0, 2.6, 3.4, 3.8, 3.8, 3.3, 2.4, 1.8])
_HOURS_WEEKEND = np.array([1.8, 1.2, 0.7, 0.4, 0.3, 0.3, 0.4, 0.6, 1.0, 1.6, 2.2, 2.5,
                           2.5, 2.4, 2.4, 2.4, 2.5, 2.7, 3.2, 3.5, 3.4, 3.0, 2.3, 1.9])


# --------------------------------------------------------------------------------------------------- columns
@dataclass
class _Col:
    """One column of a table being written.

    kind: 'int' | 'float' | 'str' | 'bool' | 'ts' (naive) | 'tstz' (aware) | 'json' (text); ts/tstz values are
    int64 epoch seconds. null: True where the value is NULL. override: row -> literal text written instead
    (the faults that live in the notation, not the value).
    """

    kind: str
    values: np.ndarray | list
    null: np.ndarray | None = None
    override: dict[int, str] | None = None


def _bounded(x: float, lo: int, hi: int) -> int:
    """Scalar clip as a Python int (np.clip on scalars costs microseconds, and this runs per band event)."""
    return int(min(max(x, lo), hi))


def _vocab(words, codes: np.ndarray) -> np.ndarray:
    """Strings from a small vocabulary by integer code: a gather, far cheaper than building each string."""
    return np.array(list(words), dtype=object)[codes]


@functools.cache
def _time_of_day_table() -> np.ndarray:
    """'HH:MM:SS' as bytes for every second of a day: formatting becomes a table lookup."""
    text = "".join(f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60))
    return np.frombuffer(text.encode(), dtype=np.uint8).reshape(DAY, 8)


def _format_ts(secs: np.ndarray, aware: bool) -> list[str]:
    """Epoch seconds -> 'YYYY-MM-DD HH:MM:SS' (+ '+00:00' when aware), vectorised via day/second lookup tables."""
    secs = np.asarray(secs, dtype=np.int64)
    if secs.size == 0:
        return []
    days, sod = np.divmod(secs, DAY)
    d0 = int(days.min())
    n_days = int(days.max()) - d0 + 1
    day_text = "".join((_EPOCH + dt.timedelta(days=d0 + i)).strftime("%Y-%m-%d ") for i in range(n_days))
    width = 25 if aware else 19
    out = np.empty((secs.size, width), dtype=np.uint8)
    out[:, :11] = np.frombuffer(day_text.encode(), dtype=np.uint8).reshape(n_days, 11)[days - d0]
    out[:, 11:19] = _time_of_day_table()[sod]
    if aware:
        out[:, 19:] = np.frombuffer(b"+00:00", dtype=np.uint8)
    return out.view(f"S{width}").ravel().astype(f"U{width}").tolist()


def _offset_notation(secs: int, offset_min: int, sep: str) -> str:
    """The same instant written in local time with an explicit offset, as a client in another zone would."""
    tz = dt.timezone(dt.timedelta(minutes=offset_min))
    local = dt.datetime.fromtimestamp(secs, tz)
    return local.isoformat(sep=sep)


def _materialise(col: _Col, lo: int, hi: int, postgres: bool) -> list:
    """Rows lo..hi of a column as Python values ready for the driver (or the CSV writer)."""
    vals = col.values[lo:hi]
    if col.kind in ("ts", "tstz"):
        out = _format_ts(vals, aware=postgres and col.kind == "tstz")
    elif col.kind == "bool":
        v = np.asarray(vals, dtype=bool)
        out = np.where(v, "true", "false").tolist() if postgres else v.astype(np.int8).tolist()
    elif isinstance(vals, np.ndarray):
        out = vals.tolist()
    else:
        out = list(vals)
    if col.null is not None:
        for i in np.flatnonzero(col.null[lo:hi]).tolist():
            out[i] = None
    if col.override:
        for row, text in col.override.items():
            if lo <= row < hi:
                out[row - lo] = text
    return out


# --------------------------------------------------------------------------------------------------- writing
def _table_rows(table: Table, cols: dict[str, _Col], postgres: bool):
    """Yield the table's rows as lists of tuples, chunk by chunk, in the table's column order."""
    names = [c.name for c in table.columns]
    missing = set(names) ^ set(cols)
    if missing:
        raise ValueError(f"{table.name}: columns do not match the schema: {sorted(missing)}")
    n = len(cols[names[0]].values)
    for lo in range(0, n, _CHUNK_ROWS):
        hi = min(n, lo + _CHUNK_ROWS)
        yield list(zip(*(_materialise(cols[name], lo, hi, postgres) for name in names)))


def _write(url: str, frames: dict[str, dict[str, _Col]]) -> dict[str, int]:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported source dialect {backend!r}: use sqlite or postgresql")
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)

    if backend == "postgresql":
        # The bulk path is psycopg2's COPY; a plain postgresql:// URL would pick psycopg 3 under SQLAlchemy 2.1.
        parsed = parsed.set(drivername="postgresql+psycopg2")
    engine = create_engine(parsed)
    counts: dict[str, int] = {}
    try:
        metadata.drop_all(engine)
        metadata.create_all(engine)
        raw = engine.raw_connection()
        try:
            conn = raw.driver_connection
            cur = conn.cursor()
            if backend == "sqlite":
                # A demo database is rebuilt from scratch on failure, so durability buys nothing here.
                cur.execute("PRAGMA journal_mode=OFF")
                cur.execute("PRAGMA synchronous=OFF")
            else:
                conn.set_client_encoding("UTF8")
            for table in metadata.tables.values():
                cols = frames[table.name]
                names = [c.name for c in table.columns]
                quoted = ", ".join(f'"{n}"' for n in names)
                n_rows = 0
                for rows in _table_rows(table, cols, postgres=backend == "postgresql"):
                    n_rows += len(rows)
                    if backend == "sqlite":
                        marks = ", ".join("?" * len(names))
                        cur.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', rows)
                    else:
                        buf = io.StringIO()
                        csv.writer(buf, lineterminator="\n").writerows(rows)  # None -> unquoted empty = NULL
                        buf.seek(0)
                        cur.copy_expert(f'COPY "{table.name}" ({quoted}) FROM STDIN WITH (FORMAT csv)', buf)
                counts[table.name] = n_rows
            conn.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()
    return counts


# --------------------------------------------------------------------------------------------------- public
def generate(
    url: str,
    *,
    sessions: int = 200_000,
    seed: int = 42,
    messy_fraction: float = 0.01,
    end: dt.date | None = None,
    days: int = 365,
    users: int | None = None,
) -> dict[str, int]:
    """Create (drop + recreate) every table of chordme_bi.source.schema.metadata at SQLAlchemy `url`
    and fill it. Returns rows written per table.

    end: last UTC day covered (default: today, UTC); the data spans ``days`` days up to and including it.
    users: default ``max(50, sessions // 100)`` (2,000 at the default size).
    """
    if isinstance(end, dt.datetime):
        end = end.date()
    end = end or dt.datetime.now(dt.timezone.utc).date()
    n_users = users if users is not None else max(50, sessions // 100)
    if sessions < 0 or days < 1 or n_users < 10 or not 0.0 <= messy_fraction <= 1.0:
        raise ValueError("need sessions >= 0, days >= 1, users >= 10 and 0 <= messy_fraction <= 1")

    # Millions of short-lived tuples would trigger cyclic GC passes that find nothing: pause it meanwhile.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        builder = _Builder(np.random.default_rng(seed), end, days, n_users, sessions, messy_fraction)
        return _write(url, builder.build())
    finally:
        if gc_was_enabled:
            gc.enable()


# --------------------------------------------------------------------------------------------------- building
class _Builder:
    """Draws every table in a fixed order from one rng. Times are int64 epoch seconds throughout."""

    def __init__(self, rng: np.random.Generator, end: dt.date, days: int, n_users: int, n_sessions: int,
                 messy_fraction: float) -> None:
        self.rng = rng
        self.ws = ((end - _EPOCH).days - days + 1) * DAY  # window start (inclusive)
        self.we = ((end - _EPOCH).days + 1) * DAY  # window end (exclusive)
        self.end_day = (end - _EPOCH).days
        self.n_days = days
        self.U = n_users
        self.N = n_sessions
        self.messy = messy_fraction
        self.frames: dict[str, dict[str, _Col]] = {}

    def build(self) -> dict[str, dict[str, _Col]]:
        self._users()
        self._songs()
        self._people()
        self._setlists()
        self._band_activity()
        self._rooms()
        self._sessions()
        self._events()
        self._problem_sections()
        self._goals()
        self._reports_and_dashboards()
        return self.frames

    def _clamp(self, t: np.ndarray) -> np.ndarray:
        """Keep times inside the window's last second: nothing may happen after `end`."""
        return np.minimum(t, self.we - 1)

    # ----------------------------------------------------------------------------------------------- users
    def _users(self) -> None:
        rng, U, ws, we = self.rng, self.U, self.ws, self.we
        before = rng.random(U) < 0.25  # some accounts predate the window
        inside = ws + (rng.random(U) ** 0.8 * max(we - ws - DAY, 1)).astype(np.int64)  # sign-ups grow over time
        created = np.sort(np.where(before, ws - rng.integers(DAY, 700 * DAY, U), inside))  # ids follow sign-up
        self.user_created = created
        self.user_first = np.maximum(created, ws)  # first moment a user can appear in the window
        updated = created + (rng.random(U) * (we - 1 - created)).astype(np.int64)

        # Privacy classes: (analytics_consent, anonymous_data_only); ~30% anonymous-only without consent.
        privacy = rng.choice(4, U, p=[0.60, 0.30, 0.07, 0.03])
        self.user_consent = np.array([True, False, True, False])[privacy]
        self.user_anonymous = np.array([False, True, True, False])[privacy]
        privacy_json = [json.dumps({"analytics_consent": c, "anonymous_data_only": a, "share_with_educators": c})
                        for c, a in ((True, False), (False, True), (True, True), (False, False))]

        self.user_ids = np.arange(1, U + 1)
        self.user_names = [f"Student {i}" for i in range(1, U + 1)]
        fancy = rng.choice(U, min(U, max(3, U // 200)), replace=False)
        for k, idx in enumerate(np.sort(fancy).tolist()):
            self.user_names[idx] = FANCY_NAMES[k % len(FANCY_NAMES)]
        self.frames["users"] = {
            "id": _Col("int", self.user_ids),
            "email": _Col("str", [f"user{i}@example.org" for i in range(1, U + 1)]),
            "display_name": _Col("str", self.user_names),
            "analytics_privacy_settings": _Col("json", _vocab(privacy_json, privacy)),
            "created_at": _Col("ts", created),
            "updated_at": _Col("ts", updated),
        }

    # ----------------------------------------------------------------------------------------------- songs
    def _songs(self) -> None:
        rng, U = self.rng, self.U
        per_user = 1 + rng.poisson(2.5, U)
        owner = np.repeat(np.arange(U), per_user)  # user index (id - 1)
        S = owner.size
        created = self._clamp(self.user_created[owner] + rng.exponential(15 * DAY, S).astype(np.int64))
        order = np.argsort(created, kind="stable")  # song ids follow creation time
        owner, created = owner[order], created[order]
        updated = created + (rng.random(S) * 0.3 * (self.we - 1 - created)).astype(np.int64)

        difficulty = rng.choice(4, S, p=[0.35, 0.35, 0.20, 0.10])
        tempo = np.clip(rng.normal(112, 28, S), 60, 200).astype(np.int64)
        duration = np.clip(rng.normal(235, 60, S), 120, 420).astype(np.int64)
        deleted = rng.random(S) < 0.03
        adj, noun = _TITLE_WORDS
        titles = [f"{a} {b}" for a in adj for b in noun]
        self.song_difficulty, self.song_tempo, self.song_duration = difficulty, tempo, duration
        self.song_owner, self.song_deleted, self.n_songs = owner, deleted, S

        # Per-user lists of live songs (CSR layout) for "practises own songs", and a long-tailed global chart.
        live = np.flatnonzero(~deleted)
        by_owner = live[np.argsort(owner[live], kind="stable")]
        self.own_songs = by_owner
        self.own_count = np.bincount(owner[live], minlength=U)
        self.own_start = np.concatenate([[0], np.cumsum(self.own_count)[:-1]])
        popularity = 1.0 / (rng.permutation(live.size) + 5.0)
        self.chart, self.chart_p = live, popularity / popularity.sum()

        self.frames["songs"] = {
            "id": _Col("int", np.arange(1, S + 1)),
            "user_id": _Col("int", owner + 1),
            "title": _Col("str", _vocab(titles, rng.integers(0, len(titles), S))),
            "artist": _Col("str", _vocab(ARTISTS, rng.integers(0, len(ARTISTS), S))),
            "genre": _Col("str", _vocab(GENRES, rng.integers(0, len(GENRES), S))),
            "song_key": _Col("str", _vocab(KEYS, rng.integers(0, len(KEYS), S))),
            "tempo": _Col("int", tempo),
            "time_signature": _Col("str", _vocab(TIME_SIGNATURES, rng.choice(5, S, p=[0.8, 0.1, 0.06, 0.02, 0.02]))),
            "difficulty": _Col("str", _vocab(DIFFICULTIES, difficulty)),
            "duration": _Col("int", duration),
            "is_deleted": _Col("bool", deleted),
            "created_at": _Col("ts", created),
            "updated_at": _Col("ts", updated),
        }

    def _popular_songs(self, n: int) -> np.ndarray:
        return self.rng.choice(self.chart, n, p=self.chart_p)

    # ----------------------------------------------------------------------------------------------- people
    def _people(self) -> None:
        """Educators with their lesson_plan classes, band owners, students and improvers."""
        rng, U, ws, we = self.rng, self.U, self.ws, self.we
        # Educators and bands come from accounts that exist by mid-window, so classes and gigs run for a while.
        early = max(int(np.searchsorted(self.user_created, ws + (we - ws) // 2)), 1)
        n_edu = max(1, round(0.03 * U))
        self.educators = np.sort(rng.choice(early, min(n_edu, early), replace=False))
        others = np.setdiff1d(np.arange(U), self.educators)
        self._early_others = others[others < early]
        n_bands = max(1, round(0.05 * U))
        self.band_owners = np.sort(rng.choice(self._early_others, min(n_bands, self._early_others.size), replace=False))
        for i in self.educators.tolist():  # the users frame holds this same list, so it sees the rename
            self.user_names[i] = f"Teacher {i + 1}"

        rooms: list[tuple] = []  # (created, uuid, name, room_type, creator_idx, status, participants)
        is_student = np.zeros(U, dtype=bool)
        class_no = 0
        for edu in self.educators.tolist():
            for _ in range(1 + int(rng.random() < 0.4)):
                class_no += 1
                created = int(self._clamp(max(self.user_created[edu], ws - 60 * DAY)
                                          + rng.integers(0, max((we - ws) // 4, 1))))
                k = int(min(rng.integers(8, 31), others.size))
                students = np.sort(rng.choice(others, k, replace=False))
                is_student[students] = True
                status = rng.random(k) < 0.85
                people = [(edu, "band_leader", "active", created)]
                for s, active in zip(students.tolist(), status.tolist()):
                    joined = max(created, int(self.user_created[s])) + int(rng.integers(0, WEEK))
                    people.append((s, "member", "active" if active else "inactive", joined))
                level = ("Beginner", "Intermediate", "Advanced")[class_no % 3]
                room_status = "active" if rng.random() < 0.9 else "archived"
                rooms.append((created, self._uuid(), f"{level} Guitar – Class {class_no}", "lesson_plan", edu,
                              room_status, people))
        self.is_student = is_student
        self.improver = rng.random(U) < np.where(is_student, 0.7, 0.4)
        self._rooms_drafts, self._others = rooms, others

    def _uuid(self) -> str:
        return str(uuid.UUID(bytes=self.rng.bytes(16), version=4))

    # ----------------------------------------------------------------------------------------------- setlists
    def _setlists(self) -> None:
        """Band setlists (with collaborators) and solo setlists; ids follow creation time."""
        rng, ws, we = self.rng, self.ws, self.we
        drafts: list[dict] = []
        for owner in self.band_owners.tolist():
            pool = self._early_others[self._early_others != owner]
            members = np.sort(rng.choice(pool, min(int(rng.integers(2, 6)), pool.size), replace=False))
            everyone = [owner] + members.tolist()
            start = max(int(self.user_created[everyone].max()), ws - int(rng.integers(0, 90 * DAY)))
            created = int(self._clamp(start + rng.integers(0, max((we - ws) // 4, 1))))
            roles = rng.permutation(len(BAND_ROLES))[1:1 + members.size]  # the owner plays lead
            drafts.append({"owner": owner, "members": members.tolist(), "roles": roles.tolist(), "created": created,
                           "event_type": "performance", "status": ("ready", "in_progress", "completed")[
                               int(rng.integers(0, 3))], "deleted": False, "band": True,
                           "songs": self._pick_setlist_songs(everyone, int(rng.integers(5, 16)))})
        solo_pool = np.setdiff1d(self._others, self.band_owners)
        for owner in np.sort(rng.choice(solo_pool, min(max(1, round(0.08 * self.U)), solo_pool.size),
                                        replace=False)).tolist():
            created = int(self._clamp(self.user_first[owner] + rng.integers(0, 60 * DAY)))
            drafts.append({"owner": owner, "members": [], "roles": [], "created": created,
                           "event_type": ("lesson", "rehearsal", "performance")[int(rng.integers(0, 3))],
                           "status": SETLIST_STATUSES[int(rng.integers(0, len(SETLIST_STATUSES)))],
                           "deleted": bool(rng.random() < 0.05), "band": False,
                           "songs": self._pick_setlist_songs([owner], int(rng.integers(3, 11)))})
        drafts.sort(key=lambda d: d["created"])
        for i, d in enumerate(drafts):
            d["id"] = i + 1

        sl = {k: [] for k in ("id", "user_id", "name", "event_type", "status", "is_deleted", "created_at",
                              "updated_at")}
        ss = {k: [] for k in ("setlist_id", "song_id", "sort_order", "section", "estimated_duration")}
        sc = {k: [] for k in ("setlist_id", "user_id", "band_role", "instrument", "permission_level")}
        for d in drafts:
            name = f"Band {d['owner'] + 1} Live Set" if d["band"] else f"Practice list {d['id']}"  # no personal data
            updated = d["created"] + int(rng.integers(0, max(self.we - 1 - d["created"], 1)))
            for k, v in zip(sl, (d["id"], d["owner"] + 1, name, d["event_type"], d["status"], d["deleted"],
                                 d["created"], updated)):
                sl[k].append(v)
            d["setlist_song_ids"] = []
            k_songs = len(d["songs"])
            for pos, song in enumerate(d["songs"]):
                d["setlist_song_ids"].append(len(ss["setlist_id"]) + 1)
                section = "opening" if pos == 0 else ("encore" if pos == k_songs - 1 and k_songs >= 6 else "main")
                for k, v in zip(ss, (d["id"], song + 1, pos + 1, section, int(self.song_duration[song]))):
                    ss[k].append(v)
            for member, role in zip(d["members"], d["roles"]):
                band_role = BAND_ROLES[role]
                perm = ("edit", "edit", "edit", "view", "view", "admin")[int(rng.integers(0, 6))]
                for k, v in zip(sc, (d["id"], member + 1, band_role, INSTRUMENTS[band_role], perm)):
                    sc[k].append(v)
        self.bands = [d for d in drafts if d["band"]]

        self.frames["setlists"] = {
            "id": _Col("int", sl["id"]), "user_id": _Col("int", sl["user_id"]), "name": _Col("str", sl["name"]),
            "event_type": _Col("str", sl["event_type"]), "status": _Col("str", sl["status"]),
            "is_deleted": _Col("bool", np.array(sl["is_deleted"], dtype=bool)),
            "created_at": _Col("ts", np.array(sl["created_at"], dtype=np.int64)),
            "updated_at": _Col("ts", np.array(sl["updated_at"], dtype=np.int64)),
        }
        self.frames["setlist_songs"] = {
            "id": _Col("int", np.arange(1, len(ss["setlist_id"]) + 1)),
            **{k: _Col("str" if k == "section" else "int", v) for k, v in ss.items()},
        }
        self.frames["setlist_collaborators"] = {
            "id": _Col("int", np.arange(1, len(sc["setlist_id"]) + 1)),
            **{k: _Col("int" if k.endswith("_id") else "str", v) for k, v in sc.items()},
        }
        self.setlist_song_song = np.array(ss["song_id"], dtype=np.int64) - 1  # setlist_song index -> song index

    def _pick_setlist_songs(self, people: list[int], k: int) -> list[int]:
        """k distinct live songs: the members' own first, topped up from the popular chart."""
        own = np.concatenate([self.own_songs[self.own_start[p]:self.own_start[p] + self.own_count[p]] for p in people])
        k = min(k, self.chart.size)  # own songs are live, so the chart holds every candidate
        picked = self.rng.permutation(own)[:k].tolist()
        while len(picked) < k:
            for song in self._popular_songs(2 * k).tolist():
                if len(picked) < k and song not in picked:
                    picked.append(song)
        return picked

    # ----------------------------------------------------------------------------------------------- bands
    def _band_activity(self) -> None:
        """Gigs and rehearsals per band (rehearsals cluster in the weeks before gigs), their per-song
        outcomes, and the members' sessions: one per performance attended plus solo rehearsals before gigs."""
        rng, ws, we = self.rng, self.ws, self.we
        perfs: list[tuple] = []  # (date, band, event_type)
        for b, band in enumerate(self.bands):
            first = max(band["created"] + 7 * DAY, ws)
            span = we - DAY - first
            if span <= 0:
                continue
            n_gigs = 1 + int(rng.poisson(span / WEEK / 6))
            gig_days = np.sort((first + rng.integers(0, span, n_gigs)) // DAY)
            for day in gig_days.tolist():
                perfs.append((day * DAY + int(rng.integers(19, 23)) * 3600 + int(rng.integers(0, 4)) * 900,
                              b, "performance"))
                for _ in range(int(rng.integers(1, 4))):  # rehearsals in the three weeks before the gig
                    perfs.append(((day - int(rng.integers(1, 22))) * DAY + int(rng.integers(17, 21)) * 3600, b,
                                  "rehearsal"))
            for _ in range(int(rng.poisson(span / WEEK / 10))):  # and some between gigs
                perfs.append(((first + int(rng.integers(0, span))) // DAY * DAY + 18 * 3600, b, "rehearsal"))
        perfs = sorted((p for p in perfs if p[0] >= max(ws, self.bands[p[1]]["created"])), key=lambda p: (p[0], p[1]))

        sp = {k: [] for k in ("setlist_id", "performed_by", "performance_date", "venue", "event_type", "audience_size",
                              "total_duration", "songs_performed", "songs_skipped", "overall_rating",
                              "technical_rating", "audience_engagement", "team_members", "created_at")}
        song_parts: list[tuple] = []  # per performance, arrays over its setlist songs (columns of `sps` below)
        sess = {k: [] for k in ("user", "start", "type", "setlist", "song", "duration")}
        skill = rng.normal(3.2, 0.6, len(self.bands))
        gigs_played = np.zeros(len(self.bands), dtype=np.int64)
        for pid, (date, b, etype) in enumerate(perfs, start=1):
            band = self.bands[b]
            gig = etype == "performance"
            members = [band["owner"]] + band["members"]
            if not gig and len(members) > 2 and rng.random() < 0.15:  # someone missed rehearsal
                members.pop(int(rng.integers(1, len(members))))
            minutes = int(rng.integers(45, 121) if gig else rng.integers(60, 181))
            overall = _bounded(round(skill[b] + 0.08 * gigs_played[b] + rng.normal(0, 0.7)), 1, 5)
            gigs_played[b] += gig

            song_ids = band["setlist_song_ids"]
            k = len(song_ids)
            songs = self.setlist_song_song[np.asarray(song_ids) - 1]
            order = np.arange(1, k + 1)
            if rng.random() < 0.3:  # the band swapped two songs around
                i, j = rng.choice(k, 2, replace=False)
                order[[i, j]] = order[[j, i]]
            performed = rng.random(k) < (0.93 if gig else 0.85)
            performed[int(rng.integers(0, k))] = True
            rating = np.clip(overall + rng.integers(-1, 2, k), 1, 5)
            song_parts.append((
                np.full(k, pid), np.asarray(song_ids), order, performed,
                (self.song_tempo[songs] * (1.0 if gig else 0.95) + rng.normal(0, 4, k)).astype(np.int64),
                (self.song_duration[songs] * rng.normal(1.0, 0.06, k)).astype(np.int64),
                rating, np.clip(rating - 1 + rng.integers(-1, 1, k), 0, 4), np.full(k, gig),
            ))
            engagement = ENGAGEMENT[_bounded(round(overall - 1.5 + rng.normal(0, 0.6)), 0, 3)]
            venue = VENUES[int(rng.integers(0, len(VENUES)))] if gig else REHEARSAL_VENUES[int(rng.integers(0, 4))]
            audience = _bounded(rng.lognormal(np.log(80), 0.7), 15, 800) if gig else 0
            n_done = int(performed.sum())
            for key, v in zip(sp, (band["id"], band["owner"] + 1, date, venue, etype, audience, minutes, n_done,
                                   k - n_done, overall, _bounded(overall + rng.integers(-1, 2), 1, 5), engagement,
                                   json.dumps([m + 1 for m in members]),
                                   min(date + minutes * 60 + int(rng.integers(3600, 2 * DAY)), we - 1))):
                sp[key].append(v)

            first_song = int(self.setlist_song_song[song_ids[int(np.argmax(performed))] - 1])
            for m in members:  # everyone present logs the gig/rehearsal in the player
                sess["user"].append(m)
                sess["start"].append(date + int(rng.integers(-600, 600)))
                sess["type"].append(SESSION_TYPES.index(etype))
                sess["setlist"].append(band["id"])
                sess["song"].append(first_song)
                sess["duration"].append(min(int(minutes * 60 * rng.uniform(0.9, 1.05)), 3 * 3600))
                if gig:  # solo rehearsal of the set in the week before the gig
                    for _ in range(int(rng.integers(0, 3))):
                        sess["user"].append(m)
                        sess["start"].append(date - int(rng.integers(6 * 3600, WEEK)))
                        sess["type"].append(1)
                        sess["setlist"].append(band["id"])
                        sess["song"].append(int(self.setlist_song_song[song_ids[int(rng.integers(0, k))] - 1]))
                        sess["duration"].append(_bounded(rng.lognormal(np.log(1800), 0.5), 300, 7200))

        self.band_sessions = {k: np.array(v, dtype=np.int64) for k, v in sess.items()}
        n_perf = len(perfs)
        self.frames["setlist_performances"] = {
            "id": _Col("int", np.arange(1, n_perf + 1)),
            **{k: _Col({"performance_date": "tstz", "created_at": "ts", "venue": "str", "event_type": "str",
                        "audience_engagement": "str", "team_members": "json"}.get(k, "int"),
                       np.array(v, dtype=np.int64) if k in ("performance_date", "created_at") else v)
               for k, v in sp.items()},
        }
        names = ("performance_id", "setlist_song_id", "actual_order", "was_performed", "actual_tempo",
                 "actual_duration", "performance_rating", "response", "gig")
        sps = {k: np.concatenate(v) if song_parts else np.zeros(0, dtype=np.int64)
               for k, v in zip(names, zip(*song_parts) if song_parts else [()] * len(names))}
        skipped = ~sps["was_performed"].astype(bool)  # a skipped song has no tempo, duration or rating
        self.frames["setlist_performance_songs"] = {
            "id": _Col("int", np.arange(1, sps["performance_id"].size + 1)),
            "performance_id": _Col("int", sps["performance_id"]),
            "setlist_song_id": _Col("int", sps["setlist_song_id"]),
            "actual_order": _Col("int", sps["actual_order"]),
            "was_performed": _Col("bool", sps["was_performed"].astype(bool)),
            "actual_tempo": _Col("int", sps["actual_tempo"], skipped),
            "actual_duration": _Col("int", sps["actual_duration"], skipped),
            "performance_rating": _Col("int", sps["performance_rating"], skipped),
            # Only a gig has an audience to respond.
            "audience_response": _Col("str", _vocab(AUDIENCE_RESPONSE, sps["response"]),
                                      skipped | ~sps["gig"].astype(bool)),
        }

    def _rooms(self) -> None:
        """Album/tour rooms for bands and small 'general' jam rooms, then every room's rows."""
        rng, rooms = self.rng, self._rooms_drafts
        for i, band in enumerate(self.bands):
            created = int(self._clamp(band["created"] + rng.integers(0, 30 * DAY)))
            rtype = ("album", "tour")[i % 2]  # alternate, so even a small demo has both kinds
            people = [(band["owner"], "band_leader", "active", created)]
            people += [(m, "member", "active", created + int(rng.integers(0, 3 * DAY))) for m in band["members"]]
            name = f"Band {band['owner'] + 1} {'Album' if rtype == 'album' else 'Tour'}"
            rooms.append((created, self._uuid(), name, rtype, band["owner"], "active", people))
        for g in range(max(1, self.U // 100)):  # general rooms: small jam groups of any users
            creator = int(rng.integers(0, self.U))
            first = int(self.user_first[creator])
            created = first + int(rng.integers(0, self.we - first))
            guests = rng.choice(np.setdiff1d(np.arange(self.U), [creator]), int(rng.integers(2, 7)), replace=False)
            people = [(creator, "band_leader", "active", created)]
            for p in np.sort(guests).tolist():
                role = ("member", "member", "guest", "observer")[int(rng.integers(0, 4))]
                joined = max(created, int(self.user_created[p])) + int(rng.integers(0, 3 * DAY))
                people.append((p, role, "active" if rng.random() < 0.9 else "inactive", joined))
            rooms.append((created, self._uuid(), f"Jam Room {g + 1}", "general", creator,
                           ("active", "active", "active", "archived", "suspended")[int(rng.integers(0, 5))], people))

        rooms.sort(key=lambda r: r[0])  # stable: equal times keep creation order
        room_rows = {k: [] for k in ("id", "name", "room_type", "creator_id", "status", "created_at")}
        part = {k: [] for k in ("room_id", "user_id", "role", "status", "joined_at")}
        for created, rid, name, rtype, creator, status, people in rooms:
            for k, v in zip(room_rows, (rid, name, rtype, creator + 1, status, created)):
                room_rows[k].append(v)
            for user, role, pstatus, joined in people:
                for k, v in zip(part, (rid, user + 1, role, pstatus, min(joined, self.we - 1))):
                    part[k].append(v)
        self.frames["collaboration_rooms"] = {
            "id": _Col("str", room_rows["id"]), "name": _Col("str", room_rows["name"]),
            "room_type": _Col("str", room_rows["room_type"]),
            "creator_id": _Col("int", room_rows["creator_id"]), "status": _Col("str", room_rows["status"]),
            "created_at": _Col("ts", np.array(room_rows["created_at"], dtype=np.int64)),
        }
        self.frames["room_participants"] = {
            "id": _Col("int", np.arange(1, len(part["room_id"]) + 1)),
            "room_id": _Col("str", part["room_id"]), "user_id": _Col("int", part["user_id"]),
            "role": _Col("str", part["role"]), "status": _Col("str", part["status"]),
            "joined_at": _Col("ts", np.array(part["joined_at"], dtype=np.int64)),
        }

    # ----------------------------------------------------------------------------------------------- sessions
    def _sessions(self) -> None:
        rng, U, N, ws, we = self.rng, self.U, self.N, self.ws, self.we

        band = self.band_sessions
        n_band = band["user"].size
        keep = min(n_band, int(0.25 * N))  # tiny runs: band life must not crowd out ordinary practice
        kept = np.sort(rng.choice(n_band, keep, replace=False)) if keep < n_band else np.arange(n_band)
        band = {k: v[kept] for k, v in band.items()}
        G = N - keep

        # Ordinary sessions: long-tailed activity, scaled by how much of the window each account exists for.
        share_of_window = (we - self.user_first) / (we - ws)
        activity = rng.lognormal(0.0, 1.1, U) * np.where(self.is_student, 1.5, 1.0) * share_of_window
        user = rng.choice(U, G, p=activity / activity.sum())

        day_index = np.arange(self.n_days)
        weekday = (dt.date.fromordinal(_EPOCH.toordinal() + self.ws // DAY).weekday() + day_index) % 7
        day_weight = np.select([weekday >= 5, weekday == 4], [1.45, 1.1], 1.0)
        cum = np.cumsum(day_weight)
        first_day = (self.user_first[user] - ws) // DAY
        low = np.where(first_day > 0, cum[np.maximum(first_day - 1, 0)], 0.0)
        day = np.minimum(np.searchsorted(cum, low + rng.random(G) * (cum[-1] - low), side="right"), self.n_days - 1)
        cdf_wd = np.cumsum(_HOURS_WEEKDAY) / _HOURS_WEEKDAY.sum()
        cdf_we = np.cumsum(_HOURS_WEEKEND) / _HOURS_WEEKEND.sum()
        u = rng.random(G)
        hour = np.minimum(np.where(weekday[day] >= 5, np.searchsorted(cdf_we, u, side="right"),
                                   np.searchsorted(cdf_wd, u, side="right")), 23)
        start = ws + day * DAY + hour * 3600 + rng.integers(0, 3600, G)
        start = np.maximum(start, self.user_created[user] + 60)

        stype = rng.choice(3, G, p=[0.93, 0.055, 0.015])
        median = np.array([900.0, 1800.0, 2400.0])[stype]
        sigma = np.array([0.8, 0.6, 0.5])[stype]
        duration = np.clip(rng.lognormal(np.log(median), sigma), 45, 3 * 3600).astype(np.int64)
        quit_early = rng.random(G) < 0.03  # opened a song and left: a real 0% completion
        duration = np.where(quit_early, rng.integers(5, 90, G), duration)

        # Songs: mostly the user's own live songs, else the popular chart; some free-play sessions have none.
        song = self._popular_songs(G)
        has_own = self.own_count[user] > 0
        own_index = self.own_start[user] + (rng.random(G) * self.own_count[user]).astype(np.int64)
        own_pick = self.own_songs[np.minimum(own_index, self.own_songs.size - 1)] if self.own_songs.size else song
        song = np.where(has_own & (rng.random(G) < 0.6), own_pick, song)
        song = np.where(rng.random(G) < 0.08, -1, song)

        # Merge with band sessions; ids follow start time, as the app's autoincrement would.
        user = np.concatenate([user, band["user"]])
        start = np.concatenate([start, band["start"]])
        stype = np.concatenate([stype, band["type"]])
        setlist = np.concatenate([np.full(G, -1), band["setlist"]])
        song = np.concatenate([song, band["song"]])
        duration = np.concatenate([duration, band["duration"]])
        quit_early = np.concatenate([quit_early, np.zeros(keep, dtype=bool)])
        start = np.maximum(start, ws)
        start -= np.maximum(start + duration - (we - 1), 0)  # end inside the window
        duration = np.minimum(duration, we - 1 - np.maximum(start, ws))
        start = np.maximum(start, ws)
        order = np.argsort(start, kind="stable")
        user, start, stype, setlist, song, duration, quit_early = (
            a[order] for a in (user, start, stype, setlist, song, duration, quit_early))

        # Skill: completion drifts up week by week for improvers; harder songs complete less and stall more.
        has_song = song >= 0
        diff = np.where(has_song, self.song_difficulty[np.maximum(song, 0)], 1)
        weeks = np.maximum(start - self.user_first[user], 0) / WEEK
        base = np.clip(rng.normal(52, 10, U), 20, 80)
        slope = rng.uniform(1.0, 2.0, U)
        gain = np.where(self.improver[user], np.minimum(slope[user] * weeks, 45.0), 0.0)
        mean = base[user] + np.array([12.0, 0.0, -10.0, -18.0])[diff] + gain + np.where(setlist >= 0, 5.0, 0.0)
        completion = np.round(np.clip(mean + rng.normal(0, 14, N), 0, 100), 1)
        completion[quit_early] = 0.0

        struggle = (np.array([0.8, 1.0, 1.4, 1.9])[diff] * rng.lognormal(0, 0.35, U)[user]
                    * np.where(self.improver[user], np.maximum(0.35, 1 - 0.02 * weeks), 1.0))
        minutes = duration / 60.0
        playing = minutes * np.where(setlist >= 0, 0.4, 1.0)  # a band runs through its set: few stops per minute
        pauses = rng.poisson(np.minimum(0.063 * playing * struggle, 25))
        rewinds = rng.poisson(np.minimum(0.027 * playing * struggle, 15))
        forwards = rng.poisson(np.minimum(0.006 * playing, 5))
        tempo_changes = rng.poisson(np.minimum(0.016 * playing * struggle, 10))
        seeks = rng.poisson(np.minimum(0.01 * playing, 5))
        active = np.minimum(np.round(duration * rng.uniform(0.65, 1.0, N)).astype(np.int64), duration)

        # Phones for quick sessions, desktops for long ones.
        p_desktop = 0.75 / (1 + np.exp(-1.3 * (np.log(np.maximum(minutes, 0.1)) - np.log(25))))
        u = rng.random(N)
        device = np.where(u < 1 - p_desktop - 0.15, 0, np.where(u < 1 - p_desktop, 1, 2))
        odd = rng.random(N)
        device = np.where(odd < 0.003, 3, device)  # 'smart_tv' and NULL occur in real clean data
        device_null = (odd >= 0.003) & (odd < 0.018)

        session_rating = np.clip(np.round(1 + 4 * completion / 100 + rng.normal(0, 0.7, N)), 1, 5).astype(np.int64)
        rating_null = rng.random(N) < 0.4
        difficulty_rating = np.clip(diff + 1 + rng.integers(-1, 2, N), 1, 5)
        difficulty_null = rng.random(N) < 0.55

        era = np.minimum(((start - ws) * len(APP_VERSIONS)) // (we - ws), len(APP_VERSIONS) - 1)
        version = np.maximum(era - (rng.random(N) < 0.1), 0)  # some users lag an update behind
        metronome = rng.random(N) < 0.35
        transpose = rng.choice(5, N, p=[0.05, 0.1, 0.7, 0.1, 0.05])
        speed = rng.choice(3, N, p=[0.1, 0.15, 0.75])
        meta_vocab = [json.dumps({"app_version": v, "metronome": m, "transpose": t, "playback_speed": s})
                      for v in APP_VERSIONS for m in (False, True) for t in (-2, -1, 0, 1, 2) for s in (0.75, 0.9, 1.0)]
        meta_code = ((version * 2 + metronome) * 5 + transpose) * 3 + speed

        end_true = start + duration
        updated = np.maximum(np.minimum(end_true + rng.integers(0, 120, N), we - 1), start)
        self.s_start, self.s_duration, self.s_song = start, duration, song  # true values: events and problems
        self.s_counts = np.stack([1 + pauses, pauses, rewinds, forwards, tempo_changes, seeks], axis=1)

        # Faults: one kind each, round-robin over randomly chosen sessions.
        total_duration = duration.copy()
        song_out = song.copy()
        completion_out = completion.copy()
        ended_null = np.zeros(N, dtype=bool)
        device_text = _vocab(DEVICES, device)
        start_text: dict[int, str] = {}
        end_text: dict[int, str] = {}
        n_faulty = round(self.messy * N)
        faulty = rng.choice(N, n_faulty, replace=False) if n_faulty else np.array([], dtype=np.int64)
        for j, row in enumerate(faulty.tolist()):
            kind = SESSION_FAULTS[j % len(SESSION_FAULTS)]
            if kind == "null_ended_at":
                ended_null[row] = True
            elif kind == "negative_duration":
                total_duration[row] = -max(int(duration[row]), 1)
            elif kind == "absurd_duration":
                total_duration[row] = int(rng.integers(2 * DAY + 1, 500_001))
            elif kind == "completion_over_100":
                completion_out[row] = round(float(rng.uniform(100.1, 250.0)), 1)
            elif kind == "mixed_timezone":
                offset = _TZ_OFFSETS[j // len(SESSION_FAULTS) % len(_TZ_OFFSETS)]
                sep = "T" if (j // len(SESSION_FAULTS)) % 2 else " "
                start_text[row] = _offset_notation(int(start[row]), offset, sep)
                end_text[row] = _offset_notation(int(end_true[row]), offset, sep)
            elif kind == "orphan_song":
                song_out[row] = self.n_songs + int(rng.integers(1, 1000))
            elif kind == "device_case":
                name = DEVICES[device[row]] if device[row] < 3 else "mobile"
                variants = (f" {name.capitalize()}", name.upper(), f"{name.capitalize()} ", f"{name.upper()} ")
                device_text[row] = variants[j // len(SESSION_FAULTS) % len(variants)]
                device_null[row] = False
        self.s_song_out = song_out

        self.frames["performance_sessions"] = {
            "id": _Col("int", np.arange(1, N + 1)),
            "user_id": _Col("int", user + 1),
            "song_id": _Col("int", song_out + 1, song_out < 0),
            "setlist_id": _Col("int", setlist, setlist < 0),
            "session_type": _Col("str", _vocab(SESSION_TYPES, stype)),
            "device_type": _Col("str", device_text, device_null),
            "started_at": _Col("tstz", start, None, start_text),
            "ended_at": _Col("tstz", end_true, ended_null, end_text),
            "total_duration": _Col("int", total_duration),
            "active_duration": _Col("int", active),
            "tempo_changes": _Col("int", tempo_changes),
            "pause_count": _Col("int", pauses),
            "rewind_count": _Col("int", rewinds),
            "fast_forward_count": _Col("int", forwards),
            "completion_percentage": _Col("float", completion_out),
            "session_rating": _Col("int", session_rating, rating_null),
            "difficulty_rating": _Col("int", difficulty_rating, difficulty_null),
            "analytics_consent": _Col("bool", self.user_consent[user]),
            "anonymous_data_only": _Col("bool", self.user_anonymous[user]),
            "session_metadata": _Col("json", _vocab(meta_vocab, meta_code)),
            "created_at": _Col("ts", start),
            "updated_at": _Col("ts", updated),
        }

    # ----------------------------------------------------------------------------------------------- events
    def _events(self) -> None:
        rng, N = self.rng, self.N
        counts = self.s_counts
        per_session = counts.sum(axis=1)
        T = int(per_session.sum())
        sess = np.repeat(np.arange(N), per_session)
        etype = np.repeat(np.tile(np.arange(len(EVENT_TYPES)), N), counts.ravel())
        first = np.concatenate([[0], np.cumsum(per_session)[:-1]])[per_session > 0] if N else np.array([], np.int64)
        frac = rng.random(T)
        frac[first] = 0.0  # every session opens with 'play' at its start
        offset = (frac * self.s_duration[sess]).astype(np.int64)  # < duration: inside [started_at, ended_at]
        song = self.s_song[sess]
        song_len = np.where(song >= 0, self.song_duration[np.maximum(song, 0)], 240).astype(np.float64)
        position = np.round(np.mod(offset + rng.random(T) * 5, song_len), 1)
        # Order by (session, second, type, position): one packed int64 key sorts ~5x faster than lexsort.
        tenths = np.rint(position * 10).astype(np.int64)
        radix = (int(offset.max(initial=0)) + 1, len(EVENT_TYPES), int(tenths.max(initial=0)) + 1)
        if N * radix[0] * radix[1] * radix[2] < 2**62:
            order = np.argsort(((sess * radix[0] + offset) * radix[1] + etype) * radix[2] + tenths, kind="stable")
        else:
            order = np.lexsort((position, etype, offset, sess))
        sess, etype, offset, song_len, position = (a[order] for a in (sess, etype, offset, song_len, position))
        # Two events alike in session, type, second and position would pass for a duplicate: keep those
        # to the deliberate ones by nudging the later position (they are adjacent after the sort).
        while T > 1:
            same = ((sess[1:] == sess[:-1]) & (offset[1:] == offset[:-1]) & (etype[1:] == etype[:-1])
                    & (position[1:] == position[:-1]))
            if not same.any():
                break
            position[1:][same] = np.round(position[1:][same] + 0.1, 1)
        section = np.searchsorted(_SECTION_BREAKS, position / song_len, side="right")
        chord = rng.integers(0, len(CHORDS), T)
        chord_null = rng.random(T) < 0.06

        # Payloads from a small per-type vocabulary: a gather instead of millions of json.dumps calls.
        payloads = [
            [json.dumps({"playback_speed": s}) for s in (0.5, 0.75, 0.9, 1.0, 1.0, 1.0, 1.0)],
            [json.dumps({"pause_duration": s}) for s in range(1, 121)],
            [json.dumps({"seconds": s}) for s in (5, 10, 10, 15, 30)],
            [json.dumps({"seconds": s}) for s in (5, 10, 10, 15, 30)],
            [json.dumps({"from_percent": a, "to_percent": b}) for a in range(50, 130, 10) for b in range(50, 130, 10)
             if a != b],
            [json.dumps({"from_position": p}) for p in range(0, 420, 5)],
        ]
        sizes = np.array([len(p) for p in payloads])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        payload = starts[etype] + (rng.random(T) * sizes[etype]).astype(np.int64)

        # Duplicated events (client retries): the copy follows the original with the next id.
        n_dup = round(self.messy * T)
        repeat = np.ones(T, dtype=np.int64)
        if n_dup:
            repeat[rng.choice(T, n_dup, replace=False)] = 2
        take = np.repeat(np.arange(T), repeat)
        sess, etype, offset, position, section, chord, chord_null, payload = (
            a[take] for a in (sess, etype, offset, position, section, chord, chord_null, payload))
        timestamp = self.s_start[sess] + offset
        self.frames["performance_events"] = {
            "id": _Col("int", np.arange(1, take.size + 1)),
            "session_id": _Col("int", sess + 1),
            "event_type": _Col("str", _vocab(EVENT_TYPES, etype)),
            "timestamp": _Col("tstz", timestamp),
            "position_seconds": _Col("float", position),
            "event_data": _Col("json", _vocab([s for p in payloads for s in p], payload)),
            "chord_at_position": _Col("str", _vocab(CHORDS, chord), chord_null),
            "section_name": _Col("str", _vocab(SECTIONS, section)),
            "created_at": _Col("ts", timestamp),
        }

    # ----------------------------------------------------------------------------------------------- problems
    def _problem_sections(self) -> None:
        rng = self.rng
        _, pauses, rewinds, _, tempo_changes, _ = self.s_counts.T
        struggling = (pauses >= 4) | (rewinds >= 3) | (tempo_changes >= 3)
        chosen = np.flatnonzero(struggling & (rng.random(self.N) < 0.7))
        sess = np.repeat(chosen, 1 + (rng.random(chosen.size) < 0.3))
        n = sess.size
        signal = np.stack([pauses[sess] / 4, rewinds[sess] / 3, tempo_changes[sess] / 3], axis=1)
        kind = np.argmax(signal + rng.random((n, 3)) * 0.5, axis=1)
        related = np.stack([pauses[sess], rewinds[sess], tempo_changes[sess]], axis=1)
        event_count = np.maximum(related[np.arange(n), kind], 1)
        severity = np.round(np.clip(1 + 4 * (1 - np.exp(-event_count / 6)) + rng.normal(0, 0.4, n), 1.0, 5.0), 2)
        song = self.s_song[sess]
        song_len = np.where(song >= 0, self.song_duration[np.maximum(song, 0)], 240).astype(np.float64)
        start = np.round(rng.random(n) * (song_len - 30), 1)
        stop = np.round(np.minimum(start + rng.uniform(8, 40, n), song_len), 1)
        tempo = np.where(song >= 0, self.song_tempo[np.maximum(song, 0)], 100)
        song_out = self.s_song_out[sess]  # the session's song_id, orphan included
        self.frames["problem_sections"] = {
            "id": _Col("int", np.arange(1, n + 1)),
            "session_id": _Col("int", sess + 1),
            "song_id": _Col("int", song_out + 1, song_out < 0),
            "start_position": _Col("float", start),
            "end_position": _Col("float", stop),
            "section_name": _Col("str", _vocab(SECTIONS, np.searchsorted(_SECTION_BREAKS, start / song_len, "right"))),
            "problem_type": _Col("str", _vocab(("frequent_pauses", "multiple_rewinds", "tempo_struggles"), kind)),
            "severity_score": _Col("float", severity),
            "event_count": _Col("int", event_count),
            "tempo_bpm": _Col("int", np.round(tempo * rng.uniform(0.75, 1.0, n)).astype(np.int64)),
            "created_at": _Col("ts", self._clamp(self.s_start[sess] + self.s_duration[sess])),
        }

    # ----------------------------------------------------------------------------------------------- goals
    def _goals(self) -> None:
        rng, U = self.rng, self.U
        per_user = (rng.random(U) < 0.45).astype(np.int64) + (rng.random(U) < 0.05)
        owner = np.repeat(np.arange(U), per_user)
        n = owner.size
        earliest = np.maximum(self.user_created[owner], self.ws - 60 * DAY)
        created = self._clamp(earliest + (rng.random(n) * 0.9 * (self.we - earliest)).astype(np.int64))
        kind = rng.choice(4, n, p=[0.4, 0.25, 0.2, 0.15])
        targets = ((300, 600, 900, 1200, 1800, 3000), (10, 20, 30, 50, 100), (70, 75, 80, 85, 90, 95),
                   (3, 5, 8, 10, 15, 20))
        target = np.array([float(targets[k][int(rng.integers(0, len(targets[k])))]) for k in kind.tolist()])
        deadline_day = created // DAY + rng.integers(14, 121, n)
        past = deadline_day < self.end_day
        status = np.where(past, rng.choice(3, n, p=[0.2, 0.5, 0.3]), rng.choice(3, n, p=[0.85, 0.1, 0.05]))
        progress = np.select([status == 1, status == 2], [rng.uniform(1.0, 1.3, n), rng.uniform(0.0, 0.4, n)],
                             rng.uniform(0.05, 0.95, n))
        current = np.round(np.where(kind == 2, np.minimum(target * progress, 100.0), target * progress), 2)
        units = ("minutes", "sessions", "percent", "songs")
        titles = ("Practise {:g} minutes", "Complete {:g} sessions", "Reach {:g}% average completion",
                  "Master {:g} songs")
        goal_types = ("practice_minutes", "sessions_count", "completion_rate", "songs_mastered")
        self.frames["user_goals"] = {
            "id": _Col("int", np.arange(1, n + 1)),
            "user_id": _Col("int", owner + 1),
            "title": _Col("str", [titles[k].format(t) for k, t in zip(kind.tolist(), target.tolist())]),
            "description": _Col("str", _vocab(("Personal goal", "Set with my teacher"), self.is_student[owner] * 1)),
            "goal_type": _Col("str", _vocab(goal_types, kind)),
            "target_value": _Col("float", target),
            "current_value": _Col("float", current),
            "unit": _Col("str", _vocab(units, kind)),
            "deadline": _Col("str", [(_EPOCH + dt.timedelta(days=d)).isoformat() for d in deadline_day.tolist()]),
            "status": _Col("str", _vocab(("active", "completed", "abandoned"), status)),
            "created_at": _Col("ts", created),
            "updated_at": _Col("ts", created + (rng.random(n) * (self.we - 1 - created)).astype(np.int64)),
        }

    # ----------------------------------------------------------------------------------------------- BI tables
    def _reports_and_dashboards(self) -> None:
        rng, we = self.rng, self.we
        edu = [int(e) for e in self.educators.tolist()]
        students = sorted(int(s) + 1 for s in np.flatnonzero(self.is_student)[:10])
        specs = (
            ("student_progress", "monthly", "monthly", {"email": "educator1@example.org"}, "pdf", "active"),
            ("band_collaboration", "weekly", "0 7 * * 1", {"email": "educator2@example.org"}, "html", "active"),
            ("usage_patterns", "weekly", "weekly", {"webhook_url": "http://127.0.0.1:8099/hooks/report"}, "csv",
             "active"),
            ("performance_trends", "monthly", "30 6 1 * *", {"email": "educator1@example.org"}, "pdf", "active"),
            ("comparative_analysis", "quarterly", "monthly", {"webhook_url": "http://127.0.0.1:8099/hooks/report"},
             "html", "paused"),
            ("goal_tracking", "weekly", "daily", {"email": "educator3@example.org"}, "pdf", "active"),
        )
        rep = {k: [] for k in ("user_id", "report_config", "schedule_expression", "delivery_settings", "status",
                               "created_at")}
        for i, (rtype, period, schedule, delivery, fmt, status) in enumerate(specs):
            config = {"report_type": rtype, "period": period}
            if rtype in ("student_progress", "goal_tracking"):
                config["user_ids"] = students
            if rtype == "usage_patterns":
                config["filters"] = {"session_type": "practice"}
            config.update({"include_recommendations": rtype != "usage_patterns", "format": fmt})
            for k, v in zip(rep, (edu[i % len(edu)] + 1, json.dumps(config), schedule, json.dumps(delivery), status,
                                  we - int(rng.integers(7 * DAY, 60 * DAY)))):
                rep[k].append(v)
        never = np.ones(len(specs), dtype=bool)  # never run yet: the scheduler sensor fills these in
        self.frames["scheduled_reports"] = {
            "id": _Col("int", np.arange(1, len(specs) + 1)),
            **{k: _Col("json" if k in ("report_config", "delivery_settings") else "str", v)
               for k, v in rep.items() if k not in ("user_id", "created_at")},
            "user_id": _Col("int", rep["user_id"]),
            "last_run": _Col("ts", np.array(rep["created_at"], dtype=np.int64), never),
            "next_run": _Col("ts", np.array(rep["created_at"], dtype=np.int64), never),
            "created_at": _Col("ts", np.array(rep["created_at"], dtype=np.int64)),
        }

        def widget(wtype, title, source, chart, fields, span="last_30_days"):
            return {"type": wtype, "title": title, "data_source": source,
                    "config": {"chart_type": chart, "data_fields": fields, "time_range": {"relative": span}}}

        boards = (
            ("Student Progress Dashboard", "Track individual student improvement", False, students[:2], [
                widget("chart", "Completion Rate Trends", "performance_sessions", "line", ["completion_percentage"]),
                widget("kpi", "Active Students", "performance_sessions", "kpi", ["user_id"], "last_7_days")]),
            ("Band Activity", "Gigs, rehearsals and ratings per band", True, [], [
                widget("chart", "Ratings by Performance", "setlist_performances", "bar", ["overall_rating"],
                       "last_90_days"),
                widget("table", "Recent Performances", "setlist_performances", "table",
                       ["performance_date", "venue", "audience_engagement"], "last_90_days")]),
            ("Usage Patterns", "When and on which devices students practise", False, students[:3], [
                widget("chart", "Sessions by Hour", "performance_sessions", "bar", ["started_at"]),
                widget("chart", "Device Mix", "performance_sessions", "pie", ["device_type"])]),
            ("Goal Tracker", "Progress towards practice goals", True, [], [
                widget("table", "Goals", "user_goals", "table",
                       ["goal_type", "target_value", "current_value", "status"], "last_90_days")]),
        )
        n = len(boards)
        created = we - rng.integers(10, 90, n) * DAY
        self.frames["custom_dashboards"] = {
            "id": _Col("int", np.arange(1, n + 1)),
            "user_id": _Col("int", [edu[i % len(edu)] + 1 for i in range(n)]),
            "name": _Col("str", [b[0] for b in boards]),
            "description": _Col("str", [b[1] for b in boards]),
            "layout_config": _Col("json", [json.dumps({"columns": 12, "rows": "auto"})] * n),
            "widget_config": _Col("json", [json.dumps(b[4]) for b in boards]),
            "sharing_config": _Col("json", [json.dumps({"is_public": b[2], "shared_with_users": b[3]})
                                            for b in boards]),
            "status": _Col("str", ["active"] * n),
            "created_at": _Col("ts", created),
            "updated_at": _Col("ts", created + rng.integers(0, 5, n) * DAY),
        }
