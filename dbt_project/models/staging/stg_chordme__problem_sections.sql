select
    id as problem_section_id,
    session_id,
    song_id,
    start_position as start_position_seconds,
    end_position as end_position_seconds,
    lower(trim(section_name)) as section_name,
    lower(trim(problem_type)) as problem_type,
    severity_score,
    event_count,
    tempo_bpm,
    created_at,
    _loaded_at
from {{ source('chordme', 'problem_sections') }}
