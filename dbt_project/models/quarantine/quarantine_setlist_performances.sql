-- Rows of raw.setlist_performances that cannot reach the marts, with every reason and all their values.
select *
from {{ ref('int_setlist_performances__validated') }}
where rejection_reasons <> ''
