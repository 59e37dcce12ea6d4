{#
  Pre-hook of a model that replaced another: a warehouse built before the change still holds the old table,
  which nothing reads or rebuilds any more (int_events__validated held every event: 47M rows at 10M sessions).
#}
{% macro drop_replaced_table(identifier) -%}
    {%- set replaced = adapter.get_relation(database=this.database, schema=this.schema, identifier=identifier) if execute -%}
    {%- if replaced -%}
        drop {{ replaced.type or 'table' }} if exists {{ replaced }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
