{#
  Build the rejection reasons of a row: rejection_reasons([("cond", "reason"), ...]) gives a text with every
  reason whose condition holds, separated by ", ", or '' for a valid row.
#}
{% macro rejection_reasons(checks) -%}
    concat_ws(', ',
    {%- for condition, reason in checks %}
        case when {{ condition }} then '{{ reason }}' end{{ "," if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}
