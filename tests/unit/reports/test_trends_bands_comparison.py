"""performance_trends, band_collaboration and comparative_analysis on hand-built inputs."""

from datetime import date, timedelta

import pandas as pd
import pytest

from chordme_bi.reports.band_collaboration import build_band_collaboration
from chordme_bi.reports.comparative_analysis import build_comparative_analysis
from chordme_bi.reports.performance_trends import build_performance_trends, growth

START = date(2026, 10, 5)  # a Monday
END = START + timedelta(days=14)


def daily(counts: dict[int, int]) -> pd.DataFrame:
    return pd.DataFrame([(START + timedelta(days=d), n, 1, 600.0 * n, 50.0 * n) for d, n in counts.items()],
                        columns=["activity_date", "sessions", "active_users", "practice_seconds", "completion_sum"])


def test_trend_fills_missing_days_and_compares_halves():
    counts = {d: 10 for d in range(7) if d != 2} | {d: 12 for d in range(7, 14)}  # day 2 had no sessions
    report = build_performance_trends(daily(counts), start=START, end=END)
    g = report["data"]["growth"]
    assert (g["first_half_sessions"], g["second_half_sessions"]) == (60, 84)
    assert g["growth_rate_pct"] == 40.0 and g["trend"] == "growing"
    assert len(report["data"]["daily_series"]) == 14 and report["data"]["daily_series"][2]["sessions"] == 0
    assert report["data"]["peak_day"] == {"date": "2026-10-12", "sessions": 12}  # first of the tied 12s
    assert report["data"]["forecast"]["days"] == 14 and report["data"]["forecast"]["lower_80"] <= report["data"]["forecast"]["point"]
    assert report["status"] == "excellent"


@pytest.mark.parametrize("second, trend", [(91, "stable"), (90, "declining"), (110, "growing"), (109, "stable")])
def test_trend_threshold_is_ten_percent(second, trend):
    assert growth([100, second])["trend"] == trend


def test_growth_from_zero_is_new_not_a_percentage():
    g = growth([0, 0, 5, 5])
    assert g["growth_rate_pct"] is None and g["change"] == "new" and g["trend"] == "growing"


def test_one_day_window_has_no_forecast():
    report = build_performance_trends(daily({0: 8}), start=START, end=START + timedelta(days=1))
    assert "note" in report["data"]["forecast"] and report["key_metrics"]["forecast_next_period_sessions"] is None


BAND_COLUMNS = ["band_id", "band_name", "member_count", "performances", "rehearsals", "gigs", "mean_overall_rating",
                "mean_technical_rating", "songs_performed", "songs_skipped", "mean_team_coordination", "rehearsal_sessions",
                "engagement_excellent", "engagement_good", "engagement_fair", "engagement_poor", "engagement_unknown"]


def test_band_collaboration_weights_by_performances():
    bands = pd.DataFrame([(1, "A", 4, 4, 3, 1, 4.5, 4.0, 20, 5, 0.6, 7, 1, 2, 0, 0, 1),
                          (2, "B", 3, 1, 0, 1, 3.0, 3.0, 8, 0, 0.2, 0, 0, 0, 0, 1, 0)], columns=BAND_COLUMNS)
    report = build_band_collaboration(bands, {"n": 5, "r": 0.4}, start=START, end=END)
    assert report["key_metrics"] == {
        "total_bands": 2, "total_performances": 5,
        "average_overall_rating": 4.2,  # (4.5*4 + 3*1) / 5
        "average_technical_rating": 3.8,  # (16 + 3) / 5
        "average_team_coordination": 0.52,  # (2.4 + 0.2) / 5
        "rehearsal_to_performance_ratio": 1.5,  # 3 rehearsals / 2 gigs
        "songs_skip_rate": 0.1515,  # 5 / 33
    }
    listed = {b["band_id"]: b for b in report["data"]["bands"]}
    assert listed[1]["rehearsal_to_performance_ratio"] == 3.0 and listed[2]["rehearsal_to_performance_ratio"] == 0.0
    assert report["data"]["audience_engagement"] == {"excellent": 1, "good": 2, "fair": 0, "poor": 1, "unknown": 1}
    assert report["data"]["most_performed_setlists"][0]["band_id"] == 1
    assert report["status"] == "excellent"
    assert report["insights"] == []  # 5 performances < 30


def test_band_without_gigs_has_undefined_ratio_and_empty_window_is_insufficient():
    bands = pd.DataFrame([(1, "A", 4, 2, 2, 0, 4.0, 4.0, 10, 0, 0.5, 2, 0, 0, 0, 0, 2)], columns=BAND_COLUMNS)
    assert build_band_collaboration(bands, {"n": 2, "r": None}, start=START, end=END)["key_metrics"]["rehearsal_to_performance_ratio"] is None
    empty = build_band_collaboration(pd.DataFrame(columns=BAND_COLUMNS), {"n": 0, "r": None}, start=START, end=END)
    assert empty["status"] == "insufficient_data" and empty["data"]["bands"] == []


def totals(sessions, users, mean_c, var_c, mean_d, var_d):
    return {"sessions": sessions, "active_users": users, "practice_seconds": sessions * mean_d, "mean_completion": mean_c,
            "var_completion": var_c, "mean_duration_seconds": mean_d, "var_duration_seconds": var_d, "songs_practised": 3}


def test_comparison_tests_and_new_metric():
    current = totals(40, 10, 60.0, 100.0, 900.0, 3600.0)
    previous = totals(20, 0, 50.0, 100.0, 900.0, 3600.0)
    report = build_comparative_analysis(current, previous, {"mobile": 30, "desktop": 10}, {"mobile": 10, "desktop": 10},
                                        start=START, end=END, previous_start=START - timedelta(days=14))
    rows = {c["metric"]: c for c in report["data"]["comparisons"]}
    assert rows["sessions"]["change_pct"] == 100.0 and rows["sessions"]["test"] == "poisson_rate_test"
    assert rows["sessions"]["significant"]  # binomial(40 of 60, 1/2): p = 0.013
    assert rows["active_users"]["change"] == "new" and rows["active_users"]["change_pct"] is None
    # Welch: (60-50)/sqrt(100/40 + 100/20) = 3.65, df 38 -> p < 0.001
    assert rows["mean_completion"]["test"] == "welch_t_test" and rows["mean_completion"]["p_value"] < 0.001
    assert not rows["mean_session_minutes"]["significant"]  # identical means
    assert rows["practice_hours"]["test"] is None
    assert report["status"] == "excellent"  # only significant increases
    assert report["data"]["device_mix_test"]["test"] == "chi_square_test"
    # [[30,10],[10,10]]: chi2 = 60*(300-100)^2/(40*20*40*20) = 3.75, p = 0.053 -> not significant at 0.05
    assert report["data"]["device_mix_test"]["statistic"] == pytest.approx(3.75)
    assert not report["data"]["device_mix_test"]["significant"]


def test_twenty_percent_change_without_significance_is_not_flagged():
    # 12 vs 10 sessions: +20%, but binomial p = 0.83
    report = build_comparative_analysis(totals(12, 3, 50.0, 400.0, 600.0, 1e4), totals(10, 3, 50.0, 400.0, 600.0, 1e4),
                                        {}, {}, start=START, end=END, previous_start=START - timedelta(days=14))
    assert report["key_metrics"]["sessions_change_pct"] == 20.0 and report["key_metrics"]["significant_changes"] == 0
