-- A band is a setlist with collaborators (SOURCE_SCHEMA.md); band_id is that setlist's id.
with members as (
    select band_id, count(distinct user_id) as member_count
    from {{ ref('int_band_members') }}
    group by band_id
),

songs as (
    select setlist_id, count(*) as setlist_song_count
    from {{ ref('stg_chordme__setlist_songs') }}
    group by setlist_id
)

select
    s.setlist_id as band_id,
    s.setlist_name as band_name,
    s.owner_user_id,
    s.event_type,
    s.status,
    s.is_deleted,
    m.member_count,
    coalesce(so.setlist_song_count, 0) as setlist_song_count,
    s.created_at
from {{ ref('stg_chordme__setlists') }} as s
join members as m on m.band_id = s.setlist_id
left join songs as so on so.setlist_id = s.setlist_id
