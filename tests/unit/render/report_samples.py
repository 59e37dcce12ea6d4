"""Hand-built report dicts, one per report type, in the engine's contract shape (see docs/rendering.md).

The integration tests load this file by path (the test folders are not packages).
"""

from __future__ import annotations

import copy


def _base(report_type: str, period: str, start: str, end: str, **config) -> dict:
    return {
        "report_id": f"{report_type}_20261101_020000",
        "generated_at": "2026-11-01T02:00:00Z",
        "config": {"report_type": report_type, "period": period, "start": start, "end": end, "format": "html",
                   "user_ids": None, "class_id": None, "band_id": None, **config},
    }


STUDENT_PROGRESS = {
    **_base("student_progress", "monthly", "2026-10-01", "2026-11-01", user_ids=[4, 7, 9]),
    "summary": {
        "report_type": "student_progress",
        "key_metrics": {"total_students": 3, "average_completion_rate": 71.4, "total_sessions": 58,
                        "total_practice_minutes": 1234.5},
        "status": "normal",
        "message": None,
    },
    "data": {
        "period_summary": {"sessions": 58, "practice_minutes": 1234.5, "mean_completion": 71.4},
        "student_details": [
            {"user_key": "a1b2c3", "display_label": "José Ramírez", "sessions": 30, "practice_minutes": 640.0,
             "mean_completion": 82.5, "trend": 4.2},
            {"user_key": "d4e5f6", "display_label": "Zoë Müller 🎸", "sessions": 20, "practice_minutes": 450.5,
             "mean_completion": 70.1, "trend": -3.5},
            {"user_key": "0f9e8d", "display_label": "<script>alert(1)</script>", "sessions": 8,
             "practice_minutes": 144.0, "mean_completion": None, "trend": None},
        ],
        "top_performers": [{"user_key": "a1b2c3", "mean_completion": 82.5}],
        "struggling_students": [{"user_key": "0f9e8d", "problem_sections": 6, "reasons": ["low completion", "pauses"]}],
    },
    "insights": [
        {"id": "insight_001", "category": "usage_pattern", "title": "Peak Practice Times",
         "description": "Most sessions start between 18:00 and 20:00 UTC.", "confidence": 0.85, "data_points": 58},
        {"id": "insight_002", "category": "progress", "title": "Completion rising for José",
         "description": "Mean completion rose 4.2 points over the month.", "confidence": 0.7, "data_points": 30},
    ],
    "recommendations": [
        {"id": "rec_001", "type": "practice_improvement", "priority": "high", "title": "Optimize Practice Sessions",
         "description": "Students show better retention with 20-30 minute focused sessions",
         "suggested_actions": ["Implement session time limits", "Add break reminders"],
         "expected_impact": "Improve completion rates by 15-25%", "data_points": 58},
        {"id": "rec_002", "type": "engagement", "priority": "low", "title": "Celebrate streaks",
         "description": "Three students practised five days in a row.", "suggested_actions": [],
         "expected_impact": None, "data_points": 3},
    ],
    "charts": [
        {"id": "daily_completion", "title": "Mean completion per day", "kind": "line",
         "x": ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05"],
         "series": [{"name": "completion %", "values": [65.0, 70.5, None, 74.0, 78.5]}],
         "x_label": "day", "y_label": "%"},
        {"id": "sessions_by_student", "title": "Sessions per student", "kind": "bar",
         "x": ["a1b2c3", "d4e5f6", "0f9e8d"], "series": [{"name": "sessions", "values": [30, 20, 8]}],
         "x_label": "student", "y_label": "sessions"},
    ],
}

