select
    id as collaborator_id,
    setlist_id,
    user_id,
    lower(trim(band_role)) as band_role,
    instrument,
    permission_level
from {{ source('chordme', 'setlist_collaborators') }}
