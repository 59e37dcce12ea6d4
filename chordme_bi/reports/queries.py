"""SQL over the marts for one window [start, end), returning small DataFrames the report functions take.

Every query aggregates in DuckDB (grain: user, hour x weekday x device, day, band...), so what comes back is
bounded by the number of users/bands/days, never by the number of sessions. Membership of a session in a
window is by ``fct_sessions.session_date`` (UTC date of started_at).

A :class:`Scope` is the resolved filter: ``user_ids`` None means everyone (pseudonymous sessions included in
platform totals); a list (possibly empty) restricts every session query to those users' attributable sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

# Listing valid values in an error message: enough to be useful, bounded for a big warehouse.
_MAX_LISTED = 20
# Completion percentages are summed as exact decimals at 3 places, as the marts sum them (dbt macro
# exact_percentage_sum): a sum of doubles changes in its last bits with the order DuckDB adds the rows in, and a
# mean on a rounding tie came out 65.78 after one build of the warehouse and 65.79 after another.
_PERCENT = "completion_percentage::DECIMAL(9, 3)"


@dataclass(frozen=True)
class Scope:
    user_ids: tuple[int, ...] | None = None  # None: no user filter
    band_id: int | None = None
    class_id: str | None = None

    @property
    def filtered(self) -> bool:
        return self.user_ids is not None


def _listing(values: list) -> str:
    shown = ", ".join(str(v) for v in values[:_MAX_LISTED])
    return shown + (f", ... ({len(values)} in all)" if len(values) > _MAX_LISTED else "") if values else "(none)"


def resolve_scope(con: duckdb.DuckDBPyConnection, user_ids: list[int] | None, class_id: str | None,
                  band_id: int | None) -> Scope:
    """Turn the config's filters into one set of user ids (their intersection). Unknown class or band ids are
    an error that lists the valid ones."""
    users: set[int] | None = set(int(u) for u in user_ids) if user_ids else None
    if class_id is not None:
        classes = [r[0] for r in con.execute("SELECT DISTINCT class_id FROM marts.bridge_class_students ORDER BY 1").fetchall()]
        if class_id not in classes:
            raise ValueError(f"unknown class_id {class_id!r}; valid: {_listing(classes)}")
        students = {r[0] for r in con.execute(
            "SELECT DISTINCT student_user_id FROM marts.bridge_class_students WHERE class_id = ?", [class_id]).fetchall()}
        users = students if users is None else users & students
    if band_id is not None:
        bands = [r[0] for r in con.execute("SELECT band_id FROM marts.dim_bands ORDER BY 1").fetchall()]
        if band_id not in bands:
            raise ValueError(f"unknown band_id {band_id!r}; valid: {_listing(bands)}")
        members = {r[0] for r in con.execute(
            "SELECT DISTINCT user_id FROM marts.bridge_band_members WHERE band_id = ?", [band_id]).fetchall()}
        users = members if users is None else users & members
    return Scope(user_ids=None if users is None else tuple(sorted(users)), band_id=band_id, class_id=class_id)


def _sessions(scope: Scope, start: date, end: date, *, attributable_only: bool = False) -> tuple[str, list]:
    """The window's valid sessions, filtered by the scope (a subquery and its parameters)."""
    sql = "SELECT * FROM marts.fct_sessions WHERE session_date >= ? AND session_date < ?"
    params: list = [start, end]
    if scope.filtered:
        sql += " AND user_id IN (SELECT unnest(?::BIGINT[]))"
        params.append(list(scope.user_ids))
    elif attributable_only:
        sql += " AND user_id IS NOT NULL"
    return sql, params


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


# --- sessions and students ---------------------------------------------------------------------------------

