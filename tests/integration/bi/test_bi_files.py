"""Open-file exports and the manifest against DuckDB; the completion webhook verified by a receiving server;
the Dagster job `make run` uses, on the built warehouse; `chordme-bi bi list/test`."""

import hashlib
import json

import duckdb
import pytest

from bi_fakes import FakeWebhook
from chordme_bi.bi.config import MAIN_MARTS, parse_connections
from chordme_bi.bi.files import MONTHLY_PARTITIONS, WebhookError, post_webhook, write_mart_files
from chordme_bi.bi.sync import sync_connection


def _files(**extra):
    [c] = parse_connections({"connections": [{"name": "files", "platform": "files", "data_sources": list(MAIN_MARTS),
                                              **extra}]})
    return c


def test_parquet_csv_and_manifest_match_the_warehouse(built_warehouse, tmp_path):
    settings = built_warehouse.model_copy(update={"output_dir": tmp_path})
    meta = sync_connection(settings, _files(formats=["parquet", "csv"]))
    out = tmp_path / "exports" / "files"
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["marts"]) == set(MAIN_MARTS) and manifest["generated_at"].endswith("+00:00")
    assert manifest["source_warehouse"] == str(built_warehouse.warehouse_path.resolve())
    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
        for mart, entry in manifest["marts"].items():
            rows = con.execute(f"SELECT count(*) FROM marts.{mart}").fetchall()[0][0]
            assert entry["rows"] == rows == meta[mart]["dagster/row_count"]
            for fmt in ("parquet", "csv"):
                files = [f for f in entry["files"] if f["format"] == fmt]
                for f in files:
                    path = out / f["path"]
                    assert hashlib.sha256(path.read_bytes()).hexdigest() == f["sha256"] and path.stat().st_size == f["bytes"]
                # one file per mart, or one per month for the growing marts: together, every row once
                reader = "read_parquet" if fmt == "parquet" else "read_csv_auto"
                paths = ", ".join(f"'{out / f['path']}'" for f in files)
                assert con.execute(f"SELECT count(*) FROM {reader}([{paths}])").fetchall()[0][0] == rows
                assert len(files) > 1 if mart in MONTHLY_PARTITIONS else len(files) == 1
            first = out / next(f["path"] for f in entry["files"] if f["format"] == "parquet")
            described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{first}')").fetchall()
            assert [{"name": n, "type": t} for n, t, *_ in described] == entry["columns"]
        # Sums survive the round trip (HUGEINT sums exported as BIGINT, not DOUBLE).
        want = con.execute("SELECT sum(practice_seconds) FROM marts.agg_platform_daily").fetchall()[0][0]
        got = con.execute(f"SELECT sum(practice_seconds), typeof(any_value(practice_seconds)) "
                          f"FROM read_parquet('{out / 'agg_platform_daily.parquet'}')").fetchall()[0]
        assert got == (want, "BIGINT")
    assert not [p for p in out.rglob(".*")]  # no temporary files left


def test_monthly_files_rewrite_only_the_months_that_changed(built_warehouse, tmp_path):
    """A later export keeps the files of unchanged months, rewrites changed ones, drops vanished ones."""
    import shutil

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, warehouse)
    out = tmp_path / "files"
    from chordme_bi.bi.files import write_manifest

    def export() -> dict:
        entry = write_mart_files(warehouse, "fct_sessions", out, ["parquet"])
        write_manifest(out, {"fct_sessions": entry}, warehouse)
        return {f["partition"]: f for f in entry["files"]}

    first = export()
    months = sorted(first)
    assert len(months) >= 3 and all(f["rows"] > 0 for f in first.values())
    stamps = {m: (out / f["path"]).stat().st_mtime_ns for m, f in first.items()}

    assert export() == first  # nothing changed: same entries, no file touched
    assert {m: (out / f["path"]).stat().st_mtime_ns for m, f in first.items()} == stamps

    changed, vanished = months[-1], months[0]
    with duckdb.connect(str(warehouse)) as con:
        # one session of the last month rewritten by a later build (same count), every session of the first
        # month erased
        con.execute(f"UPDATE marts.fct_sessions SET completion_percentage = 12.3456789, _built_at = _built_at + INTERVAL 1 HOUR "
                    f"WHERE session_id = (SELECT min(session_id) FROM marts.fct_sessions WHERE strftime(session_date, '%Y-%m') = '{changed}')")
        con.execute(f"DELETE FROM marts.fct_sessions WHERE strftime(session_date, '%Y-%m') = '{vanished}'")
        total = con.execute("SELECT count(*) FROM marts.fct_sessions").fetchall()[0][0]
    third = export()
    assert vanished not in third and not (out / first[vanished]["path"]).exists()
    assert third[changed]["fingerprint"] != first[changed]["fingerprint"]
    assert third[changed]["rows"] == first[changed]["rows"]
    rewritten = {m for m, f in third.items() if (out / f["path"]).stat().st_mtime_ns != stamps[m]}
    assert rewritten == {changed}
    with duckdb.connect() as con:
        assert con.execute(f"SELECT count(*), count(*) FILTER (WHERE completion_percentage = 12.3456789) FROM "
                           f"read_parquet('{out}/fct_sessions/*.parquet')").fetchall()[0] == (total, 1)


