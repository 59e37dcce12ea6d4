"""One scheduled report run: build the report for the window that just ended, deliver it to every target
not yet served for this scheduled time, log each attempt, and write status back to the source row.

Three steps, so that only the two that write the warehouse hold the duckdb_writer pool in Dagster:
:func:`plan_run` (validate, find pending targets), :func:`send_planned` (build read-only, email / webhook:
network time, no pool) and :func:`record_results` (ops.delivery_log, write-back). Their inputs and outputs
are plain dataclasses (``to_dict`` / ``from_dict`` for Dagster's IO manager); :func:`run_scheduled_report`
chains them.

Idempotent per (row, scheduled time, target): a target already delivered is skipped, so a retried or
repeated run never sends twice (two runs of one fire time in flight at once could both send; the sensor
never launches that); a target that failed ``delivery_max_attempts`` times is not tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

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
from chordme_bi.warehouse import connect_writer, read_only

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


@dataclass
class PendingTarget:
    index: int  # position in the row's validated targets
    channel: str
    recipient: str  # as logged; the full address is read from the row again when sending
    attempt: int


@dataclass
class RunPlan:
    scheduled_report_id: int
    scheduled_time: str | None  # canonical ISO, as in RunOutcome
    scheduled_at: str | None  # the fire time exactly as given (ISO): the delivery_log key
    status: str | None = None  # set when planning already settled the run (skipped / error): nothing to send
    error: str | None = None
    window: tuple[str, str] | None = None
    report_config: dict = field(default_factory=dict)  # ReportConfig fields, JSON, with the window's dates
    cron: str | None = None
    timezone: str | None = None
    decided: list[TargetOutcome] = field(default_factory=list)  # not to send: delivered or attempts exhausted
    pending: list[PendingTarget] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status is not None

    def outcome(self) -> RunOutcome:
        return RunOutcome(self.scheduled_report_id, self.scheduled_time, self.status or STATUS_ACTIVE,
                          window=self.window, targets=list(self.decided), error=self.error)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunPlan":
        return cls(**{**data, "window": tuple(data["window"]) if data.get("window") else None,
                      "decided": [TargetOutcome(**t) for t in data.get("decided", [])],
                      "pending": [PendingTarget(**p) for p in data.get("pending", [])]})


@dataclass
class SendResult:
    channel: str
    recipient: str
    attempt: int
    ok: bool
    tries: int
    error: str | None = None
    bytes_sent: int = 0
    report_id: str | None = None
    format: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> "SendResult":
        return cls(**data)


def recipient_of(target: Target) -> str:
    return target.address if target.channel == "email" else url_host(target.address)


def _engine_report(con: duckdb.DuckDBPyConnection, config: ReportConfig, today: date) -> dict:
    from chordme_bi.reports.engine import generate_report

    return generate_report(con, config, today=today)


def run_scheduled_report(settings: Settings, row_id: int, scheduled_time: datetime | None, *,
                         run_id: str | None = None, now: datetime | None = None,
                         build_report: ReportBuilder | None = None,
                         webhook_backoff_seconds: float = 1.0) -> RunOutcome:
    """The three steps in one call (the CLI and tests); Dagster runs them as separate ops."""
    now = now or datetime.now(timezone.utc)
    plan = plan_run(settings, row_id, scheduled_time, run_id=run_id)
    if plan.finished:
        return plan.outcome()
    results = send_planned(settings, plan, build_report=build_report, webhook_backoff_seconds=webhook_backoff_seconds)
    return record_results(settings, plan, results, run_id=run_id, now=now)


def plan_run(settings: Settings, row_id: int, scheduled_time: datetime | None, *,
             run_id: str | None = None) -> RunPlan:
    """Load and validate the row and find the targets still to serve. Writes the warehouse (ops tables, the
    'invalid' log row) and, for an invalid row, the source status: callers hold the duckdb_writer pool."""
    when = iso(scheduled_time) if scheduled_time else None
    rows = load_rows(settings.source_url, ids=[row_id], scheduled_only=False)
    if not rows:
        raise LookupError(f"scheduled_reports id={row_id} does not exist in the source")
    row = rows[0]
    if row.status not in SCHEDULED_STATUSES:  # paused (or marked error) since the sensor saw it
        return RunPlan(row_id, when, None, status="skipped",
                       error=f"status is {row.status!r}; scheduled statuses: {', '.join(SCHEDULED_STATUSES)}")
    try:
        valid = validate(row)
    except ScheduledReportError as exc:
        with _writer(settings) as con:
            audit.record_delivery(con, report_row_id=row_id, scheduled_time=scheduled_time, channel="validation",
                                  recipient="", outcome=audit.INVALID, attempt=1, error=str(exc), run_id=run_id)
        write_back(settings.source_url, row_id, status=STATUS_ERROR)
        return RunPlan(row_id, when, None, status=STATUS_ERROR, error=str(exc))
    if scheduled_time is None:
        raise ValueError(f"scheduled_reports id={row_id} is valid: the run needs its scheduled_time")

    start, end = report_window(valid.config.period, scheduled_time, valid.tz)
    decided, pending = _pending_targets(settings, valid, scheduled_time)
    return RunPlan(row_id, when, scheduled_time.isoformat(), window=(start.isoformat(), end.isoformat()),
                   report_config={**valid.config.model_dump(mode="json"), "start": start.isoformat(),
                                  "end": end.isoformat()},
                   cron=valid.cron, timezone=valid.tz.key, decided=decided, pending=pending)


def send_planned(settings: Settings, plan: RunPlan, *, build_report: ReportBuilder | None = None,
                 webhook_backoff_seconds: float = 1.0) -> list[SendResult]:
    """Build the report (read-only warehouse) and deliver it to the plan's pending targets. Writes nothing:
    needs no pool, so a slow SMTP server or webhook holds up no warehouse writer."""
    if plan.finished or not plan.pending:
        return []
    targets = _resolve_targets(settings, plan)
    if not targets:
        return []
    config = ReportConfig(**plan.report_config)
    fmt = config.format.value
    try:
        with read_only(settings.warehouse_path, lock_timeout=settings.warehouse_lock_timeout_seconds) as con:
            report = (build_report or _engine_report)(con, config, config.end)
        attachments = _attachments(report, config, fmt)
    except Exception as exc:  # a report that cannot be built fails every target, recorded, retried later
        log.exception("scheduled report %s: building the report failed", plan.scheduled_report_id)
        error = f"report not built: {type(exc).__name__}: {exc}"
        return [SendResult(p.channel, p.recipient, p.attempt, False, 0, error, format=fmt) for p, _ in targets]
    report_id = str(report.get("report_id") or "")
    results = []
    for pending, target in targets:
        if target.channel == "email":
            result = _send_email(settings, report, attachments, target.address)
        else:
            from chordme_bi.delivery.webhook import post_report

            result = post_report(target.address, report, secret=Settings.secret("BI_WEBHOOK_SECRET"),
                                 timeout=settings.webhook_timeout, backoff_seconds=webhook_backoff_seconds)
        results.append(SendResult(pending.channel, pending.recipient, pending.attempt, result.ok, result.tries,
                                  result.error, result.bytes_sent, report_id, fmt))
    return results


def record_results(settings: Settings, plan: RunPlan, results: list[SendResult], *, run_id: str | None = None,
                   now: datetime | None = None) -> RunOutcome:
    """Log every send in ops.delivery_log and write status, last_run and next_run back to the source row.
    Writes the warehouse: callers hold the duckdb_writer pool."""
    if plan.finished:  # planning already wrote what there was to write
        return plan.outcome()
    now = now or datetime.now(timezone.utc)
    scheduled_time = datetime.fromisoformat(plan.scheduled_at)
    outcome = plan.outcome()
    if results:
        with _writer(settings) as con:
            for result in results:
                state = audit.DELIVERED if result.ok else audit.FAILED
                audit.record_delivery(con, report_row_id=plan.scheduled_report_id, scheduled_time=scheduled_time,
                                      channel=result.channel, recipient=result.recipient, outcome=state,
                                      attempt=result.attempt, tries=result.tries, error=result.error,
                                      report_id=result.report_id, fmt=result.format, size=result.bytes_sent,
                                      run_id=run_id)
                outcome.targets.append(TargetOutcome(result.channel, result.recipient, state, result.attempt,
                                                     result.tries, result.error))
    undelivered = [t for t in outcome.targets if t.outcome in (audit.FAILED, "skipped_exhausted")]
    outcome.status = STATUS_FAILING if undelivered else STATUS_ACTIVE
    write_back(settings.source_url, plan.scheduled_report_id, status=outcome.status, last_run=now,
               next_run=next_fire(plan.cron, ZoneInfo(plan.timezone), max(now, scheduled_time)))
    return outcome


def _writer(settings: Settings) -> duckdb.DuckDBPyConnection:
    return connect_writer(settings.warehouse_path, settings.duckdb_memory_limit,
                          lock_timeout=settings.warehouse_lock_timeout_seconds)


def _pending_targets(settings: Settings, valid: ValidScheduledReport,
                     scheduled_time: datetime) -> tuple[list[TargetOutcome], list[PendingTarget]]:
    with _writer(settings) as con:
        audit.ensure(con)
        previous = audit.previous_attempts(con, valid.row.id, scheduled_time)
    decided, pending = [], []
    for index, target in enumerate(valid.targets):
        recipient = recipient_of(target)
        mine = [a for a in previous if a.channel == target.channel and a.recipient == recipient]
        failures = sum(1 for a in mine if a.outcome == audit.FAILED)
        if any(a.outcome == audit.DELIVERED for a in mine):
            decided.append(TargetOutcome(target.channel, recipient, "skipped_delivered", len(mine)))
        elif failures >= settings.delivery_max_attempts:
            decided.append(TargetOutcome(target.channel, recipient, "skipped_exhausted", failures,
                                         error=mine[-1].error))
        else:
            pending.append(PendingTarget(index, target.channel, recipient, failures + 1))
    return decided, pending


def _resolve_targets(settings: Settings, plan: RunPlan) -> list[tuple[PendingTarget, Target]]:
    """The full address of each pending target, read again from the row: the plan leaves webhook URLs out
    (their path or query may carry a token, and the plan is stored by Dagster's IO manager)."""
    rows = load_rows(settings.source_url, ids=[plan.scheduled_report_id], scheduled_only=False)
    if not rows:
        raise LookupError(f"scheduled_reports id={plan.scheduled_report_id} was deleted since the run was planned")
    targets = validate(rows[0]).targets  # an invalid row fails the run; the sensor flags it on its next tick
    resolved = []
    for pending in plan.pending:
        target = targets[pending.index] if pending.index < len(targets) else None
        if target is None or (target.channel, recipient_of(target)) != (pending.channel, pending.recipient):
            log.warning("scheduled report %s: %s target %s left the row since the run was planned; not sent",
                        plan.scheduled_report_id, pending.channel, pending.recipient)
            continue
        resolved.append((pending, target))
    return resolved


def _attachments(report: dict, config: ReportConfig, fmt: str) -> dict[str, bytes]:
    from chordme_bi.reports.render import render

    stem = f"chordme_{config.report_type.value}_{config.start}_{config.end}"
    return {f"{stem}{suffix}": content for suffix, content in render(report, fmt).items()}


def _send_email(settings: Settings, report: dict, attachments: dict[str, bytes], to: str) -> DeliveryResult:
    from chordme_bi.delivery.email import build_message, send

    message = build_message(report, attachments, sender=settings.smtp_from, to=to)
    return send(message, settings)
