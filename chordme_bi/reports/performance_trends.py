"""Performance trends: the daily series of a window, its growth, weekly seasonality and a forecast.

Growth = sessions of the second half of the window vs the first half (the middle day of an odd-length window
is left out), labelled growing / declining beyond +-TREND_THRESHOLD_PCT, else stable.
Forecast of the next window of equal length: OLS linear trend + day-of-week effect with an 80% interval
(stats.linear_dow_forecast); it needs at least 14 days.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from chordme_bi.reports import insights as rules
from chordme_bi.reports.common import MIN_REPORT_ROWS, chart, insufficient, r, result
from chordme_bi.reports.stats import linear_dow_forecast, pct_change, safe_div, weighted_slope

TREND_THRESHOLD_PCT = 10.0
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def fill_days(daily: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Every day of [start, end), days without sessions as zeros."""
    days = pd.DataFrame({"activity_date": pd.date_range(start, end - timedelta(days=1), freq="D").date})
    frame = daily.copy()
    if not frame.empty:
        frame["activity_date"] = pd.to_datetime(frame["activity_date"]).dt.date
    out = days.merge(frame, how="left", on="activity_date")
    for column in ("sessions", "active_users", "practice_seconds", "completion_sum"):
        out[column] = out[column].fillna(0) if column in out else 0
    return out


def growth(sessions: list[float]) -> dict:
    """Second half vs first half of the series."""
    half = len(sessions) // 2
    first, second = sum(sessions[:half]), sum(sessions[len(sessions) - half:])
    change, label = pct_change(second, first) if half else (None, "missing")
    if change is None:
        trend = "growing" if label == "new" else "stable" if label == "unchanged" else "unknown"
    else:
        trend = "growing" if change >= TREND_THRESHOLD_PCT else "declining" if change <= -TREND_THRESHOLD_PCT else "stable"
    return {"first_half_sessions": int(first), "second_half_sessions": int(second),
            "growth_rate_pct": r(change), "change": label, "trend": trend,
            "threshold_pct": TREND_THRESHOLD_PCT}


def build_performance_trends(daily: pd.DataFrame, *, start: date, end: date) -> dict:
    """daily: activity_date, sessions, active_users, practice_seconds, completion_sum (days with sessions)."""
    series = fill_days(daily, start, end)
    sessions = [float(v) for v in series["sessions"]]
    total = int(sum(sessions))
    n_days = len(series)
    weekdays = [d.isoweekday() for d in series["activity_date"]]
    trend = growth(sessions)
    slope = weighted_slope(list(range(n_days)), sessions)

    profile = pd.DataFrame({"day_of_week": weekdays, "sessions": sessions}).groupby("day_of_week")["sessions"].mean()
    mean_daily = safe_div(total, n_days)
    seasonality = [{"day_of_week": int(d), "day": WEEKDAYS[int(d) - 1], "mean_sessions": r(v),
                    "index": r(safe_div(v, mean_daily), 3)} for d, v in profile.items()]
    peak = series.sort_values(["sessions", "activity_date"], ascending=[False, True]).iloc[0] if total else None
    horizon = [(end + timedelta(days=i)).isoweekday() for i in range(n_days)]
    forecast = linear_dow_forecast(sessions, weekdays, horizon) if total >= MIN_REPORT_ROWS else None
    forecast_note = None if forecast else (f"a forecast needs at least 14 days and {MIN_REPORT_ROWS} sessions "
                                           f"(window: {n_days} days, {total} sessions)")
    if forecast:
        forecast = {**forecast, "start": (end).isoformat(), "end": (end + timedelta(days=n_days)).isoformat()}

    completion = [safe_div(c, s) for c, s in zip(series["completion_sum"], series["sessions"])]
    key_metrics = {
        "total_sessions": total,
        "average_daily_sessions": r(mean_daily),
        "growth_rate_pct": trend["growth_rate_pct"],
        "trend_slope_sessions_per_day": r(slope, 4),
        "forecast_next_period_sessions": forecast["point"] if forecast else None,
        "average_completion_rate": r(safe_div(float(series["completion_sum"].sum()), total)),
    }
    data = {
        "growth": {**trend, "slope_sessions_per_day": r(slope, 4)},
        "seasonality": seasonality,
        "peak_day": None if peak is None else {"date": peak["activity_date"], "sessions": int(peak["sessions"])},
        "forecast": forecast or {"note": forecast_note},
        # One row per day: bounded by the window length (a yearly report has 366 rows at most).
        "daily_series": [
            {"date": d, "sessions": int(s), "active_users": int(u), "practice_hours": r(p / 3600, 2), "mean_completion": r(c)}
            for d, s, u, p, c in zip(series["activity_date"], series["sessions"], series["active_users"],
                                     series["practice_seconds"], completion)
        ],
    }
    message = insufficient(total, MIN_REPORT_ROWS, "sessions", start, end)
    status = ("insufficient_data" if message else "excellent" if trend["trend"] == "growing"
              else "needs_attention" if trend["trend"] == "declining" else "normal")

    found, recs = [], []
    if total >= rules.MIN_DATA_POINTS and n_days >= 14:
        found.append(rules.insight(
            "insight_activity_trend", "trend", f"Activity is {trend['trend']}",
            f"Sessions in the second half of the window: {trend['second_half_sessions']}, first half: "
            f"{trend['first_half_sessions']}" + (f" ({trend['growth_rate_pct']:+.1f}%)." if trend["growth_rate_pct"] is not None else "."),
            total))
        if trend["trend"] == "declining":
            recs.append(rules.recommendation(
                "rec_reverse_declining_activity", "engagement", "high", "Re-engage users",
                f"Sessions fell {abs(trend['growth_rate_pct']):.1f}% from the first to the second half of the window.",
                ["Remind inactive users of songs they were learning", "Highlight new songs and setlists"],
                f"Recovering the first half's pace means {trend['first_half_sessions'] - trend['second_half_sessions']} more sessions per half window.",
                total))
        top = max(seasonality, key=lambda d: (d["mean_sessions"] or 0, -d["day_of_week"]))
        found.append(rules.insight(
            "insight_busiest_weekday", "seasonality", "Busiest day of the week",
            f"{top['day']} averages {top['mean_sessions']:.1f} sessions, {top['index']:.2f}x the daily mean.", total))

    charts = [chart("daily_sessions", "Sessions per day", "line", [row["date"] for row in data["daily_series"]],
                    {"sessions": [row["sessions"] for row in data["daily_series"]]}, "date", "sessions"),
              chart("weekday_profile", "Mean sessions by day of week", "bar", [d["day"] for d in seasonality],
                    {"mean_sessions": [d["mean_sessions"] for d in seasonality]}, "day", "sessions")]
    return result(key_metrics, status, message, data, found, recs, charts)
