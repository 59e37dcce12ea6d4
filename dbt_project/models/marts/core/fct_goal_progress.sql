-- Goal progress recomputed from the sessions themselves, not trusted from the app's current_value.
-- Progress counts the user's attributable sessions from the goal's creation up to its deadline (inclusive).
with goals as (
    select * from {{ ref('int_user_goals__validated') }} where rejection_reasons = ''
),

goal_sessions as (
    select
        g.goal_id,
        s.session_id,
        s.song_id,
        s.total_duration_seconds,
        s.completion_percentage
    from goals as g
    join {{ ref('fct_sessions') }} as s
        on s.user_id = g.user_id
        and s.started_at >= g.created_at
        and (g.deadline is null or s.session_date <= g.deadline)
),

mastered as (
    -- a song is mastered once a session of it reaches 90% completion
    select goal_id, count(distinct song_id) as songs_mastered
    from goal_sessions
    where song_id is not null and completion_percentage >= 90
    group by goal_id
),

measures as (
    select
        goal_id,
        count(*) as sessions_count,
        sum(total_duration_seconds) / 60.0 as practice_minutes,
        avg(completion_percentage) as completion_rate
    from goal_sessions
    group by goal_id
),

progress as (
    select
        g.goal_id,
        g.user_id,
        p.user_key,
        g.title,
        g.goal_type,
        g.unit,
        g.target_value,
        g.app_current_value,
        case g.goal_type
            when 'practice_minutes' then coalesce(m.practice_minutes, 0)
            when 'sessions_count' then coalesce(m.sessions_count, 0)
            when 'completion_rate' then coalesce(m.completion_rate, 0)
            when 'songs_mastered' then coalesce(ms.songs_mastered, 0)
        end as current_value,
        coalesce(m.sessions_count, 0) as sessions_counted,
        g.deadline,
        g.status,
        g.created_at,
        {{ utc_date('g.created_at') }} as created_date,
        g.updated_at
    from goals as g
    left join measures as m on m.goal_id = g.goal_id
    left join mastered as ms on ms.goal_id = g.goal_id
    left join {{ ref('stg_chordme__user_pseudonyms') }} as p on p.user_id = g.user_id
)

select
    progress.*,
    round(cast(100.0 * current_value / target_value as numeric), 2) as pct_of_target
from progress
