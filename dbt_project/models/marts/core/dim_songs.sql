select
    song_id,
    owner_user_id,
    title,
    artist,
    genre,
    song_key,
    tempo_bpm,
    time_signature,
    difficulty,
    duration_seconds,
    is_deleted,
    created_at
from {{ ref('stg_chordme__songs') }}
