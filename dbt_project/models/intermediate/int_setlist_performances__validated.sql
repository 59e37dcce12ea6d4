with performances as (
    select
        p.*,
        row_number() over (partition by p.performance_id order by p._loaded_at desc) as copy_number
    from {{ ref('stg_chordme__setlist_performances') }} as p
)

select
    p.*,
    {{ rejection_reasons([
        ("p.copy_number > 1", "duplicate_primary_key"),
        ("sl.setlist_id is null", "orphan_setlist"),
        ("p.performed_at is null", "missing_performance_date"),
        ("p.performed_at > p._loaded_at + interval '" ~ var('future_tolerance_hours') ~ " hours'", "future_performance_date"),
        ("p.overall_rating not between 1 and 5 or p.technical_rating not between 1 and 5", "rating_out_of_range"),
        ("p.songs_performed < 0 or p.songs_skipped < 0 or p.total_duration_minutes < 0 or p.audience_size < 0", "negative_count"),
        ("p.audience_engagement is not null and p.audience_engagement not in ('excellent', 'good', 'fair', 'poor')", "invalid_audience_engagement"),
    ]) }} as rejection_reasons
from performances as p
left join {{ ref('stg_chordme__setlists') }} as sl on sl.setlist_id = p.setlist_id
