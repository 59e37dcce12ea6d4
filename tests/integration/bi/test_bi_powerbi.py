"""Power BI push against a local fake that enforces the documented limits (rows per POST, POSTs per window per
dataset, pending POSTs, 429 + Retry-After, 500 on cue) and stores what arrived, compared with the marts."""

import json
from collections import Counter

import duckdb
import pytest

from bi_fakes import FakePowerBI
from chordme_bi.bi import powerbi
from chordme_bi.bi.config import parse_connections
from chordme_bi.bi.powerbi import Checkpoint, PowerBIClient, PowerBIError, push_marts
from chordme_bi.bi.ratelimit import SlidingWindowLimiter
from chordme_bi.bi.sync import sync_connection

MARTS = ["fct_sessions", "agg_platform_daily", "agg_student_daily"]
ENV = {"POWERBI_TENANT_ID": "t", "POWERBI_CLIENT_ID": "c", "POWERBI_CLIENT_SECRET": "s"}


def _connection(endpoint, **extra):
    [c] = parse_connections({"connections": [{"name": "pbi", "platform": "powerbi", "endpoint": endpoint,
                                              "workspace_id": "ws-1", "data_sources": MARTS, **extra}]})
    return c


def _client(fake, **kwargs):
    kwargs.setdefault("max_attempts", 2)
    return PowerBIClient(fake.api, lambda force=False: "good-token", "ws-1", backoff_base=0.01, **kwargs)


def _assert_table_equals_mart(fake, warehouse, mart, key):
    [dataset_id] = fake.datasets
    rows = fake.rows[dataset_id][mart]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        count, total_seconds, distinct = con.execute(
            f"SELECT count(*), sum(practice_seconds)::BIGINT, count(DISTINCT ({key})) FROM marts.{mart}"
        ).fetchall()[0] if mart != "fct_sessions" else con.execute(
            "SELECT count(*), sum(total_duration_seconds)::BIGINT, count(DISTINCT session_id) FROM marts.fct_sessions"
        ).fetchall()[0]
    assert len(rows) == count
    keys = Counter(json.dumps([row[k] for k in key.split(", ")]) for row in rows)
    assert len(keys) == distinct == count, "duplicated rows arrived"
    column = "total_duration_seconds" if mart == "fct_sessions" else "practice_seconds"
    assert sum(row[column] or 0 for row in rows) == total_seconds


def test_push_replaces_tables_within_the_limits(built_warehouse, tmp_path):
    with FakePowerBI(max_per_window=8, window_seconds=0.4, post_delay=0.01) as fake:
        # A 0.4 s window makes thread scheduling jitter a visible share of it: a wider margin than the
        # default (5% of the window) keeps the client's view of the window behind the server's.
        limiter = SlidingWindowLimiter(max_requests=8, window_seconds=0.4, max_pending=5, safety_seconds=0.15)
        client = _client(fake)
        results = push_marts(built_warehouse.warehouse_path, _connection(fake.api), MARTS, tmp_path, "run-1",
                             client, limiter=limiter, batch_rows=500)
        assert [r.outcome for r in results] == ["replaced"] * 3
        assert fake.rejected_429 == 0 and fake.pending_violations == 0  # the client stayed under both limits
        assert fake.max_seen_in_window <= 8 and fake.max_pending_seen <= 5
        assert fake.max_pending_seen > 1  # POSTs really overlapped
        _assert_table_equals_mart(fake, built_warehouse.warehouse_path, "fct_sessions", "session_id")
        _assert_table_equals_mart(fake, built_warehouse.warehouse_path, "agg_platform_daily", "activity_date")
        _assert_table_equals_mart(fake, built_warehouse.warehouse_path, "agg_student_daily",
                                  "activity_date, user_key")
        [dataset] = fake.datasets.values()
        schema = {c["name"]: c["dataType"] for c in dataset["tables"]["fct_sessions"]}
        assert schema["session_id"] == "Int64" and schema["started_at"] == "DateTime"
        assert schema["is_open"] == "Boolean" and schema["completion_percentage"] == "Double"
        assert schema["device_type"] == "String"
        row = next(r for r in fake.rows[next(iter(fake.rows))]["fct_sessions"] if r["started_at"])
        assert row["started_at"].endswith("Z") and "T" in row["started_at"]
        assert ("DELETE", "/datasets/dataset-1/tables/fct_sessions/rows") in fake.calls

        # A second sync (a restart after the completed replace) of unchanged marts posts nothing.
        before = fake.accepted_posts
        again = push_marts(built_warehouse.warehouse_path, _connection(fake.api), MARTS, tmp_path, "run-2",
                           _client(fake), limiter=limiter, batch_rows=500)
        assert [r.outcome for r in again] == ["unchanged"] * 3 and fake.accepted_posts == before
        _assert_table_equals_mart(fake, built_warehouse.warehouse_path, "fct_sessions", "session_id")
        assert len(fake.datasets) == 1  # found by name, not created twice


