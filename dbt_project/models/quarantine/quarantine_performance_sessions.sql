-- Rows of raw.performance_sessions that cannot reach the marts, with every reason and all their values.
select *
from {{ ref('int_sessions__exceptions') }}
where rejection_reasons <> ''
