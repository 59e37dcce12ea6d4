"""When a scheduled report is due: schedule expressions to cron, fire times, the report window. Pure.

A schedule is a 5-field cron expression or one of the aliases below, evaluated in the row's timezone
(UTC unless its delivery_settings / report_config say ``"timezone"``). Fire times are returned in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chordme_bi.reports.config import ReportPeriod, last_complete_window

# Reports go out at 06:00 so the nightly warehouse refresh (02:00 UTC) has finished.
ALIASES = {"daily": "0 6 * * *", "weekly": "0 6 * * 1", "monthly": "0 6 1 * *"}


class ScheduleError(ValueError):
    """A schedule expression or timezone that cannot be used."""


def cron_for(expression: str | None) -> str:
    """The 5-field cron expression of a schedule expression (an alias or a cron expression)."""
    from croniter import croniter

    text = " ".join(str(expression or "").split())
    if text.lower() in ALIASES:
        return ALIASES[text.lower()]
    if len(text.split(" ")) != 5 or not croniter.is_valid(text):
        raise ScheduleError(
            f"invalid schedule_expression {expression!r}: use a 5-field cron expression "
            f"(minute hour day month weekday) or one of {', '.join(ALIASES)}"
        )
    return text


def zone(name: str | None) -> ZoneInfo:
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"unknown timezone {name!r}: use an IANA name such as 'UTC' or 'Europe/Berlin'") from exc


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def latest_fire(cron: str, tz: ZoneInfo, now: datetime) -> datetime:
    """The last fire time at or before ``now`` (UTC)."""
    from croniter import croniter

    # croniter's get_prev excludes a fire time equal to its start; "at or before" includes it.
    start = (_utc(now).replace(microsecond=0) + timedelta(seconds=1)).astimezone(tz)
    return _utc(croniter(cron, start).get_prev(datetime))


def next_fire(cron: str, tz: ZoneInfo, after: datetime) -> datetime:
    """The first fire time strictly after ``after`` (UTC)."""
    from croniter import croniter

    return _utc(croniter(cron, _utc(after).astimezone(tz)).get_next(datetime))


def due_time(cron: str, tz: ZoneInfo, now: datetime, not_before: datetime | None) -> datetime | None:
    """The fire time to run now, or None. Only the latest missed fire time runs: after an outage a daily
    report is sent once for the last day, not once per missed day."""
    fire = latest_fire(cron, tz, now)
    if not_before is not None and fire <= _utc(not_before):
        return None
    return fire


def report_window(period: ReportPeriod | str, scheduled_time: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """The [start, end) of the period that ended at or before the scheduled time's local date."""
    local_day = _utc(scheduled_time).astimezone(tz).date()
    return last_complete_window(ReportPeriod(period), local_day)


def iso(moment: datetime) -> str:
    """The canonical text of a fire time (run keys, cursors, logs): UTC, seconds, with offset."""
    return _utc(moment).replace(microsecond=0).isoformat()
