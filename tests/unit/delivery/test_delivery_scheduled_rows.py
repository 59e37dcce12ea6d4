import json

import pytest

from chordme_bi.delivery.scheduled_reports import ScheduledReport, ScheduledReportError, Target, validate


def row(config=None, schedule="weekly", delivery=None, **kw) -> ScheduledReport:
    config = {"report_type": "usage_patterns", "period": "weekly", "format": "csv"} if config is None else config
    delivery = {"email": "teacher@school.edu"} if delivery is None else delivery
    return ScheduledReport(id=kw.pop("id", 7), user_id=1, report_config=json.dumps(config), schedule_expression=schedule,
                           delivery_settings=json.dumps(delivery), status="active", **kw)


def test_valid_row():
    valid = validate(row(delivery={"emails": ["a@x.org", "b@y.org"], "webhook_url": "https://hooks.example.com/x?t=1",
                                   "timezone": "Europe/Berlin"}))
    assert valid.cron == "0 6 * * 1"
    assert valid.config.report_type.value == "usage_patterns" and valid.config.format.value == "csv"
    assert str(valid.tz) == "Europe/Berlin"
    assert valid.targets == (Target("email", "a@x.org"), Target("email", "b@y.org"),
                             Target("webhook", "https://hooks.example.com/x?t=1"))


def test_fixed_dates_and_unknown_config_keys_are_not_silently_used():
    valid = validate(row(config={"report_type": "usage_patterns", "period": "weekly", "start": "2020-01-06",
                                 "filters": {"session_type": "practice"}}))
    assert valid.config.start is None  # a schedule always reports the period that just ended
    assert valid.ignored_config_keys == ("filters", "start")


@pytest.mark.parametrize("kwargs, field, message", [
    ({"schedule": "every monday"}, "schedule_expression", "invalid schedule_expression 'every monday'"),
    ({"config": {"report_type": "revenue"}}, "report_config.report_type", "unknown report_type 'revenue'; valid: student_progress"),
    ({"config": {"period": "weekly"}}, "report_config.report_type", "missing"),
    ({"config": {"report_type": "usage_patterns", "format": "xlsx"}}, "report_config.format", "valid: json, csv, html, pdf"),
    ({"delivery": {"email": "not-an-address"}}, "delivery_settings.email", "invalid email address 'not-an-address'"),
    ({"delivery": {"email": "a@b.org, c@d.org"}}, "delivery_settings.email", "invalid email address"),
    ({"delivery": {"webhook_url": "ftp://example.com/x"}}, "delivery_settings.webhook_url", "only http:// and https://"),
    ({"delivery": {"emial": "a@b.org"}}, "delivery_settings", "unknown key(s) emial; valid: email"),
    ({"delivery": {}}, "delivery_settings", "no delivery target"),
    ({"delivery": {"email": "a@b.org", "timezone": "Nowhere/City"}}, "timezone", "unknown timezone"),
])
def test_invalid_rows_name_the_field(kwargs, field, message):
    with pytest.raises(ScheduledReportError) as info:
        validate(row(**kwargs))
    assert info.value.field == field
    assert message in str(info.value)
    assert str(info.value).startswith("scheduled_reports id=7:")


def test_malformed_json_fails_only_that_row():
    bad = ScheduledReport(id=3, user_id=1, report_config="{not json", schedule_expression="daily",
                          delivery_settings='{"email": "a@b.org"}', status="active")
    with pytest.raises(ScheduledReportError, match="report_config: not valid JSON"):
        validate(bad)
