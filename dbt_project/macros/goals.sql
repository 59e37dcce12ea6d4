{# A goal's progress in its own unit, from the measures summed out of agg_goal_progress_daily. #}
{% macro goal_current_value(goal_type, measures) -%}
    case {{ goal_type }}
        when 'practice_minutes' then coalesce({{ measures }}.practice_minutes, 0)
        when 'sessions_count' then coalesce({{ measures }}.sessions_count, 0)
        when 'completion_rate' then coalesce({{ measures }}.completion_rate, 0)
        when 'songs_mastered' then coalesce({{ measures }}.songs_mastered, 0)
    end
{%- endmacro %}