BAND_COLLABORATION = {
    **_base("band_collaboration", "weekly", "2026-10-19", "2026-10-26", band_id=1),
    "summary": {"report_type": "band_collaboration",
                "key_metrics": {"bands": 2, "performances": 5, "mean_overall_rating": 3.8, "mean_team_coordination": 0.66},
                "status": "excellent", "message": None},
    "data": {
        "bands": [
            {"band_id": 1, "band_name": "The Chordinators", "performances": 3, "mean_overall_rating": 4.33,
             "team_coordination": 0.75},
            {"band_id": 2, "band_name": "=HYPERLINK(\"http://evil.example\",\"x\")", "performances": 2,
             "mean_overall_rating": 3.0, "team_coordination": 0.5},
        ],
        "performances": [
            {"performance_id": 11, "band_id": 1, "performance_date": "2026-10-20", "venue": "Studio B",
             "overall_rating": 4, "audience_engagement": "good"},
            {"performance_id": 12, "band_id": 2, "performance_date": "2026-10-22", "venue": "Music School Hall",
             "overall_rating": 3, "audience_engagement": "fair"},
        ],
    },
    "insights": [{"id": "insight_b1", "category": "collaboration", "title": "Rehearsed bands rate higher",
                  "description": "Bands with two or more rehearsals scored 1.3 points higher.", "confidence": 0.6,
                  "data_points": 5}],
    "recommendations": [{"id": "rec_b1", "type": "rehearsal", "priority": "medium", "title": "Schedule a rehearsal",
                         "description": "Band 2 performed without a rehearsal this week.",
                         "suggested_actions": ["Book a rehearsal slot"], "expected_impact": "+1 rating point",
                         "data_points": 2}],
    "charts": [{"id": "ratings", "title": "Mean rating per band", "kind": "bar", "x": ["1", "2"],
                "series": [{"name": "overall", "values": [4.33, 3.0]}, {"name": "technical", "values": [4.0, 2.5]}],
                "x_label": "band", "y_label": "rating"}],
}

USAGE_PATTERNS = {
    **_base("usage_patterns", "weekly", "2026-10-19", "2026-10-26"),
    "summary": {"report_type": "usage_patterns",
                "key_metrics": {"total_sessions": 412, "active_users": 37, "peak_hour": 19, "mobile_share_pct": 54.2},
                "status": "normal", "message": None},
    "data": {
        "hourly": [{"hour": h, "sessions": s} for h, s in zip(range(6, 12), (3, 8, 15, 22, 17, 9))],
        "devices": [{"device_type": "mobile", "sessions": 223, "share_pct": 54.2},
                    {"device_type": "desktop", "sessions": 120, "share_pct": 29.1},
                    {"device_type": "tablet", "sessions": 69, "share_pct": 16.7}],
    },
    "insights": [{"id": "insight_u1", "category": "usage_pattern", "title": "Mobile dominates short sessions",
                  "description": "71% of sessions under five minutes were on mobile.", "confidence": 0.9,
                  "data_points": 412}],
    "recommendations": [],
    "charts": [{"id": "devices", "title": "Device mix", "kind": "pie", "x": ["mobile", "desktop", "tablet"],
                "series": [{"name": "sessions", "values": [223, 120, 69]}], "x_label": "", "y_label": ""}],
}

PERFORMANCE_TRENDS = {
    **_base("performance_trends", "monthly", "2026-10-01", "2026-11-01"),
    "summary": {"report_type": "performance_trends",
                "key_metrics": {"sessions_growth_pct": -12.5, "completion_trend_per_week": 1.8, "weeks": 5},
                "status": "needs_attention", "message": "Sessions fell 12.5% against the previous month."},
    "data": {
        "weekly_series": [{"week": f"2026-W{w}", "sessions": s, "mean_completion": c}
                          for w, s, c in ((40, 120, 66.0), (41, 110, 67.5), (42, 98, 69.1), (43, 101, 70.0), (44, 88, 72.3))],
    },
    "insights": [{"id": "insight_t1", "category": "trend", "title": "Fewer but better sessions",
                  "description": "Sessions fell while completion rose every week.", "confidence": 0.75, "data_points": 517}],
    "recommendations": [{"id": "rec_t1", "type": "engagement", "priority": "high", "title": "Re-engage lapsed students",
                         "description": "14 students did not practise in the last two weeks.",
                         "suggested_actions": ["Send a reminder", "Suggest an easier song"],
                         "expected_impact": "Recover 10% of sessions", "data_points": 14}],
    "charts": [{"id": "weekly", "title": "Sessions per week", "kind": "line",
                "x": ["2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"],
                "series": [{"name": "sessions", "values": [120, 110, 98, 101, 88]}], "x_label": "ISO week",
                "y_label": "sessions"}],
}

