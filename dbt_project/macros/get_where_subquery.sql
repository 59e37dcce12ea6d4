{#
  dbt's hook for a test's `where` config, extended with one placeholder (the pattern dbt documents for
  dynamic filters): `__latest_build__` keeps the rows the latest build of an incremental fact wrote, so a
  row-level test of a 47M-row fact costs what the new rows cost. A full build writes every row, so it checks
  them all. Only for tests whose verdict on a row cannot change after the row was written.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__latest_build__' in where -%}
            {%- set where = where | replace('__latest_build__', written_by_latest_build(relation)) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
