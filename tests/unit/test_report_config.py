from datetime import date, datetime, timezone

import pytest
from pydantic import ValidationError

from chordme_bi.reports.config import ReportConfig, ReportPeriod, last_complete_window, period_window


@pytest.mark.parametrize(
    ("period", "day", "expected"),
    [
        (ReportPeriod.DAILY, date(2026, 3, 1), (date(2026, 3, 1), date(2026, 3, 2))),
        # ISO week: Monday 2026-11-23 to Monday 2026-11-30, whatever weekday we start from
        (ReportPeriod.WEEKLY, date(2026, 11, 25), (date(2026, 11, 23), date(2026, 11, 30))),
        (ReportPeriod.WEEKLY, date(2026, 11, 29), (date(2026, 11, 23), date(2026, 11, 30))),
        (ReportPeriod.MONTHLY, date(2026, 12, 31), (date(2026, 12, 1), date(2027, 1, 1))),
        (ReportPeriod.QUARTERLY, date(2026, 8, 15), (date(2026, 7, 1), date(2026, 10, 1))),
        (ReportPeriod.YEARLY, date(2026, 8, 15), (date(2026, 1, 1), date(2027, 1, 1))),
    ],
)
def test_period_windows_are_half_open_calendar_periods(period, day, expected):
    assert period_window(period, day) == expected


def test_last_complete_window_is_the_period_that_just_ended():
    assert last_complete_window(ReportPeriod.MONTHLY, date(2026, 11, 25)) == (date(2026, 10, 1), date(2026, 11, 1))
    # on the first day of a month the previous month has just ended
    assert last_complete_window(ReportPeriod.MONTHLY, date(2026, 11, 1)) == (date(2026, 10, 1), date(2026, 11, 1))
    assert last_complete_window(ReportPeriod.WEEKLY, date(2026, 11, 23)) == (date(2026, 11, 16), date(2026, 11, 23))
    assert last_complete_window(ReportPeriod.DAILY, date(2026, 1, 1)) == (date(2025, 12, 31), date(2026, 1, 1))


def test_explicit_dates_win_and_a_lone_start_means_its_period():
    config = ReportConfig(report_type="usage_patterns", period="monthly", start=date(2026, 2, 10))
    assert config.window() == (date(2026, 2, 1), date(2026, 3, 1))
    custom = ReportConfig(report_type="usage_patterns", period="custom", start=date(2026, 2, 10), end=date(2026, 2, 20))
    start, end = custom.window_bounds()
    assert start == datetime(2026, 2, 10, tzinfo=timezone.utc) and end == datetime(2026, 2, 20, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"report_type": "sales"}, "valid: student_progress, band_collaboration"),
        ({"report_type": "student_progress", "period": "fortnightly"}, "valid: daily, weekly, monthly"),
        ({"report_type": "student_progress", "format": "xlsx"}, "valid: json, csv, html, pdf"),
        ({"report_type": "student_progress", "period": "custom", "start": date(2026, 1, 1)}, "needs both start and end"),
        ({"report_type": "student_progress", "period": "custom", "start": date(2026, 1, 5), "end": date(2026, 1, 5)}, "must be after start"),
        ({"report_type": "student_progress", "end": date(2026, 1, 5)}, "not only end"),
    ],
)
def test_bad_requests_say_what_is_valid(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        ReportConfig(**kwargs)
