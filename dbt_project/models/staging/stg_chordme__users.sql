-- Personal fields (email, display_name) are deliberately not selected: they never leave raw.
select
    id as user_id,
    analytics_privacy_settings,
    created_at,
    updated_at,
    _loaded_at
from {{ source('chordme', 'users') }}
