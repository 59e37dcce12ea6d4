with goals as (
    select
        g.*,
        row_number() over (partition by g.goal_id order by g._loaded_at desc) as copy_number
    from {{ ref('stg_chordme__user_goals') }} as g
)

select
    g.*,
    {{ rejection_reasons([
        ("g.copy_number > 1", "duplicate_primary_key"),
        ("u.user_id is null", "orphan_user"),
        ("g.goal_type is null or g.goal_type not in ('practice_minutes', 'sessions_count', 'completion_rate', 'songs_mastered')", "invalid_goal_type"),
        ("g.target_value is null or g.target_value <= 0", "invalid_target_value"),
    ]) }} as rejection_reasons
from goals as g
left join {{ ref('stg_chordme__users') }} as u on u.user_id = g.user_id
