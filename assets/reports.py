"""Reports as Dagster assets: reports/<type>, one file set per monthly partition (usage_patterns also weekly),
plus the `adhoc_report` job (the seed's generate-report call, as run config).

Thin wiring: open the warehouse read-only, call chordme_bi.reports.engine, write files, record metadata.
Re-running a partition whose report comes out the same writes nothing (chordme_bi/reports/publish.py); each
materialization carries its data version (hash of the report without generated_at, plus the code version).
"""

from pathlib import Path
from typing import Optional

import dagster as dg

from chordme_bi.reports.config import ReportPeriod, ReportType
from chordme_bi.reports.inputs import REPORT_MARTS
from chordme_bi.reports.publish import code_version
from orchestration.resources import ChordmeBIResource

# Partitions start with 2025 (the first year the BI tables exist in the app); end_offset 0 makes the last
# partition the latest complete month / ISO week, never the one in progress.
PARTITIONS_START = "2025-01-01"
monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=0)
# day_offset=1: ISO weeks start on Monday (Dagster's default is Sunday); 2025-01-06 is the first Monday of 2025.
weekly_partitions = dg.WeeklyPartitionsDefinition(start_date="2025-01-06", day_offset=1, end_offset=0)

REPORTS_POOL = "reports"  # limit = BI_MAX_CONCURRENT_REPORTS (`dagster instance concurrency set reports N`)
FILE_FORMATS = ("json", "csv", "html", "pdf")
MAKE_RUN_TAG = {"chordme/make_run": "true"}


# What each report asset reads (rows of these marts dated before its window's end; the assets filter no users,
# classes or bands).
REPORT_DEPS: dict[ReportType, list[dg.AssetKey]] = {
    report_type: [dg.AssetKey(["marts", mart]) for mart in marts] for report_type, marts in REPORT_MARTS.items()}


REPORTS_CODE_VERSION = code_version()


def _summary_markdown(report: dict) -> str:
    summary = report["summary"]
    lines = [f"**{report['report_id']}** - status `{summary['status']}`", ""]
    if summary.get("message"):
        lines += [f"> {summary['message']}", ""]
    lines += ["| metric | value |", "| --- | --- |"]
    lines += [f"| {name} | {value if value is not None else 'n/a'} |" for name, value in summary["key_metrics"].items()]
    if report["insights"]:
        lines += ["", "**Insights**", ""] + [f"- {i['title']}: {i['description']}" for i in report["insights"]]
    return "\n".join(lines)


def build_report_asset(report_type: ReportType, period: ReportPeriod, partitions_def, name: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["reports", name]),
        group_name="reports",
        partitions_def=partitions_def,
        deps=REPORT_DEPS[report_type],
        pool=REPORTS_POOL,
        code_version=REPORTS_CODE_VERSION,
        kinds={"python", "duckdb"},
        description=f"The {report_type.value} report for each {period.value} window (files in "
                    f"<BI_OUTPUT_DIR>/reports/{name}/<partition>.<format>).",
    )
    def _report(context: dg.AssetExecutionContext, chordme: ChordmeBIResource) -> dg.MaterializeResult:
        from chordme_bi.reports.config import ReportConfig
        from chordme_bi.reports.publish import publish_report
        from chordme_bi.warehouse import read_only

        settings = chordme.settings()
        window = context.partition_time_window
        config = ReportConfig(report_type=report_type, period=period, start=window.start.date(), end=window.end.date())
        with read_only(settings.warehouse_path) as con:
            published = publish_report(con, config, Path(settings.reports_dir) / name, context.partition_key, FILE_FORMATS)
        report, written = published.report, published.files
        if published.failed:  # the other formats are written; the run still fails so the broken renderer is seen
            raise dg.Failure(description=f"{report['report_id']}: rendering failed for " +
                             "; ".join(f"{fmt}: {error}" for fmt, error in published.failed.items()),
                             metadata={f"file/{fmt}": str(paths[0]) for fmt, paths in written.items() if paths})
        context.log.info(f"{report['report_id']}: {report['summary']['status']}, "
                         f"{'files written' if published.written else 'unchanged, files kept'}"
                         f"{'' if published.built else ' (inputs unchanged: read back from its JSON file)'}")
        metrics = {f"metric/{k}": v for k, v in report["summary"]["key_metrics"].items() if isinstance(v, (int, float))}
        return dg.MaterializeResult(
            data_version=dg.DataVersion(published.data_version),
            metadata={
                "report_id": report["report_id"],
                "status": report["summary"]["status"],
                "window": f"[{config.start}, {config.end})",
                "summary": dg.MetadataValue.md(_summary_markdown(report)),
                "insights": len(report["insights"]),
                "recommendations": len(report["recommendations"]),
                "rewritten": published.written,
                "rebuilt": published.built,
                **metrics,
                **{f"file/{fmt}": dg.MetadataValue.path(str(paths[0])) for fmt, paths in written.items() if paths},
            },
        )

    return _report


