{{
    config(
        materialized='incremental',
        unique_key='problem_section_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ migrate_add_column('_built_at', 'timestamp with time zone') }}",
        post_hook=[
            "{{ drop_rows_without_valid_copy('problem_section_id', ref('quarantine_problem_sections'), ref('int_problem_sections__validated')) }}"
        ],
    )
}}
-- depends_on: {{ ref('quarantine_problem_sections') }}, {{ ref('stg_chordme__performance_sessions') }}

{#- New rows, and the rows of sessions validated again (fixed at the source: loaded long ago, valid now). #}
{%- set new_rows = new_or_revalidated(max_loaded_at(this)) if is_incremental() else [] %}
with problems as (
    {{ each_condition("select * from " ~ ref('int_problem_sections__validated') ~ " where rejection_reasons = ''", new_rows) }}
)

select
    p.problem_section_id,
    p.session_id,
    s.user_id,
    s.user_key,
    coalesce(p.song_id, s.song_id) as song_id,
    s.started_at as session_started_at,
    s.session_date,
    p.section_name,
    p.problem_type,
    p.severity_score,
    p.event_count,
    p.tempo_bpm,
    p.start_position_seconds,
    p.end_position_seconds,
    p._loaded_at,
    {{ built_at() }} as _built_at
from problems as p
join {{ ref('fct_sessions') }} as s on s.session_id = p.session_id
