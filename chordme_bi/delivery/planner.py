"""What the scheduled-reports sensor launches on a tick. Pure: rows, cursor, clock and run history in,
run requests and the next cursor out (the Dagster sensor only does the I/O).

Exactly once per (row, scheduled time): the first run's key is ``scheduled_report:<id>:<time>``; the cursor
remembers the last scheduled time launched per row, so a second evaluation or a daemon restart does not
launch it again (and Dagster drops a repeated run_key besides). A run whose delivery failed is relaunched
(``...:retry<n>``) on later ticks until ``max_attempts`` runs; the run itself skips targets already served.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from chordme_bi.delivery.schedule import due_time, iso
from chordme_bi.delivery.scheduled_reports import ScheduledReport, ScheduledReportError, validate

# Dagster run statuses as text (keeps this module free of Dagster).
FINISHED_FAILED = "FAILURE"
IN_FLIGHT = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


@dataclass(frozen=True)
class PlannedRun:
    run_key: str
    scheduled_report_id: int
    scheduled_time: str | None  # None for a row that failed validation (the run marks it 'error')
    reason: str  # due | retry | invalid
    error: str | None = None


def run_key(row_id: int, scheduled_time_iso: str) -> str:
    return f"scheduled_report:{row_id}:{scheduled_time_iso}"


def _row_digest(row: ScheduledReport) -> str:
    text = json.dumps([row.report_config, row.schedule_expression, row.delivery_settings], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def load_cursor(cursor: str | None) -> dict[str, str]:
    return json.loads(cursor) if cursor else {}


def plan(rows: Sequence[ScheduledReport], cursor: dict[str, str], now: datetime,
         run_statuses: Callable[[int, str], list[str]], max_attempts: int) -> tuple[list[PlannedRun], dict[str, str]]:
    """``run_statuses(row_id, scheduled_iso)``: statuses of the runs already launched for it, oldest first."""
    planned: list[PlannedRun] = []
    new_cursor = dict(cursor)
    for row in rows:
        key = str(row.id)
        try:
            valid = validate(row)
        except ScheduledReportError as exc:
            marker = f"invalid:{_row_digest(row)}"
            if cursor.get(key) != marker:
                planned.append(PlannedRun(f"scheduled_report:{row.id}:{marker}", row.id, None, "invalid", str(exc)))
                new_cursor[key] = marker
            continue
        seen = cursor.get(key, "")
        last_launched = datetime.fromisoformat(seen) if seen and not seen.startswith("invalid:") else None
        bounds = [t for t in (last_launched, row.created_at, row.last_run) if t is not None]
        due = due_time(valid.cron, valid.tz, now, max(bounds) if bounds else None)
        if due is not None:
            planned.append(PlannedRun(run_key(row.id, iso(due)), row.id, iso(due), "due"))
            new_cursor[key] = iso(due)
        elif last_launched is not None:
            retry = _retry(row.id, iso(last_launched), run_statuses, max_attempts)
            if retry:
                planned.append(retry)
    return planned, new_cursor


def _retry(row_id: int, scheduled: str, run_statuses, max_attempts: int) -> PlannedRun | None:
    statuses = run_statuses(row_id, scheduled)
    if not statuses or statuses[-1] != FINISHED_FAILED or any(s in IN_FLIGHT for s in statuses):
        return None
    if len(statuses) >= max_attempts:
        return None
    return PlannedRun(f"{run_key(row_id, scheduled)}:retry{len(statuses)}", row_id, scheduled, "retry")
