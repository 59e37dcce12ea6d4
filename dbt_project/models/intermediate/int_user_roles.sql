-- Who teaches, who studies, who plays in a band. An educator created a lesson_plan room; a student is an
-- active member of one; a band member owns or collaborates on a setlist that has collaborators.
with classes as (
    select room_id, creator_user_id as educator_user_id
    from {{ ref('stg_chordme__collaboration_rooms') }}
    where room_type = 'lesson_plan' and status = 'active'
),

students as (
    select distinct p.user_id
    from {{ ref('stg_chordme__room_participants') }} as p
    join classes as c on c.room_id = p.room_id
    where p.status = 'active' and p.role in ('member', 'guest') and p.user_id <> c.educator_user_id
),

band_members as (
    select distinct user_id from {{ ref('int_band_members') }}
)

select
    u.user_id,
    u.user_id in (select educator_user_id from classes) as is_educator,
    u.user_id in (select user_id from students) as is_student,
    u.user_id in (select user_id from band_members) as is_band_member
from {{ ref('stg_chordme__users') }} as u
