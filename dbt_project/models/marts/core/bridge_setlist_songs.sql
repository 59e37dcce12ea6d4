select setlist_song_id, setlist_id, song_id, sort_order, section, estimated_duration_seconds
from {{ ref('stg_chordme__setlist_songs') }}
