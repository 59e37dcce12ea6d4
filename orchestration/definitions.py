"""The ChordMe BI code location (workspace.yaml points here)."""

from __future__ import annotations

import os

import dagster as dg
from dagster_dbt import DbtCliResource

from chordme_bi.settings import Settings
from orchestration.resources import DBT_PROJECT_DIR, ChordmeBIResource, export_dbt_environment


@dg.definitions
def defs() -> dg.Definitions:
    from assets.dbt import chordme_dbt_models, chordme_dbt_project
    from assets.extract import extract_chordme_source
    from orchestration.jobs import warehouse_job
    from orchestration.schedules import daily_warehouse_schedule

    export_dbt_environment(Settings.from_env())
    # The source URL may carry a password: resolve it from the environment at run time, never store it.
    source_url = dg.EnvVar("CHORDME_SOURCE_URL") if os.environ.get("CHORDME_SOURCE_URL") else None
    return dg.Definitions(
        assets=[extract_chordme_source, chordme_dbt_models],
        jobs=[warehouse_job],
        schedules=[daily_warehouse_schedule],
        resources={
            "chordme": ChordmeBIResource(source_url=source_url),
            "dbt": DbtCliResource(project_dir=chordme_dbt_project, profiles_dir=str(DBT_PROJECT_DIR)),
        },
    )
