select
    id as performance_song_id,
    performance_id,
    setlist_song_id,
    actual_order,
    coalesce(was_performed, false) as was_performed,
    actual_tempo as actual_tempo_bpm,
    actual_duration as actual_duration_seconds,
    performance_rating,
    lower(trim(audience_response)) as audience_response
from {{ source('chordme', 'setlist_performance_songs') }}
