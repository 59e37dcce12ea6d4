"""The source tables and how each is read incrementally. No dependencies, so Dagster can name the raw assets
without importing SQLAlchemy (the columns are in :mod:`chordme_bi.source.schema`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractSpec:
    """How one source table is read into ``raw``.

    cursor: the high-water-mark column. ``updated_at`` catches edits; ``id`` suits append-only facts;
    None means the table is small and has no change column, so it is re-read whole and only rows that
    differ from raw are written.
    """

    table: str
    primary_key: str = "id"
    cursor: str | None = None


EXTRACT_SPECS: tuple[ExtractSpec, ...] = (
    ExtractSpec("users", cursor="updated_at"),
    ExtractSpec("songs", cursor="updated_at"),
    ExtractSpec("setlists", cursor="updated_at"),
    ExtractSpec("setlist_songs"),
    ExtractSpec("setlist_collaborators"),
    ExtractSpec("collaboration_rooms"),
    ExtractSpec("room_participants"),
    ExtractSpec("performance_sessions", cursor="updated_at"),
    ExtractSpec("performance_events", cursor="id"),
    ExtractSpec("problem_sections", cursor="id"),
    ExtractSpec("setlist_performances", cursor="id"),
    ExtractSpec("setlist_performance_songs", cursor="id"),
    ExtractSpec("scheduled_reports"),
    ExtractSpec("custom_dashboards", cursor="updated_at"),
    ExtractSpec("user_goals", cursor="updated_at"),
)

SOURCE_TABLES: tuple[str, ...] = tuple(spec.table for spec in EXTRACT_SPECS)
