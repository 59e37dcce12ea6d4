{#
  Post-hook of an incremental fact: rows that became invalid at the source leave it, but an id that still has
  a valid copy stays (with a duplicated key, the other copy is the one quarantined). For events the valid
  copies are looked up in int_events__exceptions, which holds every copy of a repeated id: copies of an event
  share its session (the id is the source's primary key, read once by its id cursor).
#}
{% macro drop_rows_without_valid_copy(key, quarantine_model, validated_model) -%}
    {#- Only quarantined keys are candidates: both sides stay the size of the quarantine (a `not in` over every
        valid key hashed the whole history: 2.5 s instead of 0.25 s for the events at 10M sessions). -#}
    delete from {{ this }}
    where {{ key }} in (
        select {{ key }} from {{ quarantine_model }}
        except
        select {{ key }} from {{ validated_model }}
        where rejection_reasons = '' and {{ key }} in (select {{ key }} from {{ quarantine_model }})
    )
{%- endmacro %}

{#
  The accepted rows of a fact validated into an exceptions model (fct_sessions, fct_performance_events): the
  staged rows whose key has no row in the exceptions (every copy of a key with any exception is there; the
  whole table, not only this run's rows), and the accepted rows that are. ``new_rows`` (a list of conditions
  that exclude each other, see new_or_revalidated(); empty on a full build) narrows an incremental run to its
  rows: one branch per condition, because an `or` of them keeps DuckDB from skipping old row groups
  and sent all 47M staged events through the anti-join (1.4 s against 0.4 s at 10M sessions).
  "No row there" means accepted, so build the fact with its exceptions (the warehouse job builds every model).
#}
{% macro accepted_rows(staged_model, exceptions_model, key, columns, new_rows=[]) -%}
    {%- set staged_without_exceptions -%}
    select {{ columns | join(', ') }}
    from {{ ref(staged_model) }} as s
    where not exists (select 1 from {{ ref(exceptions_model) }} as x where x.{{ key }} = s.{{ key }})
    {%- endset %}
    {%- set accepted_exceptions -%}
    select {{ columns | join(', ') }}
    from {{ ref(exceptions_model) }}
    where rejection_reasons = ''
    {%- endset %}
    {{- each_condition(staged_without_exceptions, new_rows) }}
    union all
    {{ each_condition(accepted_exceptions, new_rows) }}
{%- endmacro %}

{#
  ``select_where`` (a select ending in a where clause) once per condition, each and-ed to it, in a union all;
  once as it is when there are none (a full build).
#}
{% macro each_condition(select_where, conditions) -%}
    {%- for condition in conditions or [none] %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    {{ select_where }}{% if condition %} and {{ condition }}{% endif %}
    {%- endfor %}
{%- endmacro %}

{#
  The rows an incremental fact that hangs off sessions rebuilds, as two conditions that exclude each other:
  loaded since ``since``, and loaded before but of a session validated again since (fixed at the source: its
  rows may be valid now although they were not loaded again). Apart, each is a filter DuckDB pushes into the
  scan: the first skips the row groups of earlier loads by their zone maps, the second probes the scan with
  the few revalidated session ids.
#}
{% macro new_or_revalidated(since) -%}
    {{ return([
        "_loaded_at > " ~ since,
        "_loaded_at <= " ~ since ~ " and session_id in (" ~ sessions_revalidated_since(since) ~ ")",
    ]) }}
{%- endmacro %}

{#
  Whether each staged session can be used by the rows that hang off it (events, problem sections), one row per
  session id: '' when it is not in int_sessions__exceptions (simply accepted) or any copy there is accepted
  ('' sorts first), else its reasons. Every copy of a repeated id is in the exceptions, so the staged ids not
  there are distinct, and no grouping over every session is needed. only_sessions_in narrows it to a subquery
  of session ids (incremental runs).
#}
{% macro session_rejections(only_sessions_in=none) -%}
    {%- if only_sessions_in %}
    {#- The few sessions first, held apart: else DuckDB runs the anti-join below over all 10M staged sessions
        and joins the few to its result (0.47 s against 0.02 s at 10M sessions). #}
    with staged as materialized (
        select session_id from {{ ref('stg_chordme__performance_sessions') }}
        where session_id in ({{ only_sessions_in }})
    )
    select s.session_id, '' as rejection_reasons
    from staged as s
    {%- else %}
    select s.session_id, '' as rejection_reasons
    from {{ ref('stg_chordme__performance_sessions') }} as s
    {%- endif %}
    where not exists (select 1 from {{ ref('int_sessions__exceptions') }} as x where x.session_id = s.session_id)
    union all
    select session_id, min(rejection_reasons) as rejection_reasons
    from {{ ref('int_sessions__exceptions') }}
    {%- if only_sessions_in %}
    where session_id in ({{ only_sessions_in }})
    {%- endif %}
    group by session_id
{%- endmacro %}

{#
  The checks of a row that hangs off a session (event, problem section), with the lookups of session_verdicts():
  its session does not exist, or no copy of it is valid.
#}
{% macro session_checks(verdicts) -%}
    {{ return([
        ("not (" ~ verdicts.exists ~ ")", "orphan_session"),
        (verdicts.rejected, "session_rejected"),
    ]) }}
{%- endmacro %}

{#
  How rows that hang off a session (alias ``row``) get their session's verdict: ``join``, a join clause that
  brings in `s`, and two expressions, ``exists`` and ``rejected``, for session_checks(verdicts).

  By default `s` is session_rejections(): every staged session (10M at 10M sessions) in a hash table that the
  rows probe (47M events). That join is what suffers when the build shares its memory limit: with another query holding
  memory it goes external and spills the events that probe it (int_events__exceptions at 10M sessions: 10-12 s
  alone at 1500MB, 15 s at 700MB with 2.1 GB spilled, 25-42 s in the full builds that hit it; 6.1-6.5 s and
  0.4-0.9 GB without the join).
#}
{% macro session_verdicts(row, only_sessions_in=none) -%}
    {{ return(adapter.dispatch('session_verdicts')(row, only_sessions_in)) }}
{%- endmacro %}

{% macro default__session_verdicts(row, only_sessions_in=none) -%}
    {{ return({
        "join": "left join (" ~ session_rejections(only_sessions_in) ~ ") as s on s.session_id = " ~ row ~ ".session_id",
        "exists": "s.session_id is not null",
        "rejected": "s.session_id is not null and s.rejection_reasons <> ''",
    }) }}
{%- endmacro %}

{#-
  On DuckDB, a full build over dense session ids (as repeated_values(): a range under 8 ids per session) looks the
  verdicts up in two bitmaps per block of 65,536 ids, the staged sessions and those with no valid copy: 153
  blocks of two 8 KB bitmaps at 10M sessions instead of a 10M-row hash table, so nothing is left to spill. Sparse
  ids, incremental runs (a few sessions), unit tests and a warehouse without staged sessions yet keep the join.
  Whether the ids are dense is a query at compile time (repeated_values() decides in SQL): the model's SQL differs
  with the answer, so compiling it reads the staged sessions.
-#}
{% macro duckdb__session_verdicts(row, only_sessions_in=none) -%}
    {%- set staged = ref('stg_chordme__performance_sessions') %}
    {#- dbt's unit tests stand CTEs of fixture rows in for the refs: nothing to query there -#}
    {%- if only_sessions_in or not execute or model.resource_type == 'unit_test' or load_relation(staged) is none %}
        {{ return(default__session_verdicts(row, only_sessions_in)) }}
    {%- endif %}
    {%- set dense = run_query("select " ~ ids_are_dense("session_id") ~ " from " ~ staged).columns[0].values()[0] %}
    {%- if not dense %}
        {{ return(default__session_verdicts(row, only_sessions_in)) }}
    {%- endif %}
    {{ return({
        "join": session_bitmaps_join(row, staged, ref('int_sessions__exceptions')),
        "exists": session_bit(row, "staged"),
        "rejected": session_bit(row, "rejected"),
    }) }}
{%- endmacro %}

{#- The bitmaps' join and lookups, on their own so that tests can run them without dbt. -#}
{% macro session_bitmaps_join(row, staged, exceptions) -%}
    left join (
        select b.block, b.staged, r.rejected
        from (
            select {{ id_block('session_id') }} as block, {{ id_bitmap('session_id') }} as staged
            -- as session_rejections(), a session of the exceptions exists even if it were not staged
            from (select session_id from {{ staged }} union all select session_id from {{ exceptions }}) as known
            where session_id is not null
            group by block
        ) as b
        left join (
            select {{ id_block('session_id') }} as block, {{ id_bitmap('session_id') }} as rejected
            from (
                select session_id from {{ exceptions }}
                group by session_id
                having min(rejection_reasons) <> ''
            ) as rejected_sessions
            group by block
        ) as r on r.block = b.block
    ) as s on s.block = {{ id_block(row ~ '.session_id') }}
{%- endmacro %}

{% macro session_bit(row, bitmap) -%}
    coalesce(get_bit(s.{{ bitmap }}, {{ id_offset(row ~ '.session_id') }}) = 1, false)
{%- endmacro %}

{#
  Sessions validated again since ``since``: those with rows loaded after it (int_sessions__exceptions validates
  again every session with newly loaded rows). The rows that hang off them (events, problem sections) may
  have changed validity although they were not loaded again themselves.
#}
{% macro sessions_revalidated_since(since) -%}
    select session_id from {{ ref('stg_chordme__performance_sessions') }} where _loaded_at > {{ since }}
{%- endmacro %}

{#
  The days an incremental daily aggregate (unique_key activity_date) rebuilds from one of its facts: days with
  rows loaded since its last build, and days on which it no longer counts what the fact holds: rows removed (a
  session broken at the source), added without a new load of their own (events of a session fixed at the
  source) or moved to another day.
#}
{% macro days_to_rebuild(fact, fact_day, aggregate_count) -%}
    select {{ fact_day }} from {{ fact }} where _loaded_at > {{ max_loaded_at(this) }}
    union
    select coalesce(f.day, a.day)
    from (select {{ fact_day }} as day, count(*) as n from {{ fact }} group by {{ fact_day }}) as f
    full outer join (
        select activity_date as day, sum({{ aggregate_count }}) as n from {{ this }} group by activity_date
    ) as a on a.day = f.day
    -- 0, not NULL, on a side without the day: the aggregate's days come from sessions, so a day with sessions
    -- but no problem sections sums to 0 there and is absent from the fact (it was rebuilt on every run)
    where coalesce(f.n, 0) <> coalesce(a.n, 0)
{%- endmacro %}

{#
  Sessions whose children (events, problem sections) an incremental validation must check again: those with
  children loaded since the last build, and those validated again themselves.
#}
{% macro sessions_to_revalidate(staged_children) -%}
    {%- set since = max_loaded_at(this) %}  {#- one read of the table: max_loaded_at() queries it each call #}
    select session_id from {{ ref(staged_children) }} where _loaded_at > {{ since }}
    union
    {{ sessions_revalidated_since(since) }}
{%- endmacro %}

{#
  Pre-hook of an incremental model that keeps only some rows of each session (int_sessions__exceptions,
  int_events__exceptions): the rows of the sessions it validates again (``sessions``, a subquery) are deleted
  before it runs, as a session may now have none to keep, and delete+insert removes only the sessions it
  writes. The model then finds the same sessions (or more, if the deleted rows held its latest load:
  validating a session again gives the rows it already had).
#}
{% macro forget_sessions(sessions) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where session_id in ({{ sessions }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#
  When this dbt invocation started: stamped on every row an incremental fact writes (_built_at), so that the
  checks of what a build wrote can find those rows (the `__latest_build__` test filter, unique_in_latest_build).
#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00' as timestamp with time zone)
{%- endmacro %}

{# The rows of ``relation`` that its latest build wrote. #}
{% macro written_by_latest_build(relation) -%}
    _built_at = {{ latest_timestamp(relation, '_built_at') }}
{%- endmacro %}
