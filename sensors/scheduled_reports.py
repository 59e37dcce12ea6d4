"""The scheduled_reports sensor: launches a ``scheduled_report`` run for each source row that is due.

Reads the source's scheduled_reports table on each tick (it is small and must be current); the decisions
are in chordme_bi.delivery.planner. BI_SCHEDULER_ENABLED turns it on (default on), BI_SCHEDULER_INTERVAL
is its minimum interval. Imports stay cheap: the heavy work is imported when it ticks.
"""

import json

import dagster as dg

from chordme_bi.settings import Settings
from orchestration.resources import ChordmeBIResource

_settings = Settings.from_env()

SCHEDULED_REPORT_TAG = "chordme/scheduled_report"
SCHEDULED_TIME_TAG = "chordme/scheduled_time"


@dg.sensor(
    name="scheduled_reports",
    job_name="scheduled_report",
    minimum_interval_seconds=_settings.scheduler_interval,
    default_status=dg.DefaultSensorStatus.RUNNING if _settings.scheduler_enabled else dg.DefaultSensorStatus.STOPPED,
    description="Runs each active scheduled_reports row at its schedule (cron / daily / weekly / monthly); "
                "retries failed deliveries on later ticks.",
)
def scheduled_reports_sensor(context: dg.SensorEvaluationContext, chordme: ChordmeBIResource):
    from datetime import datetime, timezone

    from chordme_bi.delivery.planner import load_cursor, plan
    from chordme_bi.delivery.scheduled_reports import load_rows

    settings = chordme.settings()
    if not settings.scheduler_enabled:
        return dg.SkipReason("BI_SCHEDULER_ENABLED is false")
    rows = load_rows(settings.source_url)

    def run_statuses(row_id: int, scheduled: str) -> list[str]:
        runs = context.instance.get_runs(
            filters=dg.RunsFilter(tags={SCHEDULED_REPORT_TAG: str(row_id), SCHEDULED_TIME_TAG: scheduled}))
        return [run.status.value for run in reversed(runs)]  # get_runs is newest first

    planned, cursor = plan(rows, load_cursor(context.cursor), datetime.now(timezone.utc), run_statuses,
                           settings.delivery_max_attempts)
    requests = [
        dg.RunRequest(
            run_key=p.run_key,
            run_config={"ops": {"deliver_scheduled_report": {"config": {
                "scheduled_report_id": p.scheduled_report_id, "scheduled_time": p.scheduled_time}}}},
            tags={SCHEDULED_REPORT_TAG: str(p.scheduled_report_id), SCHEDULED_TIME_TAG: p.scheduled_time or "",
                  "chordme/reason": p.reason},
        )
        for p in planned
    ]
    new_cursor = json.dumps(cursor, sort_keys=True)
    if not requests:
        context.update_cursor(new_cursor)
        return dg.SkipReason(f"{len(rows)} scheduled report(s), none due")
    return dg.SensorResult(run_requests=requests, cursor=new_cursor)


defs = dg.Definitions(sensors=[scheduled_reports_sensor])
