{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} where event_id in (select event_id from {{ ref('quarantine_performance_events') }})
               and event_id not in (select event_id from {{ ref('int_events__validated') }} where rejection_reasons = '')"
        ],
    )
}}
-- post_hook: a row that became invalid at the source leaves the fact; an id that still has a valid
-- copy stays (the other copy of a duplicated key is the one quarantined).
-- depends_on: {{ ref('quarantine_performance_events') }}

select
    e.event_id,
    e.session_id,
    e.event_type,
    e.event_at,
    {{ utc_date('e.event_at') }} as event_date,
    e.position_seconds,
    e.chord_at_position,
    e.section_name,
    e._loaded_at
from {{ ref('int_events__validated') }} as e
where e.rejection_reasons = ''
{% if is_incremental() %}
    and e._loaded_at > {{ max_loaded_at(this) }}
{% endif %}
