-- Band x performance: how it went and how the band prepared for it.
-- rehearsals_before: the band's earlier rehearsal performances; rehearsal_sessions_in_window: members'
-- rehearsal sessions on this setlist in the rehearsal window (var rehearsal_window_days) before it;
-- members_practised_in_window: members who practised any of the setlist's songs in that window.
with performances as (
    select p.*
    from {{ ref('fct_setlist_performances') }} as p
    join {{ ref('dim_bands') }} as b on b.band_id = p.setlist_id
),

members as (
    select band_id, user_id from {{ ref('bridge_band_members') }}
),

setlist_song_set as (
    select distinct setlist_id, song_id from {{ ref('bridge_setlist_songs') }}
),

-- Each performance's window, [performed_at - N days, performed_at), lies within two (N + 1)-day spans of the
-- epoch (the extra day covers a day of 25 hours where the time zone is not UTC). Matching a member's sessions on
-- those spans before the window leaves the pairs of nearby performances only; on the member alone, every session
-- met every performance of the member's bands. At 10M sessions: 6.1M pairs instead of 51.6M for the 2.9M in
-- windows, and the model 1.2-1.35 s instead of 1.8-1.9 s as a dbt node.
{% set window_days = var("rehearsal_window_days") | int %}
member_windows as (
    select
        p.performance_id,
        p.setlist_id,
        p.performed_at,
        m.user_id,
        {{ epoch_bucket('p.performed_at', window_days + 1) }} - spans.back as window_span
    from performances as p
    join members as m on m.band_id = p.setlist_id
    cross join (select 0 as back union all select 1 as back) as spans
),

member_sessions as (
    select
        w.performance_id,
        s.user_id,
        s.session_type = 'rehearsal' and s.setlist_id = w.setlist_id as is_setlist_rehearsal,
        s.setlist_id = w.setlist_id or ss.song_id is not null as is_setlist_practice
    from member_windows as w
    join {{ ref('fct_sessions') }} as s
        on s.user_id = w.user_id
        and {{ epoch_bucket('s.started_at', window_days + 1) }} = w.window_span
        and s.started_at < w.performed_at
        and s.started_at >= w.performed_at - interval '{{ window_days }} days'
    left join setlist_song_set as ss on ss.setlist_id = w.setlist_id and ss.song_id = s.song_id
),

-- Earlier rehearsals as a join + group by rather than a correlated subquery per performance, which
-- PostgreSQL runs as a nested loop over all performances.
earlier_rehearsals as (
    select p.performance_id, count(*) as rehearsals_before
    from performances as p
    join performances as earlier
        on earlier.setlist_id = p.setlist_id
        and earlier.event_type = 'rehearsal'
        and earlier.performed_at < p.performed_at
    group by p.performance_id
),

preparation as (
    select
        ms.performance_id,
        count(distinct case when ms.is_setlist_practice then ms.user_id end) as members_practised_in_window,
        sum(case when ms.is_setlist_rehearsal then 1 else 0 end) as rehearsal_sessions_in_window
    from member_sessions as ms
    group by ms.performance_id
)

select
    p.setlist_id as band_id,
    p.performance_id,
    p.performed_at,
    p.performance_date,
    p.event_type,
    p.event_type = 'rehearsal' as is_rehearsal,
    p.venue,
    p.audience_size,
    p.total_duration_minutes,
    p.overall_rating,
    p.technical_rating,
    p.songs_performed,
    p.songs_skipped,
    p.audience_engagement,
    p.mean_song_rating,
    b.member_count,
    coalesce(er.rehearsals_before, 0) as rehearsals_before,
    coalesce(pr.rehearsal_sessions_in_window, 0) as rehearsal_sessions_in_window,
    coalesce(pr.members_practised_in_window, 0) as members_practised_in_window,
    round(cast(coalesce(pr.members_practised_in_window, 0) as numeric) / nullif(b.member_count, 0), 4)
        as team_coordination
from performances as p
join {{ ref('dim_bands') }} as b on b.band_id = p.setlist_id
left join preparation as pr on pr.performance_id = p.performance_id
left join earlier_rehearsals as er on er.performance_id = p.performance_id
