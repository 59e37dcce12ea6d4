{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
-- Every staged session with the reasons it cannot be used ('' when it can). fct_sessions takes the valid
-- ones, quarantine_performance_sessions the rest; together they are exactly the raw rows.
-- A table, not a view: four models read it, and a view recomputed the window for each. Incremental: only
-- sessions with newly loaded rows are validated again (all copies of such a session, so copy_number stays
-- exact), the same load-time rule fct_sessions applies.
with staged as not materialized (
    select *
    from {{ ref('stg_chordme__performance_sessions') }}
    {% if is_incremental() %}
    where session_id in (
        select session_id from {{ ref('stg_chordme__performance_sessions') }} where _loaded_at > {{ max_loaded_at(this) }}
    )
    {% endif %}
),

-- Numbering the copies of a session needs a window, which sorted every session's whole row (28 columns);
-- only an id that occurs more than once can have a copy numbered above 1, so the window runs on those few
-- rows and every other row streams through numbered 1 (as in int_events__exceptions).
repeated_ids as materialized (
    select session_id from staged group by session_id having count(*) > 1
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
),

checked as (
    select
        s.*,
        {{ rejection_reasons([
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
        ]) }} as rejection_reasons
    from sessions as s
    left join {{ ref('stg_chordme__users') }} as u on u.user_id = s.user_id
    left join {{ ref('stg_chordme__songs') }} as so on so.song_id = s.song_id
    left join {{ ref('stg_chordme__setlists') }} as sl on sl.setlist_id = s.setlist_id
)

select * from checked
