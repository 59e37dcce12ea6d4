-- An educator's class is a lesson_plan room they created; its students are its active participants.
select
    r.room_id as class_id,
    r.room_name as class_name,
    r.creator_user_id as educator_user_id,
    p.user_id as student_user_id,
    p.role,
    p.joined_at
from {{ ref('stg_chordme__collaboration_rooms') }} as r
join {{ ref('stg_chordme__room_participants') }} as p on p.room_id = r.room_id
where r.room_type = 'lesson_plan'
  and r.status = 'active'
  and p.status = 'active'
  and p.user_id <> r.creator_user_id
