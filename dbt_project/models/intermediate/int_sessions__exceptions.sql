{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=[
            "{{ drop_replaced_table('int_sessions__validated') }}",
            "{{ forget_sessions(sessions_revalidated_since(max_loaded_at(this))) }}",
        ],
    )
}}
{%- set checks = [
    ("s.copy_number > 1", "duplicate_primary_key"),
    ("s.user_id is null", "missing_user_id"),
    ("s.user_id is not null and u.user_id is null", "orphan_user"),
    ("s.song_id is not null and so.song_id is null", "orphan_song"),
    ("s.setlist_id is not null and sl.setlist_id is null", "orphan_setlist"),
    ("s.session_type is null or s.session_type not in ('practice', 'performance', 'rehearsal')", "invalid_session_type"),
    ("s.started_at is null", "missing_started_at"),
    ("s.started_at > s._loaded_at + interval '" ~ var('future_tolerance_hours') ~ " hours'", "future_started_at"),
    ("s.ended_at < s.started_at", "ended_before_started"),
    ("s.total_duration_seconds is null", "missing_duration"),
    ("s.total_duration_seconds < 0", "negative_duration"),
    ("s.total_duration_seconds > " ~ var('max_session_seconds'), "duration_over_24h"),
    ("s.active_duration_seconds < 0 or s.active_duration_seconds > s.total_duration_seconds", "active_duration_out_of_range"),
    ("s.completion_percentage < 0 or s.completion_percentage > 100", "completion_out_of_range"),
    ("s.session_rating not between 1 and 5 or s.difficulty_rating not between 1 and 5", "rating_out_of_range"),
    ("s.tempo_changes < 0 or s.pause_count < 0 or s.rewind_count < 0 or s.fast_forward_count < 0", "negative_count"),
] %}
-- The staged sessions that are not simply accepted, with their rejection reasons ('' when accepted): every
-- copy of a repeated id (the accepted one too) and every rejected session. fct_sessions takes every staged
-- session whose id is not here, and the accepted rows that are; quarantine_performance_sessions takes the
-- rejected rows. session_verdicts() reads it for the rows that hang off a session.
-- Only these rows (about 0.6 %) are written: a table of every session with its verdict (the model this one
-- replaced, int_sessions__validated) wrote the 10M sessions a second time. At 10M sessions, alone: 7.0 s
-- for it and 7.4 s for fct_sessions against 2.2 s and 7.6 s.
-- Incremental: only sessions with newly loaded rows are validated again (all copies of such a session, so
-- copy_number stays exact). Their rows here are deleted first (the pre-hook), as a session fixed at the
-- source has none to keep and delete+insert only replaces sessions it writes. The latest load here may be
-- older than the latest load (a load without exceptions): sessions validated again for nothing are the only
-- cost.
with staged as not materialized (
    select *
    from {{ ref('stg_chordme__performance_sessions') }}
    {% if is_incremental() %}
    where session_id in ({{ sessions_revalidated_since(max_loaded_at(this)) }})
    {% endif %}
),

-- Numbering the copies of a session needs a window, which sorted every session's whole row (28 columns);
-- only an id that occurs more than once can have a copy numbered above 1, so the window runs on those few
-- rows and every other row streams through numbered 1 (as in int_events__exceptions).
repeated_ids as materialized (
    select session_id from ({{ repeated_values('staged', 'session_id') }}) as repeated
),

sessions as (
    select
        s.*,
        row_number() over (partition by s.session_id order by s._loaded_at desc, s.updated_at desc) as copy_number
    from staged as s
    where s.session_id in (select session_id from repeated_ids)
    union all
    select s.*, 1 as copy_number
    from staged as s
    where not exists (select 1 from repeated_ids as r where r.session_id = s.session_id)
)

select s.*, {{ rejection_reasons(checks) }} as rejection_reasons
from sessions as s
left join {{ ref('stg_chordme__users') }} as u on u.user_id = s.user_id
left join {{ ref('stg_chordme__songs') }} as so on so.song_id = s.song_id
left join {{ ref('stg_chordme__setlists') }} as sl on sl.setlist_id = s.setlist_id
where s.session_id in (select session_id from repeated_ids) or {{ any_rejection(checks) }}
