-- One row per UTC day with activity: the platform's vital signs. Small (a row a day), so rebuilt whole
-- from the daily aggregates rather than from the facts.
with sessions as (
    select
        activity_date,
        sum(sessions) as sessions,
        -- one row per user_key and day there (its grain; a repeated row would break its sums_match tests), so
        -- counting rows counts users: count(distinct) hashed 6.3M keys, 1.2 s of every incremental run at 10M
        count(*) as active_users,
        sum(practice_seconds) as practice_seconds,
        cast(sum(completion_sum) as decimal(18, 3)) as completion_sum,
        sum(problem_sections) as problem_sections
    from {{ ref('agg_student_daily') }}
    group by activity_date
),

events as (
    select activity_date, sum(events) as events
    from {{ ref('agg_events_daily') }}
    group by activity_date
),

new_users as (
    select created_date as activity_date, count(*) as new_users
    from {{ ref('dim_users') }}
    group by created_date
),

performances as (
    select performance_date as activity_date, count(*) as performances
    from {{ ref('fct_setlist_performances') }}
    group by performance_date
)

select
    s.activity_date,
    s.sessions,
    s.active_users,
    coalesce(n.new_users, 0) as new_users,
    s.practice_seconds,
    s.completion_sum,
    cast(s.completion_sum / s.sessions as double precision) as mean_completion,
    coalesce(e.events, 0) as events,
    s.problem_sections,
    coalesce(p.performances, 0) as performances
from sessions as s
left join events as e on e.activity_date = s.activity_date
left join new_users as n on n.activity_date = s.activity_date
left join performances as p on p.activity_date = s.activity_date
