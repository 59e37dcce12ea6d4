{#
  Nothing is lost on the way to the marts: rows in the raw table = rows accepted (this model) + rows in its
  quarantine model.
#}
{% test reconciles_with_raw(model, raw_relation, quarantine_model) %}
with counts as (
    select
        (select count(*) from {{ raw_relation }}) as raw_rows,
        (select count(*) from {{ model }}) as accepted_rows,
        (select count(*) from {{ quarantine_model }}) as quarantined_rows
)
select * from counts where raw_rows <> accepted_rows + quarantined_rows
{% endtest %}
