"""student_progress on hand-built frames; every expected value is worked out in the comments."""

from datetime import date

import pandas as pd
import pytest

from chordme_bi.reports.student_progress import build_student_progress, completion_slopes

START, END = date(2026, 10, 1), date(2026, 11, 1)
PLATFORM = {"sessions": 15, "pseudonymous_sessions": 2}


def students(rows):
    return pd.DataFrame(rows, columns=["user_id", "sessions", "practice_seconds", "completion_sum", "songs_practised", "active_days"])


def daily(rows):
    return pd.DataFrame(rows, columns=["user_id", "activity_date", "sessions", "completion_sum"])


def problems(rows):
    return pd.DataFrame(rows, columns=["user_id", "problem_type", "section_name", "problems", "severity_sum"])


def goals(rows):
    return pd.DataFrame(rows, columns=["user_id", "target_value", "current_value"])


def build(student_rows, daily_rows=(), problem_rows=(), goal_rows=()):
    return build_student_progress(students(student_rows), daily(list(daily_rows)), problems(list(problem_rows)),
                                  goals(list(goal_rows)), PLATFORM, start=START, end=END)


THREE = [
    (1, 6, 3600, 480.0, 3, 4),  # 80% completion, 10 min per session
    (2, 2, 240, 60.0, 1, 2),  # 30%, 2 min per session
    (3, 5, 3000, 450.0, 2, 5),  # 90%, 10 min
]


def test_key_metrics_struggling_and_status():
    report = build(THREE, goal_rows=[(1, 100, 120), (1, 10, 5)])
    # 13 sessions, 990 completion points -> 76.15%; 6840 s -> 114 min / 13 = 8.77 min; 1.9 h
    assert report["key_metrics"] == {
        "total_students": 3, "total_sessions": 13, "average_completion_rate": 76.15,
        "average_session_minutes": 8.77, "total_practice_hours": 1.9, "struggling_students": 1,
    }
    # threshold 0.7 * 76.15 = 53.31: only user 2 (30%); 1 of 3 > 25% -> needs_attention
    struggling = report["data"]["struggling_students"]
    assert [s["user_id"] for s in struggling] == [2]
    assert struggling[0]["concerns"] == "fewer than 5 sessions; completion under 50%; sessions under 5 minutes on average"
    assert report["data"]["period_summary"]["struggling_threshold_completion"] == 53.31
    assert report["status"] == "needs_attention"
    # top performers need 5 sessions: user 3 (90%) then user 1 (80%)
    assert [p["user_id"] for p in report["data"]["top_performers"]] == [3, 1]
    detail = {d["user_id"]: d for d in report["data"]["student_details"]}
    assert detail[1]["goals"] == 2 and detail[1]["goals_achieved"] == 1 and detail[1]["mean_goal_pct_of_target"] == 85.0
    assert report["data"]["period_summary"]["platform_sessions"] == 15  # pseudonymous sessions stay in platform totals


def test_below_minimum_data_points_no_insights():
    report = build(THREE)
    assert report["insights"] == [] and report["recommendations"] == []  # 13 sessions < 30


def test_empty_window_is_insufficient_data_not_a_crash():
    report = build([])
    assert report["status"] == "insufficient_data"
    assert report["message"].startswith("Failed to generate report - insufficient data: 0 student sessions")
    assert report["key_metrics"]["total_students"] == 0
    assert report["key_metrics"]["average_completion_rate"] is None  # not an invented 0
    assert report["data"]["student_details"] == [] and report["data"]["top_performers"] == []


def test_one_session_is_insufficient_but_reported_as_is():
    report = build([(7, 1, 600, 40.0, 1, 1)])
    assert report["status"] == "insufficient_data"
    assert report["key_metrics"]["average_completion_rate"] == 40.0
    assert report["data"]["student_details"][0]["improvement_per_week"] is None  # < 5 sessions: no trend


def test_completion_zero_is_a_real_zero():
    report = build([(1, 5, 3000, 0.0, 1, 5), (2, 5, 3000, 400.0, 1, 5)])
    detail = {d["user_id"]: d for d in report["data"]["student_details"]}
    assert detail[1]["completion_rate"] == 0.0
    # average 40%, threshold 28%: user 1 at 0% is struggling
    assert [s["user_id"] for s in report["data"]["struggling_students"]] == [1]


def test_top_performer_ties_broken_by_sessions_then_user_id():
    report = build([(5, 5, 3000, 400.0, 1, 5), (4, 5, 3000, 400.0, 1, 5), (6, 8, 3000, 640.0, 1, 5)])
    # all at 80%: user 6 has more sessions; 4 before 5 by id
    assert [p["user_id"] for p in report["data"]["top_performers"]] == [6, 4, 5]


