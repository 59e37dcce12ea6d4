"""Privacy jobs: retention (daily schedule) and erasure of one user (run with config user_id).

Both remove rows from raw, the marts and quarantine in one DuckDB transaction (chordme_bi/quality), then
recompute the aggregates from the facts. They write the warehouse, so they take the DuckDB writer pool.
"""

import dagster as dg

from orchestration.resources import DUCKDB_WRITER_POOL, ChordmeBIResource


@dg.op(pool=DUCKDB_WRITER_POOL, out=dg.Out(bool))
def apply_retention(context: dg.OpExecutionContext, chordme: ChordmeBIResource) -> bool:
    """Remove personal activity older than BI_DATA_RETENTION_DAYS (0: nothing); counts go to ops.retention_log."""
    from chordme_bi.quality.retention import apply_retention as apply

    report = apply(chordme.settings())
    context.add_output_metadata({
        "retention_days": report.retention_days,
        "cutoff": str(report.cutoff) if report.cutoff else "none (retention off)",
        "rows_removed": dg.MetadataValue.json(report.rows_removed),
        "total_rows_removed": report.total_rows_removed,
    })
    return report.total_rows_removed > 0


class ErasureConfig(dg.Config):
    user_id: int


@dg.op(pool=DUCKDB_WRITER_POOL, out=dg.Out(bool))
def erase_user(context: dg.OpExecutionContext, config: ErasureConfig, chordme: ChordmeBIResource) -> bool:
    """Erase one user everywhere; the audit entry (ops.erasure_log) keeps a keyed hash of the id only."""
    from chordme_bi.quality.erasure import erase_user as erase

    report = erase(chordme.settings(), config.user_id)
    context.add_output_metadata({
        "erasure_id": report.erasure_id,
        "rows_removed": dg.MetadataValue.json(report.rows_removed),
        "rows_anonymised": dg.MetadataValue.json(report.rows_anonymised),
        "files_removed": len(report.files_removed),
    })
    return True


@dg.op(pool=DUCKDB_WRITER_POOL)
def rebuild_aggregates(context: dg.OpExecutionContext, chordme: ChordmeBIResource, rows_removed: bool) -> None:
    from chordme_bi.quality.erasure import rebuild_aggregates as rebuild

    if rows_removed:
        rebuild(chordme.settings())
    else:
        context.log.info("nothing removed: aggregates left as they are")


@dg.job(description="Apply BI_DATA_RETENTION_DAYS to raw and the marts, then recompute the aggregates.")
def apply_retention_job():
    rebuild_aggregates(apply_retention())


@dg.job(description="Erase one user (config: ops.erase_user.config.user_id) from raw, marts and outputs.")
def erase_user_job():
    rebuild_aggregates(erase_user())


retention_schedule = dg.ScheduleDefinition(
    name="apply_retention_daily", job=apply_retention_job, cron_schedule="30 1 * * *", execution_timezone="UTC",
    description="Daily retention at 01:30 UTC, before the 02:00 warehouse refresh.",
)

defs = dg.Definitions(jobs=[apply_retention_job, erase_user_job], schedules=[retention_schedule])
