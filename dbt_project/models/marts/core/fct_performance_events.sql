{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=[
            "{{ drop_rows_without_valid_copy('event_id', ref('quarantine_performance_events'), ref('int_events__validated')) }}"
        ],
    )
}}
-- depends_on: {{ ref('quarantine_performance_events') }}, {{ ref('int_sessions__validated') }}

select
    e.event_id,
    e.session_id,
    e.event_type,
    e.event_at,
    {{ utc_date('e.event_at') }} as event_date,
    e.position_seconds,
    e.chord_at_position,
    e.section_name,
    e._loaded_at,
    {{ built_at() }} as _built_at
from {{ ref('int_events__validated') }} as e
where e.rejection_reasons = ''
{% if is_incremental() %}
    -- new rows, and the rows of sessions validated again (fixed at the source: loaded long ago, valid now)
    and (e._loaded_at > {{ max_loaded_at(this) }}
         or e.session_id in ({{ sessions_revalidated_since(max_loaded_at(this)) }}))
{% endif %}
