"""Student progress: per student activity, completion, problem areas, improvement and goals over a window.

"Students" are users with attributable sessions in the window (user_id not null); with a class filter, that
class's students. Pseudonymous sessions count in the platform totals only.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from chordme_bi.reports import insights as rules
from chordme_bi.reports.common import DETAIL_LIMIT, MIN_REPORT_ROWS, TOP_N, chart, insufficient, r, records, result
from chordme_bi.reports.stats import safe_div, weighted_slope

# A completion trend needs this many sessions in the window.
MIN_TREND_SESSIONS = 5
# Ranking as a top performer needs this many sessions (one lucky session is not a performance).
MIN_RANKED_SESSIONS = 5
# Struggling: completion below this share of the average completion.
STRUGGLING_SHARE = 0.70
CONCERN_FEW_SESSIONS = 5
CONCERN_LOW_COMPLETION = 50.0
CONCERN_SHORT_MINUTES = 5.0


def completion_slopes(daily: pd.DataFrame, min_sessions: int = MIN_TREND_SESSIONS) -> pd.Series:
    """Per user_id: OLS slope of session completion over time, in points per week (NaN: no trend).

    ``daily``: user_id, activity_date, sessions, completion_sum. The slope of daily means weighted by sessions
    is the per-session OLS slope (x is the day); NaN with fewer than ``min_sessions`` sessions or one day.
    Computed for every user at once from weighted sums (a loop per user cost seconds per report at 1M
    sessions); days are counted from each user's first day, which keeps the sums small and exact.
    """
    if daily.empty:
        return pd.Series(dtype=float)
    days = (pd.to_datetime(daily["activity_date"]) - pd.Timestamp("1970-01-01")).dt.days.astype(float)
    x = days - days.groupby(daily["user_id"]).transform("min")
    w = daily["sessions"].astype(float)
    y = daily["completion_sum"] / daily["sessions"]
    sums = pd.DataFrame({"user_id": daily["user_id"], "w": w, "wx": w * x, "wy": w * y, "wxx": w * x * x,
                         "wxy": w * x * y}).groupby("user_id", sort=True).sum()
    sxx = sums["wxx"] - sums["wx"] ** 2 / sums["w"]
    sxy = sums["wxy"] - sums["wx"] * sums["wy"] / sums["w"]
    # A single day (or several at one instant) has no spread: no trend. Rounding can leave a hair above 0.
    has_trend = (sums["w"] >= min_sessions) & (sxx > 1e-9 * sums["w"])
    return (sxy / sxx * 7).where(has_trend).astype(float)


def top_counts(problems: pd.DataFrame, column: str, n: int = 3) -> pd.Series:
    """Per user_id, 'a:3, b:1' for the n most frequent values of ``column`` (ties: alphabetical)."""
    if problems.empty:
        return pd.Series(dtype=object)
    counts = problems.groupby(["user_id", column], as_index=False)["problems"].sum()
    top = counts.sort_values(["user_id", "problems", column], ascending=[True, False, True]).groupby("user_id").head(n)
    labels = top[column].astype(str) + ":" + top["problems"].astype(int).astype(str)
    # Joined rank by rank, not with a Python join per user: that took 2.6 s of the 12 reports at 10M sessions.
    by_rank = pd.DataFrame({"user_id": top["user_id"].to_numpy(), "rank": top.groupby("user_id").cumcount().to_numpy(),
                            "label": labels.to_numpy()}).pivot(index="user_id", columns="rank", values="label")
    joined = by_rank[0]
    for rank in by_rank.columns[1:]:
        joined = joined + (", " + by_rank[rank]).fillna("")
    return joined.rename_axis("user_id").rename(None)


def concerns(sessions: int, completion: float | None, avg_minutes: float | None) -> list[str]:
    found = []
    if sessions < CONCERN_FEW_SESSIONS:
        found.append(f"fewer than {CONCERN_FEW_SESSIONS} sessions")
    if completion is not None and completion < CONCERN_LOW_COMPLETION:
        found.append(f"completion under {CONCERN_LOW_COMPLETION:.0f}%")
    if avg_minutes is not None and avg_minutes < CONCERN_SHORT_MINUTES:
        found.append(f"sessions under {CONCERN_SHORT_MINUTES:.0f} minutes on average")
    return found


def build_student_progress(students: pd.DataFrame, daily: pd.DataFrame, problems: pd.DataFrame, goals: pd.DataFrame,
                           platform: dict, *, start: date, end: date) -> dict:
    """students: user_id, sessions, practice_seconds, completion_sum, songs_practised, active_days;
    daily: see completion_slopes; problems: user_id, problem_type, section_name, problems, severity_sum;
    goals: user_id, target_value, current_value (as of the window end); platform: session_totals()."""
    total_sessions = int(students["sessions"].sum()) if not students.empty else 0
    total_students = len(students)
    slopes = completion_slopes(daily)

    detail = students.copy()
    detail["practice_minutes"] = detail["practice_seconds"] / 60.0
    detail["average_session_minutes"] = detail["practice_minutes"] / detail["sessions"]
    detail["completion_rate"] = detail["completion_sum"] / detail["sessions"]
    user = detail["user_id"]
    detail["improvement_per_week"] = user.map(slopes).astype(float)
    problem_sums = problems.groupby("user_id")["problems"].sum() if not problems.empty else pd.Series(dtype=float)
    detail["problem_sections"] = user.map(problem_sums).fillna(0).astype(int)
    detail["top_problem_types"] = user.map(top_counts(problems, "problem_type")).fillna("")
    detail["top_problem_sections"] = user.map(top_counts(problems, "section_name")).fillna("")
    goal_rows = goals.assign(achieved=goals["current_value"] >= goals["target_value"],
                             pct=100.0 * goals["current_value"] / goals["target_value"]) if not goals.empty else goals
    by_user = (goal_rows.groupby("user_id").agg(goals=("achieved", "size"), achieved=("achieved", "sum"), pct=("pct", "mean"))
               if not goals.empty else pd.DataFrame(columns=["goals", "achieved", "pct"], dtype=float))
    detail["goals"] = user.map(by_user["goals"]).fillna(0).astype(int)
    detail["goals_achieved"] = user.map(by_user["achieved"]).fillna(0).astype(int)
    detail["mean_goal_pct_of_target"] = user.map(by_user["pct"])
    avg_completion = safe_div(float(students["completion_sum"].sum()), total_sessions) if total_sessions else None
    threshold = None if avg_completion is None else STRUGGLING_SHARE * avg_completion
    rounded = detail.assign(
        practice_minutes=detail["practice_minutes"].round(1),
        average_session_minutes=detail["average_session_minutes"].round(2),
        completion_rate=detail["completion_rate"].round(2),
        improvement_per_week=detail["improvement_per_week"].round(3),
        mean_goal_pct_of_target=detail["mean_goal_pct_of_target"].round(1),
    )
    columns = ["user_id", "sessions", "practice_minutes", "average_session_minutes", "completion_rate", "songs_practised",
               "active_days", "problem_sections", "top_problem_types", "top_problem_sections", "improvement_per_week",
               "goals", "goals_achieved", "mean_goal_pct_of_target"]
    rounded = rounded[columns] if not rounded.empty else pd.DataFrame(columns=columns)
    by_activity = rounded.sort_values(["sessions", "user_id"], ascending=[False, True])
    ranked = rounded[rounded["sessions"] >= MIN_RANKED_SESSIONS].sort_values(
        ["completion_rate", "sessions", "user_id"], ascending=[False, False, True])
    struggling = rounded.iloc[0:0] if threshold is None else rounded[detail["completion_rate"] < threshold].sort_values(
        ["completion_rate", "user_id"])

    def with_concerns(listed: pd.DataFrame, limit: int) -> pd.DataFrame:
        """The first ``limit`` rows and their concerns, judged on the unrounded figures (listed rows only: a
        Python call per student cost a second at 10M sessions)."""
        listed = listed.head(limit)
        found = [concerns(int(row.sessions), row.completion_rate, row.average_session_minutes)
                 for row in detail.loc[listed.index, ["sessions", "completion_rate", "average_session_minutes"]].itertuples()]
        return listed.assign(concerns=["; ".join(c) for c in found])

    problem_areas = pd.DataFrame(columns=["problem_type", "section_name", "problems", "mean_severity"])
    if not problems.empty:
        grouped = problems.groupby(["problem_type", "section_name"], as_index=False)[["problems", "severity_sum"]].sum()
        grouped["mean_severity"] = (grouped["severity_sum"] / grouped["problems"]).round(2)
        problem_areas = grouped.sort_values(["problems", "problem_type", "section_name"], ascending=[False, True, True])[
            ["problem_type", "section_name", "problems", "mean_severity"]]
    problem_total = int(problems["problems"].sum()) if not problems.empty else 0
    practice_hours = float(students["practice_seconds"].sum()) / 3600 if total_students else 0.0
    improving = slopes.dropna()
    improved = int((improving > 0).sum())

    key_metrics = {
        "total_students": total_students,
        "total_sessions": total_sessions,
        "average_completion_rate": r(avg_completion),
        "average_session_minutes": r(safe_div(float(students["practice_seconds"].sum()) / 60, total_sessions)),
        "total_practice_hours": r(practice_hours, 1),
        "struggling_students": len(struggling),
    }
    data = {
        "period_summary": {
            "start": start, "end": end,
            "students": total_students,
            "student_sessions": total_sessions,
            "platform_sessions": int(platform.get("sessions") or 0),
            "pseudonymous_sessions": int(platform.get("pseudonymous_sessions") or 0),
            "practice_hours": r(practice_hours, 1),
            "average_completion_rate": r(avg_completion),
            "struggling_threshold_completion": r(threshold),
            "problem_sections": problem_total,
            "students_with_trend": len(improving),
            "students_improving": improved,
            "goals": int(len(goals)),
            "goals_achieved": int(goal_rows["achieved"].sum()) if not goals.empty else 0,
            "students_listed": min(total_students, DETAIL_LIMIT),
        },
        "student_details": records(with_concerns(by_activity, DETAIL_LIMIT)),
        "top_performers": records(with_concerns(ranked, TOP_N)),
        "struggling_students": records(with_concerns(struggling, TOP_N)),
        "problem_areas": records(problem_areas, TOP_N),
    }

    message = insufficient(total_sessions, MIN_REPORT_ROWS, "student sessions", start, end)
    share = safe_div(len(struggling), total_students) or 0.0
    if message:
        status = "insufficient_data"
    elif avg_completion >= 80 and share <= 0.10:
        status = "excellent"
    elif avg_completion < 50 or share > 0.25:
        status = "needs_attention"
    else:
        status = "normal"

    found, recs = [], []
    if total_sessions >= rules.MIN_DATA_POINTS and total_students:
        found.append(rules.insight(
            "insight_struggling_share", "student_progress", "Students below the class average",
            f"{len(struggling)} of {total_students} students ({share:.0%}) complete less than "
            f"{STRUGGLING_SHARE:.0%} of the average completion ({avg_completion:.1f}%).", total_sessions))
        if struggling.shape[0]:
            recs.append(rules.recommendation(
                "rec_support_struggling_students", "student_support", "high" if share > 0.25 else "medium",
                "Check in with struggling students",
                f"{len(struggling)} students complete under {threshold:.1f}% of their songs on average.",
                ["Review their problem sections together", "Assign easier songs or slower tempos first",
                 "Set a small sessions-per-week goal"],
                f"Bringing them to the average would add up to {avg_completion - float(struggling['completion_rate'].mean()):.1f} "
                "completion points for those students.", total_sessions))
        if len(improving) >= 1:
            found.append(rules.insight(
                "insight_improving_students", "student_progress", "Completion trends",
                f"{improved} of {len(improving)} students with at least {MIN_TREND_SESSIONS} "
                "sessions improved their completion over the window.", total_sessions))
    if problem_total >= rules.MIN_DATA_POINTS:
        by_type = problem_areas.groupby("problem_type")["problems"].sum().reset_index().sort_values(
            ["problems", "problem_type"], ascending=[False, True]).iloc[0]
        found.append(rules.insight(
            "insight_common_problem_type", "problem_areas", "Most common difficulty",
            f"{by_type['problem_type'].replace('_', ' ')} accounts for {int(by_type['problems'])} of {problem_total} problem sections.",
            problem_total))
        recs.append(rules.recommendation(
            "rec_target_problem_type", "practice_improvement", "medium", "Target the most common difficulty",
            f"Most problem sections are {by_type['problem_type'].replace('_', ' ')}.",
            ["Loop the problem sections at a slower tempo", "Add a focused exercise for this difficulty"],
            f"Addresses {int(by_type['problems'])} of {problem_total} problem sections seen in this window.", problem_total))

    charts = []
    if len(ranked):
        top = ranked.head(TOP_N)
        charts.append(chart("top_performers_completion", "Top performers: completion rate", "bar",
                            [f"user {u}" for u in top["user_id"]], {"completion_rate": list(top["completion_rate"])},
                            "student", "completion %"))
    if problem_total:
        types = problems.groupby("problem_type")["problems"].sum().sort_index()
        charts.append(chart("problem_types", "Problem sections by type", "pie", list(types.index),
                            {"problem_sections": list(types.values)}, "problem type", "problem sections"))
    return result(key_metrics, status, message, data, found, recs, charts)
