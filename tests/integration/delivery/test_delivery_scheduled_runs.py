"""Scheduled reports end to end: the sensor, the run (delivery, log, idempotency, retries), the write-back."""

import json
import shutil
import sqlite3
from datetime import datetime, timezone

import dagster as dg
import duckdb
import pytest

from chordme_bi.delivery.runner import run_scheduled_report
from chordme_bi.settings import Settings
from orchestration.resources import ChordmeBIResource

SCHEDULED = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)  # a Monday 07:00 fire of '0 7 * * 1'
NOW = datetime(2026, 11, 23, 7, 0, 30, tzinfo=timezone.utc)


def hand_built_report(con, config, today):
    return {"report_id": f"test-{config.report_type.value}-{config.start}", "generated_at": "2026-11-23T07:00:01Z",
            "config": {"report_type": config.report_type.value, "start": str(config.start), "end": str(config.end)},
            "summary": {"report_type": config.report_type.value, "status": "ok", "message": "fine",
                        "key_metrics": {"sessions": 12}},
            "data": {}, "insights": ["=cmd|' /C calc'!A0"], "recommendations": [], "charts": []}


def set_row(db, row_id, **values):
    with sqlite3.connect(db) as con:
        for column, value in values.items():
            con.execute(f"UPDATE scheduled_reports SET {column} = ? WHERE id = ?",
                        [json.dumps(value) if isinstance(value, dict) else value, row_id])


def source_row(db, row_id):
    with sqlite3.connect(db) as con:
        return con.execute("SELECT status, last_run, next_run FROM scheduled_reports WHERE id = ?", [row_id]).fetchone()


def delivery_log(settings):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute("""SELECT scheduled_report_id, channel, recipient, outcome, attempt, tries, error
                              FROM ops.delivery_log ORDER BY logged_at""").fetchall()


@pytest.fixture
def small_source(make_source):
    return make_source(sessions=200)


@pytest.fixture
def settings(small_source, tmp_path):
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()  # an empty warehouse: the report is hand-built
    return Settings(data_dir=tmp_path, source_url=f"sqlite:///{small_source}", delivery_max_attempts=2)


def test_run_delivers_writes_back_and_never_twice(settings, small_source, http_receiver, smtp_sink, monkeypatch):
    monkeypatch.setenv("BI_WEBHOOK_SECRET", "whsec")
    settings = settings.model_copy(update={"smtp_host": smtp_sink.host, "smtp_port": smtp_sink.port})
    set_row(small_source, 2, delivery_settings={"email": "lead@band.test", "webhook_url": http_receiver.url + "?token=abc"},
            report_config={"report_type": "band_collaboration", "period": "weekly", "format": "json"})

    outcome = run_scheduled_report(settings, 2, SCHEDULED, now=NOW, build_report=hand_built_report)
    assert outcome.status == "active" and outcome.window == ("2026-11-16", "2026-11-23")
    assert [(t.channel, t.outcome) for t in outcome.targets] == [("email", "delivered"), ("webhook", "delivered")]
    assert len(smtp_sink.messages) == 1 and len(http_receiver.requests) == 1
    [attachment] = list(smtp_sink.messages[0]["message"].iter_attachments())
    assert attachment.get_filename() == "chordme_band_collaboration_2026-11-16_2026-11-23.json"
    assert json.loads(attachment.get_content())["report_id"] == "test-band_collaboration-2026-11-16"
    assert source_row(small_source, 2) == ("active", "2026-11-23 07:00:30.000000", "2026-11-30 07:00:00.000000")
    log = delivery_log(settings)
    # the log names the URL's host only: a token in the URL is a secret
    assert [(r[1], r[2], r[3], r[4]) for r in log] == [("email", "lead@band.test", "delivered", 1),
                                                      ("webhook", f"http://127.0.0.1:{http_receiver.url.split(':')[2].split('/')[0]}", "delivered", 1)]
    assert "abc" not in json.dumps([list(r) for r in log])

    again = run_scheduled_report(settings, 2, SCHEDULED, now=NOW, build_report=hand_built_report)
    assert [t.outcome for t in again.targets] == ["skipped_delivered", "skipped_delivered"]
    assert len(smtp_sink.messages) == 1 and len(http_receiver.requests) == 1


def test_failed_delivery_is_recorded_and_retried_up_to_max_attempts(settings, small_source, http_receiver):
    http_receiver.responses = [500]
    set_row(small_source, 3, delivery_settings={"webhook_url": http_receiver.url})
    first = run_scheduled_report(settings, 3, SCHEDULED, now=NOW, build_report=hand_built_report, webhook_backoff_seconds=0)
    assert first.status == "failing" and first.failed[0].attempt == 1 and first.failed[0].tries == 4
    assert source_row(small_source, 3)[0] == "failing"
    second = run_scheduled_report(settings, 3, SCHEDULED, now=NOW, build_report=hand_built_report, webhook_backoff_seconds=0)
    assert second.failed[0].attempt == 2
    third = run_scheduled_report(settings, 3, SCHEDULED, now=NOW, build_report=hand_built_report, webhook_backoff_seconds=0)
    assert [t.outcome for t in third.targets] == ["skipped_exhausted"] and third.status == "failing"
    assert len(http_receiver.requests) == 8  # 2 runs x 4 tries, none after max attempts
    log = delivery_log(settings)
    assert [(r[3], r[4], r[5]) for r in log] == [("failed", 1, 4), ("failed", 2, 4)]
    assert all("HTTP 500" in r[6] for r in log)
    # the receiver recovers: a later fire time delivers again
    http_receiver.responses = [200]
    later = run_scheduled_report(settings, 3, datetime(2026, 11, 30, 6, tzinfo=timezone.utc), now=NOW,
                                 build_report=hand_built_report)
    assert later.status == "active" and source_row(small_source, 3)[0] == "active"


