select
    id as scheduled_report_id,
    user_id as owner_user_id,
    report_config,
    schedule_expression,
    delivery_settings,
    lower(trim(status)) as status,
    last_run,
    next_run,
    created_at
from {{ source('chordme', 'scheduled_reports') }}
