import dagster as dg

from orchestration.jobs import warehouse_job

daily_warehouse_schedule = dg.ScheduleDefinition(
    name="chordme_warehouse_daily",
    job=warehouse_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    description="Nightly incremental refresh of raw and the marts (02:00 UTC).",
)
