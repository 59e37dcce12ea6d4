{{
    config(materialized='incremental', unique_key='activity_date', incremental_strategy='delete+insert', on_schema_change='fail')
}}
-- Date x event type: how the player's features are used.
with events as (
    select * from {{ ref('fct_performance_events') }}
    {% if is_incremental() %}
    where event_date in ({{ days_to_rebuild(ref('fct_performance_events'), 'event_date', 'events') }})
    {% endif %}
)

select
    event_date as activity_date,
    event_type,
    count(*) as events,
    count(distinct session_id) as sessions,
    max(_loaded_at) as _loaded_at
from events
group by event_date, event_type
