"""The GX and reconciliation asset checks run in Dagster and report what the suites found."""

from __future__ import annotations

import dagster as dg

from orchestration.resources import ChordmeBIResource


def _run_checks(settings, tmp_path, checks, check_names=None):
    from chordme_bi.quality.suites import ALL_SUITES
    from chordme_bi.source.tables import SOURCE_TABLES

    keys = {dg.AssetKey([s.layer, s.table]) for s in ALL_SUITES} | {dg.AssetKey(["raw", t]) for t in SOURCE_TABLES}
    keys |= {dg.AssetKey(["marts", m]) for m in ("fct_performance_events", "fct_problem_sections",
                                                  "fct_setlist_performances")}
    job = dg.define_asset_job("checks_only", selection=dg.AssetSelection.checks(*checks))
    defs = dg.Definitions(
        assets=[dg.AssetSpec(k) for k in keys], asset_checks=checks, jobs=[job],
        # the warehouse is shared and read-only: kept results go to this test's own directory
        resources={"chordme": ChordmeBIResource(source_url=settings.source_url, data_dir=str(tmp_path),
                                                warehouse_path=str(settings.warehouse_path))},
    )
    result = defs.resolve_job_def("checks_only").execute_in_process()
    return {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
            for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}


def test_gx_checks_summarize_results_and_keep_the_json(built_warehouse, tmp_path):
    from assets.quality_checks import gx_mart_checks, gx_raw_checks

    evaluations = _run_checks(built_warehouse, tmp_path, [gx_raw_checks, gx_mart_checks])
    assert set(evaluations) >= {"raw_performance_sessions", "marts_fct_sessions", "marts_agg_band_performances"}
    assert {n: e.passed for n, e in evaluations.items() if n.startswith("marts_")} == {
        n: True for n in evaluations if n.startswith("marts_")}
    mart = evaluations["marts_fct_sessions"]
    assert mart.passed and mart.severity == dg.AssetCheckSeverity.ERROR
    assert mart.metadata["expectations_failed"].value == 0
    path = mart.metadata["results_path"].value
    assert path.startswith(str(tmp_path / "output" / "quality" / "marts_fct_sessions"))
    import json
    document = json.load(open(path))
    assert document["sample"]["statistics"]["evaluated_expectations"] > 5 and "exact" in document
    raw = evaluations["raw_performance_sessions"]  # the generated source is messy on purpose
    assert not raw.passed and raw.severity == dg.AssetCheckSeverity.WARN
    assert raw.metadata["failed"].value["ExpectColumnValuesToBeBetween(completion_percentage)"] > 0


def test_reconciliation_checks_pass_on_a_built_warehouse(built_warehouse, tmp_path):
    from assets.quality_checks import reconciliation_checks

    evaluations = _run_checks(built_warehouse, tmp_path, [reconciliation_checks])
    assert len(evaluations) == 15 and all(e.passed for e in evaluations.values())
    sessions = evaluations["nothing_lost_performance_sessions"].metadata
    assert sessions["raw_rows"].value == sessions["accepted_rows"].value + sessions["quarantined_rows"].value
    assert sessions["source_rows"].value == 4000


def test_mart_checks_block_the_reports_downstream():
    from assets.quality_checks import RECONCILIATION_SPECS, gx_mart_checks

    assert all(spec.blocking for spec in gx_mart_checks.check_specs)
    assert {s.name for s in RECONCILIATION_SPECS if s.blocking} == {
        f"nothing_lost_{t}" for t in ("performance_sessions", "performance_events", "problem_sections",
                                      "setlist_performances", "user_goals")}