def session_totals(con, start: date, end: date, scope: Scope) -> dict:
    """Counts, sums, means and sample variances of the window's sessions (one row)."""
    sub, params = _sessions(scope, start, end)
    row = _df(con, f"""
        SELECT count(*) AS sessions,
               count(*) FILTER (WHERE user_id IS NULL) AS pseudonymous_sessions,
               count(DISTINCT user_key) AS active_users,
               count(DISTINCT user_id) AS attributable_users,
               coalesce(sum(total_duration_seconds), 0) AS practice_seconds,
               avg(total_duration_seconds) AS mean_duration_seconds,
               var_samp(total_duration_seconds) AS var_duration_seconds,
               coalesce(sum({_PERCENT}), 0) AS completion_sum,
               avg({_PERCENT}) AS mean_completion,
               var_samp(completion_percentage) AS var_completion,
               count(DISTINCT song_id) AS songs_practised
        FROM ({sub})""", params)
    return {k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in row.iloc[0].items()}


def student_stats(con, start: date, end: date, scope: Scope) -> pd.DataFrame:
    """One row per student (user with attributable sessions in the window)."""
    sub, params = _sessions(scope, start, end, attributable_only=True)
    return _df(con, f"""
        SELECT user_id,
               count(*) AS sessions,
               sum(total_duration_seconds) AS practice_seconds,
               sum({_PERCENT}) AS completion_sum,
               count(DISTINCT song_id) AS songs_practised,
               count(DISTINCT session_date) AS active_days
        FROM ({sub}) GROUP BY user_id ORDER BY user_id""", params)


def student_daily(con, start: date, end: date, scope: Scope) -> pd.DataFrame:
    """Student x day sessions and completion sums (agg_student_daily), for completion trends."""
    sql = """SELECT user_id, activity_date, sessions, completion_sum FROM marts.agg_student_daily
             WHERE activity_date >= ? AND activity_date < ? AND user_id IS NOT NULL"""
    params: list = [start, end]
    if scope.filtered:
        sql += " AND user_id IN (SELECT unnest(?::BIGINT[]))"
        params.append(list(scope.user_ids))
    return _df(con, sql + " ORDER BY user_id, activity_date", params)


def problem_counts(con, start: date, end: date, scope: Scope) -> pd.DataFrame:
    """Problem sections of the window's sessions by user, type and song section."""
    sql = """SELECT user_id, problem_type, coalesce(section_name, 'unknown') AS section_name,
                    count(*) AS problems, sum(severity_score) AS severity_sum
             FROM marts.fct_problem_sections WHERE session_date >= ? AND session_date < ?"""
    params: list = [start, end]
    if scope.filtered:
        sql += " AND user_id IN (SELECT unnest(?::BIGINT[]))"
        params.append(list(scope.user_ids))
    return _df(con, sql + " GROUP BY ALL ORDER BY ALL", params)


# --- usage -------------------------------------------------------------------------------------------------

def usage_cells(con, start: date, end: date, scope: Scope) -> pd.DataFrame:
    """Sessions by UTC hour x ISO weekday x device with duration buckets. agg_usage_hourly without a user
    filter; the same columns from fct_sessions with one (the aggregate has no user dimension)."""
    if scope.filtered:
        sub, params = _sessions(scope, start, end)
        cells = f"""SELECT session_hour, day_of_week, device_type, 1 AS sessions,
                           total_duration_seconds AS practice_seconds, {_PERCENT} AS completion_sum,
                           (duration_bucket = 'short')::INT AS short_sessions,
                           (duration_bucket = 'medium')::INT AS medium_sessions,
                           (duration_bucket = 'long')::INT AS long_sessions
                    FROM ({sub})"""
    else:
        cells = "SELECT * FROM marts.agg_usage_hourly WHERE activity_date >= ? AND activity_date < ?"
        params = [start, end]
    return _df(con, f"""
        SELECT session_hour, day_of_week, device_type,
               sum(sessions)::BIGINT AS sessions, sum(practice_seconds)::DOUBLE AS practice_seconds,
               sum(completion_sum)::DOUBLE AS completion_sum, sum(short_sessions)::BIGINT AS short_sessions,
               sum(medium_sessions)::BIGINT AS medium_sessions, sum(long_sessions)::BIGINT AS long_sessions
        FROM ({cells}) GROUP BY ALL ORDER BY ALL""", params)


