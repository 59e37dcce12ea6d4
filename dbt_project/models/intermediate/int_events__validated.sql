-- Staged events with rejection reasons. An event belongs to a usable session, and an event the app wrote
-- twice (same session, type, instant and position) counts once: the lowest id is kept.
with events as (
    select
        e.*,
        row_number() over (partition by e.event_id order by e._loaded_at desc) as copy_number,
        row_number() over (
            partition by e.session_id, e.event_type, e.event_at, e.position_seconds order by e.event_id
        ) as duplicate_number
    from {{ ref('stg_chordme__performance_events') }} as e
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
        select session_id, min(rejection_reasons) as rejection_reasons
        from {{ ref('int_sessions__validated') }}
        group by session_id
    ) as s on s.session_id = e.session_id
)

select * from checked
