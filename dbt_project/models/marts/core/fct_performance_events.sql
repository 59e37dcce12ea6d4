{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=[
            "{{ drop_rows_without_valid_copy('event_id', ref('quarantine_performance_events'), ref('int_events__exceptions')) }}"
        ],
    )
}}
-- depends_on: {{ ref('quarantine_performance_events') }}, {{ ref('stg_chordme__performance_sessions') }}
{%- set columns = ['event_id', 'session_id', 'event_type', 'event_at', 'position_seconds', 'chord_at_position',
                   'section_name', '_loaded_at'] %}

-- One row per accepted event (accepted_rows: the staged events without a row in int_events__exceptions, and
-- the accepted rows that are). Built alone after a load, it takes the new events unchecked; the next build with
-- the exceptions removes the rejected ones (post-hook), and two copies of one id fail unique_in_latest_build.
{#- New rows, and the rows of sessions validated again (fixed at the source: loaded long ago, valid now). #}
{%- set new_rows = new_or_revalidated(max_loaded_at(this)) if is_incremental() else [] %}
with accepted as (
    {{ accepted_rows('stg_chordme__performance_events', 'int_events__exceptions', 'event_id', columns, new_rows) }}
)

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
from accepted as e
