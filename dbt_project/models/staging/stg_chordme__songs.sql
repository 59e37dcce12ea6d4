select
    id as song_id,
    user_id as owner_user_id,
    title,
    artist,
    lower(trim(genre)) as genre,
    song_key,
    tempo as tempo_bpm,
    time_signature,
    lower(trim(difficulty)) as difficulty,
    duration as duration_seconds,
    coalesce(is_deleted, false) as is_deleted,
    created_at,
    updated_at
from {{ source('chordme', 'songs') }}
