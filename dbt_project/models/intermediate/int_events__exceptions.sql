{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=[
            "{{ drop_replaced_table('int_events__validated') }}",
            "{{ forget_sessions(sessions_to_revalidate('stg_chordme__performance_events')) }}",
        ],
    )
}}
{%- set columns = ['event_id', 'session_id', 'event_type', 'event_at', 'position_seconds', 'chord_at_position',
                   'section_name', 'created_at', '_loaded_at'] %}
{%- set duplicate_key = ['session_id', 'event_type', 'event_at', 'position_seconds'] %}
{%- set verdicts = session_verdicts('e', 'select session_id from touched' if is_incremental() else none) %}
{%- set checks = [
    ("e.copy_number > 1", "duplicate_primary_key"),
    ("e.copy_number = 1 and e.duplicate_number > 1", "duplicate_event"),
] + session_checks(verdicts) + [
    ("e.event_type is null or e.event_type not in ('pause', 'play', 'rewind', 'fast_forward', 'tempo_change', 'seek')", "invalid_event_type"),
    ("e.event_at is null", "missing_timestamp"),
    ("e.position_seconds < 0", "negative_position"),
] %}
-- The staged events that are not simply accepted, with their rejection reasons ('' when accepted): every
-- copy of a repeated id and every event whose duplicate key repeats (the accepted one among them too), and
-- every rejected event. An event belongs to a usable session, and an event the app wrote twice (same
-- session, type, instant and position) counts once: the lowest id is kept. quarantine_performance_events
-- takes the rejected rows; fct_performance_events takes every staged event whose id is not here, and the
-- accepted rows that are.
-- Only these rows (about 2.5 %) are written: a table of every event with its verdict (the model this one
-- replaced) wrote the 47M events a second time, for 43.7 s of the events' path at 10M sessions against 26.6 s.
-- Every rule looks only inside one session (an event's copies, its duplicates, its session's validity), so an
-- incremental run revalidates whole sessions: those with events loaded after the latest one here and those
-- validated again in int_sessions__exceptions. Their rows here are deleted first (the pre-hook): delete+insert
-- only replaces sessions that still have exceptions, and a session fixed at the source has none. The latest
-- load here may be older than the latest load (a load without exceptions); sessions revalidated for nothing
-- are the only cost.
--
-- Speed: numbering copies and duplicates needs windows, and windows over every event sorted whole rows. Only
-- rows whose id or duplicate key occurs more than once can be numbered anything but 1, so two groupings on
-- one value each find those few rows (about 2 %), the windows run on them alone, and every other row streams
-- through numbered 1. The windows see every row of each partition they number, so the numbers are exactly
-- those of windows over all events.
with
{% if is_incremental() %}
touched as materialized (
    {{ sessions_to_revalidate('stg_chordme__performance_events') }}
),
{% endif %}

-- read five times: a copy of every event would cost more than the scans, but an incremental run's few
-- sessions are copied once instead of finding them among all events five times (1.1 s -> 0.5 s alone)
events as {% if not is_incremental() %}not {% endif %}materialized (
    select *, {{ row_fingerprint(duplicate_key) }} as duplicate_key
    from {{ ref('stg_chordme__performance_events') }}
    {% if is_incremental() %}
    where session_id in (select session_id from touched)
    {% endif %}
),

repeated_ids as materialized (
    select event_id from ({{ repeated_values('events', 'event_id') }}) as repeated
),

repeated_keys as materialized (
    select duplicate_key from events group by duplicate_key having count(*) > 1
),

marked as not materialized (
    select e.*, (r.event_id is not null or k.duplicate_key is not null) as is_repeated
    from events as e
    left join repeated_ids as r on r.event_id = e.event_id
    left join repeated_keys as k on k.duplicate_key = e.duplicate_key
),

numbered as (
    select
        {{ columns | join(', ') }},
        row_number() over (partition by event_id order by _loaded_at desc) as copy_number,
        row_number() over (partition by {{ duplicate_key | join(', ') }} order by event_id) as duplicate_number,
        true as is_repeated
    from marked
    where is_repeated
    union all
    select {{ columns | join(', ') }}, 1 as copy_number, 1 as duplicate_number, false as is_repeated
    from marked
    where not is_repeated
)

select
    {%- for column in columns %}
    e.{{ column }},
    {%- endfor %}
    e.copy_number,
    e.duplicate_number,
    {{ rejection_reasons(checks) }} as rejection_reasons
from numbered as e
{{ verdicts.join }}
where e.is_repeated or {{ any_rejection(checks) }}
