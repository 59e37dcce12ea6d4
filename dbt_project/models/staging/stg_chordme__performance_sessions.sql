select
    id as session_id,
    user_id,
    song_id,
    setlist_id,
    lower(trim(session_type)) as session_type,
    -- The app writes device_type in any case and sometimes not at all.
    case
        when lower(trim(device_type)) in ('mobile', 'tablet', 'desktop') then lower(trim(device_type))
        when device_type is null or trim(device_type) = '' then 'unknown'
        else 'other'
    end as device_type,
    device_type as device_type_raw,
    started_at,
    ended_at,
    total_duration as total_duration_seconds,
    active_duration as active_duration_seconds,
    coalesce(tempo_changes, 0) as tempo_changes,
    coalesce(pause_count, 0) as pause_count,
    coalesce(rewind_count, 0) as rewind_count,
    coalesce(fast_forward_count, 0) as fast_forward_count,
    -- 0 is a real completion; only a missing value takes the app's default.
    coalesce(completion_percentage, 0) as completion_percentage,
    session_rating,
    difficulty_rating,
    coalesce(analytics_consent, false) as analytics_consent,
    coalesce(anonymous_data_only, true) as anonymous_data_only,
    created_at,
    updated_at,
    _loaded_at
from {{ source('chordme', 'performance_sessions') }}
