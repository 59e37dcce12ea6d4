"""Insights and recommendations: each one comes from a rule stated in docs/reports.md, over a report's own
aggregates, and none is emitted below MIN_DATA_POINTS. Ids are fixed per rule, so the same data gives the
same list.

Shapes follow the seed's AI-insights response:
insight = {id, category, title, description, confidence, data_points};
recommendation = {id, type, priority, title, description, suggested_actions, expected_impact, data_points}.
"""

from __future__ import annotations

import math

import pandas as pd

MIN_DATA_POINTS = 30
# An hour must have this many sessions to be called the most effective one.
MIN_SESSIONS_PER_HOUR = 30
# Short sessions (< 5 min) above this share of all sessions earn a recommendation.
SHORT_SHARE_THRESHOLD = 0.40


def confidence(data_points: int) -> float:
    """1 - 1/sqrt(n): grows like the precision of a mean over n observations (0.82 at 30, 0.97 at 1,000)."""
    return round(max(0.0, 1.0 - 1.0 / math.sqrt(data_points)), 2) if data_points > 0 else 0.0


def insight(insight_id: str, category: str, title: str, description: str, data_points: int) -> dict:
    return {
        "id": insight_id,
        "category": category,
        "title": title,
        "description": description,
        "confidence": confidence(data_points),
        "data_points": int(data_points),
    }


def recommendation(rec_id: str, rec_type: str, priority: str, title: str, description: str,
                   suggested_actions: list[str], expected_impact: str, data_points: int) -> dict:
    return {
        "id": rec_id,
        "type": rec_type,
        "priority": priority,
        "title": title,
        "description": description,
        "suggested_actions": suggested_actions,
        "expected_impact": expected_impact,
        "data_points": int(data_points),
    }


def _hour_label(hour: int) -> str:
    return f"{hour:02d}:00-{(hour + 1) % 24:02d}:00 UTC"


# --- usage rules (usage_patterns, student_progress) --------------------------------------------------------

def hour_rules(hours: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """``hours``: session_hour, sessions, completion_sum (one row per hour).

    - insight_peak_activity_hour: the hour with the most sessions (ties: earliest hour).
    - insight_most_effective_hour: highest mean completion among hours with >= MIN_SESSIONS_PER_HOUR sessions,
      when it beats the overall mean; with rec_schedule_practice_at_effective_hour.
    """
    total = int(hours["sessions"].sum()) if not hours.empty else 0
    if total < MIN_DATA_POINTS:
        return [], []
    found, recs = [], []
    ordered = hours.sort_values(["sessions", "session_hour"], ascending=[False, True])
    peak = ordered.iloc[0]
    share = peak["sessions"] / total
    found.append(insight(
        "insight_peak_activity_hour", "usage_pattern", "Peak practice time",
        f"Most sessions start at {_hour_label(int(peak['session_hour']))}: {int(peak['sessions'])} of {total} ({share:.0%}).",
        total))
    eligible = hours[hours["sessions"] >= MIN_SESSIONS_PER_HOUR].copy()
    if not eligible.empty:
        eligible["mean_completion"] = eligible["completion_sum"] / eligible["sessions"]
        best = eligible.sort_values(["mean_completion", "session_hour"], ascending=[False, True]).iloc[0]
        overall = hours["completion_sum"].sum() / total
        if best["mean_completion"] > overall:
            hour = _hour_label(int(best["session_hour"]))
            found.append(insight(
                "insight_most_effective_hour", "usage_pattern", "Most effective practice time",
                f"Sessions starting at {hour} reach {best['mean_completion']:.1f}% mean completion, against "
                f"{overall:.1f}% overall (hours with at least {MIN_SESSIONS_PER_HOUR} sessions).",
                int(best["sessions"])))
            recs.append(recommendation(
                "rec_schedule_practice_at_effective_hour", "scheduling", "low", "Schedule practice reminders",
                f"Completion is highest for sessions starting at {hour}.",
                [f"Send practice reminders shortly before {hour}", "Suggest this time slot when students plan practice"],
                f"Sessions at that hour complete {best['mean_completion'] - overall:.1f} points above the mean in this window.",
                int(best["sessions"])))
    return found, recs


def device_rule(devices: dict[str, int]) -> list[dict]:
    """insight_dominant_device: the device with the largest share of sessions (ties: alphabetical)."""
    total = sum(devices.values())
    if total < MIN_DATA_POINTS:
        return []
    device, count = sorted(devices.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    return [insight("insight_dominant_device", "device_usage", "Most used device",
                    f"{device} accounts for {count} of {total} sessions ({count / total:.0%}).", total)]


def short_session_rule(short: int, total: int, short_completion: float | None, longer_completion: float | None) -> tuple[list, list]:
    """insight_short_sessions + rec_longer_sessions when short sessions (< 5 min) are >= 40% of all sessions;
    priority high at >= 60%."""
    if total < MIN_DATA_POINTS or short / total < SHORT_SHARE_THRESHOLD:
        return [], []
    share = short / total
    gap = "" if short_completion is None or longer_completion is None else (
        f" Short sessions complete {short_completion:.1f}% on average, longer ones {longer_completion:.1f}%.")
    found = [insight("insight_short_sessions", "usage_pattern", "Many short sessions",
                     f"{short} of {total} sessions ({share:.0%}) last under 5 minutes.{gap}", total)]
    impact = ("Completion of longer sessions is "
              f"{longer_completion - short_completion:.1f} points higher in this window." if gap else
              "More sessions reach the 5-30 minute range.")
    recs = [recommendation(
        "rec_longer_sessions", "practice_improvement", "high" if share >= 0.6 else "medium",
        "Encourage focused 5-30 minute sessions",
        f"{share:.0%} of sessions end within 5 minutes.",
        ["Suggest a session length when practice starts", "Add break reminders instead of ending sessions",
         "Offer short exercises that build into a full run-through"],
        impact, total)]
    return found, recs
