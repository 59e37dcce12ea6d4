-- Rows of raw.problem_sections that cannot reach the marts, with every reason and all their values.
select *
from {{ ref('int_problem_sections__validated') }}
where rejection_reasons <> ''
