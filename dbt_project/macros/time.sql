{# Time helpers: the warehouse works in UTC; every window is half-open [start, end). #}

{% macro utc(ts) -%}
    ({{ ts }} at time zone 'UTC')
{%- endmacro %}

{% macro utc_date(ts) -%}
    cast({{ utc(ts) }} as date)
{%- endmacro %}

{% macro utc_hour(ts) -%}
    cast(extract(hour from {{ utc(ts) }}) as integer)
{%- endmacro %}

{# ISO day of week: 1 = Monday ... 7 = Sunday #}
{% macro utc_isodow(ts) -%}
    cast(extract(isodow from {{ utc(ts) }}) as integer)
{%- endmacro %}

{% macro max_loaded_at(relation) -%}
    (select coalesce(max(_loaded_at), cast('1900-01-01 00:00:00+00' as timestamp with time zone)) from {{ relation }})
{%- endmacro %}
