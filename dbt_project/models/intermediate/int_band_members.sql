-- A band is a setlist with collaborators; its members are the collaborators plus the setlist's owner.
with bands as (
    select distinct setlist_id from {{ ref('stg_chordme__setlist_collaborators') }}
)

select c.setlist_id as band_id, c.user_id, c.band_role, c.instrument
from {{ ref('stg_chordme__setlist_collaborators') }} as c

union

select s.setlist_id as band_id, s.owner_user_id as user_id, 'owner' as band_role, cast(null as varchar) as instrument
from {{ ref('stg_chordme__setlists') }} as s
join bands as b on b.setlist_id = s.setlist_id
where s.owner_user_id not in (
    select user_id from {{ ref('stg_chordme__setlist_collaborators') }} as c2 where c2.setlist_id = s.setlist_id
)
