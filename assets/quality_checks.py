"""Great Expectations suites and reconciliation as Dagster asset checks (thin: chordme_bi/quality does the work).

- ``gx_raw_checks``: one check per raw suite, severity WARN (bad raw rows are expected; they are quarantined).
- ``gx_mart_checks``: one blocking check per mart suite, severity ERROR: a failure stops the reports downstream.
- ``reconciliation_checks``: per table, source = raw + extract rejects + suppressed and raw = marts + quarantine.
Each group is one multi-asset check so Great Expectations (seconds to import) is imported once per step, and
only inside the step. Checks read the warehouse through one short read-only connection.
"""

import dagster as dg

from chordme_bi.quality.rules import QUARANTINED
from chordme_bi.quality.suites import MART_SUITES, RAW_SUITES
from chordme_bi.source.tables import SOURCE_TABLES
from orchestration.resources import ChordmeBIResource


def _key(layer: str, table: str) -> dg.AssetKey:
    return dg.AssetKey([layer, table])


def _specs(suites, blocking: bool) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(s.name, asset=_key(s.layer, s.table), blocking=blocking,
                              description=f"Great Expectations suite {s.name} on {s.relation}") for s in suites]


def _run(context: dg.AssetCheckExecutionContext, chordme: ChordmeBIResource, suites, severity):
    from chordme_bi.quality.runner import run_suite
    from chordme_bi.warehouse import read_only

    settings = chordme.settings()
    selected = {key.name for key in context.selected_asset_check_keys}
    with read_only(settings.warehouse_path) as con:
        outcomes = [run_suite(con, s, settings.output_dir) for s in suites if s.name in selected]
    for suite, outcome in zip([s for s in suites if s.name in selected], outcomes):
        summary = outcome.summary()
        yield dg.AssetCheckResult(
            asset_key=_key(suite.layer, suite.table),
            check_name=suite.name,
            passed=outcome.success,
            severity=severity,
            description=None if outcome.success else f"{outcome.failed} of {outcome.evaluated} expectations failed",
            metadata={
                "expectations_evaluated": outcome.evaluated,
                "expectations_failed": outcome.failed,
                "rows_in_table": outcome.table_rows,
                "rows_sampled": outcome.sample_rows,
                "failed": dg.MetadataValue.json(summary["failed"]),
                "unexpected_counts": dg.MetadataValue.json(summary["unexpected_counts"]),
                "exact_counts": dg.MetadataValue.json(summary["exact_counts"]),
                "results_path": dg.MetadataValue.path(outcome.results_path),
                **({"error": outcome.error} if outcome.error else {}),
            },
        )


@dg.multi_asset_check(specs=_specs(RAW_SUITES, blocking=False), can_subset=True, name="gx_raw_checks")
def gx_raw_checks(context: dg.AssetCheckExecutionContext, chordme: ChordmeBIResource):
    yield from _run(context, chordme, RAW_SUITES, dg.AssetCheckSeverity.WARN)


@dg.multi_asset_check(specs=_specs(MART_SUITES, blocking=True), can_subset=True, name="gx_mart_checks")
def gx_mart_checks(context: dg.AssetCheckExecutionContext, chordme: ChordmeBIResource):
    yield from _run(context, chordme, MART_SUITES, dg.AssetCheckSeverity.ERROR)


def _reconciliation_asset(table: str) -> dg.AssetKey:
    # Tables with a quarantine are checked on their accepted mart (it feeds the reports); others on raw.
    if table in QUARANTINED:
        return dg.AssetKey(QUARANTINED[table][0].split("."))
    return _key("raw", table)


RECONCILIATION_SPECS = [
    dg.AssetCheckSpec(f"nothing_lost_{table}", asset=_reconciliation_asset(table), blocking=table in QUARANTINED,
                      description=f"{table}: source = raw + extract rejects + suppressed"
                                  + (" and raw = accepted + quarantined" if table in QUARANTINED else ""))
    for table in SOURCE_TABLES
]


@dg.multi_asset_check(specs=RECONCILIATION_SPECS, can_subset=True, name="reconciliation_checks")
def reconciliation_checks(context: dg.AssetCheckExecutionContext, chordme: ChordmeBIResource):
    from chordme_bi.quality.reconcile import reconcile
    from chordme_bi.warehouse import read_only

    settings = chordme.settings()
    selected = {key.name.removeprefix("nothing_lost_") for key in context.selected_asset_check_keys}
    with read_only(settings.warehouse_path) as con:
        results = reconcile(con, settings.source_url, tables=sorted(selected))
    for r in results:
        # Raw vs marts is ours and must hold (ERROR); the source is live, so a gap there only warns.
        source_only = r.source_balanced is False and r.marts_balanced is not False
        severity = dg.AssetCheckSeverity.WARN if source_only or r.table not in QUARANTINED else dg.AssetCheckSeverity.ERROR
        yield dg.AssetCheckResult(
            asset_key=_reconciliation_asset(r.table), check_name=f"nothing_lost_{r.table}", passed=r.ok,
            severity=severity, metadata={k: v for k, v in r.as_metadata().items() if v is not None},
        )


defs = dg.Definitions(asset_checks=[gx_raw_checks, gx_mart_checks, reconciliation_checks])
