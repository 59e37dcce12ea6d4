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

{#
  Pre-hook of an incremental model one of whose columns changed type: with on_schema_change='fail', the first
  build after the upgrade would stop on a warehouse built before (agg_student_daily.problem_sections was a
  sum of counts, HUGEINT on DuckDB and numeric on PostgreSQL; it is a count now, bigint; completion_sum was a
  double and is an exact decimal(18,3) now).
#}
{% macro migrate_column_type(column, data_type) -%}
    {%- set existing = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) if execute -%}
    {%- set other_type = [] -%}
    {%- if existing -%}
        {%- for c in adapter.get_columns_in_relation(existing) -%}
            {%- if c.name | lower == column and normalized_type(c.data_type) != normalized_type(data_type) -%}
                {%- do other_type.append(c.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if other_type -%}
        alter table {{ existing }} alter column {{ column }} type {{ data_type }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{# A type name as both adapters report it: DuckDB says DECIMAL(18,3) where PostgreSQL says numeric(18,3). #}
{% macro normalized_type(data_type) -%}
    {{- return(data_type | lower | replace('decimal', 'numeric') | replace(' ', '')) -}}
{%- endmacro %}

{#
  Pre-hook of an incremental model that gained a column: with on_schema_change='fail', the first build after the
  upgrade would stop on a warehouse built before. The rows already there get NULL (fct_problem_sections and
  agg_student_daily gained _built_at; a NULL stamp reads as "built before stamps existed").
#}
{% macro migrate_add_column(column, data_type) -%}
    {%- set existing = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) if execute -%}
    {%- if existing and column not in adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | list -%}
        alter table {{ existing }} add column {{ column }} {{ data_type }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
