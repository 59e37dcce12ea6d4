"""Great Expectations suites for the raw tables and the marts, as plain data (no GX import here).

Each suite validates two frames, both bounded whatever the table size:
- a deterministic sample of the rows (``USING SAMPLE reservoir`` with a fixed seed) for row-level rules
  (ranges, enums, not-null, ordering of two timestamps); GX reports unexpected counts and examples;
- one row of exact SQL counts over the whole table for what a sample cannot prove (key uniqueness,
  references, reconciliation with raw, sums that must survive aggregation, freshness). Each count has an
  allowed [min, max] (default [0, 0]: "no violating row").

Raw suites describe the source's health (bad raw rows are expected and quarantined): they warn. Mart suites
guard what reports read: they block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SAMPLE_ROWS = 50_000
SAMPLE_SEED = 42
MAX_LOAD_AGE_HOURS = 48  # the warehouse job runs daily; two missed runs is stale
MAX_ACTIVITY_AGE_DAYS = 30  # no session for a month on the whole platform means the feed stopped
MAX_SESSION_SECONDS = 86_400  # dbt var max_session_seconds


@dataclass(frozen=True)
class Expectation:
    """One GX 1.x expectation: class name in ``great_expectations.expectations`` and its arguments."""

    kind: str
    kwargs: dict

    @property
    def label(self) -> str:
        target = self.kwargs.get("column") or "/".join(
            str(self.kwargs[k]) for k in ("column_A", "column_B") if k in self.kwargs
        ) or "table"
        return f"{self.kind}({target})"


@dataclass(frozen=True)
class Stat:
    """An exact count over the whole relation, with its allowed range (inclusive)."""

    sql: str
    min_value: float | None = 0
    max_value: float | None = 0


@dataclass(frozen=True)
class Suite:
    name: str  # also the Dagster check name and the folder of the kept results
    layer: str  # raw | marts
    table: str
    columns: tuple[str, ...]  # required columns; the sample reads these
    expectations: tuple[Expectation, ...] = ()
    stats: dict[str, Stat] = field(default_factory=dict)

    @property
    def relation(self) -> str:
        return f'{self.layer}."{self.table}"'

    @property
    def blocking(self) -> bool:
        return self.layer != "raw"


def not_null(*columns: str) -> list[Expectation]:
    return [Expectation("ExpectColumnValuesToNotBeNull", {"column": c}) for c in columns]


def between(column: str, min_value=None, max_value=None, mostly: float | None = None) -> Expectation:
    kwargs = {"column": column, "min_value": min_value, "max_value": max_value}
    if mostly is not None:
        kwargs["mostly"] = mostly
    return Expectation("ExpectColumnValuesToBeBetween", kwargs)


def in_set(column: str, values, mostly: float | None = None) -> Expectation:
    kwargs = {"column": column, "value_set": list(values)}
    if mostly is not None:
        kwargs["mostly"] = mostly
    return Expectation("ExpectColumnValuesToBeInSet", kwargs)


def not_before(later: str, earlier: str) -> Expectation:
    return Expectation("ExpectColumnPairValuesAToBeGreaterThanB", {
        "column_A": later, "column_B": earlier, "or_equal": True, "ignore_row_if": "either_value_is_missing"})


def columns_present(columns) -> Expectation:
    return Expectation("ExpectTableColumnsToMatchSet", {"column_set": list(columns), "exact_match": False})


def duplicates(relation: str, key: str) -> Stat:
    return Stat(f"(SELECT count(*) - count(DISTINCT {key}) FROM {relation})")


def nulls(relation: str, column: str) -> Stat:
    return Stat(f"(SELECT count(*) FROM {relation} WHERE {column} IS NULL)")


def orphans(relation: str, column: str, parent: str, parent_key: str = "id") -> Stat:
    return Stat(f"(SELECT count(*) FROM {relation} AS c WHERE c.{column} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE p.{parent_key} = c.{column}))")


def unreconciled(raw_table: str, accepted: str, quarantined: str) -> Stat:
    """|raw - accepted - quarantined|: nothing lost, nothing invented."""
    return Stat(f"(SELECT abs((SELECT count(*) FROM raw.{raw_table}) - (SELECT count(*) FROM {accepted})"
                f" - (SELECT count(*) FROM {quarantined})))")


def sums_differ(a_relation: str, a_expr: str, b_relation: str, b_expr: str) -> Stat:
    return Stat(f"(SELECT abs(coalesce((SELECT sum({a_expr}) FROM {a_relation}), 0)"
                f" - coalesce((SELECT sum({b_expr}) FROM {b_relation}), 0)))")


def load_age_hours(relation: str) -> Stat:
    """Hours since the newest load; ``{now}`` is filled in at run time (tests pin it)."""
    return Stat(f"(SELECT coalesce(date_diff('minute', max(_loaded_at), {{now}}) / 60.0, 1e9) FROM {relation})",
                None, MAX_LOAD_AGE_HOURS)


def activity_age_days(relation: str, date_column: str) -> Stat:
    return Stat(f"(SELECT coalesce(date_diff('day', max({date_column}), CAST({{now}} AS DATE)), 1e9) FROM {relation})",
                None, MAX_ACTIVITY_AGE_DAYS)


# ------------------------------------------------------------------------------------------------ raw
def _raw(table: str, columns: tuple[str, ...], expectations: list[Expectation], stats: dict[str, Stat],
         key: str = "id") -> Suite:
    relation = f'raw."{table}"'
    base = {"duplicate_keys": duplicates(relation, key), "null_keys": nulls(relation, key)}
    return Suite(f"raw_{table}", "raw", table, columns,
                 tuple([columns_present(columns), *not_null(key), *expectations]), {**base, **stats})


SESSION_TYPES = ("practice", "performance", "rehearsal")
DEVICE_TYPES = ("mobile", "tablet", "desktop")
EVENT_TYPES = ("pause", "play", "rewind", "fast_forward", "tempo_change", "seek")
DIFFICULTIES = ("beginner", "intermediate", "advanced", "expert")
ENGAGEMENT = ("excellent", "good", "fair", "poor")
GOAL_TYPES = ("practice_minutes", "sessions_count", "completion_rate", "songs_mastered")
GOAL_STATUSES = ("active", "completed", "abandoned")

RAW_SUITES: tuple[Suite, ...] = (
    _raw("performance_sessions",
         ("id", "user_id", "song_id", "setlist_id", "session_type", "device_type", "started_at", "ended_at",
          "total_duration", "active_duration", "completion_percentage", "session_rating", "difficulty_rating",
          "analytics_consent", "anonymous_data_only"),
         [*not_null("user_id", "session_type", "started_at"),
          between("completion_percentage", 0, 100),
          between("total_duration", 0, MAX_SESSION_SECONDS - 1),
          between("active_duration", 0, MAX_SESSION_SECONDS - 1),
          between("session_rating", 1, 5), between("difficulty_rating", 1, 5),
          in_set("session_type", SESSION_TYPES),
          # the app writes device_type in any case and sometimes other devices: a few are expected
          in_set("device_type", DEVICE_TYPES, mostly=0.95),
          not_before("ended_at", "started_at")],
         # Activity freshness says the app stopped sending, not that the marts are wrong: it warns here
         # rather than blocking reports (the marts' own freshness is their load time).
         {"days_since_last_session": activity_age_days('raw."performance_sessions"', "CAST(started_at AS DATE)"),
          "orphan_users": orphans('raw."performance_sessions"', "user_id", "raw.users"),
          "orphan_songs": orphans('raw."performance_sessions"', "song_id", "raw.songs"),
          "orphan_setlists": orphans('raw."performance_sessions"', "setlist_id", "raw.setlists")}),
    _raw("performance_events",
         ("id", "session_id", "event_type", "timestamp", "position_seconds"),
         [*not_null("session_id", "timestamp"), in_set("event_type", EVENT_TYPES), between("position_seconds", 0)],
         {"orphan_sessions": orphans('raw."performance_events"', "session_id", "raw.performance_sessions"),
          "duplicated_events": Stat('(SELECT count(*) - count(DISTINCT (session_id, event_type, "timestamp", '
                                    'position_seconds)) FROM raw."performance_events")')}),
    # email and display_name are deliberately not sampled: GX results list unexpected values, and personal
    # data must not leave raw. Their health is checked by exact counts only.
    _raw("users", ("id", "created_at", "updated_at"),
         [not_before("updated_at", "created_at")],
         {"duplicate_emails": Stat("(SELECT count(email) - count(DISTINCT lower(email)) FROM raw.users)"),
          "missing_emails": nulls("raw.users", "email")}),
    _raw("songs", ("id", "user_id", "tempo", "difficulty", "duration", "is_deleted"),
         [*not_null("user_id"), between("tempo", 20, 400), between("duration", 0),
          in_set("difficulty", DIFFICULTIES)],
         {"orphan_owners": orphans("raw.songs", "user_id", "raw.users")}),
    _raw("setlist_performances",
         ("id", "setlist_id", "performed_by", "performance_date", "audience_size", "total_duration",
          "songs_performed", "songs_skipped", "overall_rating", "technical_rating", "audience_engagement"),
         [*not_null("setlist_id", "performance_date"), between("overall_rating", 1, 5),
          between("technical_rating", 1, 5), between("total_duration", 0, 24 * 60), between("audience_size", 0),
          between("songs_performed", 0), between("songs_skipped", 0), in_set("audience_engagement", ENGAGEMENT)],
         {"orphan_setlists": orphans("raw.setlist_performances", "setlist_id", "raw.setlists"),
          "orphan_performers": orphans("raw.setlist_performances", "performed_by", "raw.users")}),
    _raw("user_goals",
         ("id", "user_id", "goal_type", "target_value", "current_value", "status", "deadline", "created_at"),
         [*not_null("user_id", "goal_type", "target_value"), in_set("goal_type", GOAL_TYPES),
          in_set("status", GOAL_STATUSES), between("target_value", 0, None), between("current_value", 0, None)],
         {"orphan_users": orphans("raw.user_goals", "user_id", "raw.users"),
          "non_positive_targets": Stat("(SELECT count(*) FROM raw.user_goals WHERE target_value <= 0)")}),
)

# ------------------------------------------------------------------------------------------------ marts
FCT = "marts.fct_sessions"
MART_SUITES: tuple[Suite, ...] = (
    Suite("marts_fct_sessions", "marts", "fct_sessions",
          ("session_id", "user_id", "user_key", "is_pseudonymous", "session_type", "device_type", "started_at",
           "ended_at", "session_date", "total_duration_seconds", "active_duration_seconds",
           "completion_percentage", "session_rating", "difficulty_rating"),
          (columns_present(("session_id", "user_key", "session_date", "total_duration_seconds")),
           *not_null("session_id", "user_key", "session_type", "started_at", "session_date", "total_duration_seconds"),
           between("completion_percentage", 0, 100), between("total_duration_seconds", 0, MAX_SESSION_SECONDS),
           between("active_duration_seconds", 0, MAX_SESSION_SECONDS),
           between("session_rating", 1, 5), between("difficulty_rating", 1, 5),
           in_set("session_type", SESSION_TYPES), in_set("device_type", (*DEVICE_TYPES, "other", "unknown")),
           not_before("ended_at", "started_at")),
          {"duplicate_keys": duplicates(FCT, "session_id"),
           "unreconciled_rows": unreconciled("performance_sessions", FCT, "quarantine.quarantine_performance_sessions"),
           # a pseudonymous session must not carry its user id (privacy)
           "pseudonymous_with_user_id": Stat(f"(SELECT count(*) FROM {FCT} WHERE is_pseudonymous AND user_id IS NOT NULL)"),
           "hours_since_load": load_age_hours(FCT)}),
    Suite("marts_agg_student_daily", "marts", "agg_student_daily",
          ("activity_date", "user_key", "sessions", "practice_seconds", "mean_completion"),
          (*not_null("activity_date", "user_key", "sessions", "practice_seconds"),
           between("sessions", 1), between("practice_seconds", 0), between("mean_completion", 0, 100)),
          {"duplicate_keys": duplicates("marts.agg_student_daily", "(activity_date, user_key)"),
           "sessions_differ_from_fct": sums_differ("marts.agg_student_daily", "sessions", FCT, "1"),
           "seconds_differ_from_fct": sums_differ("marts.agg_student_daily", "practice_seconds", FCT,
                                                  "total_duration_seconds")}),
    Suite("marts_agg_platform_daily", "marts", "agg_platform_daily",
          ("activity_date", "sessions", "active_users", "practice_seconds", "mean_completion"),
          (*not_null("activity_date", "sessions", "active_users"), between("sessions", 1), between("active_users", 1),
           between("mean_completion", 0, 100)),
          {"duplicate_keys": duplicates("marts.agg_platform_daily", "activity_date"),
           "sessions_differ_from_fct": sums_differ("marts.agg_platform_daily", "sessions", FCT, "1"),
           "seconds_differ_from_fct": sums_differ("marts.agg_platform_daily", "practice_seconds", FCT,
                                                  "total_duration_seconds")}),
    Suite("marts_fct_goal_progress", "marts", "fct_goal_progress",
          ("goal_id", "user_id", "user_key", "goal_type", "target_value", "current_value", "pct_of_target", "status"),
          (*not_null("goal_id", "user_key", "goal_type", "target_value"), in_set("goal_type", GOAL_TYPES),
           in_set("status", GOAL_STATUSES), between("target_value", 0, None), between("current_value", 0),
           between("pct_of_target", 0)),
          {"duplicate_keys": duplicates("marts.fct_goal_progress", "goal_id"),
           "unreconciled_rows": unreconciled("user_goals", "marts.fct_goal_progress", "quarantine.quarantine_user_goals")}),
    Suite("marts_agg_band_performances", "marts", "agg_band_performances",
          ("band_id", "performance_id", "performance_date", "overall_rating", "technical_rating", "member_count",
           "audience_engagement", "rehearsal_sessions_in_window", "members_practised_in_window"),
          (*not_null("band_id", "performance_id", "performance_date"), between("overall_rating", 1, 5),
           between("technical_rating", 1, 5), between("member_count", 0), between("rehearsal_sessions_in_window", 0),
           between("members_practised_in_window", 0), in_set("audience_engagement", ENGAGEMENT)),
          {"duplicate_keys": duplicates("marts.agg_band_performances", "performance_id"),
           "performances_not_in_fct": orphans("marts.agg_band_performances", "performance_id",
                                              "marts.fct_setlist_performances", "performance_id")}),
)

ALL_SUITES: tuple[Suite, ...] = RAW_SUITES + MART_SUITES


def suite_named(name: str) -> Suite:
    for suite in ALL_SUITES:
        if suite.name == name:
            return suite
    raise KeyError(f"no quality suite named {name!r}; known: {', '.join(s.name for s in ALL_SUITES)}")
