{{
    config(materialized='incremental', unique_key='activity_date', incremental_strategy='delete+insert', on_schema_change='fail',
           pre_hook="{{ migrate_column_type('completion_sum', 'decimal(18,3)') }}")
}}
-- Date x UTC hour x device. active_users counts distinct users within the cell only: do not sum it across cells.
with sessions as (
    select * from {{ ref('fct_sessions') }}
    {% if is_incremental() %}
    where session_date in ({{ days_to_rebuild(ref('fct_sessions'), 'session_date', 'sessions') }})
    {% endif %}
)

select
    session_date as activity_date,
    session_hour,
    day_of_week,
    device_type,
    count(*) as sessions,
    count(distinct user_key) as active_users,
    sum(total_duration_seconds) as practice_seconds,
    {{ exact_percentage_sum('completion_percentage') }} as completion_sum,
    cast({{ exact_percentage_sum('completion_percentage') }} / nullif(count(completion_percentage), 0) as double precision)
        as mean_completion,
    sum(case when duration_bucket = 'short' then 1 else 0 end) as short_sessions,
    sum(case when duration_bucket = 'medium' then 1 else 0 end) as medium_sessions,
    sum(case when duration_bucket = 'long' then 1 else 0 end) as long_sessions,
    max(_loaded_at) as _loaded_at
from sessions
group by session_date, session_hour, day_of_week, device_type
