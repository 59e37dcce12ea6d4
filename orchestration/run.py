"""``python -m orchestration.run``: materialize everything on the embedded default, then say what it made.

Runs the warehouse job, then every job tagged ``chordme/make_run`` (each stage module tags the jobs that
`make run` should run); a partitioned job runs its latest complete partition. Runs are recorded in
$DAGSTER_HOME, so `make ui` shows them.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import dagster as dg

from chordme_bi.settings import Settings
from orchestration.definitions import build_definitions

MAKE_RUN_TAG = "chordme/make_run"
# Step-by-step events stay in the run's history (make ui); the terminal gets warnings and the summary.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _latest_complete_partition(job: dg.JobDefinition) -> str | None:
    partitions_def = job.partitions_def
    if partitions_def is None:
        return None
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return partitions_def.get_last_partition_key()
    return partitions_def.get_partition_keys()[-1]


def main() -> int:
    settings = Settings.from_env()
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    jobs = [defs.resolve_job_def("chordme_warehouse")] + [
        job for job in defs.resolve_all_job_defs() if job.tags.get(MAKE_RUN_TAG) == "true"
    ]
    produced = []
    for job in jobs:
        partition = _latest_complete_partition(job)
        started = time.perf_counter()
        result = job.execute_in_process(
            instance=instance, partition_key=partition, raise_on_error=False, run_config=QUIET_CONSOLE
        )
        seconds = time.perf_counter() - started
        materialized = len(result.get_asset_materialization_events())
        checks = result.get_asset_check_evaluations()
        failed = [c for c in checks if not c.passed]
        status = "ok" if result.success else "FAILED"
        print(f"{job.name}{f' [{partition}]' if partition else ''}: {status} in {seconds:.1f}s, "
              f"{materialized} assets, {len(checks) - len(failed)}/{len(checks)} checks passed")
        for check in failed:
            # Raw-layer checks warn by design: the source's bad rows are expected, and quarantined.
            kind = "warning" if check.severity == dg.AssetCheckSeverity.WARN else "FAILED check"
            print(f"  {kind}: {check.asset_check_key.to_user_string()}")
        extracted = [
            e.materialization.metadata for e in result.get_asset_materialization_events()
            if e.materialization.asset_key.path[0] == "raw" and "rows_written" in e.materialization.metadata
        ]
        if extracted:
            written = sum(m["rows_written"].value for m in extracted)
            rejected = sum(m["rows_rejected"].value for m in extracted)
            print(f"  raw: {written:,} rows written, {rejected:,} rejected "
                  f"({sum(m['rows_read'].value for m in extracted):,} read from the source)")
        produced.append(result.success)
        if not result.success and job.name == "chordme_warehouse":
            print("The warehouse did not build, so the reports and exports that read it were not run.")
            break
    _print_outputs(settings)
    print("\nOpen the Dagster UI with `make ui` (http://127.0.0.1:3000): the runs above are in its history.")
    return 0 if all(produced) else 1


def _print_outputs(settings: Settings) -> None:
    from chordme_bi.warehouse import read_only

    print(f"\nWarehouse {settings.warehouse_path}:")
    with read_only(settings.warehouse_path) as con:
        rows = con.execute(
            """SELECT table_schema, table_name FROM information_schema.tables
               WHERE table_schema IN ('marts', 'quarantine') ORDER BY table_schema, table_name"""
        ).fetchall()
        for schema, name in rows:
            count = con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchall()[0][0]
            print(f"  {schema}.{name}: {count:,} rows")
    output_dir = Path(settings.output_dir)
    files = sorted(p for p in output_dir.rglob("*") if p.is_file()) if output_dir.exists() else []
    if files:
        print(f"\nFiles under {output_dir}:")
        folders = Counter(str(p.relative_to(output_dir).parent) for p in files)
        for folder, count in sorted(folders.items()):
            print(f"  {folder}/: {count} file(s)")


if __name__ == "__main__":
    sys.exit(main())
