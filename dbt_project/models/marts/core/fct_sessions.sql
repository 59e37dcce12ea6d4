{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=[
            "{{ drop_rows_without_valid_copy('session_id', ref('quarantine_performance_sessions'), ref('int_sessions__exceptions')) }}"
        ],
    )
}}
-- depends_on: {{ ref('quarantine_performance_sessions') }}

{%- set columns = ['session_id', 'user_id', 'song_id', 'setlist_id', 'session_type', 'device_type', 'started_at',
                   'ended_at', 'total_duration_seconds', 'active_duration_seconds', 'completion_percentage',
                   'tempo_changes', 'pause_count', 'rewind_count', 'fast_forward_count', 'session_rating',
                   'difficulty_rating', 'analytics_consent', 'anonymous_data_only', '_loaded_at'] %}
{%- set new_rows = ["_loaded_at > " ~ max_loaded_at(this)] if is_incremental() else [] %}

-- One row per valid session (accepted_rows: the staged sessions without a row in int_sessions__exceptions,
-- and the accepted rows that are). The user appears by id only when the session may be attributed: a session
-- marked anonymous_data_only without analytics_consent carries only a pseudonym from a separate namespace.
with valid as (
    {{ accepted_rows('stg_chordme__performance_sessions', 'int_sessions__exceptions', 'session_id', columns, new_rows) }}
)

select
    v.session_id,
    case when v.anonymous_data_only and not v.analytics_consent then null else v.user_id end as user_id,
    case when v.anonymous_data_only and not v.analytics_consent then p.anonymous_key else p.user_key end as user_key,
    (v.anonymous_data_only and not v.analytics_consent) as is_pseudonymous,
    v.song_id,
    v.setlist_id,
    v.session_type,
    v.device_type,
    v.started_at,
    v.ended_at,
    v.ended_at is null as is_open,
    {{ utc_date('v.started_at') }} as session_date,
    {{ utc_hour('v.started_at') }} as session_hour,
    {{ utc_isodow('v.started_at') }} as day_of_week,
    v.total_duration_seconds,
    coalesce(v.active_duration_seconds, v.total_duration_seconds) as active_duration_seconds,
    case
        when v.total_duration_seconds < {{ var('short_session_seconds') }} then 'short'
        when v.total_duration_seconds < {{ var('long_session_seconds') }} then 'medium'
        else 'long'
    end as duration_bucket,
    v.completion_percentage,
    v.tempo_changes,
    v.pause_count,
    v.rewind_count,
    v.fast_forward_count,
    v.session_rating,
    v.difficulty_rating,
    v.analytics_consent,
    v.anonymous_data_only,
    v._loaded_at,
    {{ built_at() }} as _built_at
from valid as v
left join {{ ref('stg_chordme__user_pseudonyms') }} as p on p.user_id = v.user_id
