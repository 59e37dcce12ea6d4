"""Goal tracking as of the window end: progress, milestones, status and projected completion per goal.

"As of" is the window end (exclusive), so a past report does not change as time passes. Status:
- achieved: current value >= target;
- overdue: not achieved and the deadline (inclusive) fell inside or before the window;
- cumulative goals (minutes, sessions, songs): on_track when the pace so far (value per day since creation)
  is at least the pace still needed (remaining / days left to the deadline), else at_risk; without a
  deadline, on_track when there is any progress;
- completion_rate is a level, not a sum: on_track within LEVEL_TOLERANCE points of the target, else at_risk.
Projected completion date (cumulative goals): last day counted + ceil(remaining / pace so far) days.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd

from chordme_bi.reports import insights as rules
from chordme_bi.reports.common import DETAIL_LIMIT, chart, insufficient, r, records, result
from chordme_bi.reports.stats import safe_div

MILESTONES = (25, 50, 75, 100)
LEVEL_TOLERANCE = 10.0
LEVEL_GOALS = {"completion_rate"}
STATUSES = ("achieved", "on_track", "at_risk", "overdue")
_URGENCY = {"overdue": 0, "at_risk": 1, "on_track": 2, "achieved": 3}


def assess_goal(goal_type: str, target: float, current: float, created: date, deadline: date | None, end: date) -> dict:
    """Status, pace and projection of one goal as of ``end`` (exclusive)."""
    last_day = end - timedelta(days=1)
    pct = 100.0 * current / target
    days_elapsed = max((end - created).days, 1)
    days_left = None if deadline is None else (deadline - last_day).days  # days after last_day up to the deadline
    pace = current / days_elapsed
    remaining = max(target - current, 0.0)
    needed = None if days_left is None or days_left <= 0 else remaining / days_left
    projected = None
    if current >= target:
        status = "achieved"
    elif deadline is not None and deadline < end:
        status = "overdue"
    elif goal_type in LEVEL_GOALS:
        status = "on_track" if current >= target - LEVEL_TOLERANCE else "at_risk"
    elif needed is None:
        status = "on_track" if pace > 0 else "at_risk"
    else:
        status = "on_track" if pace >= needed else "at_risk"
    if status != "achieved" and goal_type not in LEVEL_GOALS and pace > 0:
        projected = last_day + timedelta(days=math.ceil(remaining / pace))
    reached = [m for m in MILESTONES if pct >= m]
    return {
        "pct_of_target": round(pct, 2),
        "milestones_reached": len(reached),
        "last_milestone_pct": reached[-1] if reached else 0,
        "status": status,
        "pace_per_day": None if goal_type in LEVEL_GOALS else round(pace, 4),
        "pace_needed_per_day": None if goal_type in LEVEL_GOALS or needed is None else round(needed, 4),
        "days_left": days_left if days_left is None or days_left > 0 else 0,
        "projected_completion_date": projected,
    }


def build_goal_tracking(goals: pd.DataFrame, *, start: date, end: date) -> dict:
    """goals: queries.goals_as_of() (goal_id, user_id, title, goal_type, unit, target_value, created_date,
    deadline, app_status, current_value, sessions_counted)."""
    # Plain Python values column by column: itertuples() and a Timestamp per goal cost 0.8 s at 25k goals.
    created = [d.date() for d in pd.to_datetime(goals["created_date"])]
    deadlines = [None if pd.isna(d) else d.date() for d in pd.to_datetime(goals["deadline"])]
    targets, currents = goals["target_value"].astype(float).tolist(), goals["current_value"].astype(float).tolist()
    assessed = [assess_goal(goal_type, target, current, made, deadline, end) for goal_type, target, current, made, deadline
                in zip(goals["goal_type"].tolist(), targets, currents, created, deadlines)]
    frame = pd.DataFrame({
        "goal_id": goals["goal_id"].astype(int).tolist(), "user_id": goals["user_id"].astype(int).tolist(),
        "title": goals["title"].tolist(), "goal_type": goals["goal_type"].tolist(), "unit": goals["unit"].tolist(),
        "target_value": targets, "current_value": [round(v, 2) for v in currents], "created_date": created,
        "deadline": deadlines, "app_status": goals["app_status"].tolist(),
        **{key: [a[key] for a in assessed] for key in assessed[0]},
    }) if not goals.empty else pd.DataFrame()
    counts = {s: int((frame["status"] == s).sum()) if not frame.empty else 0 for s in STATUSES}
    total = len(frame)
    if not frame.empty:
        frame["_urgency"] = frame["status"].map(_URGENCY)
        frame["_deadline"] = frame["deadline"].map(lambda d: d or date.max)
        frame = frame.sort_values(["_urgency", "_deadline", "goal_id"]).drop(columns=["_urgency", "_deadline"])
    sessions_counted = int(goals["sessions_counted"].sum()) if not goals.empty else 0
    mean_pct = r(frame["pct_of_target"].clip(upper=100).mean()) if total else None
    by_type = (frame.groupby("goal_type").agg(goals=("goal_id", "count"),
                                              achieved=("status", lambda s: int((s == "achieved").sum())),
                                              mean_pct_of_target=("pct_of_target", "mean")).reset_index()
               if total else pd.DataFrame(columns=["goal_type", "goals", "achieved", "mean_pct_of_target"]))
    if total:
        by_type["mean_pct_of_target"] = by_type["mean_pct_of_target"].round(2)

    key_metrics = {"total_goals": total, **{f"{s}_goals": counts[s] for s in STATUSES},
                   "average_pct_of_target": mean_pct}
    data = {
        "period_summary": {"start": start, "end": end, "as_of": end, "goals": total, **counts,
                           "sessions_counted": sessions_counted, "goals_listed": min(total, DETAIL_LIMIT)},
        "goals": records(frame, DETAIL_LIMIT),
        "by_goal_type": records(by_type),
    }
    message = insufficient(total, 1, "goals", start, end)
    good = safe_div(counts["achieved"] + counts["on_track"], total) or 0.0
    bad = safe_div(counts["at_risk"] + counts["overdue"], total) or 0.0
    status = ("insufficient_data" if message else "excellent" if good >= 0.8
              else "needs_attention" if bad > 0.5 else "normal")

    found, recs = [], []
    if sessions_counted >= rules.MIN_DATA_POINTS and total:
        found.append(rules.insight(
            "insight_goal_outlook", "goals", "Goal outlook",
            f"{counts['achieved']} of {total} goals achieved, {counts['on_track']} on track, "
            f"{counts['at_risk']} at risk, {counts['overdue']} overdue as of {end.isoformat()}.", sessions_counted))
        if counts["at_risk"]:
            recs.append(rules.recommendation(
                "rec_support_goals_at_risk", "goals", "high" if bad > 0.5 else "medium", "Help at-risk goals catch up",
                f"{counts['at_risk']} goals progress slower than their deadline needs.",
                ["Send a progress reminder with the pace needed", "Suggest adjusting targets that cannot be reached"],
                f"{counts['at_risk']} goals could still be met by their deadline at the pace needed.", sessions_counted))
    charts = [chart("goal_status", "Goals by status", "pie", list(STATUSES), {"goals": [counts[s] for s in STATUSES]},
                    "status", "goals")] if total else []
    return result(key_metrics, status, message, data, found, recs, charts)
