{#
  The sum of a percentage (0-100) that comes out the same whatever order its rows are added in: each value is
  taken at 3 decimals and added as a DECIMAL. A sum of doubles differs in its last bits from one build to the
  next (DuckDB adds in parallel, in no fixed order, and an incremental build stores a day's rows in another order
  than a full one), and a mean on a rounding tie then printed 65.78 after one build and 65.79 after the other
  (a student's 320 sessions summing to 21052.8, at 10M sessions). Reports sum these sums again, exactly.
#}
{% macro exact_percentage_sum(column) -%}
    cast(sum(cast({{ column }} as decimal(9, 3))) as decimal(18, 3))
{%- endmacro %}
