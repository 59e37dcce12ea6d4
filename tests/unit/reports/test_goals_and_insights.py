"""goal_tracking status rules and the insight thresholds."""

from datetime import date

import pandas as pd
import pytest

from chordme_bi.reports import insights
from chordme_bi.reports.goal_tracking import assess_goal, build_goal_tracking

END = date(2026, 11, 1)  # as of: the last day counted is 2026-10-31
CREATED = date(2026, 10, 2)  # 30 days before END


def test_on_track_when_pace_covers_what_is_left():
    # 300 of 600 in 30 days = 10/day; deadline 2026-12-30 leaves 60 days -> 5/day needed
    g = assess_goal("practice_minutes", 600, 300, CREATED, date(2026, 12, 30), END)
    assert g["status"] == "on_track" and g["pace_per_day"] == 10.0 and g["pace_needed_per_day"] == 5.0
    assert g["projected_completion_date"] == date(2026, 11, 30)  # 300 left at 10/day after 2026-10-31
    assert (g["milestones_reached"], g["last_milestone_pct"]) == (2, 50)


def test_at_risk_when_pace_is_too_slow():
    g = assess_goal("practice_minutes", 600, 300, CREATED, date(2026, 11, 20), END)  # 20 days: 15/day needed
    assert g["status"] == "at_risk" and g["days_left"] == 20


def test_achieved_and_overdue():
    assert assess_goal("sessions_count", 10, 12, CREATED, date(2026, 10, 10), END)["status"] == "achieved"
    overdue = assess_goal("sessions_count", 10, 4, CREATED, date(2026, 10, 31), END)
    assert overdue["status"] == "overdue" and overdue["days_left"] == 0
    # a deadline on the window end itself is still open: one day left, 1/day needed vs 0.3/day so far
    open_goal = assess_goal("sessions_count", 10, 9, CREATED, date(2026, 11, 1), END)
    assert open_goal["status"] == "at_risk" and open_goal["days_left"] == 1


def test_completion_rate_is_a_level():
    assert assess_goal("completion_rate", 80, 72, CREATED, date(2026, 12, 1), END)["status"] == "on_track"
    level = assess_goal("completion_rate", 80, 65, CREATED, date(2026, 12, 1), END)
    assert level["status"] == "at_risk" and level["projected_completion_date"] is None


def test_no_progress_no_deadline_is_at_risk_without_projection():
    g = assess_goal("songs_mastered", 3, 0, CREATED, None, END)
    assert g["status"] == "at_risk" and g["projected_completion_date"] is None and g["milestones_reached"] == 0


def test_goal_report_orders_by_urgency():
    goals = pd.DataFrame([
        (1, 5, "a", "sessions_count", "sessions", 10.0, CREATED, date(2026, 10, 10), "active", 12.0, 12),
        (2, 5, "b", "sessions_count", "sessions", 10.0, CREATED, date(2026, 10, 20), "active", 2.0, 2),
        (3, 6, "c", "practice_minutes", "minutes", 600.0, CREATED, date(2026, 12, 30), "active", 300.0, 10),
    ], columns=["goal_id", "user_id", "title", "goal_type", "unit", "target_value", "created_date", "deadline",
                "app_status", "current_value", "sessions_counted"])
    report = build_goal_tracking(goals, start=date(2026, 10, 1), end=END)
    assert [g["goal_id"] for g in report["data"]["goals"]] == [2, 3, 1]  # overdue, on_track, achieved
    assert report["key_metrics"]["achieved_goals"] == 1 and report["key_metrics"]["overdue_goals"] == 1
    assert report["key_metrics"]["average_pct_of_target"] == pytest.approx((100 + 20 + 50) / 3, abs=0.01)
    assert report["data"]["goals"][1]["projected_completion_date"] == "2026-11-30"
    assert report["insights"] == []  # 24 sessions counted < 30


def test_confidence_rule():
    assert insights.confidence(100) == 0.9
    assert insights.confidence(30) == 0.82
    assert insights.confidence(0) == 0.0


def hours(rows):
    return pd.DataFrame(rows, columns=["session_hour", "sessions", "completion_sum"])


def test_hour_rules_need_thirty_sessions():
    assert insights.hour_rules(hours([(9, 29, 2000.0)])) == ([], [])
    found, _ = insights.hour_rules(hours([(9, 30, 2000.0)]))
    assert [i["id"] for i in found] == ["insight_peak_activity_hour"]  # one hour: it cannot beat the mean


def test_most_effective_hour_among_hours_with_enough_sessions():
    # hour 9: 30 sessions at 90%; hour 20: 40 at 50%; hour 7: 5 at 100% (too few); overall 5200/75 = 69.3
    found, recs = insights.hour_rules(hours([(9, 30, 2700.0), (20, 40, 2000.0), (7, 5, 500.0)]))
    by_id = {i["id"]: i for i in found}
    assert "20:00-21:00" in by_id["insight_peak_activity_hour"]["description"]
    assert "09:00-10:00" in by_id["insight_most_effective_hour"]["description"]
    assert by_id["insight_most_effective_hour"]["data_points"] == 30
    assert recs[0]["id"] == "rec_schedule_practice_at_effective_hour"


def test_peak_hour_tie_takes_the_earliest():
    found, _ = insights.hour_rules(hours([(21, 20, 1000.0), (8, 20, 1000.0)]))
    assert "08:00-09:00" in found[0]["description"]


def test_dominant_device_ties_alphabetical_and_threshold():
    assert insights.device_rule({"mobile": 14, "desktop": 15}) == []  # 29 sessions
    found = insights.device_rule({"tablet": 15, "desktop": 15})
    assert found[0]["description"].startswith("desktop")


@pytest.mark.parametrize("short, total, priority", [(11, 30, None), (12, 30, "medium"), (18, 30, "high"), (20, 29, None)])
def test_short_session_rule(short, total, priority):
    _, recs = insights.short_session_rule(short, total, None, None)
    assert (recs[0]["priority"] if recs else None) == priority
