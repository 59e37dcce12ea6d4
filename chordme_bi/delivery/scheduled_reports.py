"""The source's ``scheduled_reports`` rows: read, validate, and write back last_run / next_run / status.

This is the pipeline's only write to the source (SOURCE_SCHEMA.md). Rows are read straight from the source
with SQLAlchemy (the table is small and must be current; the warehouse copy may be a day old).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from chordme_bi.delivery.schedule import ScheduleError, cron_for, zone
from chordme_bi.reports.config import ReportConfig

# Rows the scheduler runs. 'failing' = the last delivery failed; it stays scheduled and is retried.
SCHEDULED_STATUSES = ("active", "failing")
STATUS_ACTIVE, STATUS_FAILING, STATUS_ERROR = "active", "failing", "error"
STATUS_MAX_LENGTH = 20  # scheduled_reports.status is varchar(20)

EMAIL_KEYS = ("email", "emails", "delivery_email")
WEBHOOK_KEYS = ("webhook_url", "webhook")
DELIVERY_KEYS = (*EMAIL_KEYS, *WEBHOOK_KEYS, "timezone")
# Deliberately strict: no display names, no lists in one string, no whitespace; one mailbox per entry.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


class ScheduledReportError(ValueError):
    """A scheduled_reports row that cannot run; ``field`` names the offending column."""

    def __init__(self, row_id: int, field: str, message: str):
        super().__init__(f"scheduled_reports id={row_id}: {field}: {message}")
        self.row_id, self.field, self.reason = row_id, field, message


@dataclass(frozen=True)
class Target:
    channel: str  # 'email' | 'webhook'
    address: str  # email address or URL


@dataclass(frozen=True)
class ScheduledReport:
    id: int
    user_id: int | None
    report_config: str | None
    schedule_expression: str | None
    delivery_settings: str | None
    status: str | None
    last_run: datetime | None = None
    next_run: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class ValidScheduledReport:
    row: ScheduledReport
    config: ReportConfig
    cron: str
    tz: ZoneInfo
    targets: tuple[Target, ...]
    ignored_config_keys: tuple[str, ...] = field(default=())


def _timestamp(value: Any) -> datetime | None:
    """Source timestamps are naive UTC (SQLite gives text, PostgreSQL datetimes)."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _engine(source_url: str):
    from sqlalchemy import create_engine

    return create_engine(source_url, future=True)


def load_rows(source_url: str, *, ids: list[int] | None = None, scheduled_only: bool = True) -> list[ScheduledReport]:
    """The scheduled_reports rows (JSON columns as text, so one malformed document fails only its row)."""
    from sqlalchemy import bindparam, text

    sql = (
        "SELECT id, user_id, CAST(report_config AS TEXT), schedule_expression, CAST(delivery_settings AS TEXT), "
        "status, last_run, next_run, created_at FROM scheduled_reports WHERE 1 = 1"
    )
    params: dict[str, Any] = {}
    if scheduled_only:
        sql += " AND status IN :statuses"
        params["statuses"] = list(SCHEDULED_STATUSES)
    if ids is not None:
        sql += " AND id IN :ids"
        params["ids"] = [int(i) for i in ids]
    stmt = text(sql + " ORDER BY id")
    for name in params:
        stmt = stmt.bindparams(bindparam(name, expanding=True))
    engine = _engine(source_url)
    try:
        with engine.connect() as con:
            rows = con.execute(stmt, params).fetchall()
    finally:
        engine.dispose()
    return [
        ScheduledReport(
            id=int(r[0]), user_id=r[1], report_config=r[2], schedule_expression=r[3], delivery_settings=r[4],
            status=r[5], last_run=_timestamp(r[6]), next_run=_timestamp(r[7]), created_at=_timestamp(r[8]),
        )
        for r in rows
    ]