def session_types(con, start: date, end: date, scope: Scope) -> pd.DataFrame:
    sub, params = _sessions(scope, start, end)
    return _df(con, f"""SELECT session_type, count(*) AS sessions, sum({_PERCENT}) AS completion_sum,
                               sum(total_duration_seconds)::DOUBLE AS practice_seconds
                        FROM ({sub}) GROUP BY ALL ORDER BY ALL""", params)


def event_types(con, start: date, end: date, scope: Scope) -> pd.DataFrame:
    """Player events by type: agg_events_daily, or the scoped sessions' events with a user filter."""
    if scope.filtered:
        sub, params = _sessions(scope, start, end)
        sql = f"""SELECT e.event_type, count(*) AS events FROM marts.fct_performance_events AS e
                  JOIN ({sub}) AS s ON s.session_id = e.session_id GROUP BY ALL ORDER BY ALL"""
    else:
        sql = """SELECT event_type, sum(events)::BIGINT AS events FROM marts.agg_events_daily
                 WHERE activity_date >= ? AND activity_date < ? GROUP BY ALL ORDER BY ALL"""
        params = [start, end]
    return _df(con, sql, params)


def device_counts(con, start: date, end: date, scope: Scope) -> dict[str, int]:
    sub, params = _sessions(scope, start, end)
    return {r[0]: int(r[1]) for r in con.execute(f"SELECT device_type, count(*) FROM ({sub}) GROUP BY 1", params).fetchall()}


# --- trends ------------------------------------------------------------------------------------------------

def daily_series(con, start: date, end: date, scope: Scope) -> pd.DataFrame:
    """One row per day with sessions (agg_platform_daily; fct_sessions with a user filter). Days without
    sessions are absent: the report fills them with 0."""
    if scope.filtered:
        sub, params = _sessions(scope, start, end)
        sql = f"""SELECT session_date AS activity_date, count(*) AS sessions, count(DISTINCT user_key) AS active_users,
                         sum(total_duration_seconds)::DOUBLE AS practice_seconds, sum({_PERCENT}) AS completion_sum
                  FROM ({sub}) GROUP BY 1 ORDER BY 1"""
    else:
        sql = """SELECT activity_date, sessions::BIGINT AS sessions, active_users, practice_seconds::DOUBLE AS practice_seconds,
                        completion_sum FROM marts.agg_platform_daily
                 WHERE activity_date >= ? AND activity_date < ? ORDER BY 1"""
        params = [start, end]
    return _df(con, sql, params)


# --- bands -------------------------------------------------------------------------------------------------

def band_performances(con, start: date, end: date, scope: Scope) -> pd.DataFrame:
    """Per band: its performances in the window (agg_band_performances) summed up. A band filter keeps that
    band; a user filter keeps the bands those users are members of."""
    sql = """SELECT p.band_id, any_value(b.band_name) AS band_name, any_value(b.member_count) AS member_count,
                    count(*) AS performances,
                    count(*) FILTER (WHERE p.is_rehearsal) AS rehearsals,
                    count(*) FILTER (WHERE NOT p.is_rehearsal) AS gigs,
                    avg(p.overall_rating) AS mean_overall_rating,
                    avg(p.technical_rating) AS mean_technical_rating,
                    coalesce(sum(p.songs_performed), 0)::BIGINT AS songs_performed,
                    coalesce(sum(p.songs_skipped), 0)::BIGINT AS songs_skipped,
                    avg(p.team_coordination) AS mean_team_coordination,
                    sum(p.rehearsal_sessions_in_window)::BIGINT AS rehearsal_sessions,
                    count(*) FILTER (WHERE p.audience_engagement = 'excellent') AS engagement_excellent,
                    count(*) FILTER (WHERE p.audience_engagement = 'good') AS engagement_good,
                    count(*) FILTER (WHERE p.audience_engagement = 'fair') AS engagement_fair,
                    count(*) FILTER (WHERE p.audience_engagement = 'poor') AS engagement_poor,
                    count(*) FILTER (WHERE p.audience_engagement IS NULL) AS engagement_unknown
             FROM marts.agg_band_performances AS p JOIN marts.dim_bands AS b ON b.band_id = p.band_id
             WHERE p.performance_date >= ? AND p.performance_date < ?"""
    params: list = [start, end]
    if scope.band_id is not None:
        sql += " AND p.band_id = ?"
        params.append(scope.band_id)
    elif scope.filtered:
        sql += " AND p.band_id IN (SELECT band_id FROM marts.bridge_band_members WHERE user_id IN (SELECT unnest(?::BIGINT[])))"
        params.append(list(scope.user_ids))
    return _df(con, sql + " GROUP BY p.band_id ORDER BY p.band_id", params)


