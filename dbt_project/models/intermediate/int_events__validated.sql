{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
-- Staged events with rejection reasons. An event belongs to a usable session, and an event the app wrote
-- twice (same session, type, instant and position) counts once: the lowest id is kept.
-- A table, built once per run for quarantine_performance_events and fct_performance_events (as a view its
-- windows over every event ran twice per build). Every rule looks only inside one session (an event's
-- copies, its duplicates, its session's validity), so an incremental run revalidates whole sessions: those
-- with newly loaded events and those validated again in int_sessions__validated. The cost follows new data.
with
{% if is_incremental() %}
touched as (
    select session_id from {{ ref('stg_chordme__performance_events') }} where _loaded_at > {{ max_loaded_at(this) }}
    union
    select session_id from {{ ref('int_sessions__validated') }} where _loaded_at > {{ max_loaded_at(this) }}
),
{% endif %}

events as (
    select
        e.*,
        row_number() over (partition by e.event_id order by e._loaded_at desc) as copy_number,
        row_number() over (
            partition by e.session_id, e.event_type, e.event_at, e.position_seconds order by e.event_id
        ) as duplicate_number
    from {{ ref('stg_chordme__performance_events') }} as e
    {% if is_incremental() %}
    where e.session_id in (select session_id from touched)
    {% endif %}
),

checked as (
    select
        e.*,
        {{ rejection_reasons([
            ("e.copy_number > 1", "duplicate_primary_key"),
            ("e.copy_number = 1 and e.duplicate_number > 1", "duplicate_event"),
            ("s.session_id is null", "orphan_session"),
            ("s.session_id is not null and s.rejection_reasons <> ''", "session_rejected"),
            ("e.event_type is null or e.event_type not in ('pause', 'play', 'rewind', 'fast_forward', 'tempo_change', 'seek')", "invalid_event_type"),
            ("e.event_at is null", "missing_timestamp"),
            ("e.position_seconds < 0", "negative_position"),
        ]) }} as rejection_reasons
    from events as e
    left join (
        {{ session_rejections('select session_id from touched' if is_incremental() else none) }}
    ) as s on s.session_id = e.session_id
)

select * from checked
