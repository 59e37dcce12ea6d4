"""What a report reads from the marts, and a fingerprint of it: equal fingerprints, equal reports.

A report for the window [start, end) reads the marts of ``REPORT_MARTS`` (plus those a user, class or band filter
adds, ``marts_read``), and of a dated mart only rows dated before ``end`` (``MART_READS``); besides them,
only its config and the code of ``chordme_bi/reports`` (``publish.code_version``) shape it, run by DuckDB and
pandas. ``tests/integration/reports/test_report_inputs.py`` holds every report type to that: the SQL it runs
names no other mart, and deleting or changing what lies outside those rows leaves the report as it was.

So once a report's files hold the report of a fingerprint, the next call with the same fingerprint need not
build it again (``publish_report``). After a new day lands, every unfiltered report whose window ended before it
keeps its files for the cost of the fingerprint; so does a filtered one, except the usage report, which then
reads the events of the window's sessions (the events fact, fingerprinted whole: it is built again). The
fingerprint of a mart is its column types and, per day, the row count and dbt's build stamps or the rows' content
(``chordme_bi.bi.marts.change_measure``), computed once per connection for all the reports published through one
``ReportInputs``; the DuckDB and pandas versions are part of it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from chordme_bi.reports.config import ReportType

if TYPE_CHECKING:
    import duckdb

    from chordme_bi.reports.config import ReportConfig


@dataclass(frozen=True)
class MartRead:
    date_column: str | None = None  # reports read only rows dated before the window end (None: any row)
    columns: tuple[str, ...] | None = None  # the columns they read (None: all)


MART_READS: dict[str, MartRead] = {
    "fct_sessions": MartRead("session_date"),
    "fct_problem_sections": MartRead("session_date"),
    # joined to the window's sessions: an event after midnight belongs to the session of the day before
    "fct_performance_events": MartRead(),
    "agg_student_daily": MartRead("activity_date"),
    "agg_usage_hourly": MartRead("activity_date"),
    "agg_events_daily": MartRead("activity_date"),
    "agg_platform_daily": MartRead("activity_date"),
    "agg_band_performances": MartRead("performance_date"),
    "agg_goal_progress_daily": MartRead("activity_date"),
    # goals created before the end; not current_value and the other columns that move with every new session
    "fct_goal_progress": MartRead("created_date", ("goal_id", "user_id", "title", "goal_type", "unit", "target_value",
                                                   "created_date", "deadline", "status")),
    "dim_bands": MartRead(),
    "bridge_band_members": MartRead(),
    "bridge_class_students": MartRead(),
}

REPORT_MARTS: dict[ReportType, tuple[str, ...]] = {
    ReportType.STUDENT_PROGRESS: ("fct_sessions", "agg_student_daily", "fct_problem_sections", "fct_goal_progress",
                                  "agg_goal_progress_daily"),
    ReportType.BAND_COLLABORATION: ("agg_band_performances", "dim_bands"),
    ReportType.USAGE_PATTERNS: ("agg_usage_hourly", "agg_events_daily", "fct_sessions"),
    ReportType.PERFORMANCE_TRENDS: ("agg_platform_daily",),
    ReportType.COMPARATIVE_ANALYSIS: ("fct_sessions",),
    ReportType.GOAL_TRACKING: ("fct_goal_progress", "agg_goal_progress_daily"),
}
# What a filter adds: resolving a class or a band into users (queries.resolve_scope), and, with any filter, the
# per-user facts a report type reads in place of aggregates that have no user dimension.
CLASS_MARTS = ("bridge_class_students",)
BAND_MARTS = ("dim_bands", "bridge_band_members")
FILTERED_MARTS: dict[ReportType, tuple[str, ...]] = {
    ReportType.USAGE_PATTERNS: ("fct_sessions", "fct_performance_events"),
    ReportType.PERFORMANCE_TRENDS: ("fct_sessions",),
    ReportType.BAND_COLLABORATION: ("bridge_band_members",),
}


def marts_read(config: ReportConfig) -> tuple[str, ...]:
    marts = REPORT_MARTS[config.report_type]
    if config.class_id is not None:
        marts += CLASS_MARTS
    if config.band_id is not None:
        marts += BAND_MARTS
    if config.user_ids or config.class_id is not None or config.band_id is not None:
        marts += FILTERED_MARTS.get(config.report_type, ())
    return tuple(dict.fromkeys(marts))


class ReportInputs:
    """Fingerprints of the marts one connection sees, computed on first use and kept: open one per read-only
    connection (no writer can change the file while it is open) and pass it to every ``publish_report``."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        self._days: dict[str, dict[date | None, tuple]] = {}
        self._types: dict[str, list[str]] = {}

    def _mart_days(self, mart: str) -> dict[date | None, tuple]:
        """Day (None: the whole mart, for undated reads) -> (rows, measure of their stamps or content)."""
        if mart not in self._days:
            from chordme_bi.bi.marts import SCHEMA, change_measure, column_types, quote

            read = MART_READS[mart]
            measure = change_measure(self._con, mart, read.columns)
            day = f"m.{quote(read.date_column)}" if read.date_column else "NULL::DATE"
            rows = self._con.execute(f"SELECT {day} AS day, count(*), {measure} FROM {SCHEMA}.{quote(mart)} AS m "
                                     "GROUP BY ALL").fetchall()
            self._days[mart] = {d: tuple(str(v) for v in rest) for d, *rest in rows}
            self._types[mart] = column_types(self._con, mart)
        return self._days[mart]

    def fingerprint(self, config: ReportConfig, start: date, end: date, code_version: str) -> str:
        """Hash of what the report of [start, end) reads, its config, and ``code_version``."""
        import duckdb
        import pandas

        from chordme_bi.reports.engine import config_dict

        digest = hashlib.sha256(json.dumps(
            {"config": config_dict(config, start, end), "include_recommendations": config.include_recommendations,
             "include_detailed_breakdown": config.include_detailed_breakdown, "code": code_version,
             "duckdb": duckdb.__version__, "pandas": pandas.__version__},
            sort_keys=True).encode())
        for mart in sorted(marts_read(config)):
            days = self._mart_days(mart)
            if MART_READS[mart].date_column:  # rows with no date are in no window
                days_read = sorted((d, v) for d, v in days.items() if d is not None and d < end)
            else:  # one entry: the whole mart
                days_read = list(days.items())
            digest.update(json.dumps([mart, self._types[mart], [(str(d), v) for d, v in days_read]]).encode())
        return digest.hexdigest()[:16]
