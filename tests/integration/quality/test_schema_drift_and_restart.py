"""Schema drift (extra column ignored and reported, missing column fails fast and clearly) and a run killed
midway giving the same marts as an uninterrupted one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from chordme_bi.dbt_runner import dbt_env, run_dbt, DBT_PROJECT_DIR
from chordme_bi.extract.extractor import SourceSchemaError, extract_all
from chordme_bi.settings import Settings


def test_an_extra_source_column_is_ignored_and_reported(make_source, tmp_path):
    source = make_source(sessions=300)
    with sqlite3.connect(source) as con:
        con.execute("ALTER TABLE performance_sessions ADD COLUMN mood TEXT DEFAULT 'happy'")
    settings = Settings(data_dir=tmp_path, source_url=f"sqlite:///{source}")
    results = {r.table: r for r in extract_all(settings.source_url, settings.warehouse_path, settings=settings)}
    assert results["performance_sessions"].extra_source_columns == ["mood"]
    assert results["performance_sessions"].rows_written == 300
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        cols = [r[0] for r in con.execute("DESCRIBE raw.performance_sessions").fetchall()]
    assert "mood" not in cols


def test_a_missing_required_column_fails_fast_naming_table_and_column(make_source, tmp_path):
    source = make_source(sessions=300)
    with sqlite3.connect(source) as con:
        con.execute("ALTER TABLE user_goals DROP COLUMN target_value")
    settings = Settings(data_dir=tmp_path, source_url=f"sqlite:///{source}")
    with pytest.raises(SourceSchemaError, match=r"'user_goals' lacks required column\(s\): target_value") as err:
        extract_all(settings.source_url, settings.warehouse_path, settings=settings)
    assert (err.value.table, err.value.missing_columns) == ("user_goals", ["target_value"])
    assert not settings.warehouse_path.exists()  # nothing written before the check

    from assets.extract import extract_chordme_source
    from orchestration.resources import ChordmeBIResource

    result = dg.materialize([extract_chordme_source], raise_on_error=False,
                            resources={"chordme": ChordmeBIResource(source_url=settings.source_url, data_dir=str(tmp_path))})
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.user_failure_data
    assert "user_goals" in failure.description and "target_value" in failure.description
    assert failure.metadata["missing_columns"].value == "target_value"


def _mart_fingerprint(path: Path) -> dict[str, tuple]:
    """Per mart table: row count and an order-independent hash of every column but the load metadata."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name IN ('marts') ORDER BY 1").fetchall()]
        for t in tables:
            cols = [(r[0], r[1]) for r in con.execute(f"DESCRIBE marts.{t}").fetchall() if not r[0].startswith("_")]
            # floating sums depend on the order rows are added in (threads): compare them to 9 digits
            row = ", ".join(f'round("{c}", 9)' if kind in ("DOUBLE", "FLOAT") else f'"{c}"' for c, kind in cols)
            out[t] = con.execute(f"SELECT count(*), bit_xor(hash({row})) FROM marts.{t}").fetchall()[0]
    return out


_EXTRACT = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s", force=True)
from chordme_bi.extract.extractor import extract_all
from chordme_bi.settings import Settings
s = Settings.from_env()
extract_all(s.source_url, s.warehouse_path, settings=s)
"""


def _run_until(command: list[str], env: dict, marker: str) -> None:
    """Start ``command``, SIGKILL it as soon as it prints ``marker`` (so it dies mid-work, deterministically)."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        if marker in line:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"{marker!r} never printed: the run finished before the kill"


def test_a_killed_run_restarted_gives_the_same_marts(make_source, tmp_path, monkeypatch):
    monkeypatch.setenv("BI_PSEUDONYM_SECRET", "restart-secret")
    source = make_source(sessions=3000, seed=3)
    clean = Settings(data_dir=tmp_path / "clean", source_url=f"sqlite:///{source}")
    extract_all(clean.source_url, clean.warehouse_path, settings=clean)
    run_dbt(["build"], clean.warehouse_path)

    killed = Settings(data_dir=tmp_path / "killed", source_url=f"sqlite:///{source}")
    env = {**os.environ, "BI_DATA_DIR": str(killed.data_dir), "CHORDME_SOURCE_URL": killed.source_url,
           "BI_EXTRACT_BATCH_ROWS": "500"}
    # killed while loading performance_events (the largest table), after sessions committed
    _run_until([sys.executable, "-c", _EXTRACT], env, "extracted performance_sessions")
    extract_all(killed.source_url, killed.warehouse_path, settings=killed)
    # dbt killed mid-build (once the session fact is being built), then built again
    dbt = str(Path(sys.executable).with_name("dbt"))
    _run_until([dbt, "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
               dbt_env(killed.warehouse_path), "marts.fct_sessions")
    run_dbt(["build"], killed.warehouse_path)

    assert _mart_fingerprint(killed.warehouse_path) == _mart_fingerprint(clean.warehouse_path)
