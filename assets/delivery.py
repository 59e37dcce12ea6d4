"""Scheduled report delivery and the data export, as Dagster jobs (thin: the work is in chordme_bi.delivery).

- ``scheduled_report``: build one scheduled_reports row's report for the period that just ended, deliver
  it (email / webhook), log it in ops.delivery_log, write last_run / next_run / status back to the source.
  Launched by the ``scheduled_reports`` sensor; fails when a delivery failed, so the sensor retries it.
- ``data_export``: the seed's "export analytics data" call, with run config.

Both write the warehouse's ops.* tables, so their ops hold the duckdb_writer pool.
"""

from datetime import datetime
from typing import Any

import dagster as dg
from pydantic import Field

from orchestration.resources import DUCKDB_WRITER_POOL, ChordmeBIResource


class ScheduledReportRunConfig(dg.Config):
    scheduled_report_id: int = Field(description="scheduled_reports.id in the source")
    scheduled_time: str | None = Field(default=None, description="the fire time being served (ISO, UTC); "
                                       "None when the row failed validation and is to be marked 'error'")


@dg.op(pool=DUCKDB_WRITER_POOL, description="Build, deliver and log one scheduled report.")
def deliver_scheduled_report(context: dg.OpExecutionContext, config: ScheduledReportRunConfig,
                             chordme: ChordmeBIResource) -> dg.Output[dict]:
    from dataclasses import asdict

    from chordme_bi.delivery.runner import run_scheduled_report

    scheduled = datetime.fromisoformat(config.scheduled_time) if config.scheduled_time else None
    outcome = run_scheduled_report(chordme.settings(), config.scheduled_report_id, scheduled, run_id=context.run_id)
    summary = asdict(outcome)
    for target in outcome.targets:
        context.log.info(f"{target.channel} {target.recipient}: {target.outcome} (attempt {target.attempt}, "
                         f"{target.tries} tries){': ' + target.error if target.error else ''}")
    if outcome.error:
        context.log.warning(outcome.error)
    if outcome.failed:
        raise dg.Failure(
            description=f"{len(outcome.failed)} delivery(ies) failed; the scheduled_reports sensor retries them",
            metadata={"outcome": dg.MetadataValue.json(summary)},
        )
    return dg.Output(summary, metadata={"status": outcome.status, "window": str(outcome.window),
                                        "targets": dg.MetadataValue.json(summary["targets"])})


@dg.job(name="scheduled_report", tags={"chordme/kind": "delivery"},
        description="One scheduled report: build for the period that just ended, deliver, log, write back.")
def scheduled_report_job():
    deliver_scheduled_report()


class DataExportConfig(dg.Config):
    data_type: str = Field(description="sessions | events | performances | goals | users | any marts.<name>")
    start_date: str | None = Field(default=None, description="window start, inclusive (date or ISO timestamp, UTC)")
    end_date: str | None = Field(default=None, description="window end, exclusive")
    format: str = Field(default="csv", description="csv | json | parquet")
    filters: dict[str, Any] = Field(default_factory=dict, description="filter -> list of values, e.g. {user_ids: [1, 2]}")
    out: str | None = Field(default=None, description="output path (default under BI_OUTPUT_DIR/exports)")
    allow_truncate: bool = False


@dg.op(pool=DUCKDB_WRITER_POOL, description="Stream a mart to a file and record it in ops.audit_log.")
def export_data(context: dg.OpExecutionContext, config: DataExportConfig, chordme: ChordmeBIResource) -> dg.Output[dict]:
    from chordme_bi.delivery.export import ExportError, ExportRequest, run_export

    request = ExportRequest(config.data_type, config.start_date, config.end_date, config.format,
                            dict(config.filters), config.out, config.allow_truncate)
    try:
        result = run_export(chordme.settings(), request, run_id=context.run_id)
    except ExportError as exc:
        raise dg.Failure(description=str(exc)) from exc
    return dg.Output(result.as_dict(), metadata={
        "path": dg.MetadataValue.path(result.path), "dagster/row_count": result.rows, "matched": result.matched,
        "truncated": result.truncated, "seconds": result.seconds,
    })


@dg.job(name="data_export", tags={"chordme/kind": "export"},
        description="Export a mart for a window and filters to CSV / JSON / Parquet (the seed's export call).")
def data_export_job():
    export_data()


defs = dg.Definitions(jobs=[scheduled_report_job, data_export_job])
