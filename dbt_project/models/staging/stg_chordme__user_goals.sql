select
    id as goal_id,
    user_id,
    title,
    lower(trim(goal_type)) as goal_type,
    cast(target_value as {{ dbt.type_float() }}) as target_value,
    cast(coalesce(current_value, 0) as {{ dbt.type_float() }}) as app_current_value,
    unit,
    deadline,
    lower(trim(status)) as status,
    created_at,
    updated_at,
    _loaded_at
from {{ source('chordme', 'user_goals') }}
