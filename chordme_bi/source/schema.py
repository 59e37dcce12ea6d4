"""The ChordMe source contract (../shared/SOURCE_SCHEMA.md) as SQLAlchemy Core tables.

Used to create demo/test sources on any dialect and to tell the extractor which columns to read and how
each one lands in DuckDB; how each table is read incrementally is in :mod:`chordme_bi.source.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

metadata = MetaData()


def _id() -> Column:
    return Column("id", Integer, primary_key=True, autoincrement=False)


def _ts(name: str, nullable: bool = True, tz: bool = False) -> Column:
    # updated_at is indexed: the extractor reads the rows past its updated_at high-water mark, and without
    # the index each incremental run scans the whole table (3-4 s for 10M sessions in SQLite).
    return Column(name, DateTime(timezone=tz), nullable=nullable, index=name == "updated_at")


users = Table(
    "users", metadata, _id(),
    Column("email", String(255), nullable=False, unique=True),
    Column("display_name", String(255)),
    Column("analytics_privacy_settings", JSON),
    _ts("created_at"), _ts("updated_at"),
)

songs = Table(
    "songs", metadata, _id(),
    Column("user_id", Integer, nullable=False),
    Column("title", String(255)), Column("artist", String(255)), Column("genre", String(100)),
    Column("song_key", String(10)), Column("tempo", Integer), Column("time_signature", String(10)),
    Column("difficulty", String(20)), Column("duration", Integer),
    Column("is_deleted", Boolean, default=False),
    _ts("created_at"), _ts("updated_at"),
)

setlists = Table(
    "setlists", metadata, _id(),
    Column("user_id", Integer, nullable=False), Column("name", String(255)),
    Column("event_type", String(50)), Column("status", String(20)),
    Column("is_deleted", Boolean, default=False),
    _ts("created_at"), _ts("updated_at"),
)

setlist_songs = Table(
    "setlist_songs", metadata, _id(),
    Column("setlist_id", Integer, nullable=False), Column("song_id", Integer, nullable=False),
    Column("sort_order", Integer), Column("section", String(100)), Column("estimated_duration", Integer),
)

setlist_collaborators = Table(
    "setlist_collaborators", metadata, _id(),
    Column("setlist_id", Integer, nullable=False), Column("user_id", Integer, nullable=False),
    Column("band_role", String(50)), Column("instrument", String(50)), Column("permission_level", String(20)),
)

collaboration_rooms = Table(
    "collaboration_rooms", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(255)), Column("room_type", String(20)),
    Column("creator_id", Integer, nullable=False), Column("status", String(20)),
    _ts("created_at"),
)

room_participants = Table(
    "room_participants", metadata, _id(),
    Column("room_id", String(36), nullable=False), Column("user_id", Integer, nullable=False),
    Column("role", String(20)), Column("status", String(20)), _ts("joined_at"),
)

performance_sessions = Table(
    "performance_sessions", metadata, _id(),
    Column("user_id", Integer, nullable=False), Column("song_id", Integer), Column("setlist_id", Integer),
    Column("session_type", String(50), nullable=False), Column("device_type", String(50)),
    _ts("started_at", nullable=False, tz=True), _ts("ended_at", tz=True),
    Column("total_duration", Integer), Column("active_duration", Integer),
    Column("tempo_changes", Integer, default=0), Column("pause_count", Integer, default=0),
    Column("rewind_count", Integer, default=0), Column("fast_forward_count", Integer, default=0),
    Column("completion_percentage", Float, default=0.0),
    Column("session_rating", Integer), Column("difficulty_rating", Integer),
    Column("analytics_consent", Boolean, default=False), Column("anonymous_data_only", Boolean, default=True),
    Column("session_metadata", JSON),
    _ts("created_at"), _ts("updated_at"),
)

performance_events = Table(
    "performance_events", metadata, _id(),
    Column("session_id", Integer, nullable=False), Column("event_type", String(50)),
    _ts("timestamp", nullable=False, tz=True), Column("position_seconds", Float),
    Column("event_data", JSON), Column("chord_at_position", String(20)), Column("section_name", String(100)),
    _ts("created_at"),
)

problem_sections = Table(
    "problem_sections", metadata, _id(),
    Column("session_id", Integer, nullable=False), Column("song_id", Integer),
    Column("start_position", Float), Column("end_position", Float), Column("section_name", String(100)),
    Column("problem_type", String(50)), Column("severity_score", Float), Column("event_count", Integer),
    Column("tempo_bpm", Integer), _ts("created_at"),
)

setlist_performances = Table(
    "setlist_performances", metadata, _id(),
    Column("setlist_id", Integer, nullable=False), Column("performed_by", Integer),
    _ts("performance_date", nullable=False, tz=True), Column("venue", String(255)),
    Column("event_type", String(50)), Column("audience_size", Integer),
    Column("total_duration", Integer), Column("songs_performed", Integer), Column("songs_skipped", Integer),
    Column("overall_rating", Integer), Column("technical_rating", Integer),
    Column("audience_engagement", String(20)), Column("team_members", JSON), _ts("created_at"),
)

setlist_performance_songs = Table(
    "setlist_performance_songs", metadata, _id(),
    Column("performance_id", Integer, nullable=False), Column("setlist_song_id", Integer),
    Column("actual_order", Integer), Column("was_performed", Boolean), Column("actual_tempo", Integer),
    Column("actual_duration", Integer), Column("performance_rating", Integer),
    Column("audience_response", String(20)),
)

scheduled_reports = Table(
    "scheduled_reports", metadata, _id(),
    Column("user_id", Integer, nullable=False), Column("report_config", JSON, nullable=False),
    Column("schedule_expression", String(100), nullable=False), Column("delivery_settings", JSON),
    Column("status", String(20), default="active"), _ts("last_run"), _ts("next_run"), _ts("created_at"),
)

custom_dashboards = Table(
    "custom_dashboards", metadata, _id(),
    Column("user_id", Integer, nullable=False), Column("name", String(255), nullable=False),
    Column("description", Text), Column("layout_config", JSON, nullable=False),
    Column("widget_config", JSON, nullable=False), Column("sharing_config", JSON),
    Column("status", String(20), default="active"), _ts("created_at"), _ts("updated_at"),
)

user_goals = Table(
    "user_goals", metadata, _id(),
    Column("user_id", Integer, nullable=False), Column("title", String(255), nullable=False),
    Column("description", Text), Column("goal_type", String(50), nullable=False),
    Column("target_value", Numeric(10, 2), nullable=False), Column("current_value", Numeric(10, 2), default=0),
    Column("unit", String(20)), Column("deadline", Date), Column("status", String(20), default="active"),
    _ts("created_at"), _ts("updated_at"),
)
