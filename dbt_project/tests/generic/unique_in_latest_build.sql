{#
  `unique` for a large incremental fact, at the cost of its new rows: the keys the latest build wrote (rows
  with the highest _built_at) are checked against the whole table. Exact when the table held unique keys
  before that build (the previous build's run of this test): delete+insert on the unique key removes every
  old row of a key it writes, so new duplicates can only involve written keys. A full build writes (and so
  checks) every row.
#}
{% test unique_in_latest_build(model, column_name) %}
with written as (
    select {{ column_name }} from {{ model }}
    where {{ written_by_latest_build(model) }}
)

select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
where {{ column_name }} in (select {{ column_name }} from written)
group by {{ column_name }}
having count(*) > 1
{% endtest %}
