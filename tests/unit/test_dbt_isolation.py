"""dbt lives in its own virtualenv; the Dagster side must neither import dbt-core nor ask the internet."""

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest

from orchestration.dbt_resource import IsolatedDbtCliResource

ROOT = Path(__file__).resolve().parents[2]


def _pin(lock: Path, package: str) -> str:
    match = re.search(rf"^{re.escape(package)}==(\S+)$", lock.read_text(), re.MULTILINE)
    assert match, f"{package} is not pinned in {lock.name}"
    return match.group(1)


def test_both_environments_pin_the_same_duckdb():
    # Both open the same warehouse file; DuckDB's storage format follows its version.
    assert _pin(ROOT / "requirements.lock", "duckdb") == _pin(ROOT / "requirements-dbt.lock", "duckdb")


def test_dbt_core_is_not_importable_beside_dagster():
    # With dbt-core here, importing dagster_dbt imports it too (+1.7 s on every definitions load).
    try:
        spec = importlib.util.find_spec("dbt.version")
    except ModuleNotFoundError:  # no dbt package at all
        spec = None
    assert spec is None, f"dbt-core is installed beside Dagster at {spec.origin}"


def test_engine_version_comes_from_the_manifest_without_running_dbt(tmp_path, monkeypatch):
    (tmp_path / "target").mkdir()
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    (tmp_path / "target" / "manifest.json").write_text(json.dumps({"metadata": {"dbt_version": "1.11.16"}}))

    def no_subprocess(*args, **kwargs):  # `dbt --version` calls pypi.org three times
        raise AssertionError(f"ran {args[0]}")

    monkeypatch.setattr(subprocess, "check_output", no_subprocess)
    resource = IsolatedDbtCliResource(project_dir=str(tmp_path), dbt_executable="/bin/true")
    assert str(resource._cli_version) == "1.11.16"
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_the_linked_dbt_runs_from_its_own_environment():
    dbt = ROOT / ".venv" / "bin" / "dbt"
    if not dbt.exists():
        pytest.skip("make install links .venv/bin/dbt; this checkout was installed another way")
    assert dbt.resolve().is_relative_to(ROOT / ".venv-dbt")
