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

{#
  The values of an integer ``column`` of ``relation`` (a table, a CTE's name or a parenthesised query) that occur
  more than once, with how often: rows (column, n_records). NULL counts as a value, as in a grouping.
#}
{% macro repeated_values(relation, column) -%}
    {{ return(adapter.dispatch('repeated_values')(relation, column)) }}
{%- endmacro %}

{% macro default__repeated_values(relation, column) -%}
    select {{ column }}, count(*) as n_records
    from {{ relation }}
    group by {{ column }}
    having count(*) > 1
{%- endmacro %}

{#-
  On DuckDB, grouping every value (47M event ids: 2.7-3.4 s) is mostly wasted: keys are nearly always unique. So
  the values are first cut into blocks of 65,536 consecutive integers, and a block can only hold a repeated value
  if it has more rows than distinct values, which a bitmap per block counts (0.3 s for the 47M ids). Only the
  rows of such blocks are grouped. The bitmaps take 8 KB per block, so this path is taken only where the values
  are dense (ids of a sequence: a range under 8 values per row, hence at most 8 x rows / 65,536 blocks);
  elsewhere every row is grouped, as by default. ``column`` must be an integer type.
-#}
{% macro duckdb__repeated_values(relation, column) -%}
    with dense as (
        select {{ ids_are_dense(column) }} as dense
        from {{ relation }}
    ),

    blocks_with_repeats as (
        select {{ id_block(column) }} as block
        from {{ relation }}
        where (select dense from dense)
        group by block
        having count(*) > bit_count({{ id_bitmap(column) }})
    )

    select {{ column }}, count(*) as n_records
    from {{ relation }}
    where not (select dense from dense)
       or {{ column }} is null
       or {{ id_block(column) }} in (select block from blocks_with_repeats)
    group by {{ column }}
    having count(*) > 1
{%- endmacro %}

{#-
  Integer ids in blocks of 65,536 consecutive values, a DuckDB bitmap of 8 KB per block (repeated_values(),
  session_verdicts()): worth it only where the ids are dense, a range under 8 values per row (an aggregate over
  the ids; at most 8 x rows / 65,536 blocks).
-#}
{% macro ids_are_dense(column) -%}
    coalesce(cast(max({{ column }}) as double) - min({{ column }}) < 8.0 * count({{ column }}), false)
{%- endmacro %}

{% macro id_block(column) -%}
    ({{ column }} >> 16)
{%- endmacro %}

{% macro id_offset(column) -%}
    cast({{ column }} & 65535 as integer)
{%- endmacro %}

{% macro id_bitmap(column) -%}
    bitstring_agg({{ id_offset(column) }}, 0, 65535)
{%- endmacro %}
