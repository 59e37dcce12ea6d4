{#
  A compact fingerprint of several columns, so repeated combinations are found with one grouping on a single
  value instead of a sort of whole rows. It may collide: a collision only sends rows down the exact path
  (see int_events__exceptions), it never changes a result. NULLs take part, as in a window's partition.
#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint')(columns)) }}
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    md5(concat_ws('|'
    {%- for column in columns -%}
        , coalesce(cast({{ column }} as {{ dbt.type_string() }}) || '.', '')
    {%- endfor -%}
    ))
{%- endmacro %}
