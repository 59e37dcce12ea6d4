select
    id as room_id,
    name as room_name,
    lower(trim(room_type)) as room_type,
    creator_id as creator_user_id,
    lower(trim(status)) as status,
    created_at
from {{ source('chordme', 'collaboration_rooms') }}
