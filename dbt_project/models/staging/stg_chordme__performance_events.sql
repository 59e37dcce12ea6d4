select
    id as event_id,
    session_id,
    lower(trim(event_type)) as event_type,
    "timestamp" as event_at,
    position_seconds,
    chord_at_position,
    lower(trim(section_name)) as section_name,
    created_at,
    _loaded_at
from {{ source('chordme', 'performance_events') }}
