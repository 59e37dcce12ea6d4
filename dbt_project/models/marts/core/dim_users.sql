-- Users without personal data: no email, no display name. user_key is the identified pseudonym.
select
    u.user_id,
    p.user_key,
    u.created_at,
    {{ utc_date('u.created_at') }} as created_date,
    r.is_educator,
    r.is_student,
    r.is_band_member
from {{ ref('stg_chordme__users') }} as u
left join {{ ref('stg_chordme__user_pseudonyms') }} as p on p.user_id = u.user_id
left join {{ ref('int_user_roles') }} as r on r.user_id = u.user_id
