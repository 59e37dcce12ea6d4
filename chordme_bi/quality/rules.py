"""Which raw rows belong to a user or to a point in time: shared by the extractor (suppression on later
runs), erasure and retention, so the three can never disagree. Pure data and SQL text; no connections.
"""

from __future__ import annotations

OPS_SCHEMA = "ops"
ERASED_USERS = "raw._erased_users"  # user_id, erased_at: the suppression list the extractor honours
SUPPRESSED_ROWS = "raw._suppressed_rows"  # table_name, row_id, reason: source rows deliberately kept out of raw
RETENTION_STATE = "raw._retention_state"  # cutoff watermark: nothing older re-enters raw
ERASURE_LOG = f"{OPS_SCHEMA}.erasure_log"
RETENTION_LOG = f"{OPS_SCHEMA}.retention_log"

# Rows that ARE the user's: removed on erasure (table -> column holding the user id).
ERASE_BY_USER: dict[str, str] = {
    "users": "id",
    "performance_sessions": "user_id",
    "user_goals": "user_id",
    "setlist_collaborators": "user_id",
    "room_participants": "user_id",
    "custom_dashboards": "user_id",
    "scheduled_reports": "user_id",
}
# Rows inside a removed session follow it (table -> column holding the session id).
FOLLOW_SESSION: dict[str, str] = {"performance_events": "session_id", "problem_sections": "session_id"}
# Rows shared with other people (catalogue, bands, classes) stay; only the reference to the user goes.
NULLIFY_USER: dict[str, tuple[str, ...]] = {
    "songs": ("user_id",),
    "setlists": ("user_id",),
    "collaboration_rooms": ("creator_id",),
    "setlist_performances": ("performed_by",),
}
# JSON lists of user ids scrubbed of the user (table -> column).
USER_ID_LISTS: dict[str, str] = {"setlist_performances": "team_members"}

# Personal activity and its time column: what retention removes once older than the cutoff.
RETENTION_COLUMNS: dict[str, str] = {
    "performance_sessions": "started_at",
    "performance_events": "timestamp",
    "problem_sections": "created_at",
}

# Outside raw, a column with one of these names holds the key of a row of that raw table (in facts,
# quarantine and incremental intermediate tables alike). A raw row removed is removed wherever its key
# appears, so raw = accepted + quarantined still holds after erasure and retention.
DERIVED_KEYS: dict[str, str] = {
    "session_id": "performance_sessions",
    "event_id": "performance_events",
    "problem_section_id": "problem_sections",
    "goal_id": "user_goals",
    "performance_id": "setlist_performances",
}


# Outside raw, columns naming a user. Rows carrying the erased user in one of these are removed, except the
# shared ones (NULLIFY_COLUMNS), where only the reference is cleared.
USER_ID_COLUMN_NAMES = ("user_id", "performed_by", "creator_id")
NULLIFY_COLUMNS = ("owner_user_id", "performed_by_user_id", "creator_user_id")


def is_user_id_column(name: str) -> bool:
    name = name.lower()
    return name in USER_ID_COLUMN_NAMES or name.endswith("_user_id") or name in NULLIFY_COLUMNS


def is_pseudonym_column(name: str) -> bool:
    """user_key, anonymous_key, student_key ...; song_key is a musical key, not a person."""
    name = name.lower()
    return name.endswith("_key") and name not in ("song_key",)


def ensure_tables_sql() -> list[str]:
    return [
        "CREATE SCHEMA IF NOT EXISTS raw",
        f"CREATE SCHEMA IF NOT EXISTS {OPS_SCHEMA}",
        f"CREATE TABLE IF NOT EXISTS {ERASED_USERS} (user_id BIGINT PRIMARY KEY, erased_at TIMESTAMPTZ)",
        f"""CREATE TABLE IF NOT EXISTS {SUPPRESSED_ROWS} (table_name VARCHAR, row_id VARCHAR, reason VARCHAR,
            suppressed_at TIMESTAMPTZ, PRIMARY KEY (table_name, row_id))""",
        f"CREATE TABLE IF NOT EXISTS {RETENTION_STATE} (cutoff TIMESTAMPTZ, retention_days INTEGER, applied_at TIMESTAMPTZ)",
        f"""CREATE TABLE IF NOT EXISTS {ERASURE_LOG} (erasure_id VARCHAR, user_id_hash VARCHAR, requested_at TIMESTAMPTZ,
            completed_at TIMESTAMPTZ, rows_removed JSON, rows_anonymised JSON, files_removed INTEGER)""",
        f"""CREATE TABLE IF NOT EXISTS {RETENTION_LOG} (run_id VARCHAR, cutoff TIMESTAMPTZ, retention_days INTEGER,
            applied_at TIMESTAMPTZ, rows_removed JSON)""",
    ]


def suppression_conditions(table: str, relation: str, has_cutoff: bool) -> list[tuple[str, str]]:
    """(reason, SQL condition over ``relation``) for rows of ``table`` that must stay out of raw."""
    conditions = []
    if table in ERASE_BY_USER:
        conditions.append(("erasure", f'{relation}."{ERASE_BY_USER[table]}" IN (SELECT user_id FROM {ERASED_USERS})'))
    if table in FOLLOW_SESSION:
        conditions.append(("follows_session", (
            f'CAST({relation}."{FOLLOW_SESSION[table]}" AS VARCHAR) IN '
            f"(SELECT row_id FROM {SUPPRESSED_ROWS} WHERE table_name = 'performance_sessions')")))
    if table in RETENTION_COLUMNS and has_cutoff:
        conditions.append(("retention", f'{relation}."{RETENTION_COLUMNS[table]}" < (SELECT max(cutoff) FROM {RETENTION_STATE})'))
    return conditions


def scrub_user_list_sql(column: str, erased_ids: list[int]) -> str:
    """Value removing the erased ids from a JSON list of user ids (left as is when not a list). The ids are
    inlined: DuckDB lambdas cannot hold a subquery."""
    ids = ", ".join(str(int(i)) for i in erased_ids)
    as_list = f'TRY_CAST("{column}" AS BIGINT[])'
    return (f"CASE WHEN len(list_filter({as_list}, lambda x: x IN ({ids}))) > 0 "
            f'THEN CAST(list_filter({as_list}, lambda x: x NOT IN ({ids})) AS VARCHAR) ELSE "{column}" END')


# raw table -> (accepted relation, quarantine relation)
QUARANTINED: dict[str, tuple[str, str]] = {
    "performance_sessions": ("marts.fct_sessions", "quarantine.quarantine_performance_sessions"),
    "performance_events": ("marts.fct_performance_events", "quarantine.quarantine_performance_events"),
    "problem_sections": ("marts.fct_problem_sections", "quarantine.quarantine_problem_sections"),
    "setlist_performances": ("marts.fct_setlist_performances", "quarantine.quarantine_setlist_performances"),
    "user_goals": ("marts.fct_goal_progress", "quarantine.quarantine_user_goals"),
}
