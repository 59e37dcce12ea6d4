"""What a report is asked for: type, period, window and filters. Shared by the engine, the CLI, the Dagster
assets and the scheduled-report sensor. A window is always half-open [start, end) in UTC and never depends on
"now" once start/end are fixed, so a past report is reproducible.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from enum import Enum

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator


class ReportType(str, Enum):
    STUDENT_PROGRESS = "student_progress"
    BAND_COLLABORATION = "band_collaboration"
    USAGE_PATTERNS = "usage_patterns"
    PERFORMANCE_TRENDS = "performance_trends"
    COMPARATIVE_ANALYSIS = "comparative_analysis"
    GOAL_TRACKING = "goal_tracking"


class ReportPeriod(str, Enum):
    DAILY = "daily"
    WEEKLY = "weekly"  # ISO weeks, Monday start
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    CUSTOM = "custom"


class ReportFormat(str, Enum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"
    PDF = "pdf"


def _values(enum: type[Enum]) -> str:
    return ", ".join(member.value for member in enum)


def period_window(period: ReportPeriod, containing: date) -> tuple[date, date]:
    """The [start, end) dates of the period that contains ``containing``."""
    if period is ReportPeriod.DAILY:
        return containing, containing + timedelta(days=1)
    if period is ReportPeriod.WEEKLY:
        start = containing - timedelta(days=containing.isoweekday() - 1)
        return start, start + timedelta(days=7)
    if period is ReportPeriod.MONTHLY:
        start = containing.replace(day=1)
        return start, _add_months(start, 1)
    if period is ReportPeriod.QUARTERLY:
        start = containing.replace(month=3 * ((containing.month - 1) // 3) + 1, day=1)
        return start, _add_months(start, 3)
    if period is ReportPeriod.YEARLY:
        start = containing.replace(month=1, day=1)
        return start, start.replace(year=start.year + 1)
    raise ValueError("a custom period has no calendar window: give start and end")


def last_complete_window(period: ReportPeriod, today: date) -> tuple[date, date]:
    """The latest period that ended on or before ``today`` (the window that 'just ended')."""
    start, end = period_window(period, today)
    if end <= today:
        return start, end
    return period_window(period, start - timedelta(days=1))


def _add_months(d: date, months: int) -> date:
    month_index = d.month - 1 + months
    return d.replace(year=d.year + month_index // 12, month=month_index % 12 + 1, day=1)


_FIELD_ENUMS: dict[str, type[Enum]] = {"report_type": ReportType, "period": ReportPeriod, "format": ReportFormat}


class ReportConfig(BaseModel):
    """A report request: the seed's "generate report" body, plus the window it resolves to."""

    report_type: ReportType
    period: ReportPeriod = ReportPeriod.MONTHLY
    start: date | None = Field(default=None, description="first day (inclusive); default: the last complete period")
    end: date | None = Field(default=None, description="day after the last (exclusive)")
    user_ids: list[int] | None = None
    class_id: str | None = Field(default=None, description="an educator's lesson_plan room id: its students")
    band_id: int | None = None
    format: ReportFormat = ReportFormat.JSON
    include_recommendations: bool = True
    include_detailed_breakdown: bool = True

    @field_validator("report_type", "period", "format", mode="before")
    @classmethod
    def _known_value(cls, value, info: ValidationInfo):
        """An unknown value is refused with the list of valid ones (formats are case-insensitive)."""
        enum = _FIELD_ENUMS[info.field_name]
        if isinstance(value, str):
            value = value.lower() if enum is ReportFormat else value
            if value not in {m.value for m in enum}:
                raise ValueError(f"unknown {info.field_name} {value!r}; valid: {_values(enum)}")
        return value

    @model_validator(mode="after")
    def _window_is_consistent(self) -> "ReportConfig":
        if self.period is ReportPeriod.CUSTOM and (self.start is None or self.end is None):
            raise ValueError("period 'custom' needs both start and end")
        if self.start is None and self.end is not None:
            raise ValueError("give start (or start and end), not only end")
        if self.start is not None and self.end is None:  # the calendar period that starts there
            self.start, self.end = period_window(self.period, self.start)
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self

    def window(self, today: date | None = None) -> tuple[date, date]:
        """[start, end) dates; without explicit dates, the last complete period before ``today`` (UTC)."""
        if self.start is not None and self.end is not None:
            return self.start, self.end
        today = today or datetime.now(timezone.utc).date()
        return last_complete_window(self.period, today)

    def window_bounds(self, today: date | None = None) -> tuple[datetime, datetime]:
        start, end = self.window(today)
        return (datetime.combine(start, time.min, tzinfo=timezone.utc), datetime.combine(end, time.min, tzinfo=timezone.utc))
