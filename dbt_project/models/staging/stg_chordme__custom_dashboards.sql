select
    id as dashboard_id,
    user_id as owner_user_id,
    name as dashboard_name,
    description,
    layout_config,
    widget_config,
    sharing_config,
    lower(trim(status)) as status,
    created_at,
    updated_at
from {{ source('chordme', 'custom_dashboards') }}
