{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
-- Staged problem sections with rejection reasons. A table, built once per run for
-- quarantine_problem_sections and fct_problem_sections (as a view, both recomputed its window over every
-- row, and fct_problem_sections' incremental filter sat above it). Every rule looks only inside one session,
-- so an incremental run revalidates whole sessions: those with newly loaded problem sections and those
-- validated again in int_sessions__exceptions, as int_events__exceptions does.
{%- set verdicts = session_verdicts('p', 'select session_id from touched' if is_incremental() else none) %}
with
{% if is_incremental() %}
touched as materialized (
    {{ sessions_to_revalidate('stg_chordme__problem_sections') }}
),
{% endif %}

problems as (
    select
        p.*,
        row_number() over (partition by p.problem_section_id order by p._loaded_at desc) as copy_number
    from {{ ref('stg_chordme__problem_sections') }} as p
    {% if is_incremental() %}
    where p.session_id in (select session_id from touched)
    {% endif %}
),

checked as (
    select
        p.*,
        {{ rejection_reasons([
            ("p.copy_number > 1", "duplicate_primary_key"),
        ] + session_checks(verdicts) + [
            ("p.problem_type is null or p.problem_type not in ('frequent_pauses', 'multiple_rewinds', 'tempo_struggles')", "invalid_problem_type"),
            ("p.severity_score is null or p.severity_score < 1 or p.severity_score > 5", "severity_out_of_range"),
            ("p.end_position_seconds < p.start_position_seconds", "end_before_start"),
        ]) }} as rejection_reasons
    from problems as p
    {{ verdicts.join }}
)

select * from checked
