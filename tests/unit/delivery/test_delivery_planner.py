import json
from datetime import datetime, timezone

from chordme_bi.delivery.planner import plan, run_key
from chordme_bi.delivery.scheduled_reports import ScheduledReport

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
CREATED = datetime(2026, 10, 1, tzinfo=timezone.utc)


def row(id, schedule="daily", config=None, delivery=None, last_run=None) -> ScheduledReport:
    return ScheduledReport(
        id=id, user_id=1, report_config=json.dumps(config or {"report_type": "goal_tracking", "period": "weekly"}),
        schedule_expression=schedule, delivery_settings=json.dumps(delivery or {"email": "t@school.edu"}),
        status="active", last_run=last_run, created_at=CREATED)


def no_runs(row_id, scheduled):
    return []


def test_due_rows_launch_once_across_evaluations():
    rows = [row(1), row(2, "0 7 * * 1")]
    first, cursor = plan(rows, {}, NOW, no_runs, 5)
    assert [p.run_key for p in first] == ["scheduled_report:1:2026-11-25T06:00:00+00:00",
                                         "scheduled_report:2:2026-11-23T07:00:00+00:00"]
    again, cursor2 = plan(rows, cursor, NOW, no_runs, 5)
    assert again == [] and cursor2 == cursor
    # a new fire time launches again, with its own key
    later, _ = plan(rows, cursor, datetime(2026, 11, 26, 6, 0, tzinfo=timezone.utc), no_runs, 5)
    assert [p.run_key for p in later] == [run_key(1, "2026-11-26T06:00:00+00:00")]


def test_lost_cursor_does_not_resend_what_already_ran():
    ran = row(1, last_run=datetime(2026, 11, 25, 6, 0, 5, tzinfo=timezone.utc))
    assert plan([ran], {}, NOW, no_runs, 5)[0] == []


def test_bad_rows_get_one_invalid_run_and_good_rows_still_run():
    rows = [row(1), row(2, schedule="every day"), row(3, config={"report_type": "revenue"}),
            row(4, delivery={"email": "nobody"})]
    planned, cursor = plan(rows, {}, NOW, no_runs, 5)
    by_id = {p.scheduled_report_id: p for p in planned}
    assert by_id[1].reason == "due"
    assert {i: by_id[i].reason for i in (2, 3, 4)} == {2: "invalid", 3: "invalid", 4: "invalid"}
    assert "schedule_expression" in by_id[2].error and "revenue" in by_id[3].error and "nobody" in by_id[4].error
    assert all(by_id[i].scheduled_time is None for i in (2, 3, 4))
    assert [p.scheduled_report_id for p in plan(rows, cursor, NOW, no_runs, 5)[0]] == []


def test_failed_run_is_retried_until_max_attempts():
    rows = [row(1)]
    _, cursor = plan(rows, {}, NOW, no_runs, 3)
    history = {"statuses": ["FAILURE"]}
    statuses = lambda row_id, scheduled: history["statuses"]  # noqa: E731
    retry, _ = plan(rows, cursor, NOW, statuses, 3)
    assert [p.run_key for p in retry] == ["scheduled_report:1:2026-11-25T06:00:00+00:00:retry1"]
    assert retry[0].reason == "retry"
    history["statuses"] = ["FAILURE", "STARTED"]  # still running: wait
    assert plan(rows, cursor, NOW, statuses, 3)[0] == []
    history["statuses"] = ["FAILURE", "SUCCESS"]
    assert plan(rows, cursor, NOW, statuses, 3)[0] == []
    history["statuses"] = ["FAILURE", "FAILURE", "FAILURE"]  # max_attempts runs made: stop
    assert plan(rows, cursor, NOW, statuses, 3)[0] == []
