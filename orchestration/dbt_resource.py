"""The dbt resource for a dbt that lives in its own virtualenv (``.venv-dbt``; see the Makefile).

dbt-core is not installed beside Dagster, so dagster-dbt loads without importing it (half of the definitions
load time, BENCHMARKS.md). Two things dagster-dbt does per invocation then have to change:

- It asks ``dbt --version`` for the engine version, and dbt answers that by calling pypi.org three times
  (1 s timeout each). Nothing here may call the internet, so the version comes from the manifest that the same
  dbt prepared ahead.
- It opens an in-process dbt adapter for row-count and column metadata. That needs dbt-core here, and we never
  use it: row counts and previews are read through one read-only DuckDB connection after dbt exits.
"""

import json
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version


class IsolatedDbtCliResource(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        manifest = Path(self.project_dir, "target", "manifest.json")
        if manifest.exists():
            with manifest.open("rb") as handle:
                return version.parse(json.load(handle)["metadata"]["dbt_version"])
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):  # noqa: ANN001, ANN202 (dagster-dbt's private hook)
        return None
