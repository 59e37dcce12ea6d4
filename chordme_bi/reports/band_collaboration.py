"""Band collaboration: per band (a setlist with collaborators) its performances in the window, ratings,
songs performed vs skipped, rehearsal-to-gig ratio, team coordination and audience engagement.
Reads agg_band_performances (performed_at / overall_rating; the original service read fields that do not exist).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from chordme_bi.reports import insights as rules
from chordme_bi.reports.common import TOP_N, chart, insufficient, r, records, result
from chordme_bi.reports.stats import safe_div

ENGAGEMENT_LEVELS = ("excellent", "good", "fair", "poor", "unknown")
# A band report needs this many performances in the window.
MIN_PERFORMANCES = 1
LOW_COORDINATION = 0.5


def build_band_collaboration(bands: pd.DataFrame, coordination: dict, *, start: date, end: date) -> dict:
    """bands: one row per band (queries.band_performances); coordination: {n, r} (queries.band_coordination_pairs)."""
    performances = int(bands["performances"].sum()) if not bands.empty else 0
    detail = bands.copy()
    if not detail.empty:
        detail["rehearsal_to_performance_ratio"] = [r(safe_div(a, b)) for a, b in zip(detail["rehearsals"], detail["gigs"])]
        detail["skip_rate"] = [r(safe_div(s, p + s), 4) for p, s in zip(detail["songs_performed"], detail["songs_skipped"])]
        for column in ("mean_overall_rating", "mean_technical_rating"):
            detail[column] = detail[column].map(lambda v: r(v))
        detail["mean_team_coordination"] = detail["mean_team_coordination"].map(lambda v: r(v, 4))
    engagement = {level: int(bands[f"engagement_{level}"].sum()) if not bands.empty else 0 for level in ENGAGEMENT_LEVELS}
    weighted = lambda column: safe_div(float((bands[column] * bands["performances"]).sum()), performances) if performances else None  # noqa: E731
    songs_performed = int(bands["songs_performed"].sum()) if performances else 0
    songs_skipped = int(bands["songs_skipped"].sum()) if performances else 0
    rehearsals = int(bands["rehearsals"].sum()) if performances else 0
    gigs = int(bands["gigs"].sum()) if performances else 0

    columns = ["band_id", "band_name", "member_count", "performances", "gigs", "rehearsals", "mean_overall_rating",
               "mean_technical_rating", "songs_performed", "songs_skipped", "skip_rate", "rehearsal_to_performance_ratio",
               "mean_team_coordination", "rehearsal_sessions"] + [f"engagement_{level}" for level in ENGAGEMENT_LEVELS]
    listed = detail[columns].sort_values(["performances", "band_id"], ascending=[False, True]) if not detail.empty else detail
    key_metrics = {
        "total_bands": len(bands),
        "total_performances": performances,
        "average_overall_rating": r(weighted("mean_overall_rating")),
        "average_technical_rating": r(weighted("mean_technical_rating")),
        "average_team_coordination": r(weighted("mean_team_coordination"), 4),
        "rehearsal_to_performance_ratio": r(safe_div(rehearsals, gigs)),
        "songs_skip_rate": r(safe_div(songs_skipped, songs_performed + songs_skipped), 4),
    }
    data = {
        "period_summary": {"start": start, "end": end, "bands": len(bands), "performances": performances, "gigs": gigs,
                           "rehearsals": rehearsals, "songs_performed": songs_performed, "songs_skipped": songs_skipped,
                           "coordination_rating_correlation": r(coordination.get("r"), 3),
                           "coordination_rating_pairs": coordination.get("n", 0)},
        "bands": records(listed, TOP_N),
        # A band is a setlist, so the most performed setlists are the bands ranked by performances.
        "most_performed_setlists": records(listed[["band_id", "band_name", "performances", "gigs", "rehearsals"]], TOP_N)
        if not listed.empty else [],
        "audience_engagement": engagement,
    }
    message = insufficient(performances, MIN_PERFORMANCES, "band performances", start, end)
    rating = key_metrics["average_overall_rating"]
    status = ("insufficient_data" if message else "excellent" if rating >= 4.0
              else "needs_attention" if rating < 3.0 else "normal")

    found, recs = [], []
    n_pairs = coordination.get("n", 0)
    if n_pairs >= rules.MIN_DATA_POINTS and coordination.get("r") is not None:
        corr = coordination["r"]
        strength = "strong" if abs(corr) >= 0.5 else "moderate" if abs(corr) >= 0.3 else "weak"
        found.append(rules.insight(
            "insight_coordination_vs_rating", "band_collaboration", "Preparation and ratings",
            f"Team coordination and overall rating have a {strength} correlation (r = {corr:.2f}) over {n_pairs} performances.",
            n_pairs))
    coordination_mean = key_metrics["average_team_coordination"]
    if performances >= rules.MIN_DATA_POINTS and coordination_mean is not None and coordination_mean < LOW_COORDINATION:
        recs.append(rules.recommendation(
            "rec_improve_band_preparation", "band_collaboration", "medium", "Get every member practising the setlist",
            f"On average {coordination_mean:.0%} of members practised the setlist in the days before a performance.",
            ["Share the setlist with all members ahead of the gig", "Schedule a rehearsal session in the app"],
            f"Raises the share of prepared members from {coordination_mean:.0%}.", performances))
    charts = []
    if performances:
        charts.append(chart("audience_engagement", "Audience engagement", "pie", list(ENGAGEMENT_LEVELS),
                            {"performances": [engagement[level] for level in ENGAGEMENT_LEVELS]}, "engagement", "performances"))
        top = listed.head(TOP_N)
        charts.append(chart("band_ratings", "Mean ratings by band", "bar", [str(n) for n in top["band_name"]],
                            {"overall": list(top["mean_overall_rating"]), "technical": list(top["mean_technical_rating"])},
                            "band", "rating (1-5)"))
    return result(key_metrics, status, message, data, found, recs, charts)
