-- The sessions each goal counts, summed per goal and day, in additive measures: fct_goal_progress adds up
-- every day, a report adds up the days before its window end (progress "as of" then). The rule for which
-- sessions count (the user's attributable sessions from the goal's creation up to its deadline, inclusive)
-- and what mastering a song means live here only.
with goals as (
    select goal_id, user_id, created_at, deadline
    from {{ ref('int_user_goals__validated') }}
    where rejection_reasons = ''
),

goal_sessions as (
    select
        g.goal_id,
        s.session_date,
        s.song_id,
        s.total_duration_seconds,
        s.completion_percentage,
        -- a song is mastered once a session of it reaches 90% completion: it counts on the first such day
        case
            when s.song_id is not null and s.completion_percentage >= 90
                and s.session_date = min(case when s.completion_percentage >= 90 then s.session_date end)
                    over (partition by g.goal_id, s.song_id)
            then s.song_id
        end as song_mastered_that_day
    from goals as g
    join {{ ref('fct_sessions') }} as s
        on s.user_id = g.user_id
        and s.started_at >= g.created_at
        and (g.deadline is null or s.session_date <= g.deadline)
)

select
    goal_id,
    session_date as activity_date,
    count(*) as sessions,
    sum(total_duration_seconds) as practice_seconds,
    {{ exact_percentage_sum('completion_percentage') }} as completion_sum,
    count(completion_percentage) as completion_sessions,
    count(distinct song_mastered_that_day) as songs_first_mastered
from goal_sessions
group by goal_id, session_date
