"""Dagster resources: thin adapters from the one Settings object (chordme_bi.settings) to Dagster."""

from __future__ import annotations

import os
import dagster as dg

from chordme_bi.dbt_runner import PIPELINE_EXCLUDED_RESOURCE_TYPES
from chordme_bi.settings import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# Writers to the DuckDB file share this pool; its limit is 1 (dagster.yaml), as DuckDB allows one writer.
DUCKDB_WRITER_POOL = "duckdb_writer"


class ChordmeBIResource(dg.ConfigurableResource):
    """Where the source, the warehouse and the outputs are. Unset fields fall back to Settings.from_env();
    the source URL (it may hold a password) is wired from the environment with EnvVar in definitions."""

    source_url: str | None = None
    warehouse_path: str | None = None
    data_dir: str | None = None

    def settings(self) -> Settings:
        overrides = {
            name: value
            for name, value in (
                ("source_url", self.source_url),
                ("warehouse_path", self.warehouse_path),
                ("data_dir", self.data_dir),
            )
            if value
        }
        return Settings.from_env(**overrides)


def export_dbt_environment() -> None:
    """dbt runs in a subprocess and must never call home (the warehouse path is set per run by the asset)."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DBT_EXCLUDE_RESOURCE_TYPES", PIPELINE_EXCLUDED_RESOURCE_TYPES)
