select
    id as performance_id,
    setlist_id,
    performed_by as performed_by_user_id,
    performance_date as performed_at,
    venue,
    lower(trim(event_type)) as event_type,
    audience_size,
    total_duration as total_duration_minutes,
    songs_performed,
    songs_skipped,
    overall_rating,
    technical_rating,
    lower(trim(audience_engagement)) as audience_engagement,
    team_members,
    created_at,
    _loaded_at
from {{ source('chordme', 'setlist_performances') }}
