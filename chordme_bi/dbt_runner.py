"""Run the dbt project outside Dagster (CLI, tests, benchmarks) against a given warehouse file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from chordme_bi.settings import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# Left out of the pipeline's builds (Dagster's, the benchmark's): unit tests check the SQL against fixed rows,
# so they run where the SQL changes (the test suite, CI), not on every build of the data, as dbt advises.
PIPELINE_EXCLUDED_RESOURCE_TYPES = "unit_test"


def dbt_env(warehouse_path: Path | str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BI_WAREHOUSE_PATH=str(Path(warehouse_path).resolve()),
        DO_NOT_TRACK="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        **extra,
    )
    return env


def run_dbt(args: list[str], warehouse_path: Path | str, check: bool = True, **extra_env: str) -> subprocess.CompletedProcess:
    """``dbt <args>`` in the project; raises with dbt's own output when it fails and check is true."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    result = subprocess.run(command, env=dbt_env(warehouse_path, **extra_env), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    return result
