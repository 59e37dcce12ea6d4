"""Scheduled report delivery and the data export, as Dagster jobs (thin: the work is in chordme_bi.delivery).

- ``scheduled_report``: build one scheduled_reports row's report for the period that just ended, deliver
  it (email / webhook), log it in ops.delivery_log, write last_run / next_run / status back to the source.
  Launched by the ``scheduled_reports`` sensor; fails when a delivery failed, so the sensor retries it.
  Its graph ``deliver_scheduled_report`` (the run config key the sensor uses) runs three ops:
  ``plan_scheduled_report`` and ``record_scheduled_report`` write the warehouse's ops tables and hold the
  duckdb_writer pool for that moment only; ``send_scheduled_report`` builds the report read-only and talks
  to SMTP servers and webhooks (retries, backoff: possibly minutes) without the pool, so a slow recipient
  never holds up extraction, dbt builds or exports.
- ``data_export``: the seed's "export analytics data" call, with run config; it writes ops.audit_log, so
  its op holds the duckdb_writer pool.
"""

from datetime import datetime
from typing import Any, Iterator

import dagster as dg
from pydantic import Field

from orchestration.resources import DUCKDB_WRITER_POOL, ChordmeBIResource


class ScheduledReportRunConfig(dg.Config):
    scheduled_report_id: int = Field(description="scheduled_reports.id in the source")
    scheduled_time: str | None = Field(default=None, description="the fire time being served (ISO, UTC); "
                                       "None when the row failed validation and is to be marked 'error'")


@dg.op(pool=DUCKDB_WRITER_POOL,
       out={"plan": dg.Out(dict, is_required=False, description="pending targets and what to write back; absent when settled"),
            "settled": dg.Out(dict, is_required=False, description="the outcome of a run settled at planning "
                              "(row invalid: marked 'error'; row no longer scheduled: skipped)")},
       description="Validate the row and find the targets not yet served (writes ops tables: writer pool).")
def plan_scheduled_report(context: dg.OpExecutionContext, config: ScheduledReportRunConfig,
                          chordme: ChordmeBIResource) -> Iterator[dg.Output]:
    from dataclasses import asdict

    from chordme_bi.delivery.runner import plan_run

    scheduled = datetime.fromisoformat(config.scheduled_time) if config.scheduled_time else None
    plan = plan_run(chordme.settings(), config.scheduled_report_id, scheduled, run_id=context.run_id)
    if plan.finished:
        context.log.warning(plan.error or f"run settled at planning: {plan.status}")
        yield dg.Output(asdict(plan.outcome()), output_name="settled", metadata={"status": plan.status})
        return
    for target in plan.decided:
        context.log.info(f"{target.channel} {target.recipient}: {target.outcome} (attempt {target.attempt})")
    yield dg.Output(plan.to_dict(), output_name="plan", metadata={
        "window": str(plan.window), "pending": len(plan.pending), "already_settled": len(plan.decided)})


@dg.op(description="Build the report read-only and deliver it to the pending targets (network I/O: no pool).")
def send_scheduled_report(context: dg.OpExecutionContext, plan: dict, chordme: ChordmeBIResource) -> list[dict]:
    from dataclasses import asdict

    from chordme_bi.delivery.runner import RunPlan, send_planned

    results = send_planned(chordme.settings(), RunPlan.from_dict(plan))
    for r in results:
        context.log.info(f"{r.channel} {r.recipient}: {'delivered' if r.ok else 'failed'} (attempt {r.attempt}, "
                         f"{r.tries} tries){': ' + r.error if r.error else ''}")
    return [asdict(r) for r in results]


@dg.op(pool=DUCKDB_WRITER_POOL,
       description="Log the deliveries and write status back to the source (writes ops tables: writer pool).")
def record_scheduled_report(context: dg.OpExecutionContext, plan: dict, results: list[dict],
                            chordme: ChordmeBIResource) -> dg.Output[dict]:
    from dataclasses import asdict

    from chordme_bi.delivery.runner import RunPlan, SendResult, record_results

    outcome = record_results(chordme.settings(), RunPlan.from_dict(plan),
                             [SendResult.from_dict(r) for r in results], run_id=context.run_id)
    summary = asdict(outcome)
    if outcome.error:
        context.log.warning(outcome.error)
    if outcome.failed:
        raise dg.Failure(
            description=f"{len(outcome.failed)} delivery(ies) failed; the scheduled_reports sensor retries them",
            metadata={"outcome": dg.MetadataValue.json(summary)},
        )
    return dg.Output(summary, metadata={"status": outcome.status, "window": str(outcome.window),
                                        "targets": dg.MetadataValue.json(summary["targets"])})


def _plan_config(config: dict) -> dict:
    return {"plan_scheduled_report": {"config": config}}


# A graph with the job's former op name, so the run config the sensor builds
# ({ops: {deliver_scheduled_report: {config: ...}}}) stays valid; the config goes to the planning op.
@dg.graph(config=dg.ConfigMapping(config_fn=_plan_config, config_schema=ScheduledReportRunConfig.to_config_schema()),
          description="Plan (writer pool), send (no pool), record (writer pool) one scheduled report.")
def deliver_scheduled_report():
    plan, _settled = plan_scheduled_report()
    record_scheduled_report(plan, send_scheduled_report(plan))


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
