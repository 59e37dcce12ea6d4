select
    id as participant_id,
    room_id,
    user_id,
    lower(trim(role)) as role,
    lower(trim(status)) as status,
    joined_at
from {{ source('chordme', 'room_participants') }}
