"""One scheduled report run: build the report for the window that just ended, deliver it to every target
not yet served for this scheduled time, log each attempt, and write status back to the source row.

Idempotent per (row, scheduled time, target): a target already delivered is skipped, so a retried or
duplicated run never sends twice; a target that failed ``delivery_max_attempts`` times is not tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import duckdb

from chordme_bi.delivery import audit
from chordme_bi.delivery.schedule import iso, next_fire, report_window
from chordme_bi.delivery.scheduled_reports import (
    SCHEDULED_STATUSES,
    STATUS_ACTIVE,
    STATUS_ERROR,
    STATUS_FAILING,
    ScheduledReportError,
    Target,
    ValidScheduledReport,
    load_rows,
    validate,
    write_back,
)
from chordme_bi.delivery.webhook import DeliveryResult, url_host
from chordme_bi.reports.config import ReportConfig
from chordme_bi.settings import Settings

log = logging.getLogger(__name__)

ReportBuilder = Callable[[duckdb.DuckDBPyConnection, ReportConfig, date], dict]


@dataclass
class TargetOutcome:
    channel: str
    recipient: str  # as logged: email address or URL host
    outcome: str  # delivered | failed | skipped_delivered | skipped_exhausted
    attempt: int = 0
    tries: int = 0
    error: str | None = None


@dataclass
class RunOutcome:
    scheduled_report_id: int
    scheduled_time: str | None
    status: str  # what was written back to the source row, or 'skipped'
    window: tuple[str, str] | None = None
    targets: list[TargetOutcome] = field(default_factory=list)
    error: str | None = None

    @property
    def failed(self) -> list[TargetOutcome]:
        return [t for t in self.targets if t.outcome == audit.FAILED]


def recipient_of(target: Target) -> str:
    return target.address if target.channel == "email" else url_host(target.address)


def _engine_report(con: duckdb.DuckDBPyConnection, config: ReportConfig, today: date) -> dict:
    from chordme_bi.reports.engine import generate_report

    return generate_report(con, config, today=today)


def run_scheduled_report(settings: Settings, row_id: int, scheduled_time: datetime | None, *,
                         run_id: str | None = None, now: datetime | None = None,
                         build_report: ReportBuilder | None = None,
                         webhook_backoff_seconds: float = 1.0) -> RunOutcome:
    now = now or datetime.now(timezone.utc)
    when = iso(scheduled_time) if scheduled_time else None
    rows = load_rows(settings.source_url, ids=[row_id], scheduled_only=False)
    if not rows:
        raise LookupError(f"scheduled_reports id={row_id} does not exist in the source")
    row = rows[0]
    if row.status not in SCHEDULED_STATUSES:  # paused (or marked error) since the sensor saw it
        return RunOutcome(row_id, when, "skipped", error=f"status is {row.status!r}; scheduled statuses: {', '.join(SCHEDULED_STATUSES)}")
    try:
        valid = validate(row)
    except ScheduledReportError as exc:
        with duckdb.connect(str(settings.warehouse_path)) as con:
            audit.record_delivery(con, report_row_id=row_id, scheduled_time=scheduled_time, channel="validation",
                                  recipient="", outcome=audit.INVALID, attempt=1, error=str(exc), run_id=run_id)
        write_back(settings.source_url, row_id, status=STATUS_ERROR)
        return RunOutcome(row_id, when, STATUS_ERROR, error=str(exc))
    if scheduled_time is None:
        raise ValueError(f"scheduled_reports id={row_id} is valid: the run needs its scheduled_time")

    start, end = report_window(valid.config.period, scheduled_time, valid.tz)
    outcome = RunOutcome(row_id, when, STATUS_ACTIVE, window=(start.isoformat(), end.isoformat()))
    pending = _pending_targets(settings, valid, scheduled_time, outcome)
    if pending:
        results = _build_and_deliver(settings, valid, start, end, pending, build_report or _engine_report,
                                     webhook_backoff_seconds)
        with duckdb.connect(str(settings.warehouse_path)) as con:
            for (target, attempt), (result, report_id, fmt) in zip(pending, results):
                recipient = recipient_of(target)
                state = audit.DELIVERED if result.ok else audit.FAILED
                audit.record_delivery(con, report_row_id=row_id, scheduled_time=scheduled_time, channel=target.channel,
                                      recipient=recipient, outcome=state, attempt=attempt, tries=result.tries,
                                      error=result.error, report_id=report_id, fmt=fmt, size=result.bytes_sent,
                                      run_id=run_id)
                outcome.targets.append(TargetOutcome(target.channel, recipient, state, attempt, result.tries, result.error))
    undelivered = [t for t in outcome.targets if t.outcome in (audit.FAILED, "skipped_exhausted")]
    outcome.status = STATUS_FAILING if undelivered else STATUS_ACTIVE
    write_back(settings.source_url, row_id, status=outcome.status, last_run=now,
               next_run=next_fire(valid.cron, valid.tz, max(now, scheduled_time)))
    return outcome


def _pending_targets(settings: Settings, valid: ValidScheduledReport, scheduled_time: datetime,
                     outcome: RunOutcome) -> list[tuple[Target, int]]:
    with duckdb.connect(str(settings.warehouse_path)) as con:
        audit.ensure(con)
        previous = audit.previous_attempts(con, valid.row.id, scheduled_time)
    pending = []
    for target in valid.targets:
        recipient = recipient_of(target)
        mine = [a for a in previous if a.channel == target.channel and a.recipient == recipient]
        failures = sum(1 for a in mine if a.outcome == audit.FAILED)
        if any(a.outcome == audit.DELIVERED for a in mine):
            outcome.targets.append(TargetOutcome(target.channel, recipient, "skipped_delivered", len(mine)))
        elif failures >= settings.delivery_max_attempts:
            outcome.targets.append(TargetOutcome(target.channel, recipient, "skipped_exhausted", failures,
                                                 error=mine[-1].error))
        else:
            pending.append((target, failures + 1))
    return pending


def _build_and_deliver(settings: Settings, valid: ValidScheduledReport, start: date, end: date,
                       pending: list[tuple[Target, int]], build_report: ReportBuilder,
                       backoff: float) -> list[tuple[DeliveryResult, str | None, str]]:
    from chordme_bi.warehouse import read_only

    fmt = valid.config.format.value
    config = ReportConfig(**{**valid.config.model_dump(), "start": start, "end": end})
    try:
        with read_only(settings.warehouse_path) as con:
            report = build_report(con, config, end)
        attachments = _attachments(report, config, fmt)
    except Exception as exc:  # a report that cannot be built fails every target, recorded, retried later
        log.exception("scheduled report %s: building the report failed", valid.row.id)
        failure = DeliveryResult(False, 0, f"report not built: {type(exc).__name__}: {exc}")
        return [(failure, None, fmt) for _ in pending]
    results = []
    for target, _attempt in pending:
        if target.channel == "email":
            result = _send_email(settings, report, attachments, target.address)
        else:
            from chordme_bi.delivery.webhook import post_report

            result = post_report(target.address, report, secret=Settings.secret("BI_WEBHOOK_SECRET"),
                                 timeout=settings.webhook_timeout, backoff_seconds=backoff)
        results.append((result, str(report.get("report_id") or ""), fmt))
    return results


def _attachments(report: dict, config: ReportConfig, fmt: str) -> dict[str, bytes]:
    from chordme_bi.reports.render import render

    stem = f"chordme_{config.report_type.value}_{config.start}_{config.end}"
    return {f"{stem}{suffix}": content for suffix, content in render(report, fmt).items()}


def _send_email(settings: Settings, report: dict, attachments: dict[str, bytes], to: str) -> DeliveryResult:
    from chordme_bi.delivery.email import build_message, send

    message = build_message(report, attachments, sender=settings.smtp_from, to=to)
    return send(message, settings)