def test_improvement_is_ols_slope_per_week():
    # user 1: day 0 two sessions averaging 50, day 7 four averaging 95 -> 45 points in a week
    slopes = completion_slopes(daily([(1, date(2026, 10, 1), 2, 100.0), (1, date(2026, 10, 8), 4, 380.0),
                                      (2, date(2026, 10, 1), 2, 60.0)]))
    assert slopes[1] == pytest.approx(45.0)
    assert pd.isna(slopes[2])  # 2 sessions < 5


def test_problem_areas_ranked_and_per_student_top_types():
    report = build(THREE, problem_rows=[(1, "frequent_pauses", "chorus", 3, 6.0), (1, "multiple_rewinds", "verse", 1, 4.0),
                                        (2, "frequent_pauses", "verse", 1, 2.0)])
    assert report["data"]["problem_areas"] == [
        {"problem_type": "frequent_pauses", "section_name": "chorus", "problems": 3, "mean_severity": 2.0},
        {"problem_type": "frequent_pauses", "section_name": "verse", "problems": 1, "mean_severity": 2.0},
        {"problem_type": "multiple_rewinds", "section_name": "verse", "problems": 1, "mean_severity": 4.0},
    ]
    detail = {d["user_id"]: d for d in report["data"]["student_details"]}
    assert detail[1]["top_problem_types"] == "frequent_pauses:3, multiple_rewinds:1"
    assert detail[1]["problem_sections"] == 4 and detail[3]["problem_sections"] == 0


def test_insights_from_thirty_sessions():
    rows = [(u, 10, 6000, 10 * c, 2, 5) for u, c in ((1, 90.0), (2, 80.0), (3, 20.0))]  # 30 sessions, avg 63.33
    report = build(rows)
    ids = [i["id"] for i in report["insights"]]
    assert "insight_struggling_share" in ids
    assert report["recommendations"][0]["id"] == "rec_support_struggling_students"
    assert report["recommendations"][0]["priority"] == "high"  # 1 of 3 = 33% > 25%


def test_trends_for_all_users_at_once_equal_a_fit_per_user():
    """The vectorized slopes equal a per-user weighted least-squares fit (the definition) on random data."""
    import numpy as np

    from chordme_bi.reports.stats import weighted_slope

    rng = np.random.default_rng(7)
    rows = []
    for user_id in range(1, 400):
        days = rng.choice(60, size=rng.integers(1, 12), replace=False)  # some users have a single day
        for day in days:
            sessions = int(rng.integers(1, 4))
            rows.append((user_id, date(2026, 9, 1) + pd.Timedelta(days=int(day)), sessions,
                         float(rng.uniform(0, 100)) * sessions))
    frame = daily(rows)
    expected = {}
    for user_id, part in frame.groupby("user_id"):
        if part["sessions"].sum() < 5:
            expected[user_id] = None
            continue
        x = list((pd.to_datetime(part["activity_date"]) - pd.Timestamp("1970-01-01")).dt.days.astype(float))
        slope = weighted_slope(x, list(part["completion_sum"] / part["sessions"]), list(part["sessions"]))
        expected[user_id] = None if slope is None else slope * 7
    got = completion_slopes(frame)
    assert set(got.index) == expected.keys()
    assert sum(v is None for v in expected.values()) > 10 and sum(v is not None for v in expected.values()) > 100
    for user_id, want in expected.items():
        assert pd.isna(got[user_id]) == (want is None), user_id
        if want is not None:
            assert got[user_id] == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_top_problem_counts_rank_per_user_with_alphabetical_ties():
    from chordme_bi.reports.student_progress import top_counts

    frame = problems([(1, "rhythm", "chorus", 2, 6), (1, "rhythm", "verse", 1, 3), (1, "pitch", "bridge", 3, 9),
                      (1, "tempo", "intro", 3, 3), (1, "chords", "outro", 1, 1), (2, "chords", "verse", 4, 8)])
    # user 1 by type: rhythm 3, pitch 3, tempo 3, chords 1 -> three tied at 3, alphabetical
    assert top_counts(frame, "problem_type").to_dict() == {1: "pitch:3, rhythm:3, tempo:3", 2: "chords:4"}
    assert top_counts(frame, "section_name", n=2).to_dict() == {1: "bridge:3, intro:3", 2: "verse:4"}
    assert top_counts(frame.iloc[0:0], "problem_type").empty
