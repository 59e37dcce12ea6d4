"""Usage patterns: when, on what and how people practise, and an engagement score.

Engagement = 0.3 * frequency + 0.3 * duration + 0.4 * completion, each in [0, 1]:
frequency = min(sessions per active user per week / TARGET_SESSIONS_PER_WEEK, 1), duration = min(mean session
seconds / 1800, 1), completion = mean completion / 100. (Not total sessions / 30: that saturates for any
real population; see pitfalls.md.)
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from chordme_bi.reports import insights as rules
from chordme_bi.reports.common import MIN_REPORT_ROWS, chart, insufficient, r, records, result
from chordme_bi.reports.stats import safe_div

TARGET_SESSIONS_PER_WEEK = 3.0
FULL_DURATION_SECONDS = 1800.0
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BUCKETS = (("short", "under 5 min"), ("medium", "5-30 min"), ("long", "30 min or more"))


def engagement_score(sessions: int, active_users: int, days: int, practice_seconds: float, completion_sum: float) -> dict:
    """The score and its three components; None parts when there are no sessions."""
    weeks = days / 7.0
    per_user_week = safe_div(sessions, active_users * weeks) if active_users else None
    mean_seconds = safe_div(practice_seconds, sessions)
    mean_completion = safe_div(completion_sum, sessions)
    if per_user_week is None or mean_seconds is None or mean_completion is None:
        return {"engagement_score": None, "frequency": None, "duration": None, "completion": None,
                "sessions_per_active_user_per_week": None, "target_sessions_per_week": TARGET_SESSIONS_PER_WEEK}
    frequency = min(per_user_week / TARGET_SESSIONS_PER_WEEK, 1.0)
    duration = min(mean_seconds / FULL_DURATION_SECONDS, 1.0)
    completion = mean_completion / 100.0
    return {
        "engagement_score": round(0.3 * frequency + 0.3 * duration + 0.4 * completion, 4),
        "frequency": round(frequency, 4),
        "duration": round(duration, 4),
        "completion": round(completion, 4),
        "sessions_per_active_user_per_week": round(per_user_week, 3),
        "target_sessions_per_week": TARGET_SESSIONS_PER_WEEK,
    }


def build_usage_patterns(cells: pd.DataFrame, session_types: pd.DataFrame, events: pd.DataFrame, totals: dict,
                         *, start: date, end: date) -> dict:
    """cells: session_hour, day_of_week, device_type, sessions, practice_seconds, completion_sum, short_sessions,
    medium_sessions, long_sessions; session_types: session_type, sessions, completion_sum, practice_seconds;
    events: event_type, events; totals: session_totals() (active_users)."""
    sessions = int(cells["sessions"].sum()) if not cells.empty else 0
    days = (end - start).days
    practice_seconds = float(cells["practice_seconds"].sum()) if sessions else 0.0
    completion_sum = float(cells["completion_sum"].sum()) if sessions else 0.0
    active_users = int(totals.get("active_users") or 0)

    hours = cells.groupby("session_hour", as_index=False)[["sessions", "completion_sum"]].sum() if sessions else \
        pd.DataFrame(columns=["session_hour", "sessions", "completion_sum"])
    hours_full = pd.DataFrame({"session_hour": range(24)}).merge(hours, how="left").fillna(0)
    dows = cells.groupby("day_of_week", as_index=False)[["sessions", "completion_sum"]].sum() if sessions else \
        pd.DataFrame(columns=["day_of_week", "sessions", "completion_sum"])
    dows_full = pd.DataFrame({"day_of_week": range(1, 8)}).merge(dows, how="left").fillna(0)
    devices = cells.groupby("device_type", as_index=False)[["sessions", "practice_seconds", "completion_sum"]].sum() if sessions \
        else pd.DataFrame(columns=["device_type", "sessions", "practice_seconds", "completion_sum"])
    buckets = {name: int(cells[f"{name}_sessions"].sum()) if sessions else 0 for name, _ in BUCKETS}

    def shares(frame: pd.DataFrame, label: str) -> pd.DataFrame:
        out = frame.copy()
        out["share"] = (out["sessions"] / sessions).round(4) if sessions else 0.0
        out["mean_completion"] = [r(safe_div(c, n)) for c, n in zip(out["completion_sum"], out["sessions"])]
        if "practice_seconds" in out:
            out["mean_session_minutes"] = [r(safe_div(s, n * 60)) for s, n in zip(out["practice_seconds"], out["sessions"])]
            out = out.drop(columns=["practice_seconds"])
        return out.drop(columns=["completion_sum"]).sort_values(["sessions", label], ascending=[False, True])

    peak_hours = hours_full.sort_values(["sessions", "session_hour"], ascending=[False, True])
    peak_days = dows_full.sort_values(["sessions", "day_of_week"], ascending=[False, True])
    engagement = engagement_score(sessions, active_users, days, practice_seconds, completion_sum)
    device_share = shares(devices, "device_type")
    type_share = shares(session_types, "session_type") if not session_types.empty else session_types
    event_total = int(events["events"].sum()) if not events.empty else 0
    event_share = events.assign(share=(events["events"] / event_total).round(4) if event_total else 0.0).sort_values(
        ["events", "event_type"], ascending=[False, True]) if not events.empty else events

    key_metrics = {
        "total_sessions": sessions,
        "active_users": active_users,
        "engagement_score": engagement["engagement_score"],
        "peak_hour_utc": int(peak_hours.iloc[0]["session_hour"]) if sessions else None,
        "peak_day_of_week": WEEKDAYS[int(peak_days.iloc[0]["day_of_week"]) - 1] if sessions else None,
        "average_session_minutes": r(safe_div(practice_seconds, sessions * 60) if sessions else None),
        "average_completion_rate": r(safe_div(completion_sum, sessions)),
    }
    data = {
        "engagement": engagement,
        "peak_hours": records(peak_hours.head(5).assign(sessions=lambda f: f["sessions"].astype(int))[["session_hour", "sessions"]]),
        "peak_days": records(peak_days.assign(day=[WEEKDAYS[int(d) - 1] for d in peak_days["day_of_week"]],
                                              sessions=lambda f: f["sessions"].astype(int))[["day_of_week", "day", "sessions"]]),
        "duration_distribution": {name: buckets[name] for name, _ in BUCKETS},
        "device_usage": records(device_share),
        "session_types": records(type_share),
        "feature_usage": records(event_share),
    }

    message = insufficient(sessions, MIN_REPORT_ROWS, "sessions", start, end)
    score = engagement["engagement_score"]
    status = "insufficient_data" if message else "excellent" if score >= 0.7 else "needs_attention" if score < 0.4 else "normal"

    found, recs = rules.hour_rules(hours)
    found += rules.device_rule({row.device_type: int(row.sessions) for row in devices.itertuples()})
    # Completion by length is not in the usage cells, so this rule speaks of length only.
    short_found, short_recs = rules.short_session_rule(buckets["short"], sessions, None, None)
    found += short_found
    recs += short_recs
    if sessions >= rules.MIN_DATA_POINTS and engagement["frequency"] is not None and engagement["frequency"] < 0.5:
        recs.append(rules.recommendation(
            "rec_increase_practice_frequency", "engagement", "medium", "Help users practise more often",
            f"Active users practise {engagement['sessions_per_active_user_per_week']:.1f} times a week, "
            f"under half the target of {TARGET_SESSIONS_PER_WEEK:.0f}.",
            ["Weekly practice goals", "Streak reminders on days without practice"],
            f"Frequency is {engagement['frequency']:.0%} of target; it carries 30% of the engagement score.", sessions))

    charts = [
        chart("sessions_by_hour", "Sessions by hour of day (UTC)", "bar", list(range(24)),
              {"sessions": [int(v) for v in hours_full["sessions"]]}, "hour (UTC)", "sessions"),
        chart("sessions_by_weekday", "Sessions by day of week", "bar", list(WEEKDAYS),
              {"sessions": [int(v) for v in dows_full["sessions"]]}, "day", "sessions"),
        chart("duration_distribution", "Session length", "pie", [label for _, label in BUCKETS],
              {"sessions": [buckets[name] for name, _ in BUCKETS]}, "length", "sessions"),
    ]
    if sessions:
        charts.append(chart("device_usage", "Sessions by device", "pie", list(device_share["device_type"]),
                            {"sessions": [int(v) for v in device_share["sessions"]]}, "device", "sessions"))
    return result(key_metrics, status, message, data, found, recs, charts)
