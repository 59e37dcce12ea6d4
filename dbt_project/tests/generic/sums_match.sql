{# A measure survives aggregation: sum(column) here = sum(other_column) in other_model. #}
{% test sums_match(model, column_name, other_model, other_column) %}
with a as (select coalesce(sum({{ column_name }}), 0) as total from {{ model }}),
     b as (select coalesce(sum({{ other_column }}), 0) as total from {{ other_model }})
select a.total as this_total, b.total as other_total from a cross join b where a.total <> b.total
{% endtest %}
