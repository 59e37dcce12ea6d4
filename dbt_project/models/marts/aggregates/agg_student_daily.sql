{{
    config(materialized='incremental', unique_key='activity_date', incremental_strategy='delete+insert', on_schema_change='fail')
}}
-- Practitioner x day (every user_key with sessions; is_student marks class members). Sums and counts are
-- kept beside the means so that any window re-aggregates exactly. Incremental: days touched by newly
-- loaded sessions are rebuilt whole.
with sessions as (
    select * from {{ ref('fct_sessions') }}
    {% if is_incremental() %}
    where session_date in (
        select distinct session_date from {{ ref('fct_sessions') }} where _loaded_at > {{ max_loaded_at(this) }}
        union
        select distinct session_date from {{ ref('fct_problem_sections') }} where _loaded_at > {{ max_loaded_at(this) }}
    )
    {% endif %}
),

problems as (
    select session_id, count(*) as problem_sections
    from {{ ref('fct_problem_sections') }}
    where session_id in (select session_id from sessions)
    group by session_id
)

select
    s.session_date as activity_date,
    s.user_key,
    max(s.user_id) as user_id,
    coalesce(bool_or(u.is_student), false) as is_student,
    count(*) as sessions,
    sum(s.total_duration_seconds) as practice_seconds,
    sum(s.active_duration_seconds) as active_seconds,
    sum(s.completion_percentage) as completion_sum,
    avg(s.completion_percentage) as mean_completion,
    count(distinct s.song_id) as songs_practised,
    coalesce(sum(p.problem_sections), 0) as problem_sections,
    sum(case when s.duration_bucket = 'short' then 1 else 0 end) as short_sessions,
    sum(case when s.duration_bucket = 'medium' then 1 else 0 end) as medium_sessions,
    sum(case when s.duration_bucket = 'long' then 1 else 0 end) as long_sessions,
    max(s._loaded_at) as _loaded_at
from sessions as s
left join problems as p on p.session_id = s.session_id
left join {{ ref('dim_users') }} as u on u.user_id = s.user_id
group by s.session_date, s.user_key