def test_429_retry_after_is_honoured(built_warehouse, tmp_path):
    # The client's limiter is deliberately too generous: the fake throttles, the client waits and finishes.
    with FakePowerBI(max_per_window=3, window_seconds=0.3) as fake:
        client = _client(fake)
        push_marts(built_warehouse.warehouse_path, _connection(fake.api), ["fct_sessions"], tmp_path, "run-1",
                   client, limiter=SlidingWindowLimiter(1000, 0.3, 5), batch_rows=400)
        assert fake.rejected_429 > 0 and client.stats.throttled == fake.rejected_429 + fake.pending_violations
        assert fake.max_seen_in_window <= 3
        _assert_table_equals_mart(fake, built_warehouse.warehouse_path, "fct_sessions", "session_id")


def test_failure_mid_run_resumes_without_duplicates(built_warehouse, tmp_path):
    with FakePowerBI(max_per_window=1000, window_seconds=1.0) as fake:
        fake.fail_after_accepted, fake.fail_count = 3, 20  # after 3 good batches the service fails for a while
        connection = _connection(fake.api)
        with pytest.raises(PowerBIError, match="server error 500.*gave up after 2 attempts"):
            push_marts(built_warehouse.warehouse_path, connection, ["fct_sessions"], tmp_path, "run-1",
                       _client(fake), limiter=SlidingWindowLimiter(1000, 1.0, max_pending=1), batch_rows=300)
        checkpoint = Checkpoint.load(tmp_path / "fct_sessions.checkpoint.json")
        assert checkpoint.state == "pushing" and checkpoint.acked == [0, 1, 2] and checkpoint.rows_acked == 900
        [dataset_id] = fake.datasets
        assert len(fake.rows[dataset_id]["fct_sessions"]) == 900

        fake.fail_statuses.clear()  # the service recovers; the next run resumes from batch 3
        deletes_before = fake.calls.count(("DELETE", f"/datasets/{dataset_id}/tables/fct_sessions/rows"))
        [result] = push_marts(built_warehouse.warehouse_path, connection, ["fct_sessions"], tmp_path, "run-2",
                              _client(fake), limiter=SlidingWindowLimiter(1000, 1.0, 5), batch_rows=300)
        assert result.outcome == "resumed" and result.batches_skipped == 3
        assert result.batches_posted == -(-result.rows // 300) - 3
        assert fake.calls.count(("DELETE", f"/datasets/{dataset_id}/tables/fct_sessions/rows")) == deletes_before
        _assert_table_equals_mart(fake, built_warehouse.warehouse_path, "fct_sessions", "session_id")
        assert Checkpoint.load(tmp_path / "fct_sessions.checkpoint.json").state == "complete"


def test_changed_mart_after_failure_replaces_from_scratch(built_warehouse, tmp_path):
    with FakePowerBI() as fake:
        fake.fail_after_accepted, fake.fail_count = 2, 20
        connection = _connection(fake.api)
        with pytest.raises(PowerBIError):
            push_marts(built_warehouse.warehouse_path, connection, ["agg_student_daily"], tmp_path, "run-1",
                       _client(fake), limiter=SlidingWindowLimiter(1000, 1.0, max_pending=1), batch_rows=500)
        fake.fail_statuses.clear()
        checkpoint_path = tmp_path / "agg_student_daily.checkpoint.json"
        stale = Checkpoint.load(checkpoint_path)
        stale.sha256 = "0" * 64  # as if the mart changed since the failed run
        stale.save(checkpoint_path)
        [result] = push_marts(built_warehouse.warehouse_path, connection, ["agg_student_daily"], tmp_path, "run-2",
                              _client(fake), batch_rows=500)
        assert result.outcome == "replaced"
        _assert_table_equals_mart(fake, built_warehouse.warehouse_path, "agg_student_daily", "activity_date, user_key")


def test_sync_skips_without_credentials_and_refresh_mode_triggers_a_refresh(built_warehouse, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with FakePowerBI() as fake:
        meta = sync_connection(built_warehouse, _connection(fake.api), ["agg_platform_daily"])
        assert meta["agg_platform_daily"]["push"] == ("push skipped: POWERBI_TENANT_ID, POWERBI_CLIENT_ID, "
                                                      "POWERBI_CLIENT_SECRET not set")
        assert fake.calls == []
        for name, value in ENV.items():
            monkeypatch.setenv(name, value)
        fake.datasets["model-1"] = {"name": "ChordMe import model", "tables": {}}
        refresh = _connection(fake.api, mode="refresh", refresh_dataset_id="model-1")
        meta = sync_connection(built_warehouse, refresh, MARTS, powerbi_token_provider=lambda force=False: "good-token")
        assert fake.refreshes == ["model-1"]
        assert meta["fct_sessions"]["refresh"] == "requested for dataset model-1"
        ok, lines = powerbi.check(refresh, lambda force=False: "good-token"), None
        assert ok[-1] == "dataset model-1 is reachable"
        with pytest.raises(PowerBIError, match="403 forbidden"):
            powerbi.check(refresh, lambda force=False: "someone-elses-token")
