"""The whitelist: which dashboard data sources exist, which mart each reads, and which fields it exposes.

Dashboard SQL is built only from the identifiers written here (never from the widget's text), and every
value (dates, filter values) is a bound parameter. The marts carry no emails or names; a user appears only
as ``user_key`` (the pseudonym), so asking for ``user_id`` gives ``user_key``: pseudonymous sessions have no
id, and a dashboard shared with other users must not show ids anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldKind = Literal["measure", "dimension", "date", "timestamp", "user"]
AGGREGATIONS = ("avg", "sum", "min", "max")


@dataclass(frozen=True)
class Field:
    kind: FieldKind
    column: str  # a column of the source table (or, for a fixed measure, unused)
    agg: str = "avg"  # measures: the default aggregation
    fixed_sql: str | None = None  # measures that must be computed one way (e.g. a weighted mean)
    label: str | None = None


@dataclass(frozen=True)
class Source:
    name: str
    table: str  # schema.table in the warehouse
    date_column: str  # what a widget's time range filters on
    count_sql: str  # "how many" for this grain (rows, or a summed counter on pre-aggregated marts)
    count_label: str
    fields: dict[str, Field]
    # Goals last a while: one is "in" a range when it was live during it, not only when created in it.
    live_until_column: str | None = None
    description: str = ""
    aliases: tuple[str, ...] = field(default=())

    def window_sql(self) -> str:
        """Predicate with two ``?`` parameters (start, end): rows of the half-open range [start, end)."""
        if self.live_until_column:
            return (f'"{self.date_column}" < ? AND ("{self.live_until_column}" IS NULL '
                    f'OR "{self.live_until_column}" >= ?)')
        return f'"{self.date_column}" >= ? AND "{self.date_column}" < ?'

    def window_params(self, start, end) -> list:
        return [end, start] if self.live_until_column else [start, end]


def _m(column: str, agg: str = "avg", label: str | None = None) -> Field:
    return Field("measure", column, agg, label=label)


def _d(column: str) -> Field:
    return Field("dimension", column)


_USER = {"user_id": Field("user", "user_key"), "user_key": Field("user", "user_key")}

SOURCES: dict[str, Source] = {}


def _register(source: Source) -> None:
    for name in (source.name, *source.aliases):
        SOURCES[name] = source


_register(Source(
    name="performance_sessions",
    aliases=("sessions",),
    table="marts.fct_sessions",
    date_column="session_date",
    count_sql="count(*)",
    count_label="sessions",
    description="one valid practice, rehearsal or performance session",
    fields={
        "completion_percentage": _m("completion_percentage", "avg", "mean completion %"),
        "total_duration_seconds": _m("total_duration_seconds", "sum"),
        "active_duration_seconds": _m("active_duration_seconds", "sum"),
        "practice_minutes": Field("measure", "total_duration_seconds", "sum",
                                  fixed_sql='sum("total_duration_seconds") / 60.0', label="practice minutes"),
        "session_rating": _m("session_rating", "avg"),
        "difficulty_rating": _m("difficulty_rating", "avg"),
        "pause_count": _m("pause_count", "sum"),
        "rewind_count": _m("rewind_count", "sum"),
        "tempo_changes": _m("tempo_changes", "sum"),
        "fast_forward_count": _m("fast_forward_count", "sum"),
        "device_type": _d("device_type"),
        "session_type": _d("session_type"),
        "duration_bucket": _d("duration_bucket"),
        "session_hour": _d("session_hour"),
        "day_of_week": _d("day_of_week"),
        "song_id": _d("song_id"),
        "session_date": Field("date", "session_date"),
        "started_at": Field("timestamp", "started_at"),
        **_USER,
    },
))

_register(Source(
    name="problem_sections",
    table="marts.fct_problem_sections",
    date_column="session_date",
    count_sql="count(*)",
    count_label="problem sections",
    description="one spot where a player struggled",
    fields={
        "severity_score": _m("severity_score", "avg"),
        "event_count": _m("event_count", "sum"),
        "tempo_bpm": _m("tempo_bpm", "avg"),
        "problem_type": _d("problem_type"),
        "section_name": _d("section_name"),
        "song_id": _d("song_id"),
        "session_date": Field("date", "session_date"),
        "started_at": Field("timestamp", "session_started_at"),
        **_USER,
    },
))

_register(Source(
    name="goals",
    aliases=("user_goals",),
    table="marts.fct_goal_progress",
    date_column="created_date",
    live_until_column="deadline",
    count_sql="count(*)",
    count_label="goals",
    description="one goal, live from its creation to its deadline, progress recomputed from sessions",
    fields={
        "target_value": _m("target_value", "avg"),
        "current_value": _m("current_value", "avg"),
        "pct_of_target": _m("pct_of_target", "avg", "% of target"),
        "sessions_counted": _m("sessions_counted", "sum"),
        "goal_type": _d("goal_type"),
        "status": _d("status"),
        "unit": _d("unit"),
        "created_date": Field("date", "created_date"),
        "deadline": Field("date", "deadline"),
        **_USER,
    },
))

_register(Source(
    name="band_performances",
    aliases=("setlist_performances",),
    table="marts.agg_band_performances",
    date_column="performance_date",
    count_sql="count(*)",
    count_label="performances",
    description="one gig or rehearsal of a band (a setlist with collaborators)",
    fields={
        "overall_rating": _m("overall_rating", "avg"),
        "technical_rating": _m("technical_rating", "avg"),
        "mean_song_rating": _m("mean_song_rating", "avg"),
        "team_coordination": _m("team_coordination", "avg"),
        "audience_size": _m("audience_size", "avg"),
        "total_duration_minutes": _m("total_duration_minutes", "sum"),
        "songs_performed": _m("songs_performed", "sum"),
        "songs_skipped": _m("songs_skipped", "sum"),
        "rehearsals_before": _m("rehearsals_before", "avg"),
        "members_practised_in_window": _m("members_practised_in_window", "avg"),
        "member_count": _m("member_count", "avg"),
        "band_id": _d("band_id"),
        "venue": _d("venue"),
        "event_type": _d("event_type"),
        "audience_engagement": _d("audience_engagement"),
        "is_rehearsal": _d("is_rehearsal"),
        "performance_date": Field("date", "performance_date"),
        "performed_at": Field("timestamp", "performed_at"),
    },
))

_WEIGHTED_COMPLETION = Field("measure", "completion_sum", "avg", label="mean completion %",
                             fixed_sql='sum("completion_sum") / nullif(sum("sessions"), 0)')

_register(Source(
    name="usage",
    table="marts.agg_usage_hourly",
    date_column="activity_date",
    count_sql='sum("sessions")',
    count_label="sessions",
    description="sessions per UTC day x hour x device",
    fields={
        "sessions": _m("sessions", "sum"),
        "practice_seconds": _m("practice_seconds", "sum"),
        "short_sessions": _m("short_sessions", "sum"),
        "medium_sessions": _m("medium_sessions", "sum"),
        "long_sessions": _m("long_sessions", "sum"),
        "mean_completion": _WEIGHTED_COMPLETION,
        "session_hour": _d("session_hour"),
        "day_of_week": _d("day_of_week"),
        "device_type": _d("device_type"),
        "activity_date": Field("date", "activity_date"),
    },
))

_register(Source(
    name="platform_daily",
    table="marts.agg_platform_daily",
    date_column="activity_date",
    count_sql='sum("sessions")',
    count_label="sessions",
    description="one row per UTC day",
    fields={
        "sessions": _m("sessions", "sum"),
        # distinct users per day: summing days would count a user once per day, so the mean is the default
        "active_users": _m("active_users", "avg", "mean daily active users"),
        "new_users": _m("new_users", "sum"),
        "practice_seconds": _m("practice_seconds", "sum"),
        "events": _m("events", "sum"),
        "problem_sections": _m("problem_sections", "sum"),
        "performances": _m("performances", "sum"),
        "mean_completion": _WEIGHTED_COMPLETION,
        "activity_date": Field("date", "activity_date"),
    },
))

_register(Source(
    name="events",
    table="marts.agg_events_daily",
    date_column="activity_date",
    count_sql='sum("events")',
    count_label="events",
    description="player events per UTC day x event type",
    fields={
        "events": _m("events", "sum"),
        "event_type": _d("event_type"),
        "activity_date": Field("date", "activity_date"),
    },
))


def source_names() -> list[str]:
    return sorted(SOURCES)


class UnknownName(ValueError):
    """A data source or field that is not on the whitelist; the message names it and the valid ones."""


def get_source(name: str) -> Source:
    try:
        return SOURCES[name]
    except (KeyError, TypeError):
        raise UnknownName(f"unknown data_source {name!r}; valid: {', '.join(source_names())}") from None


def get_field(source: Source, name: str, source_name: str | None = None) -> Field:
    try:
        return source.fields[name]
    except (KeyError, TypeError):
        raise UnknownName(
            f"unknown field {name!r} for data_source {source_name or source.name!r}; "
            f"valid: {', '.join(sorted(source.fields))}"
        ) from None
