"""Comparative analysis: the window against the previous window of equal length.

Every metric gets its % change (undefined from a previous value of 0: labelled 'new'). A change is called
significant only by a test at ALPHA = 0.05: Welch's t-test on per-session completion and duration (from
counts, means and variances computed in SQL), an exact Poisson rate test on the session count, and a
chi-square test on the device mix. Metrics without a test say so (test: null).
"""

from __future__ import annotations

from datetime import date

from chordme_bi.reports import insights as rules
from chordme_bi.reports.common import MIN_REPORT_ROWS, chart, insufficient, r, result
from chordme_bi.reports.stats import ALPHA, TestResult, chi_square_test, count_rate_test, pct_change, safe_div, welch_t_test


def _metrics(t: dict) -> dict:
    sessions = int(t.get("sessions") or 0)
    return {
        "sessions": sessions,
        "active_users": int(t.get("active_users") or 0),
        "practice_hours": r(float(t.get("practice_seconds") or 0) / 3600, 2),
        "mean_completion": r(t.get("mean_completion")),
        "mean_session_minutes": r(safe_div(t.get("mean_duration_seconds"), 60)),
        "songs_practised": int(t.get("songs_practised") or 0),
    }


def build_comparative_analysis(current: dict, previous: dict, current_devices: dict[str, int],
                               previous_devices: dict[str, int], *, start: date, end: date,
                               previous_start: date) -> dict:
    """current / previous: queries.session_totals() of the two windows; *_devices: device -> sessions."""
    now, before = _metrics(current), _metrics(previous)
    tests: dict[str, TestResult] = {
        "sessions": count_rate_test(now["sessions"], before["sessions"]),
        "mean_completion": welch_t_test(int(current.get("sessions") or 0), current.get("mean_completion"), current.get("var_completion"),
                                        int(previous.get("sessions") or 0), previous.get("mean_completion"), previous.get("var_completion")),
        "mean_session_minutes": welch_t_test(int(current.get("sessions") or 0), current.get("mean_duration_seconds"),
                                             current.get("var_duration_seconds"), int(previous.get("sessions") or 0),
                                             previous.get("mean_duration_seconds"), previous.get("var_duration_seconds")),
    }
    comparisons = []
    for name in now:
        change, label = pct_change(now[name], before[name])
        test = tests.get(name)
        comparisons.append({
            "metric": name, "current": now[name], "previous": before[name],
            "change_pct": r(change), "change": label,
            "test": test.test if test else None,
            "p_value": None if not test or test.p_value is None else round(test.p_value, 6),
            "significant": bool(test and test.significant),
        })
    device_test = chi_square_test(current_devices, previous_devices)
    devices = sorted(set(current_devices) | set(previous_devices))
    cur_total, prev_total = sum(current_devices.values()), sum(previous_devices.values())
    device_mix = [{"device_type": d,
                   "current_share": r(safe_div(current_devices.get(d, 0), cur_total), 4),
                   "previous_share": r(safe_div(previous_devices.get(d, 0), prev_total), 4)} for d in devices]
    significant = [c for c in comparisons if c["significant"]] + (
        [{"metric": "device_mix", "change": "shifted", "test": device_test.test, "p_value": round(device_test.p_value, 6)}]
        if device_test.significant else [])

    key_metrics = {
        "current_sessions": now["sessions"],
        "previous_sessions": before["sessions"],
        "sessions_change_pct": comparisons[0]["change_pct"],
        "completion_change_pct": next(c["change_pct"] for c in comparisons if c["metric"] == "mean_completion"),
        "significant_changes": len(significant),
    }
    data = {
        "windows": {"current_start": start, "current_end": end, "previous_start": previous_start, "previous_end": start,
                    "alpha": ALPHA},
        "comparisons": comparisons,
        "device_mix": device_mix,
        "device_mix_test": device_test.as_dict(),
        "significant_changes": significant,
    }
    message = insufficient(min(now["sessions"], before["sessions"]), MIN_REPORT_ROWS, "sessions in the smaller window", start, end)
    worse = [c for c in comparisons if c["significant"] and c["change"] == "decrease"]
    better = [c for c in comparisons if c["significant"] and c["change"] == "increase"]
    status = ("insufficient_data" if message else "needs_attention" if worse
              else "excellent" if better else "normal")

    found, recs = [], []
    data_points = now["sessions"] + before["sessions"]
    if data_points >= rules.MIN_DATA_POINTS and not message:
        for c in comparisons:
            if c["significant"]:
                found.append(rules.insight(
                    f"insight_significant_change_{c['metric']}", "comparison", f"{c['metric'].replace('_', ' ')} changed",
                    f"{c['metric'].replace('_', ' ')}: {c['previous']} -> {c['current']}"
                    + (f" ({c['change_pct']:+.1f}%)" if c["change_pct"] is not None else f" ({c['change']})")
                    + f", {c['test']} p = {c['p_value']:.4f}.", data_points))
        if device_test.significant:
            found.append(rules.insight(
                "insight_significant_change_device_mix", "comparison", "Device mix changed",
                f"The share of sessions per device differs from the previous window ({device_test.test}, p = {device_test.p_value:.4f}).",
                data_points))
        for c in worse:
            recs.append(rules.recommendation(
                f"rec_investigate_{c['metric']}", "investigation", "high", f"Investigate the drop in {c['metric'].replace('_', ' ')}",
                f"{c['metric'].replace('_', ' ')} fell from {c['previous']} to {c['current']} ({c['test']}, p = {c['p_value']:.4f}).",
                ["Check releases and incidents in the window", "Compare the affected users' devices and session types"],
                f"Returning to the previous level recovers {abs(c['change_pct'] or 0):.1f}%.", data_points))

    charts = [chart("current_vs_previous", "Current vs previous window", "bar",
                    [c["metric"] for c in comparisons if c["metric"] in ("mean_completion", "mean_session_minutes")],
                    {"previous": [before["mean_completion"], before["mean_session_minutes"]],
                     "current": [now["mean_completion"], now["mean_session_minutes"]]}, "metric", "value")]
    return result(key_metrics, status, message, data, found, recs, charts)
