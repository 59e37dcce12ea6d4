{#
  Post-hook of an incremental fact: rows that became invalid at the source leave it, but an id that still has
  a valid copy stays (with a duplicated key, the other copy is the one quarantined).
#}
{% macro drop_rows_without_valid_copy(key, quarantine_model, validated_model) -%}
    delete from {{ this }}
    where {{ key }} in (select {{ key }} from {{ quarantine_model }})
      and {{ key }} not in (select {{ key }} from {{ validated_model }} where rejection_reasons = '')
{%- endmacro %}