monthly_report_assets = [build_report_asset(t, ReportPeriod.MONTHLY, monthly_partitions, t.value) for t in ReportType]
weekly_usage_asset = build_report_asset(ReportType.USAGE_PATTERNS, ReportPeriod.WEEKLY, weekly_partitions,
                                        "usage_patterns_weekly")

monthly_reports_job = dg.define_asset_job(
    "monthly_reports", selection=dg.AssetSelection.assets(*monthly_report_assets), partitions_def=monthly_partitions,
    tags=MAKE_RUN_TAG, description="Every report type for one calendar month (UTC).")
weekly_usage_report_job = dg.define_asset_job(
    "weekly_usage_report", selection=dg.AssetSelection.assets(weekly_usage_asset), partitions_def=weekly_partitions,
    description="The usage_patterns report for one ISO week (UTC).")
# After the nightly warehouse refresh (02:00 UTC) has loaded the last day of the period.
monthly_reports_schedule = dg.build_schedule_from_partitioned_job(monthly_reports_job, hour_of_day=4, day_of_month=1)
weekly_usage_report_schedule = dg.build_schedule_from_partitioned_job(weekly_usage_report_job, hour_of_day=4, day_of_week=1)


class AdhocReportConfig(dg.Config):
    """The seed's POST /reports/generate body; without start/end, the last complete period."""

    report_type: str
    period: str = "monthly"
    start: Optional[str] = None
    end: Optional[str] = None
    user_ids: Optional[list[int]] = None
    class_id: Optional[str] = None
    band_id: Optional[int] = None
    format: str = "json"
    include_recommendations: bool = True
    include_detailed_breakdown: bool = True


@dg.op(pool=REPORTS_POOL)
def generate_adhoc_report(context: dg.OpExecutionContext, config: AdhocReportConfig, chordme: ChordmeBIResource) -> list:
    from pydantic import ValidationError

    from chordme_bi.reports.config import ReportConfig
    from chordme_bi.reports.engine import generate_report
    from chordme_bi.reports.render import write_report
    from chordme_bi.warehouse import read_only

    try:
        report_config = ReportConfig(**config.model_dump())
    except ValidationError as exc:
        raise dg.Failure(description="invalid report config: " + "; ".join(e["msg"] for e in exc.errors())) from None
    settings = chordme.settings()
    try:
        with read_only(settings.warehouse_path) as con:
            report = generate_report(con, report_config)
    except ValueError as exc:
        raise dg.Failure(description=str(exc)) from None
    written = write_report(report, Path(settings.reports_dir) / "adhoc", stem=report["report_id"],
                           formats=(report_config.format.value,))
    paths = [str(p) for files in written.values() for p in files]
    context.add_output_metadata({"report_id": report["report_id"], "status": report["summary"]["status"],
                                 "summary": dg.MetadataValue.md(_summary_markdown(report)), "files": ", ".join(paths)})
    return paths


@dg.job(description="One report from run config (report_type, period, start, end, filters, format).")
def adhoc_report():
    generate_adhoc_report()


defs = dg.Definitions(
    assets=[*monthly_report_assets, weekly_usage_asset],
    jobs=[monthly_reports_job, weekly_usage_report_job, adhoc_report],
    schedules=[monthly_reports_schedule, weekly_usage_report_schedule],
)
