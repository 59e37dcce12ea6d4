-- Every valid setlist performance (gig or rehearsal), with its per-song outcome summed up.
with songs as (
    select
        performance_id,
        count(*) as song_rows,
        sum(case when was_performed then 1 else 0 end) as songs_marked_performed,
        avg(performance_rating) as mean_song_rating,
        avg(actual_tempo_bpm) as mean_actual_tempo_bpm
    from {{ ref('stg_chordme__setlist_performance_songs') }}
    group by performance_id
)

select
    p.performance_id,
    p.setlist_id,
    p.performed_by_user_id,
    p.performed_at,
    {{ utc_date('p.performed_at') }} as performance_date,
    p.venue,
    p.event_type,
    p.audience_size,
    p.total_duration_minutes,
    p.songs_performed,
    p.songs_skipped,
    p.overall_rating,
    p.technical_rating,
    p.audience_engagement,
    s.song_rows,
    s.songs_marked_performed,
    s.mean_song_rating,
    s.mean_actual_tempo_bpm,
    p._loaded_at
from {{ ref('int_setlist_performances__validated') }} as p
left join songs as s on s.performance_id = p.performance_id
where p.rejection_reasons = ''
