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

{#
  Whether any check of rejection_reasons(checks) holds: a filter for models that keep only the exceptions, so
  that the reasons text is built for the rows kept alone (on every staged event it cost 3.1 s of CPU at 10M
  sessions). A condition that is NULL adds no reason there and holds nothing here.
#}
{% macro any_rejection(checks) -%}
    (
    {%- for condition, reason in checks %}
        ({{ condition }}){{ " or" if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}
