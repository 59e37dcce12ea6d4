select
    id as setlist_id,
    user_id as owner_user_id,
    name as setlist_name,
    lower(trim(event_type)) as event_type,
    lower(trim(status)) as status,
    coalesce(is_deleted, false) as is_deleted,
    created_at,
    updated_at
from {{ source('chordme', 'setlists') }}
