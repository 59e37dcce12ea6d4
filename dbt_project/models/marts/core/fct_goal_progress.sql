-- Goal progress recomputed from the sessions themselves, not trusted from the app's current_value: the sum
-- of agg_goal_progress_daily over every day (the sessions from the goal's creation up to its deadline).
with goals as (
    select * from {{ ref('int_user_goals__validated') }} where rejection_reasons = ''
),

measures as (
    select
        goal_id,
        sum(sessions) as sessions_count,
        sum(practice_seconds) / 60.0 as practice_minutes,
        sum(completion_sum) / nullif(sum(completion_sessions), 0) as completion_rate,
        sum(songs_first_mastered) as songs_mastered
    from {{ ref('agg_goal_progress_daily') }}
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
        {{ goal_current_value('g.goal_type', 'm') }} as current_value,
        coalesce(m.sessions_count, 0) as sessions_counted,
        g.deadline,
        g.status,
        g.created_at,
        {{ utc_date('g.created_at') }} as created_date,
        g.updated_at
    from goals as g
    left join measures as m on m.goal_id = g.goal_id
    left join {{ ref('stg_chordme__user_pseudonyms') }} as p on p.user_id = g.user_id
)

select
    progress.*,
    round(cast(100.0 * current_value / target_value as numeric), 2) as pct_of_target
from progress
