"""The report engine: a ReportConfig and a warehouse connection in, a report dict out (docs/reports.md).

Each REPORT_BUILDERS entry loads its small frames with chordme_bi.reports.queries and hands them to a pure
function of its own module. A report for a fixed window depends only on the warehouse: ``generated_at`` is the
only field that reads the clock, and report_id is a hash of the request.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable

import duckdb

from chordme_bi.reports import queries
from chordme_bi.reports.band_collaboration import build_band_collaboration
from chordme_bi.reports.comparative_analysis import build_comparative_analysis
from chordme_bi.reports.config import ReportConfig, ReportType
from chordme_bi.reports.goal_tracking import build_goal_tracking
from chordme_bi.reports.performance_trends import build_performance_trends
from chordme_bi.reports.student_progress import build_student_progress
from chordme_bi.reports.usage_patterns import build_usage_patterns

Builder = Callable[[duckdb.DuckDBPyConnection, datetime.date, datetime.date, queries.Scope], dict]


def _student_progress(con, start, end, scope):
    return build_student_progress(
        queries.student_stats(con, start, end, scope), queries.student_daily(con, start, end, scope),
        queries.problem_counts(con, start, end, scope), queries.goals_as_of(con, start, end, scope),
        queries.session_totals(con, start, end, scope), start=start, end=end)


def _band_collaboration(con, start, end, scope):
    return build_band_collaboration(queries.band_performances(con, start, end, scope),
                                    queries.band_coordination_pairs(con, start, end, scope), start=start, end=end)


def _usage_patterns(con, start, end, scope):
    return build_usage_patterns(queries.usage_cells(con, start, end, scope), queries.session_types(con, start, end, scope),
                                queries.event_types(con, start, end, scope), queries.session_totals(con, start, end, scope),
                                start=start, end=end)


def _performance_trends(con, start, end, scope):
    return build_performance_trends(queries.daily_series(con, start, end, scope), start=start, end=end)


def _comparative_analysis(con, start, end, scope):
    previous_start = start - (end - start)
    return build_comparative_analysis(
        queries.session_totals(con, start, end, scope), queries.session_totals(con, previous_start, start, scope),
        queries.device_counts(con, start, end, scope), queries.device_counts(con, previous_start, start, scope),
        start=start, end=end, previous_start=previous_start)


def _goal_tracking(con, start, end, scope):
    return build_goal_tracking(queries.goals_as_of(con, start, end, scope), start=start, end=end)


REPORT_BUILDERS: dict[ReportType, Builder] = {
    ReportType.STUDENT_PROGRESS: _student_progress,
    ReportType.BAND_COLLABORATION: _band_collaboration,
    ReportType.USAGE_PATTERNS: _usage_patterns,
    ReportType.PERFORMANCE_TRENDS: _performance_trends,
    ReportType.COMPARATIVE_ANALYSIS: _comparative_analysis,
    ReportType.GOAL_TRACKING: _goal_tracking,
}

# Entity lists dropped when include_detailed_breakdown is false (aggregates and top-N lists stay).
DETAILED_SECTIONS = ("student_details", "daily_series", "goals")


def config_dict(config: ReportConfig, start: datetime.date, end: datetime.date) -> dict:
    return {
        "report_type": config.report_type.value,
        "period": config.period.value,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "format": config.format.value,
        "user_ids": sorted(config.user_ids) if config.user_ids else None,
        "class_id": config.class_id,
        "band_id": config.band_id,
    }


def report_id(config: ReportConfig, start: datetime.date, end: datetime.date) -> str:
    """<type>_<start>_<end>_<8 hex>: the hash covers what changes the content (not the output format)."""
    identity = {**config_dict(config, start, end), "include_recommendations": config.include_recommendations,
                "include_detailed_breakdown": config.include_detailed_breakdown}
    identity.pop("format")
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:8]
    return f"{config.report_type.value}_{start:%Y%m%d}_{end:%Y%m%d}_{digest}"


def generate_report(con: duckdb.DuckDBPyConnection, config: ReportConfig, *, today: datetime.date | None = None) -> dict:
    """The report for ``config.window(today)``; raises ValueError for an unknown class or band id."""
    start, end = config.window(today)
    scope = queries.resolve_scope(con, config.user_ids, config.class_id, config.band_id)
    built = REPORT_BUILDERS[config.report_type](con, start, end, scope)
    data = built["data"]
    if not config.include_detailed_breakdown:
        data = {k: v for k, v in data.items() if k not in DETAILED_SECTIONS}
    return {
        "report_id": report_id(config, start, end),
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "config": config_dict(config, start, end),
        "summary": {
            "report_type": config.report_type.value,
            "key_metrics": built["key_metrics"],
            "status": built["status"],
            "message": built["message"],
        },
        "data": data,
        "insights": built["insights"],
        "recommendations": built["recommendations"] if config.include_recommendations else [],
        "charts": built["charts"],
    }


def content_hash(report: dict) -> str:
    """Hash of everything but generated_at: equal for equal content (used as the Dagster data version)."""
    body = {k: v for k, v in report.items() if k != "generated_at"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
