-- Rows of raw.user_goals that cannot reach the marts, with every reason and all their values.
select *
from {{ ref('int_user_goals__validated') }}
where rejection_reasons <> ''
