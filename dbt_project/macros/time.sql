{# Time helpers: the warehouse works in UTC; every window is half-open [start, end). #}

{# The UTC wall clock of ``ts`` as a timestamp without time zone. #}
{% macro utc(ts) -%}
    {{ return(adapter.dispatch('utc')(ts)) }}
{%- endmacro %}

{% macro default__utc(ts) -%}
    ({{ ts }} at time zone 'UTC')
{%- endmacro %}

{#- DuckDB converts `at time zone` through ICU: 1.9 s for the 47M events at 10M sessions, and three of them for
    the sessions. From the epoch it is arithmetic (0.25 s), with the same values (pre-1970 and NULL included). #}
{% macro duckdb__utc(ts) -%}
    make_timestamp(epoch_us({{ ts }}))
{%- endmacro %}

{% macro utc_date(ts) -%}
    cast({{ utc(ts) }} as date)
{%- endmacro %}

{% macro utc_hour(ts) -%}
    cast(extract(hour from {{ utc(ts) }}) as integer)
{%- endmacro %}

{#- The number of the ``days``-long span of time since the epoch that holds ``ts`` (floored, so instants before
    1970 fall in negative spans). A window of at most ``days`` days ending at P lies within P's span and the one
    before it: a range join can first match on the two spans, an equi-join. #}
{% macro epoch_bucket(ts, days) -%}
    {{ return(adapter.dispatch('epoch_bucket')(ts, days)) }}
{%- endmacro %}

{% macro default__epoch_bucket(ts, days) -%}
    cast(floor(extract(epoch from {{ ts }}) / {{ (days | int) * 86400 }}) as bigint)
{%- endmacro %}

{#- epoch_us() is integer arithmetic; extract(epoch ...) goes through ICU for a timestamp with time zone. #}
{% macro duckdb__epoch_bucket(ts, days) -%}
    cast(floor(epoch_us({{ ts }}) / {{ (days | int) * 86400000000 }}) as bigint)
{%- endmacro %}

{# ISO day of week: 1 = Monday ... 7 = Sunday #}
{% macro utc_isodow(ts) -%}
    cast(extract(isodow from {{ utc(ts) }}) as integer)
{%- endmacro %}

{#
  The latest value of a timestamp column of ``relation`` (1900-01-01 when it has no rows). When dbt executes,
  it is read first and written as a literal: a constant that a scan compares with its zone maps, so the row
  groups of earlier loads and builds are skipped. As a scalar subquery DuckDB joins it to every row instead,
  and with two branches sharing a scan it materialized all 47M events to spill (11 s against 0.4 s for one
  branch pair of fct_performance_events at 10M sessions). The text form carries its UTC offset, so the literal
  is the same instant in any session time zone. Read when the node is compiled, before its pre-hooks run: a
  pre-hook that deletes rows (forget_sessions) sees the same value as the model.
#}
{% macro latest_timestamp(relation, column) -%}
    {%- set latest -%}
        select coalesce(max({{ column }}), cast('1900-01-01 00:00:00+00' as timestamp with time zone)) from {{ relation }}
    {%- endset -%}
    {#- (arguments are rendered eagerly: a pre-hook asks for it on a first build too, when there is no table) #}
    {%- if execute and load_relation(relation) is not none -%}
        cast('{{ run_query("select cast((" ~ latest ~ ") as varchar)").columns[0].values()[0] }}' as timestamp with time zone)
    {%- else -%}
        ({{ latest }})
    {%- endif -%}
{%- endmacro %}

{# Where the last build of an incremental model (``relation``, usually `this`) got to in the loads. #}
{% macro max_loaded_at(relation) -%}
    {{ latest_timestamp(relation, '_loaded_at') }}
{%- endmacro %}