def band_coordination_pairs(con, start: date, end: date, scope: Scope) -> dict:
    """Pearson correlation between team coordination and overall rating over the window's performances."""
    sql = """SELECT count(*) AS n, corr(team_coordination, overall_rating) AS r
             FROM marts.agg_band_performances WHERE performance_date >= ? AND performance_date < ?
               AND team_coordination IS NOT NULL AND overall_rating IS NOT NULL"""
    params: list = [start, end]
    if scope.band_id is not None:
        sql += " AND band_id = ?"
        params.append(scope.band_id)
    n, r = con.execute(sql, params).fetchall()[0]
    return {"n": int(n), "r": None if r is None or pd.isna(r) else float(r)}


# --- goals -------------------------------------------------------------------------------------------------

def goals_as_of(con, start: date, end: date, scope: Scope) -> pd.DataFrame:
    """Goals open at some point in the window, with progress as of the window end.

    fct_goal_progress counts sessions up to the deadline, which would let a past report change as later
    sessions arrive; here the same additive daily measures (marts.agg_goal_progress_daily, where dbt decides
    which sessions a goal counts) are summed over the days before ``end`` only. The goal_type -> measure
    mapping is dbt's ``goal_current_value`` macro.
    """
    sql = """
        WITH goals AS (
            SELECT * FROM marts.fct_goal_progress
            WHERE created_date < ? AND (deadline IS NULL OR deadline >= ?) {user_filter}
        ),
        measured AS (
            SELECT d.goal_id,
                   CAST(sum(d.sessions) AS BIGINT) AS sessions_count,
                   sum(d.practice_seconds) / 60.0 AS practice_minutes,
                   sum(d.completion_sum) / nullif(sum(d.completion_sessions), 0) AS completion_rate,
                   sum(d.songs_first_mastered) AS songs_mastered
            FROM marts.agg_goal_progress_daily AS d
            WHERE d.goal_id IN (SELECT goal_id FROM goals) AND d.activity_date < ?
            GROUP BY d.goal_id
        )
        SELECT g.goal_id, g.user_id, g.title, g.goal_type, g.unit, g.target_value::DOUBLE AS target_value,
               g.created_date, g.deadline, g.status AS app_status,
               CASE g.goal_type
                   WHEN 'practice_minutes' THEN coalesce(m.practice_minutes, 0)
                   WHEN 'sessions_count' THEN coalesce(m.sessions_count, 0)
                   WHEN 'completion_rate' THEN coalesce(m.completion_rate, 0)
                   WHEN 'songs_mastered' THEN coalesce(m.songs_mastered, 0)
               END::DOUBLE AS current_value,
               coalesce(m.sessions_count, 0) AS sessions_counted
        FROM goals AS g LEFT JOIN measured AS m ON m.goal_id = g.goal_id
        ORDER BY g.goal_id"""
    params: list = [end, start]
    user_filter = ""
    if scope.filtered:
        user_filter = "AND user_id IN (SELECT unnest(?::BIGINT[]))"
        params.append(list(scope.user_ids))
    params.append(end)
    return _df(con, sql.format(user_filter=user_filter), params)