def test_exporting_one_mart_keeps_the_others_in_the_manifest(built_warehouse, tmp_path):
    settings = built_warehouse.model_copy(update={"output_dir": tmp_path})
    sync_connection(settings, _files())
    sync_connection(settings, _files(), ["dim_bands"])
    manifest = json.loads((tmp_path / "exports" / "files" / "manifest.json").read_text())
    assert set(manifest["marts"]) == set(MAIN_MARTS)


def test_webhook_is_signed_and_retried_on_5xx(built_warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("BI_WEBHOOK_SECRET", "hook-secret")
    settings = built_warehouse.model_copy(update={"output_dir": tmp_path})
    with FakeWebhook("hook-secret") as hook:
        hook.fail_statuses = [503]
        meta = sync_connection(settings, _files(webhook={"url": hook.url + "/done"}), ["dim_users", "dim_songs"])
        assert meta["dim_users"]["webhook"] == "webhook delivered (204)"
        assert [r["valid"] for r in hook.received] == [True, True]  # the 503, then the retry
        manifest_on_disk = (tmp_path / "exports" / "files" / "manifest.json").read_bytes()
        assert hook.received[-1]["body"] == manifest_on_disk
    with FakeWebhook("another-secret") as hook:
        with pytest.raises(WebhookError, match="rejected with 401"):
            post_webhook(hook.url, b"{}", "hook-secret", sleep=lambda s: None)
        assert len(hook.received) == 1  # 4xx is not retried


def test_webhook_skipped_without_secret_and_when_integrations_are_off(built_warehouse, tmp_path, monkeypatch):
    monkeypatch.delenv("BI_WEBHOOK_SECRET", raising=False)
    settings = built_warehouse.model_copy(update={"output_dir": tmp_path})
    connection = _files(webhook={"url": "http://127.0.0.1:9/never"})
    assert sync_connection(settings, connection, ["dim_bands"])["dim_bands"]["webhook"] == \
        "webhook skipped: BI_WEBHOOK_SECRET not set"
    monkeypatch.setenv("BI_WEBHOOK_SECRET", "x")
    off = settings.model_copy(update={"external_integrations_enabled": False})
    meta = sync_connection(off, connection, ["dim_bands"])["dim_bands"]
    assert meta["webhook"] == "webhook skipped: BI_EXTERNAL_INTEGRATIONS_ENABLED is false"
    assert (tmp_path / "exports" / "files" / "dim_bands.parquet").exists()  # local files are still written


def test_make_run_job_writes_hyper_and_parquet_and_skips_publishing(built_warehouse, tmp_path, monkeypatch):
    import dagster as dg

    for name in ("TABLEAU_TOKEN_NAME", "TABLEAU_TOKEN_SECRET", "POWERBI_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    from assets.bi_exports import build_defs
    from orchestration.resources import ChordmeBIResource

    defs = dg.Definitions.merge(build_defs(), dg.Definitions(resources={"chordme": ChordmeBIResource(
        warehouse_path=str(built_warehouse.warehouse_path), data_dir=str(tmp_path))}))
    job = defs.resolve_job_def("bi_exports")
    assert job.tags["chordme/make_run"] == "true"
    assert {s.name for s in defs.schedules} == {"bi_sync_daily_schedule", "bi_sync_hourly_schedule"}
    result = job.execute_in_process()
    assert result.success
    exports = tmp_path / "output" / "exports"
    assert sorted(p.name for p in (exports / "tableau").glob("*.hyper")) == sorted(f"{m}.hyper" for m in MAIN_MARTS)
    assert (exports / "files" / "manifest.json").exists()
    events = {e.asset_key.to_user_string(): e.materialization.metadata
              for e in result.get_asset_materialization_events()}
    sessions = events["exports/tableau/fct_sessions"]
    assert sessions["publish"].value == "publish skipped: TABLEAU_TOKEN_NAME, TABLEAU_TOKEN_SECRET not set"
    assert sessions["dagster/row_count"].value > 0
    assert "POWERBI_TENANT_ID" in events["exports/powerbi/agg_platform_daily"]["push"].value
    assert len(events) == 2 * len(MAIN_MARTS) + 3


def test_cli_list_shows_credential_state_never_values(capsys, monkeypatch):
    from chordme_bi.cli import main

    monkeypatch.setenv("TABLEAU_TOKEN_NAME", "name-value")
    monkeypatch.setenv("TABLEAU_TOKEN_SECRET", "secret-value")
    for name in ("POWERBI_TENANT_ID", "POWERBI_CLIENT_ID", "POWERBI_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["bi", "list"]) == 0
    out = capsys.readouterr().out
    assert "- tableau [tableau] daily: credentials set" in out
    assert "credentials missing: " in out and "POWERBI_CLIENT_SECRET" in out
    assert "secret-value" not in out and "name-value" not in out
    assert main(["bi", "test", "powerbi"]) == 1
    assert "missing environment variable(s): POWERBI_TENANT_ID" in capsys.readouterr().out