@pytest.mark.parametrize("column, value, reason", [
    ("schedule_expression", "every monday", "invalid schedule_expression"),
    ("report_config", {"report_type": "revenue"}, "unknown report_type 'revenue'"),
    ("delivery_settings", {"email": "not an address"}, "invalid email address"),
])
def test_invalid_row_is_marked_error_with_the_reason_logged(settings, small_source, column, value, reason):
    set_row(small_source, 1, **{column: value})
    outcome = run_scheduled_report(settings, 1, None, now=NOW, build_report=hand_built_report)
    assert outcome.status == "error" and reason in outcome.error
    assert source_row(small_source, 1)[0] == "error"
    [(row_id, channel, _, state, _, _, error)] = delivery_log(settings)
    assert (row_id, channel, state) == (1, "validation", "invalid") and reason in error


def sensor_context(source, data_dir, cursor=None, instance=None):
    return dg.build_sensor_context(
        instance=instance or dg.DagsterInstance.ephemeral(), cursor=cursor,
        resources={"chordme": ChordmeBIResource(source_url=f"sqlite:///{source}", data_dir=str(data_dir))})


def test_sensor_launches_each_due_row_once_and_flags_bad_rows(small_source, tmp_path):
    from sensors.scheduled_reports import scheduled_reports_sensor

    set_row(small_source, 2, schedule_expression="61 7 * * 1")
    set_row(small_source, 4, report_config={"report_type": "revenue", "period": "monthly"})
    set_row(small_source, 6, delivery_settings={"email": "educator3-at-example.org"})
    instance = dg.DagsterInstance.ephemeral()
    first = scheduled_reports_sensor(sensor_context(small_source, tmp_path, instance=instance))
    by_id = {int(r.tags["chordme/scheduled_report"]): r for r in first.run_requests}
    assert set(by_id) == {1, 2, 3, 4, 6}  # 5 is paused
    assert {i for i, r in by_id.items() if r.tags["chordme/reason"] == "due"} == {1, 3}
    assert {i for i, r in by_id.items() if r.tags["chordme/reason"] == "invalid"} == {2, 4, 6}
    due = by_id[1]
    scheduled = due.run_config["ops"]["deliver_scheduled_report"]["config"]["scheduled_time"]
    assert due.run_key == f"scheduled_report:1:{scheduled}" and scheduled.endswith("T06:00:00+00:00")
    assert scheduled[8:10] == "01"  # 'monthly' fires on the 1st
    assert len({r.run_key for r in first.run_requests}) == 5

    second = scheduled_reports_sensor(sensor_context(small_source, tmp_path, cursor=first.cursor, instance=instance))
    assert isinstance(second, dg.SkipReason) and "none due" in second.skip_message


def test_sensor_is_off_when_the_scheduler_is_disabled(small_source, tmp_path, monkeypatch):
    from sensors.scheduled_reports import scheduled_reports_sensor

    monkeypatch.setenv("BI_SCHEDULER_ENABLED", "false")
    result = scheduled_reports_sensor(sensor_context(small_source, tmp_path))
    assert isinstance(result, dg.SkipReason) and "BI_SCHEDULER_ENABLED" in result.skip_message


def test_whole_scheduled_run_with_the_real_engine(built_warehouse, source_db, tmp_path, smtp_sink, monkeypatch):
    """Sensor -> run request -> the scheduled_report job in process -> mail with the HTML report attached."""
    from assets.delivery import scheduled_report_job
    from sensors.scheduled_reports import scheduled_reports_sensor

    source = tmp_path / "source.db"
    shutil.copy(source_db, source)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, warehouse)
    monkeypatch.setenv("BI_SMTP_HOST", smtp_sink.host)
    monkeypatch.setenv("BI_SMTP_PORT", str(smtp_sink.port))
    with sqlite3.connect(source) as con:  # only row 2 (band_collaboration, html, email) stays scheduled
        con.execute("UPDATE scheduled_reports SET status = 'paused' WHERE id <> 2")
    instance = dg.DagsterInstance.ephemeral()
    resources = {"chordme": ChordmeBIResource(source_url=f"sqlite:///{source}", warehouse_path=str(warehouse),
                                              data_dir=str(tmp_path))}
    [request] = scheduled_reports_sensor(sensor_context(source, tmp_path, instance=instance)).run_requests
    for _ in range(2):  # a duplicated run delivers once
        result = scheduled_report_job.execute_in_process(run_config=request.run_config, resources=resources,
                                                         instance=instance, tags=request.tags)
        assert result.success
    [mail] = smtp_sink.messages
    assert mail["rcpt"] == ["educator2@example.org"]
    [attachment] = list(mail["message"].iter_attachments())
    assert attachment.get_filename().startswith("chordme_band_collaboration_") and attachment.get_filename().endswith(".html")
    assert "<html" in attachment.get_content().lower()
    html = mail["message"].get_body(preferencelist=("html",)).get_content()
    assert "Band Collaboration" in html
    status, last_run, next_run = source_row(source, 2)
    assert status == "active" and last_run and next_run > last_run
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT outcome, count(*) FROM ops.delivery_log GROUP BY 1").fetchall() == [("delivered", 1)]
        assert con.execute("SELECT count(*) FROM ops.audit_log WHERE action = 'deliver_email'").fetchall() == [(1,)]
