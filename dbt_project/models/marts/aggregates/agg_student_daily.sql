{{
    config(
        materialized='incremental', unique_key='activity_date', incremental_strategy='delete+insert',
        on_schema_change='fail', pre_hook=[
            "{{ migrate_column_type('problem_sections', 'bigint') }}",
            "{{ migrate_column_type('completion_sum', 'decimal(18,3)') }}",
            "{{ migrate_add_column('_built_at', 'timestamp with time zone') }}",
        ],
    )
}}
-- Practitioner x day (every user_key with sessions; is_student marks class members). Sums and counts are
-- kept beside the means so that any window re-aggregates exactly. Incremental: days touched by newly
-- loaded sessions and days whose counts no longer match the facts are rebuilt whole.
--
-- Speed (10M sessions, 6.3M user-days): one grouping carries the sums, and the distinct songs are counted on
-- three narrow columns apart. A first grouping by song carrying every sum (9.2M groups) cost as much as the
-- day grouping itself: 35 s -> 15 s for the model alone (dbt run). user_id and is_student are the same on every row
-- of a user_key, so they are looked up once per user-day.
with
{% if is_incremental() %}
days as materialized (
    {{ days_to_rebuild(ref('fct_sessions'), 'session_date', 'sessions') }}
    union
    {{ days_to_rebuild(ref('fct_problem_sections'), 'session_date', 'problem_sections') }}
),
{% endif %}

-- read twice (sums, songs): inlined, as a materialized copy of 10M sessions cost more than the second scan
sessions as not materialized (
    select * from {{ ref('fct_sessions') }}
    {% if is_incremental() %}
    where session_date in (select session_date from days)
    {% endif %}
),

-- per user-day from the fact, which carries both: joined to the 6.3M day rows, not to the 10M sessions
-- before grouping them (their grouping then spilled less: 9.7 s -> 8.1 s for the model alone at 10M)
problems as (
    select session_date, user_key, count(*) as problem_sections
    from {{ ref('fct_problem_sections') }}
    {% if is_incremental() %}
    where session_date in (select session_date from days)
    {% endif %}
    group by session_date, user_key
),

daily as (
    select
        s.session_date,
        s.user_key,
        max(s.user_id) as user_id,
        cast(count(*) as bigint) as sessions,
        sum(s.total_duration_seconds) as practice_seconds,
        sum(s.active_duration_seconds) as active_seconds,
        {{ exact_percentage_sum('s.completion_percentage') }} as completion_sum,
        count(s.completion_percentage) as completion_count,
        sum(case when s.duration_bucket = 'short' then 1 else 0 end) as short_sessions,
        sum(case when s.duration_bucket = 'medium' then 1 else 0 end) as medium_sessions,
        sum(case when s.duration_bucket = 'long' then 1 else 0 end) as long_sessions,
        max(s._loaded_at) as _loaded_at
    from sessions as s
    group by s.session_date, s.user_key
),

songs as (
    select session_date, user_key, count(*) as songs_practised
    from (select distinct session_date, user_key, song_id from sessions where song_id is not null) as day_songs
    group by session_date, user_key
)

select
    d.session_date as activity_date,
    d.user_key,
    d.user_id,
    coalesce(u.is_student, false) as is_student,
    d.sessions,
    d.practice_seconds,
    d.active_seconds,
    d.completion_sum,
    cast(d.completion_sum / nullif(d.completion_count, 0) as double precision) as mean_completion,
    coalesce(g.songs_practised, 0) as songs_practised,
    coalesce(pr.problem_sections, 0) as problem_sections,
    d.short_sessions,
    d.medium_sessions,
    d.long_sessions,
    d._loaded_at,
    {{ built_at() }} as _built_at
from daily as d
left join songs as g on g.session_date = d.session_date and g.user_key = d.user_key
left join problems as pr on pr.session_date = d.session_date and pr.user_key = d.user_key
left join {{ ref('dim_users') }} as u on u.user_id = d.user_id
