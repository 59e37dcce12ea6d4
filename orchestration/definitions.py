"""The ChordMe BI code location (workspace.yaml points here).

Each module in ``assets/`` and ``sensors/`` exports ``defs`` (a ``dg.Definitions`` with its assets, checks,
jobs, schedules, sensors and any resources of its own); this module merges them with the shared resources.
Adding a stage means adding a module: nothing here changes.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

import dagster as dg
from orchestration.dbt_resource import IsolatedDbtCliResource
from orchestration.resources import DBT_PROJECT_DIR, ChordmeBIResource, export_dbt_environment

STAGE_PACKAGES = ("assets", "sensors")


def stage_modules() -> list[str]:
    names = []
    for package_name in STAGE_PACKAGES:
        package = importlib.import_module(package_name)
        names += [f"{package_name}.{m.name}" for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    return sorted(names)


def dbt_executable() -> str:
    """The dbt beside this interpreter (make links it there from .venv-dbt), so runs work without it on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def shared_resources() -> dict:
    # The source URL may carry a password: resolve it from the environment at run time, never store it.
    source_url = dg.EnvVar("CHORDME_SOURCE_URL") if os.environ.get("CHORDME_SOURCE_URL") else None
    return {
        "chordme": ChordmeBIResource(source_url=source_url),
        "dbt": IsolatedDbtCliResource(
            project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
        ),
    }


def build_definitions() -> dg.Definitions:
    """Everything in the code location. Heavy libraries are imported inside asset bodies, not here."""
    from orchestration.jobs import warehouse_job
    from orchestration.schedules import daily_warehouse_schedule

    export_dbt_environment()
    stages = [importlib.import_module(name).defs for name in stage_modules()]
    core = dg.Definitions(jobs=[warehouse_job], schedules=[daily_warehouse_schedule], resources=shared_resources())
    return dg.Definitions.merge(core, *stages)


# Loaded lazily by Dagster on first use.
defs = dg.definitions(build_definitions)
