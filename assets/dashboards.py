"""Custom dashboards: each active custom_dashboards row rendered to self-contained HTML, written per its sharing.

Thin: the work is in chordme_bi.dashboards (spec -> whitelisted SQL -> HTML -> files).
"""

import dagster as dg

from orchestration.resources import ChordmeBIResource

# The marts the whitelist (chordme_bi/dashboards/sources.py) reads, and the dashboards' own rows.
READS = ("fct_sessions", "fct_problem_sections", "fct_goal_progress", "agg_band_performances", "agg_usage_hourly",
         "agg_platform_daily", "agg_events_daily")
DASHBOARDS_KEY = dg.AssetKey(["dashboards", "custom_dashboards"])


@dg.asset(
    key=DASHBOARDS_KEY,
    group_name="dashboards",
    kinds={"html", "python"},
    deps=[dg.AssetKey(["marts", name]) for name in READS]
    + [dg.AssetKey(["staging", "stg_chordme__custom_dashboards"])],
    description="Active custom dashboards as self-contained HTML under <output>/dashboards/users/<user_id>/ "
    "(owner and shared_with_users) and <output>/dashboards/public/ (is_public only).",
)
def custom_dashboards(context: dg.AssetExecutionContext, chordme: ChordmeBIResource) -> dg.MaterializeResult:
    from chordme_bi.dashboards.publish import publish

    settings = chordme.settings()
    result = publish(settings.warehouse_path, settings.output_dir)
    for where, message in result.failures.items():
        context.log.warning(f"dashboard widget {where}: {message}")
    root = f"{settings.output_dir}/dashboards"
    return dg.MaterializeResult(
        metadata={
            "as_of": result.as_of.isoformat(),
            "dashboards_rendered": result.dashboards,
            "widgets_ok": result.widgets_ok,
            "widgets_failed": result.widgets_failed,
            "files_written": len(result.written),
            "files_removed": len(result.removed),
            "paths": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in result.written) or "(none)"),
            "failures": dg.MetadataValue.json(result.failures),
            "output_dir": dg.MetadataValue.path(root),
        }
    )


custom_dashboards_job = dg.define_asset_job(
    "custom_dashboards",
    selection=dg.AssetSelection.assets(DASHBOARDS_KEY),
    tags={"chordme/make_run": "true"},
    description="Render every active custom dashboard and write it where its sharing allows.",
)

custom_dashboards_daily = dg.ScheduleDefinition(
    name="custom_dashboards_daily",
    job=custom_dashboards_job,
    cron_schedule="30 3 * * *",  # after the 02:00 warehouse refresh
    execution_timezone="UTC",
    description="Re-render the custom dashboards daily after the warehouse refresh.",
)

defs = dg.Definitions(assets=[custom_dashboards], jobs=[custom_dashboards_job], schedules=[custom_dashboards_daily])
