"""The scheduled_report job's steps: only the two that write the warehouse hold the duckdb_writer pool, the
send step (SMTP / webhooks) does not, and the split keeps the run's results: one mail, failures fail the run,
invalid rows are settled at planning."""

import shutil
import sqlite3

import dagster as dg
import duckdb
import pytest

from assets.delivery import scheduled_report_job
from chordme_bi.delivery import runner
from orchestration.resources import DUCKDB_WRITER_POOL, ChordmeBIResource
from tests.integration.delivery.conftest import free_port


def only_row(source, row_id):
    with sqlite3.connect(source) as con:
        con.execute("UPDATE scheduled_reports SET status = 'paused' WHERE id <> ?", [row_id])


def source_row(source, row_id):
    with sqlite3.connect(source) as con:
        return con.execute("SELECT status, last_run, next_run FROM scheduled_reports WHERE id = ?",
                           [row_id]).fetchone()


def delivery_log(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT channel, outcome, attempt, error FROM ops.delivery_log ORDER BY logged_at").fetchall()


def launch(instance, resources):
    """The run request the sensor makes for the one scheduled row, so the run config is the sensor's."""
    from sensors.scheduled_reports import scheduled_reports_sensor

    context = dg.build_sensor_context(instance=instance, resources=resources)
    [request] = scheduled_reports_sensor(context).run_requests
    return request


@pytest.fixture
def copies(built_warehouse, source_db, tmp_path):
    source, warehouse = tmp_path / "source.db", tmp_path / "warehouse.duckdb"
    shutil.copy(source_db, source)
    shutil.copy(built_warehouse.warehouse_path, warehouse)
    resources = {"chordme": ChordmeBIResource(source_url=f"sqlite:///{source}", warehouse_path=str(warehouse),
                                              data_dir=str(tmp_path))}
    return source, warehouse, resources


def test_the_send_step_is_the_only_one_without_the_writer_pool():
    steps = {node.name: node for node in scheduled_report_job.all_node_defs if isinstance(node, dg.OpDefinition)}
    assert {name: op.pool for name, op in steps.items()} == {
        "plan_scheduled_report": DUCKDB_WRITER_POOL,
        "send_scheduled_report": None,
        "record_scheduled_report": DUCKDB_WRITER_POOL,
    }
    # plan -> send -> record: recording waits for the sends
    graph = scheduled_report_job.graph.node_named("deliver_scheduled_report").definition
    deps = {node.name: sorted(up.node_name for ups in graph.dependency_structure.input_to_upstream_outputs_for_node(
        node.name).values() for up in ups) for node in graph.nodes}
    assert deps == {"plan_scheduled_report": [], "send_scheduled_report": ["plan_scheduled_report"],
                    "record_scheduled_report": ["plan_scheduled_report", "send_scheduled_report"]}


def test_pool_is_free_while_mail_is_sent_and_a_repeated_run_mails_once(copies, tmp_path, smtp_sink, monkeypatch):
    source, warehouse, resources = copies
    only_row(source, 2)  # band_collaboration, html, email to educator2
    monkeypatch.setenv("BI_SMTP_HOST", smtp_sink.host)
    monkeypatch.setenv("BI_SMTP_PORT", str(smtp_sink.port))
    (tmp_path / "dagster_home").mkdir()
    instance = dg.DagsterInstance.local_temp(str(tmp_path / "dagster_home"))  # sqlite: enforces pools
    instance.event_log_storage.set_concurrency_slots(DUCKDB_WRITER_POOL, 1)  # as dagster.yaml: one writer

    slots_in_use: dict[str, list[int]] = {}

    def observe(name, function):
        def observed(*args, **kwargs):
            info = instance.event_log_storage.get_concurrency_info(DUCKDB_WRITER_POOL)
            slots_in_use.setdefault(name, []).append(info.active_slot_count)
            return function(*args, **kwargs)
        monkeypatch.setattr(runner, name, observed)

    for name in ("plan_run", "record_results", "_send_email"):
        observe(name, getattr(runner, name))

    request = launch(instance, resources)
    for _ in range(2):  # a duplicated run delivers once
        result = scheduled_report_job.execute_in_process(run_config=request.run_config, resources=resources,
                                                         instance=instance, tags=request.tags)
        assert result.success
    assert slots_in_use == {"plan_run": [1, 1], "_send_email": [0], "record_results": [1, 1]}
    [mail] = smtp_sink.messages
    assert mail["rcpt"] == ["educator2@example.org"]
    assert delivery_log(warehouse) == [("email", "delivered", 1, None)]
    status, last_run, next_run = source_row(source, 2)
    assert status == "active" and next_run > last_run
    second = result.output_for_node("deliver_scheduled_report.record_scheduled_report")
    assert [t["outcome"] for t in second["targets"]] == ["skipped_delivered"]


def test_failed_delivery_fails_the_run_from_the_record_step(copies, tmp_path, monkeypatch):
    source, warehouse, resources = copies
    only_row(source, 2)
    monkeypatch.setenv("BI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BI_SMTP_PORT", str(free_port()))  # nothing listens: the send fails at once
    instance = dg.DagsterInstance.ephemeral()
    request = launch(instance, resources)
    result = scheduled_report_job.execute_in_process(run_config=request.run_config, resources=resources,
                                                     instance=instance, tags=request.tags, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "deliver_scheduled_report.record_scheduled_report"
    error = failure.step_failure_data.user_failure_data
    assert error.description == "1 delivery(ies) failed; the scheduled_reports sensor retries them"
    assert error.metadata["outcome"].data["status"] == "failing"
    [(channel, outcome, attempt, message)] = delivery_log(warehouse)
    assert (channel, outcome, attempt) == ("email", "failed", 1) and "SMTP 127.0.0.1" in message
    assert source_row(source, 2)[0] == "failing"


def test_invalid_row_is_settled_at_planning_and_nothing_is_sent(make_source, tmp_path):
    source = make_source(sessions=50)
    only_row(source, 4)
    with sqlite3.connect(source) as con:
        con.execute("UPDATE scheduled_reports SET report_config = ? WHERE id = 4", ['{"report_type": "revenue"}'])
    warehouse = tmp_path / "warehouse.duckdb"
    resources = {"chordme": ChordmeBIResource(source_url=f"sqlite:///{source}", warehouse_path=str(warehouse),
                                              data_dir=str(tmp_path))}
    instance = dg.DagsterInstance.ephemeral()
    request = launch(instance, resources)
    assert request.run_config["ops"]["deliver_scheduled_report"]["config"]["scheduled_time"] is None
    result = scheduled_report_job.execute_in_process(run_config=request.run_config, resources=resources,
                                                     instance=instance, tags=request.tags)
    assert result.success
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert skipped == {"deliver_scheduled_report.send_scheduled_report",
                       "deliver_scheduled_report.record_scheduled_report"}
    settled = result.output_for_node("deliver_scheduled_report.plan_scheduled_report", "settled")
    assert settled["status"] == "error" and "unknown report_type 'revenue'" in settled["error"]
    assert source_row(source, 4)[0] == "error"
    [(channel, outcome, _, error)] = delivery_log(warehouse)
    assert (channel, outcome) == ("validation", "invalid") and "revenue" in error
