"""usage_patterns on hand-built cells."""

from datetime import date

import pandas as pd
import pytest

from chordme_bi.reports.usage_patterns import build_usage_patterns, engagement_score

START, END = date(2026, 10, 5), date(2026, 10, 12)  # one week
COLUMNS = ["session_hour", "day_of_week", "device_type", "sessions", "practice_seconds", "completion_sum",
           "short_sessions", "medium_sessions", "long_sessions"]
CELLS = pd.DataFrame([
    (18, 6, "mobile", 20, 12000.0, 1000.0, 0, 20, 0),
    (9, 1, "desktop", 10, 18000.0, 900.0, 2, 3, 5),
    (18, 1, "desktop", 5, 600.0, 100.0, 5, 0, 0),
], columns=COLUMNS)
TYPES = pd.DataFrame([("practice", 30, 1800.0, 27000.0), ("rehearsal", 5, 200.0, 3600.0)],
                     columns=["session_type", "sessions", "completion_sum", "practice_seconds"])
EVENTS = pd.DataFrame([("pause", 30), ("rewind", 10)], columns=["event_type", "events"])


def test_engagement_uses_sessions_per_active_user_per_week():
    # 1000 sessions by 100 users over 4 weeks = 2.5 a week -> frequency 2.5/3; the old total/30 would give 1
    score = engagement_score(1000, 100, 28, 1000 * 900.0, 1000 * 60.0)
    assert score["frequency"] == pytest.approx(0.8333, abs=1e-4)
    assert score["duration"] == 0.5  # 900 s / 1800
    assert score["completion"] == 0.6
    assert score["engagement_score"] == pytest.approx(0.3 * 2.5 / 3 + 0.3 * 0.5 + 0.4 * 0.6, abs=1e-4)
    assert engagement_score(0, 0, 7, 0, 0)["engagement_score"] is None


def test_usage_report():
    report = build_usage_patterns(CELLS, TYPES, EVENTS, {"active_users": 5}, start=START, end=END)
    km = report["key_metrics"]
    # 35 sessions, 5 users, 1 week: 7/user/week -> frequency 1; 30600/35 = 874.3 s -> 0.4857; 2000/35 -> 0.5714
    assert km["engagement_score"] == pytest.approx(0.3 + 0.3 * 874.2857 / 1800 + 0.4 * 2000 / 3500, abs=1e-4)
    assert km["peak_hour_utc"] == 18 and km["peak_day_of_week"] == "Sat"  # 25 sessions at 18; Sat 20 vs Mon 15
    assert km["average_completion_rate"] == 57.14
    assert report["status"] == "normal"  # 0.674 between 0.4 and 0.7
    assert report["data"]["duration_distribution"] == {"short": 7, "medium": 23, "long": 5}
    devices = report["data"]["device_usage"]
    assert [(d["device_type"], d["sessions"], d["share"]) for d in devices] == [("mobile", 20, 0.5714), ("desktop", 15, 0.4286)]
    assert devices[1]["mean_completion"] == pytest.approx(66.67)  # 1000 / 15
    assert report["data"]["feature_usage"][0] == {"event_type": "pause", "events": 30, "share": 0.75}
    ids = [i["id"] for i in report["insights"]]
    # no hour reaches 30 sessions: no "most effective hour"; 7/35 short sessions is under the 40% rule
    assert ids == ["insight_peak_activity_hour", "insight_dominant_device"]
    hours = next(c for c in report["charts"] if c["id"] == "sessions_by_hour")
    assert len(hours["x"]) == 24 and hours["series"][0]["values"][18] == 25


def test_empty_usage_window():
    empty = pd.DataFrame(columns=COLUMNS)
    report = build_usage_patterns(empty, TYPES.iloc[0:0], EVENTS.iloc[0:0], {"active_users": 0}, start=START, end=END)
    assert report["status"] == "insufficient_data"
    assert report["key_metrics"]["engagement_score"] is None and report["key_metrics"]["peak_hour_utc"] is None
    assert report["insights"] == []