COMPARATIVE_ANALYSIS = {
    **_base("comparative_analysis", "quarterly", "2026-07-01", "2026-10-01"),
    "summary": {"report_type": "comparative_analysis",
                "key_metrics": {"sessions_current": 1290, "sessions_previous": 1105, "sessions_change_pct": 16.7,
                                "completion_change_points": -2.1},
                "status": "normal", "message": None},
    "data": {
        "comparison": [{"metric": "sessions", "previous": 1105, "current": 1290, "change_pct": 16.7, "significant": True},
                       {"metric": "mean_completion", "previous": 71.0, "current": 68.9, "change_pct": -2.96,
                        "significant": False}],
    },
    "insights": [{"id": "insight_c1", "category": "comparison", "title": "Sessions up 16.7%",
                  "description": "More sessions than the previous quarter, mostly on weekends.", "confidence": 0.95,
                  "data_points": 2395}],
    "recommendations": [],
    "charts": [{"id": "compare", "title": "Quarter over quarter", "kind": "bar", "x": ["sessions (÷10)", "completion"],
                "series": [{"name": "previous", "values": [110.5, 71.0]}, {"name": "current", "values": [129.0, 68.9]}],
                "x_label": "", "y_label": ""}],
}

GOAL_TRACKING = {
    **_base("goal_tracking", "weekly", "2026-10-19", "2026-10-26", user_ids=[4, 7]),
    "summary": {"report_type": "goal_tracking",
                "key_metrics": {"active_goals": 4, "goals_on_track": 3, "mean_pct_of_target": 64.25},
                "status": "excellent", "message": None},
    "data": {
        "goals": [
            {"goal_id": 3, "user_key": "a1b2c3", "goal_type": "practice_minutes", "target_value": 600.0,
             "current_value": 420.0, "pct_of_target": 70.0, "deadline": "2026-11-15", "on_track": True},
            {"goal_id": 5, "user_key": "d4e5f6", "goal_type": "sessions_count", "target_value": 30.0,
             "current_value": 12.0, "pct_of_target": 40.0, "deadline": "2026-11-01", "on_track": False},
            {"goal_id": 8, "user_key": "a1b2c3", "goal_type": "completion_rate", "target_value": 85.0,
             "current_value": 80.0, "pct_of_target": 94.1, "deadline": None, "on_track": True},
            {"goal_id": 9, "user_key": "d4e5f6", "goal_type": "songs_mastered", "target_value": 5.0,
             "current_value": 2.65, "pct_of_target": 53.0, "deadline": "2026-12-31", "on_track": True},
        ],
        "milestones": [],  # an empty entity list: no table, no crash
    },
    "insights": [],
    "recommendations": [{"id": "rec_g1", "type": "goal", "priority": "medium", "title": "Goal 5 is behind",
                         "description": "40% of the sessions target with the deadline passed.",
                         "suggested_actions": ["Extend the deadline"], "expected_impact": None, "data_points": 1}],
    "charts": [{"id": "goals", "title": "Progress per goal", "kind": "bar", "x": ["3", "5", "8", "9"],
                "series": [{"name": "% of target", "values": [70.0, 40.0, 94.1, 53.0]}], "x_label": "goal",
                "y_label": "% of target"}],
}

INSUFFICIENT = {
    **_base("student_progress", "daily", "2026-10-31", "2026-11-01"),
    "summary": {"report_type": "student_progress", "key_metrics": {"total_students": 0, "total_sessions": 0,
                                                                   "average_completion_rate": None},
                "status": "insufficient_data", "message": "No sessions in this window."},
    "data": {},
    "insights": [],
    "recommendations": [],
    "charts": [],
}

ALL = {
    "student_progress": STUDENT_PROGRESS,
    "band_collaboration": BAND_COLLABORATION,
    "usage_patterns": USAGE_PATTERNS,
    "performance_trends": PERFORMANCE_TRENDS,
    "comparative_analysis": COMPARATIVE_ANALYSIS,
    "goal_tracking": GOAL_TRACKING,
    "insufficient_data": INSUFFICIENT,
}


def sample(name: str) -> dict:
    """A deep copy, so a test may change it."""
    return copy.deepcopy(ALL[name])
