select
    id as setlist_song_id,
    setlist_id,
    song_id,
    sort_order,
    section,
    estimated_duration as estimated_duration_seconds
from {{ source('chordme', 'setlist_songs') }}
