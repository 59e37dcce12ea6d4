-- Rows of raw.performance_events that cannot reach the marts, with every reason and all their values.
select *
from {{ ref('int_events__exceptions') }}
where rejection_reasons <> ''
