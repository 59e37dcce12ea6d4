"""orchestration/dagster-postgres.yaml works: a Dagster instance whose run, event-log and schedule storage is
PostgreSQL runs a job with the multiprocess executor (every step in its own process, all writing to the same
storage), and a fresh instance reads the run back from there."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import psycopg2
import pytest
from sqlalchemy.engine import make_url

from assets.extract import extract_chordme_source
from chordme_bi.warehouse import read_only
from orchestration.resources import ChordmeBIResource

ROOT = Path(__file__).resolve().parents[2]
RAW = [dg.AssetKey(["raw", t]) for t in ("users", "songs", "setlists", "performance_sessions")]


def pg_instance_job() -> dg.JobDefinition:
    """The real extract asset (a subset of its tables) and a reader of what it wrote, as one job."""
    @dg.asset(key=["checks", "session_count"], deps=[RAW[-1]])
    def session_count(chordme: ChordmeBIResource) -> dg.MaterializeResult:
        with read_only(chordme.settings().warehouse_path) as con:
            rows = con.execute("select count(*) from raw.performance_sessions").fetchall()[0][0]
        return dg.MaterializeResult(metadata={"rows": rows})

    defs = dg.Definitions(
        assets=[extract_chordme_source, session_count],
        resources={"chordme": ChordmeBIResource()},
        jobs=[dg.define_asset_job("pg_instance_job", selection=[*RAW, session_count.key],
                                  executor_def=dg.multiprocess_executor)],
    )
    return defs.resolve_job_def("pg_instance_job")


@pytest.mark.postgres
@pytest.mark.slow
def test_runs_recorded_in_postgres_with_the_multiprocess_executor(postgres_url, source_db, tmp_path, monkeypatch):
    url = make_url(postgres_url)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster-postgres.yaml", home / "dagster.yaml")
    for name, value in (("HOST", url.host), ("PORT", str(url.port or 5432)), ("USER", url.username),
                        ("PASSWORD", url.password or ""), ("DB", url.database)):
        monkeypatch.setenv(f"DAGSTER_PG_{name}", value)
    # Step processes inherit the environment: the same source, warehouse and instance.
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("CHORDME_SOURCE_URL", f"sqlite:///{source_db}")
    monkeypatch.setenv("BI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BI_PSEUDONYM_SECRET", "test-secret")

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        with dg.execute_job(dg.reconstructable(pg_instance_job), instance=instance) as result:
            assert result.success
            run_id = result.run_id
            steps = {e.step_key for e in result.all_events if e.is_step_start}

    assert steps == {"extract_chordme_source", "checks__session_count"}  # two steps, two processes

    # A new instance on the same home reads the run, its steps and its materializations back from PostgreSQL.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        assert run.job_name == "pg_instance_job"
        records = instance.get_records_for_run(run_id).records
        assert any(r.event_log_entry.dagster_event and r.event_log_entry.dagster_event.event_type_value
                   == "ENGINE_EVENT" and "multiprocess" in (r.event_log_entry.user_message or "").lower()
                   for r in records)
        materialized = instance.get_latest_materialization_event(dg.AssetKey(["checks", "session_count"]))
        assert materialized is not None and materialized.run_id == run_id
        rows = materialized.asset_materialization.metadata["rows"].value

    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        assert rows == con.execute("select count(*) from raw.performance_sessions").fetchall()[0][0] > 0

    # The rows are in the PostgreSQL tables themselves, not in a local SQLite file.
    with psycopg2.connect(postgres_url) as con, con.cursor() as cur:
        cur.execute("select status from runs where run_id = %s", [run_id])
        assert cur.fetchone() == ("SUCCESS",)
        cur.execute("select count(*) from event_logs where run_id = %s and dagster_event_type = 'ASSET_MATERIALIZATION'",
                    [run_id])
        assert cur.fetchone()[0] == len(RAW) + 1
    assert not list(home.rglob("*.db"))