def _json_object(row_id: int, column: str, value: str | None) -> dict:
    if value is None or value == "":
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ScheduledReportError(row_id, column, f"not valid JSON ({exc.msg} at character {exc.pos})") from exc
    if isinstance(parsed, str):  # JSON stored as a JSON string (double-encoded) by some clients
        return _json_object(row_id, column, parsed)
    if not isinstance(parsed, dict):
        raise ScheduledReportError(row_id, column, f"must be a JSON object, got {type(parsed).__name__}")
    return parsed


def _emails(row_id: int, value: Any, key: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    out = []
    for item in values:
        if not isinstance(item, str) or not _EMAIL.match(item.strip()):
            raise ScheduledReportError(row_id, f"delivery_settings.{key}", f"invalid email address {item!r}")
        out.append(item.strip())
    return out


def _webhook(row_id: int, value: Any, key: str) -> str:
    from chordme_bi.delivery.webhook import WebhookError, check_url

    try:
        return check_url(value)
    except WebhookError as exc:
        raise ScheduledReportError(row_id, f"delivery_settings.{key}", str(exc)) from exc


def validate(row: ScheduledReport) -> ValidScheduledReport:
    """The row as something runnable, or ScheduledReportError naming the field and the valid values."""
    from pydantic import ValidationError

    config_doc = _json_object(row.id, "report_config", row.report_config)
    delivery = _json_object(row.id, "delivery_settings", row.delivery_settings)
    unknown = sorted(set(delivery) - set(DELIVERY_KEYS))
    if unknown:
        raise ScheduledReportError(row.id, "delivery_settings",
                                   f"unknown key(s) {', '.join(unknown)}; valid: {', '.join(DELIVERY_KEYS)}")
    try:
        cron = cron_for(row.schedule_expression)
        tz = zone(delivery.get("timezone") or config_doc.get("timezone"))
    except ScheduleError as exc:
        raise ScheduledReportError(row.id, "schedule_expression" if "schedule" in str(exc) else "timezone", str(exc)) from exc
    if "report_type" not in config_doc:
        raise ScheduledReportError(row.id, "report_config.report_type", "missing")
    known = set(ReportConfig.model_fields)
    # A schedule reports on the period that just ended: fixed dates would resend the same window forever.
    fields = {k: v for k, v in config_doc.items() if k in known and k not in ("start", "end")}
    ignored = tuple(sorted(set(config_doc) - set(fields) - {"timezone"}))
    try:
        config = ReportConfig(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "report_config"
        raise ScheduledReportError(row.id, f"report_config.{where}", first["msg"].removeprefix("Value error, ")) from exc
    if config.period.value == "custom":
        raise ScheduledReportError(row.id, "report_config.period", "a schedule needs a calendar period, not 'custom'")
    targets: list[Target] = []
    for key in EMAIL_KEYS:
        if delivery.get(key):
            targets += [Target("email", a) for a in _emails(row.id, delivery[key], key)]
    for key in WEBHOOK_KEYS:
        if delivery.get(key):
            targets.append(Target("webhook", _webhook(row.id, delivery[key], key)))
    if not targets:
        raise ScheduledReportError(row.id, "delivery_settings",
                                   f"no delivery target: give one of {', '.join(EMAIL_KEYS + WEBHOOK_KEYS)}")
    return ValidScheduledReport(row, config, cron, tz, tuple(dict.fromkeys(targets)), ignored)


def write_back(source_url: str, row_id: int, *, status: str, last_run: datetime | None = None,
               next_run: datetime | None = None) -> None:
    """Set status (and last_run / next_run when given) on one row; timestamps are written as naive UTC."""
    from sqlalchemy import update

    from chordme_bi.source.schema import scheduled_reports

    if len(status) > STATUS_MAX_LENGTH:
        raise ValueError(f"status {status!r} is longer than {STATUS_MAX_LENGTH} characters")
    values: dict[str, Any] = {"status": status}
    for name, moment in (("last_run", last_run), ("next_run", next_run)):
        if moment is not None:
            values[name] = moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
    engine = _engine(source_url)
    try:
        with engine.begin() as con:
            con.execute(update(scheduled_reports).where(scheduled_reports.c.id == row_id).values(**values))
    finally:
        engine.dispose()
