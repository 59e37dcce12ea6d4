{# The combination of ``columns`` identifies a row (dbt_utils' unique_combination_of_columns, which cannot be
   installed here). Returns the repeated combinations. #}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as copies
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
